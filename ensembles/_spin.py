"""Waiting on a counter without a system call, for the thread pool's hand-offs.

A thread that blocks on a lock or a queue is put to sleep, and waking it takes the kernel
(and, on a virtual machine, the hypervisor) tens of microseconds, which a level of a small
boosting tree does not last. :func:`spin_while` instead polls an int64 counter in compiled
code, without the GIL, for a bounded number of rounds; the pool falls back to blocking
only when nothing arrives in that time.
"""

import platform

from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

# The CPU's spin-wait hint, as an LLVM intrinsic (numba's LLVM assembles no inline asm):
# it saves power and frees the core's other hardware thread. None where none is known.
_PAUSE = ("llvm.x86.sse2.pause" if platform.machine().lower() in ("x86_64", "amd64", "i686")
          else None)


@intrinsic
def _load_acquire(typingctx, counters, index):
    """``counters[index]`` as an atomic acquire load: compiled code must read memory
    again on every call (a plain load would be hoisted out of the polling loop)."""
    sig = types.int64(counters, index)

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        array = context.make_array(array_type)(context, builder, args[0])
        pointer = cgutils.get_item_pointer(context, builder, array_type, array, [args[1]])
        return builder.load_atomic(pointer, "acquire", 8)

    return sig, codegen


@intrinsic
def _pause(typingctx):
    """The spin-wait hint (nothing where none is known)."""
    sig = types.void()

    def codegen(context, builder, signature, args):
        if _PAUSE is not None:
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
        if _load_acquire(counters, index) != value:
            return True
        _pause()
    return _load_acquire(counters, index) != value
