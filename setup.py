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
# The kernels compile in parts, one process each, side by side: one per core (a compile
# runs on one), at most four (each part compiles the helpers its kernels share again).
N_PARTS = max(1, min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                     else os.cpu_count() or 1, 4))


class BuildKernels(build_ext):
    """Compile the kernel extensions (the parts) with ``python -m
    ensembles._engine.aot_build``, each in a process of its own that imports the package
    from this source tree, all at once."""

    def finalize_options(self):
        super().finalize_options()
        self.parallel = N_PARTS

    def build_extension(self, ext):
        path = Path(self.get_ext_fullpath(ext.name)).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        # The command runs the compile in a process of its own, on numba's JIT alone.
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        part = ext.name.rsplit("_", 1)[1]
        command = [sys.executable, "-m", "ensembles._engine.aot_build", "build", str(path),
                   "--part", part, "--parts", str(N_PARTS)]
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
    ext_modules=[Extension(f"ensembles._engine._aot_kernels_{part}", sources=[])
                 for part in range(N_PARTS)] if build_kernels else [],
    cmdclass={"build_ext": BuildKernels},
)
