"""The shared numba tree engine: binning, histograms, split finding, growth and prediction.

Nothing in this package imports scikit-learn; the estimators build on it.
"""

import os

import numba

# numba's default "workqueue" threading layer crashes or corrupts results when parallel
# kernels are entered from several Python threads at once (e.g. a user's ThreadPool or
# joblib's threading backend). "threadsafe" picks OpenMP or TBB, both of which are safe.
# An explicit choice by the user through the environment wins.
if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "threadsafe"
