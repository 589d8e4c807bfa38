"""Build step: the kernels compiled ahead of time (see ``ensembles/_engine/aot.py``).

Everything else about the package is in ``pyproject.toml``. ``ENSEMBLES_BUILD_AOT=0`` skips
this step; so does a failed compile (no C compiler, say), with a warning: the package then
compiles its kernels with numba's JIT on first use, as it always can.
"""

import os
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


class BuildKernels(build_ext):
    """Compile the kernel extension with ``python -m ensembles._engine.aot_build``, in a
    process of its own that imports the package from this source tree."""

    def build_extension(self, ext):
        path = Path(self.get_ext_fullpath(ext.name)).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        # The command runs the compile in a process of its own, on numba's JIT alone.
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        command = [sys.executable, "-m", "ensembles._engine.aot_build", "build", str(path)]
        if subprocess.call(command, cwd=ROOT, env=env) != 0:
            print("warning: the ahead-of-time kernels did not build; numba will compile "
                  "them on first use", file=sys.stderr)

    def build_extensions(self):
        super().build_extensions()
        # A module that did not build is not installed (nor copied into the source tree).
        self.extensions = [ext for ext in self.extensions
                           if Path(self.get_ext_fullpath(ext.name)).exists()]

    def get_source_files(self):
        return []


build_kernels = os.environ.get("ENSEMBLES_BUILD_AOT", "1") != "0"
setup(
    ext_modules=[Extension("ensembles._engine._aot_kernels", sources=[])] if build_kernels
    else [],
    cmdclass={"build_ext": BuildKernels},
)
