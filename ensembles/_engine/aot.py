"""Kernels compiled ahead of time, so that a first fit does not wait for numba.

numba compiles a kernel on its first call in a process (seconds per estimator family on an
empty cache) and, even when it loads the machine code from its cache, first loads LLVM,
which costs tens of megabytes. This module compiles, when the package is built, the
kernels that Python calls on the common paths into extension modules (``_aot_kernels_0``,
``_aot_kernels_1``, ..., with ``numba.pycc``; parts compiled side by side, one process
each, since a compile runs on one core). A kernel (:class:`.jit.Kernel`) called from
Python with argument types it has compiled code for runs that code, with no numba in the
process; anything else (a rarer option, a new dtype) makes the numba dispatcher and
compiles as before. Nothing at the call sites changes.

The kernels and signatures to compile are listed in :mod:`._aot_exports`, recorded from
the fits and predictions of :mod:`ensembles.precompile` with extras::

    python -m ensembles._engine.aot_build record       # rewrite _aot_exports.py
    python -m ensembles._engine.aot_build build PATH --part P --parts N
                                                       # compile part P of N to PATH

``setup.py`` runs the build (``ENSEMBLES_BUILD_AOT=0`` skips it). Each extension module
carries a digest of the kernels' sources and the number of parts; when the sources have
changed since the build (an editable install being worked on) or a part is missing, none
is used, and numba compiles as before. The code is compiled for the building machine's
CPU: each module also lists that CPU's features, and on a CPU that lacks one of them
(the package built on another machine, say, a wheel or an image) none is used either.
``ENSEMBLES_AOT=0`` turns it off at run time.
"""

import hashlib
import importlib
import os
import threading
from pathlib import Path

import numpy as np

# The extension modules are named MODULE_NAME + "_" + part number (see part_name).
MODULE_NAME = "_aot_kernels"
_PACKAGE = Path(__file__).resolve().parent.parent
_EXPORTS_FILE = Path(__file__).with_name("_aot_exports.py")
# Set when the extension module was looked for: its functions by export index.
_compiled = None
# The same, by kernel (see compiled_kernels).
_by_kernel = None
_lock = threading.RLock()


def _int63(sha):
    """The first 63 bits of a SHA-256 hash object, as a non-negative int64: a value the
    extension modules return from compiled code."""
    return int.from_bytes(sha.digest()[:8], "little") >> 1


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
    return _int63(digest)


def feature_digest(name):
    """A 63-bit digest of the name of a CPU feature (as numpy names them, see
    :func:`ensembles._compat.cpu_features`)."""
    return _int63(hashlib.sha256(name.encode()))


def runs_here(required):
    """Whether code compiled for a CPU of the features ``required`` (their
    :func:`feature_digest`) runs on this one: every one of them that numpy knows by name
    here is this CPU's. (A feature that only a newer numpy names, at the build, cannot be
    checked; it comes with others that can.)"""
    from .._compat import cpu_features

    here = cpu_features()
    known = {feature_digest(name) for name in here}
    present = {feature_digest(name) for name, on in here.items() if on}
    return all(digest in present for digest in required if digest in known)


def _load():
    """The extension module's functions by export index, or None when it is absent,
    turned off, older than the sources or built for a CPU feature this one lacks."""
    global _compiled
    with _lock:  # the first kernel calls may come from several threads at once
        if _compiled is None:
            _compiled = _find_compiled()
    return _compiled or None


def part_name(part):
    """The name of the extension module of compiled part ``part``."""
    return f"{MODULE_NAME}_{part}"


def _find_compiled():
    """The compiled functions of every part (part 0 says how many there are), or an empty
    dict when a part is absent, turned off, older than the sources or compiled for a CPU
    feature this one lacks."""
    if os.environ.get("ENSEMBLES_AOT", "1") == "0":
        return {}
    from ._aot_exports import EXPORTS

    digest = source_digest(EXPORTS)
    compiled = {}
    n_parts = 1
    part = 0
    while part < n_parts:
        try:
            module = importlib.import_module(f"{__package__}.{part_name(part)}")
        except Exception:  # absent, or built for another Python or NumPy ABI
            return {}
        count = module.part_count()
        if part == 0:
            n_parts = count
        if (module.source_digest() != digest or count != n_parts
                or not runs_here(module.cpu_features())):
            return {}
        compiled.update((i, getattr(module, f"k{i}")) for i in range(len(EXPORTS))
                        if hasattr(module, f"k{i}"))
        part += 1
    return compiled if len(compiled) == len(EXPORTS) else {}


