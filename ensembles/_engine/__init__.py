"""The shared numba tree engine: binning, histograms, split finding, growth and prediction.

Nothing in this package imports scikit-learn; the estimators build on it. Kernels are
serial, compiled with ``cache=True`` and release the GIL; :mod:`ensembles._threads` runs
them on several threads.
"""

from ._numba_cache import ensure_cache_location

# Before any kernel module is imported: numba looks for a cache location when a kernel is
# decorated, and refuses outright when it finds none.
ensure_cache_location()
