"""Kernels that import numba only when one has to be compiled.

Importing numba loads LLVM (tens of megabytes of resident memory and a few tenths of a
second) even when every kernel a process calls was compiled ahead of time (:mod:`.aot`).
So kernels are decorated with :func:`njit` from here, which makes a :class:`Kernel`: a
call from Python whose argument types have code compiled ahead of time runs that code;
any other call makes the numba dispatcher (importing numba then, once) and goes through
it, as ``numba.njit`` would. Numba's intrinsics are made the same way
(:func:`intrinsic`), and :func:`when_numba_loads` defers overload registrations.

A compiled caller sees a kernel through ``_numba_type_``, the attribute numba's
``typeof`` reads for objects it does not know: it makes the dispatcher and types the
kernel as numba types the dispatcher itself, so compiled code calls kernels (and
intrinsics) exactly as before, and numba's caching is unchanged.
"""

import contextlib
import functools
import gc
import importlib
import threading

import numpy as np

from .aot import call_shape, compiled_kernels, same_shape, value_source

_lock = threading.RLock()
_numba = None
_on_load = []
# The numba releases whose inlining :func:`_inline_without_copies` was written against
# (first and last, major and minor): its code there was read, and is the same in each.
_INLINING_READ = ((0, 61), (0, 68))


def load_numba():
    """Import numba (once): point its cache somewhere writable if needed and register the
    deferred overloads. Returns the ``numba`` module."""
    global _numba
    with _lock:
        if _numba is None:
            import numba

            from ._numba_cache import ensure_cache_location

            # Before any kernel is made: numba looks for a cache location when a kernel
            # is decorated, and refuses outright when it finds none.
            ensure_cache_location()
            _inline_without_copies(numba.version_info.short)
            for define in _on_load:
                define()
            _numba = numba
    return _numba


def _inline_without_copies(version):
    """Make numba's inlining of ``inline="always"`` functions skip two copies of their IR
    that it makes and never uses, in the numba releases of ``_INLINING_READ`` (``version``
    is the running one's major and minor; in others, nothing changes). Returns whether it
    did.

    For each call of such a function, numba's untyped pass (``InlineInlinables``) has
    ``InlineWorker.inline_function`` translate the callee afresh
    (``run_untyped_passes``) and hand that IR to ``InlineWorker.inline_ir``, which first
    deep-copies it block by block, for callers that pass an IR they keep, and then copies
    it again, to return an unedited copy that this pass throws away. An IR made for the
    one call needs neither, and the copies, of a callee with its own callees inlined
    already, took about half of a forest node loop's compile. Here ``inline_function``
    does the same work, with the blocks of the fresh IR deep-copying as themselves while
    ``inline_ir`` runs: numba compiles under its global compiler lock, so no other
    compile copies a block meanwhile. ``inline_ir`` itself, the other untyped passes and
    the typed pass that inlines overloads (whose callers do keep their IR) are
    untouched."""
    first, last = _INLINING_READ
    if not first <= tuple(version) <= last:
        return False
    from numba.core import inline_closurecall, ir

    def inline_function(self, caller_ir, block, i, function, arg_typs=None):
        callee_ir = self.run_untyped_passes(function)
        ir.Block.__deepcopy__ = _itself
        try:
            return self.inline_ir(caller_ir, block, i, callee_ir,
                                  function.__code__.co_freevars, arg_typs=arg_typs)
        finally:
            del ir.Block.__deepcopy__

    inline_closurecall.InlineWorker.inline_function = inline_function
    return True


def _itself(value, memo):
    """A ``__deepcopy__`` that copies nothing."""
    return value


@contextlib.contextmanager
def fewer_collections():
    """Run a stretch of compiling with the garbage collector's first threshold raised.

    numba's compiler makes millions of small objects that live together (inlining
    translates a callee afresh for each call of it), and at the default threshold the
    collections they set off, each walking what survived the last ones, took about a
    fifth of a forest node loop's compile. The older generations' thresholds are kept, so
    cycles are still collected; the previous thresholds are restored on leaving."""
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], 20_000), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def when_numba_loads(define):
    """Run ``define()`` (numba overload registrations) when numba is imported, or now if
    it has been."""
    with _lock:
        if _numba is None:
            _on_load.append(define)
            return define
    define()
    return define


