"""The shared numba tree engine: binning, histograms, split finding, growth and prediction.

Nothing in this package imports scikit-learn; the estimators build on it. Kernels are
serial, compiled with ``cache=True`` and release the GIL; :mod:`ensembles._threads` runs
them on several threads.
"""

from .jit import njit


def compiled_only(function):
    """Compile a kernel that only other compiled kernels call.

    Numba gives every compiled function a Python and a C entry point, compiled with it and
    again inside each compiled caller that links it; a kernel Python never calls does
    without them, which shortens the first fit's compile.
    """
    return njit(cache=True, nogil=True, no_cpython_wrapper=True,
                no_cfunc_wrapper=True)(function)
