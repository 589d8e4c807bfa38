"""Histograms of gradient and hessian sums per (feature, bin).

A histogram has shape (n_features, 256, 2): channel 0 sums gradients, channel 1 hessians,
bin 255 is the missing-value bin. Sums are accumulated in float64 from float32 gradients.

Rows are processed in a fixed number of chunks that depends only on the number of rows,
never on the number of threads; each chunk fills its own partial histogram and the partials
are added in chunk order. Floating-point sums therefore come out bit-identical whatever
``n_jobs`` is, which keeps models deterministic.
"""

import numpy as np
from numba import njit, prange

N_BIN_CODES = 256
_MIN_CHUNK_ROWS = 4096
_MAX_CHUNKS = 16


@njit(cache=True, nogil=True)
def _n_chunks(n_rows):
    n = n_rows // _MIN_CHUNK_ROWS
    if n < 1:
        return 1
    if n > _MAX_CHUNKS:
        return _MAX_CHUNKS
    return n


@njit(parallel=True, cache=True, nogil=True)
def build_histogram(X_binned, grad, hess, rows):
    """Gradient/hessian histogram of the given rows.

    Parameters
    ----------
    X_binned : ndarray of uint8, shape (n_samples, n_features), C-contiguous
    grad, hess : ndarray of float32, shape (n_samples,)
    rows : ndarray of int, shape (n_rows,)
        Indices of the node's rows into ``X_binned``.

    Returns
    -------
    hist : ndarray of float64, shape (n_features, 256, 2)
    """
    n_rows = rows.shape[0]
    n_features = X_binned.shape[1]
    n_chunks = _n_chunks(n_rows)
    chunk = (n_rows + n_chunks - 1) // n_chunks
    partial = np.zeros((n_chunks, n_features, N_BIN_CODES, 2))
    for c in prange(n_chunks):
        part = partial[c]
        stop = min(n_rows, (c + 1) * chunk)
        for i in range(c * chunk, stop):
            r = rows[i]
            g = grad[r]
            h = hess[r]
            for f in range(n_features):
                b = X_binned[r, f]
                part[f, b, 0] += g
                part[f, b, 1] += h
    if n_chunks == 1:
        return partial[0]
    hist = np.zeros((n_features, N_BIN_CODES, 2))
    for f in prange(n_features):
        for c in range(n_chunks):
            for b in range(N_BIN_CODES):
                hist[f, b, 0] += partial[c, f, b, 0]
                hist[f, b, 1] += partial[c, f, b, 1]
    return hist


def subtract_histogram(parent, child):
    """Histogram of a node's other child: the parent's minus the built child's.

    This is the subtraction trick: only the smaller child is built from rows.
    """
    return parent - child