def _dtype_source(dtype):
    if dtype.kind == "b":
        return "boolean"
    if dtype.kind in "iuf" and dtype.isnative:
        return dtype.name
    return None


def _array_source(dtype, ndim, flags):
    dtype = _dtype_source(dtype)
    if dtype is None:
        return None
    layout = "C" if flags.c_contiguous else "F" if flags.f_contiguous else "A"
    text = f"Array({dtype}, {ndim}, '{layout}'"
    if not flags.writeable:
        text += ", readonly=True"
    if not flags.aligned:
        text += ", aligned=False"
    return text + ")"


# Sources of ndarrays by (dtype, ndim, flag bits) and of tuples by their items' sources:
# a kernel call reads one per argument.
_array_sources = {}
_tuple_sources = {}


def value_source(value):
    """The source text of the numba type of ``value`` as numba's ``typeof`` gives it
    (written as ``aot_build`` writes types), for the kinds of arguments compiled kernels
    take; None for any other kind. Needs no numba: a call is matched to compiled code
    without it."""
    if isinstance(value, np.ndarray):
        flags = value.flags
        key = (value.dtype, value.ndim, flags.num)
        source = _array_sources.get(key)
        if source is None:
            source = _array_sources[key] = _array_source(value.dtype, value.ndim, flags)
        return source
    if isinstance(value, bool | np.bool_):
        return "boolean"
    if isinstance(value, int):
        return "int64" if -(2**63) < value < 2**63 else None
    if isinstance(value, float):
        return "float64"
    if isinstance(value, np.number):
        return _dtype_source(value.dtype)
    if value is None:
        return "none"
    if type(value) is tuple:
        items = tuple(map(value_source, value))
        source = _tuple_sources.get(items)
        if source is None and None not in items:
            if items and items.count(items[0]) == len(items):
                source = f"UniTuple({items[0]}, {len(items)})"
            else:
                source = "Tuple((" + "".join(item + ", " for item in items) + "))"
            _tuple_sources[items] = source
        return source
    return None


# The flag bits numba's type of an array depends on: C- and F-contiguous, aligned,
# writeable (not, e.g., whether it owns its data).
_TYPE_FLAGS = 0x0001 | 0x0002 | 0x0100 | 0x0400


def call_shape(args):
    """What :func:`same_shape` compares a later call's arguments with: per array a tuple
    of its dtype, number of dimensions and type flags (all its numba type depends on),
    per tuple a list of its items' shapes, per other value its class."""
    shape = []
    for value in args:
        kind = type(value)
        if kind is np.ndarray or isinstance(value, np.ndarray):
            shape.append((value.dtype, value.ndim, value.flags.num & _TYPE_FLAGS))
        elif kind is tuple:
            shape.append(call_shape(value))
        else:
            shape.append(kind)
    return shape


def same_shape(shape, args):
    """Whether ``args`` have the numba types of the call :func:`call_shape` read
    ``shape`` from (False when in doubt): much cheaper than :func:`value_source`, for
    the kernels a fit calls once per tree with the same kinds of arguments."""
    if len(shape) != len(args):
        return False
    for expected, value in zip(shape, args, strict=True):
        kind = type(value)
        if kind is expected:  # a value typed by its class alone
            if kind is int and not -(2**63) < value < 2**63:
                return False
        elif kind is tuple:
            if type(expected) is not list or not same_shape(expected, value):
                return False
        elif not (kind is np.ndarray or isinstance(value, np.ndarray)) or (
                type(expected) is not tuple or value.dtype is not expected[0]
                or value.ndim != expected[1]
                or value.flags.num & _TYPE_FLAGS != expected[2]):
            return False
    return True


def compiled_kernels(locator):
    """The compiled functions of the kernel ``locator`` names ((module, name, factory
    arguments or None)), by the source text of their argument types; empty when there
    are none (or the extension module is absent, turned off or stale)."""
    global _by_kernel
    with _lock:
        if _by_kernel is None:
            by_kernel = {}
            compiled = _load()
            if compiled is not None:
                from ._aot_exports import EXPORTS

                for index, (module, name, factory_args, _, arg_sources) in enumerate(
                        EXPORTS):
                    by_kernel.setdefault((module, name, factory_args), {})[arg_sources] = (
                        compiled[index])
            _by_kernel = by_kernel
    return _by_kernel.get(locator, {})
