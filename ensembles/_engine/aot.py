"""Kernels compiled ahead of time, so that a first fit does not wait for numba.

numba compiles a kernel on its first call in a process (seconds per estimator family on an
empty cache) and, even when it loads the machine code from its cache, first initializes
LLVM, which costs tens of megabytes. This module compiles, when the package is built, the
kernels that Python calls on the common paths into one extension module
(``_aot_kernels``, with ``numba.pycc``), and at import hands each of them to its numba
dispatcher as the compiled code for its signature: a call with those argument types runs
it directly, through numba's own type dispatch, and anything else (a rarer option, a new
dtype) compiles as before. Nothing at the call sites changes.

The kernels and signatures to compile are listed in :mod:`._aot_exports`, recorded from
the fits and predictions of :mod:`ensembles.precompile` with extras::

    python -m ensembles._engine.aot_build record       # rewrite _aot_exports.py
    python -m ensembles._engine.aot_build build PATH   # compile _aot_kernels to PATH

``setup.py`` runs the build (``ENSEMBLES_BUILD_AOT=0`` skips it). The extension module
carries a digest of the kernels' sources; when they have changed since the build (an
editable install being worked on), it is not used, and numba compiles as before.
``ENSEMBLES_AOT=0`` turns it off at run time.
"""

import hashlib
import importlib
import os
from pathlib import Path

MODULE_NAME = "_aot_kernels"
_PACKAGE = Path(__file__).resolve().parent.parent
_EXPORTS_FILE = Path(__file__).with_name("_aot_exports.py")
# Set when the extension module was found current: its functions by export index.
_compiled = None
# The argument types handed to dispatchers. numba interns its types weakly and numbers
# them as they are made: a type that died would come back under another number, which
# no longer matches the one the dispatcher holds for the compiled code.
_attached_types = []


def source_digest(exports=None):
    """A 63-bit digest of every source the compiled kernels were built from: the engine's
    modules (but this one, which only loads them), the modules of the exported kernels and
    the export list."""
    if exports is None:
        from ._aot_exports import EXPORTS as exports
    paths = set(Path(__file__).parent.glob("*.py")) - {Path(__file__)}
    for module, _, _, _, _ in exports:
        paths.add(_PACKAGE.parent.joinpath(*module.split(".")).with_suffix(".py"))
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.relative_to(_PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    return int.from_bytes(digest.digest()[:8], "little") >> 1


def _load():
    """The extension module's functions by export index, or None when it is absent,
    turned off or older than the sources."""
    global _compiled
    if _compiled is not None:
        return _compiled or None
    _compiled = {}
    if os.environ.get("ENSEMBLES_AOT", "1") == "0":
        return None
    try:
        module = importlib.import_module(f"{__package__}.{MODULE_NAME}")
    except Exception:  # absent, or built for another Python or NumPy ABI
        return None
    from ._aot_exports import EXPORTS

    if module.source_digest() != source_digest(EXPORTS):
        return None
    _compiled = {i: getattr(module, f"k{i}") for i in range(len(EXPORTS))}
    return _compiled


def numba_type(source):
    """The numba type written as ``source`` (names of ``numba.core.types``)."""
    from numba.core import types

    return eval(source, {"__builtins__": {}}, vars(types))


def _install(dispatcher, index, arg_sources):
    arg_types = [numba_type(source) for source in arg_sources]
    # What numba's Dispatcher.add_overload does with a compiled result: the C dispatcher
    # calls this entry point for exactly these argument types. ``overloads`` is left
    # alone, so a compiled caller of this kernel still compiles its own linkable copy.
    dispatcher._insert([t._code for t in arg_types], _compiled[index], False)
    _attached_types.append(arg_types)


def attach_modules():
    """Give the kernels of the modules in the export list their compiled code."""
    if _load() is None:
        return
    from ._aot_exports import EXPORTS

    for index, (module, name, factory_args, _, arg_sources) in enumerate(EXPORTS):
        if factory_args is None:
            _install(getattr(importlib.import_module(module), name), index, arg_sources)


def attach_made(dispatcher, module, factory, args):
    """Give a kernel made by ``module.factory(*args)`` its compiled code, and mark it so
    that :func:`.aot_build.record` can name it."""
    dispatcher._aot_locator = (module, factory, tuple(args))
    if _load() is None:
        return dispatcher
    from ._aot_exports import EXPORTS

    for index, (export_module, name, factory_args, _, arg_sources) in enumerate(EXPORTS):
        if (export_module, name, factory_args) == (module, factory, tuple(args)):
            _install(dispatcher, index, arg_sources)
    return dispatcher