class Kernel:
    """A kernel compiled by numba on first need (see the module's documentation).

    Attributes the numba dispatcher has (``signatures``, ``overloads``, ``stats``...) are
    read from it, which makes it.
    """

    def __init__(self, py_func, options):
        functools.update_wrapper(self, py_func)
        self.py_func = py_func
        self.options = options
        # (module, name, factory arguments or None): the name in the ahead-of-time list.
        self.locator = (py_func.__module__, py_func.__name__, None)
        self._dispatcher = None
        # Argument type sources -> compiled function; None until looked up.
        self._compiled = None
        # (call_shape of the arguments, compiled function) of the last compiled call.
        self._last_call = None

    def __call__(self, *args, **kwargs):
        # The last call's compiled function, if these arguments have its types.
        last = self._last_call
        if last is not None and not kwargs and same_shape(last[0], args):
            return last[1](*args)
        if _holds_read_only(args):
            return self(*map(writeable_alias, args), **kwargs)
        function = None if kwargs else self._compiled_function(args)
        if function is not None:
            self._last_call = (call_shape(args), function)
            return function(*args)
        return self.dispatcher(*args, **kwargs)

    def bind(self, *args):
        """The function a call with ``args`` runs, for a caller that calls this kernel
        many times with arguments of the same numba types (dtypes, dimensions, layouts
        and flags: its own buffers, say, once per tree of a fit); called directly, it
        skips the check of each call's arguments, which for a kernel of dozens of arrays
        costs tens of microseconds. Where ``args`` find no code compiled ahead of time,
        the kernel itself (numba's dispatcher then checks each call)."""
        function = None if _holds_read_only(args) else self._compiled_function(args)
        return self if function is None else function

    def _compiled_function(self, args):
        """The function compiled ahead of time for the types of ``args``, or None."""
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = compiled_kernels(self.locator)
        return compiled.get(tuple(map(value_source, args))) if compiled else None

    def made_by(self, module, factory, args):
        """Name this kernel as made by ``module.factory(*args)``, for its compiled code,
        :func:`.aot_build.record` and pickling; returns it."""
        self.locator = (module, factory, tuple(args))
        self._compiled = None
        self._last_call = None
        return self

    @property
    def dispatcher(self):
        """The numba dispatcher (made, and numba imported, on first use)."""
        if self._dispatcher is None:
            numba = load_numba()
            with _lock:
                if self._dispatcher is None:
                    dispatcher = numba.njit(**self.options)(self.py_func)
                    dispatcher._aot_locator = self.locator
                    self._dispatcher = dispatcher
        return self._dispatcher

    @property
    def _numba_type_(self):
        return self.dispatcher._numba_type_

    def __getattr__(self, name):
        # Only reached for names not set on the kernel; dunder probes (copy, pickle,
        # inspect) must not import numba.
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.dispatcher, name)

    def __reduce__(self):
        return kernel_at, self.locator

    def __repr__(self):
        return f"<ensembles kernel {self.__module__}.{self.__qualname__}>"


class BoundKernels:
    """Kernels bound to the types of their arguments (:meth:`Kernel.bind`), for a caller
    that calls each many times: once per kernel and kinds of the ``given`` values, those
    that may change between its calls (its own caller's inputs); every other argument
    must be of the same kinds at every call (buffers the caller makes itself, alike every
    time). A plain function (a test's stand-in for a kernel) is its own binding."""

    def __init__(self):
        self._functions = {}
        # kernel -> (call_shape of the given values, function) of its last call: a caller
        # gives values of the same kinds call after call, and comparing with those costs
        # less than making the key.
        self._last = {}

    def __call__(self, kernel, args, given):
        """The function to call ``kernel`` with ``args`` through."""
        last = self._last.get(kernel)
        if last is not None and same_shape(last[0], given):
            return last[1]
        shape = call_shape(given)
        key = (kernel, _hashable(shape))
        function = self._functions.get(key)
        if function is None:
            bind = getattr(kernel, "bind", None)
            function = self._functions[key] = kernel if bind is None else bind(*args)
        self._last[kernel] = (shape, function)
        return function


def _hashable(shape):
    """A :func:`.aot.call_shape` with its lists (of tuples' items) as tuples."""
    return tuple([_hashable(item) if type(item) is list else item for item in shape])


def _holds_read_only(args):
    """Whether any of ``args`` (or of the tuples among them) is a read-only array."""
    for value in args:
        if isinstance(value, np.ndarray):
            if not value.flags.writeable:
                return True
        elif type(value) is tuple and _holds_read_only(value):
            return True
    return False


class _WriteableInterface:
    """The array interface of ``array`` with its memory marked writeable; holds ``array``,
    so that the memory outlives every array made from this."""

    def __init__(self, array):
        self.array = array
        interface = dict(array.__array_interface__)
        interface["data"] = (interface["data"][0], False)
        self.__array_interface__ = interface


def writeable_alias(value):
    """``value``, or for a read-only array (a memory map opened for reading, scikit-learn's
    and joblib's read-only copies of large inputs, a broadcast view) a writeable array
    over the same memory; tuples item by item.

    numba types a read-only array apart from a writeable one, so a read-only input would
    find no kernel compiled ahead of time and compile every kernel of its fit again (for
    minutes). Kernels only read the arrays a caller gives them read-only (their outputs
    are arrays they or the engine made), so the alias is never written through."""
    if isinstance(value, np.ndarray):
        if value.flags.writeable:
            return value
        return np.asarray(_WriteableInterface(value))
    if type(value) is tuple:
        return tuple(map(writeable_alias, value))
    return value


def kernel_at(module, name, factory_args):
    """The kernel :attr:`Kernel.locator` names (unpickling)."""
    attribute = getattr(importlib.import_module(module), name)
    return attribute if factory_args is None else attribute(*factory_args)


def njit(**options):
    """``numba.njit(**options)``, compiled on first need: a :class:`Kernel`."""
    return functools.partial(Kernel, options=options)


class _Intrinsic:
    """A numba intrinsic made when compiled code first refers to it."""

    def __init__(self, definition):
        functools.update_wrapper(self, definition)
        self._definition = definition
        self._intrinsic = None

    @property
    def _numba_type_(self):
        if self._intrinsic is None:
            load_numba()
            from numba.extending import intrinsic

            with _lock:
                if self._intrinsic is None:
                    self._intrinsic = intrinsic(self._definition)
        from numba.core.registry import cpu_target

        context = cpu_target.typing_context
        # The intrinsic registered its type globally; the context reads new ones in here.
        context.refresh()
        return context.resolve_value_type(self._intrinsic)

    def __call__(self, *args):
        raise TypeError(f"{self.__name__} runs in compiled code only")


def intrinsic(definition):
    """``numba.extending.intrinsic``, made on first need."""
    return _Intrinsic(definition)
