"""Atomic operations on int64 counters, for threads that hand work over without the GIL.

A thread that blocks on a lock or a queue is put to sleep, and waking it takes the kernel
(and, on a virtual machine, the hypervisor) tens of microseconds, longer than a level of a
small boosting tree lasts. The thread pool therefore polls before it blocks
(:func:`spin_while`), and a boosting tree grown by a team of threads
(:mod:`~._engine.grower`) hands its steps over through counters entirely in compiled code.
The operations work on one element of a C-contiguous int64 array; each counter that
threads share should sit in a cache line of its own (64 bytes, 8 elements apart).
"""

import platform

from ._engine.jit import intrinsic, njit

# The CPU's spin-wait hint, as an LLVM intrinsic (numba's LLVM assembles no inline asm):
# it saves power and frees the core's other hardware thread. None where none is known.
_PAUSE = ("llvm.x86.sse2.pause" if platform.machine().lower() in ("x86_64", "amd64", "i686")
          else None)


def _pointer(context, builder, signature, args):
    from numba.core import cgutils

    array_type = signature.args[0]
    array = context.make_array(array_type)(context, builder, args[0])
    return cgutils.get_item_pointer(context, builder, array_type, array, [args[1]])


@intrinsic
def load_acquire(typingctx, counters, index):
    """``counters[index]``, read as an atomic acquire load: compiled code reads memory
    again on every call (a plain load could be hoisted out of a polling loop), and sees
    every write the writer made before its release."""
    from numba.core import types

    sig = types.int64(counters, index)

    def codegen(context, builder, signature, args):
        return builder.load_atomic(_pointer(context, builder, signature, args), "acquire", 8)

    return sig, codegen


@intrinsic
def store_release(typingctx, counters, index, value):
    """``counters[index] = value`` as an atomic release store: a thread that reads the
    value with :func:`load_acquire` sees every write made before it."""
    from numba.core import types

    sig = types.void(counters, index, types.int64)

    def codegen(context, builder, signature, args):
        builder.store_atomic(args[2], _pointer(context, builder, signature, args),
                             "release", 8)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def fetch_add(typingctx, counters, index, value):
    """Add ``value`` to ``counters[index]`` atomically; returns the previous value."""
    from numba.core import types

    sig = types.int64(counters, index, types.int64)

    def codegen(context, builder, signature, args):
        return builder.atomic_rmw("add", _pointer(context, builder, signature, args),
                                  args[2], "acq_rel")

    return sig, codegen


@intrinsic
def compare_swap(typingctx, counters, index, expected, value):
    """Set ``counters[index]`` to ``value`` if it holds ``expected``, atomically; returns
    whether it did."""
    from numba.core import types

    sig = types.boolean(counters, index, types.int64, types.int64)

    def codegen(context, builder, signature, args):
        result = builder.cmpxchg(_pointer(context, builder, signature, args), args[2],
                                 args[3], "acq_rel", "acquire")
        return builder.extract_value(result, 1)

    return sig, codegen


@intrinsic
def pause(typingctx):
    """The CPU's spin-wait hint (nothing where none is known)."""
    from numba.core import types

    sig = types.void()

    def codegen(context, builder, signature, args):
        if _PAUSE is not None:
            from llvmlite import ir
            from numba.core import cgutils

            hint = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(ir.VoidType(), []), _PAUSE)
            builder.call(hint, [])
        return context.get_dummy_value()

    return sig, codegen


@njit(cache=True, nogil=True)
def spin_while(counters, index, value, rounds):
    """Poll ``counters[index]`` while it equals ``value``, at most ``rounds`` times.

    Returns whether it changed (False: the caller should block instead)."""
    for _ in range(rounds):
        if load_acquire(counters, index) != value:
            return True
        pause()
    return load_acquire(counters, index) != value
