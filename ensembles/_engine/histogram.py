"""Histograms of gradient and hessian sums per (feature, bin).

A histogram has shape (n_features, 256, 2): channel 0 sums gradients, channel 1 hessians,
bin 255 is the missing-value bin. Sums are accumulated in float64.

Rows are processed in a fixed number of chunks that depends only on the number of rows,
never on the number of threads; each chunk fills its own partial histogram and the partials
are added in chunk order. Floating-point sums therefore come out bit-identical whatever
``n_jobs`` is, which keeps models deterministic.
"""

import numpy as np
from numba import njit

from .._threads import run_parallel

N_BIN_CODES = 256
_MIN_CHUNK_ROWS = 16384
_MAX_CHUNKS = 16


@njit(cache=True, nogil=True)
def _n_chunks(n_rows):
    n = n_rows // _MIN_CHUNK_ROWS
    if n < 1:
        return 1
    if n > _MAX_CHUNKS:
        return _MAX_CHUNKS
    return n


@njit(cache=True, nogil=True)
def _accumulate(X_binned, grad, hess, rows, start, stop, hist):
    """Add rows ``rows[start:stop]`` into ``hist``: the inner loop of histogram building."""
    n_features = X_binned.shape[1]
    for i in range(start, stop):
        r = rows[i]
        g = grad[r]
        h = hess[r]
        for f in range(n_features):
            b = X_binned[r, f]
            hist[f, b, 0] += g
            hist[f, b, 1] += h


@njit(cache=True, nogil=True)
def _plan_tasks(starts, stops):
    """Split every node's rows into its fixed number of chunks (the parallel work items)."""
    n_nodes = starts.shape[0]
    first = np.zeros(n_nodes + 1, dtype=np.int64)
    for k in range(n_nodes):
        first[k + 1] = first[k] + _n_chunks(stops[k] - starts[k])
    task_start = np.empty(first[n_nodes], dtype=np.int64)
    task_stop = np.empty(first[n_nodes], dtype=np.int64)
    for k in range(n_nodes):
        n_chunks = first[k + 1] - first[k]
        chunk = (stops[k] - starts[k] + n_chunks - 1) // n_chunks
        for c in range(n_chunks):
            task_start[first[k] + c] = starts[k] + c * chunk
            task_stop[first[k] + c] = min(stops[k], starts[k] + (c + 1) * chunk)
    return first, task_start, task_stop


@njit(cache=True, nogil=True)
def _accumulate_tasks(t0, t1, X_binned, grad, hess, rows, task_start, task_stop, partial):
    for t in range(t0, t1):
        _accumulate(X_binned, grad, hess, rows, task_start[t], task_stop[t], partial[t])


@njit(cache=True, nogil=True)
def _reduce_tasks(first, partial, hists):
    """Add each node's partial histograms in chunk order (a fixed order: deterministic)."""
    for k in range(hists.shape[0]):
        hists[k] = partial[first[k]]
        for t in range(first[k] + 1, first[k + 1]):
            hists[k] += partial[t]


def build_histograms(X_binned, grad, hess, rows, starts, stops):
    """Histograms of several nodes at once, the rows of node ``k`` being
    ``rows[starts[k]:stops[k]]``.

    All nodes of a tree level are built in one parallel call (chunks of every node are the
    work items), so small nodes keep every thread busy.

    Parameters
    ----------
    X_binned : ndarray of uint8, shape (n_samples, n_features), C-contiguous
    grad, hess : ndarray of float64, shape (n_samples,)
    rows : ndarray of int, shape (n_rows,)
    starts, stops : ndarray of int64, shape (n_nodes,)

    Returns
    -------
    hists : ndarray of float64, shape (n_nodes, n_features, 256, 2)
    """
    first, task_start, task_stop = _plan_tasks(starts, stops)
    n_tasks = task_start.shape[0]
    partial = np.zeros((n_tasks, X_binned.shape[1], N_BIN_CODES, 2))
    run_parallel(_accumulate_tasks, n_tasks, X_binned, grad, hess, rows, task_start,
                 task_stop, partial, weights=task_stop - task_start)
    if n_tasks == starts.shape[0]:
        return partial  # one chunk per node: the partials are the histograms
    hists = np.empty((starts.shape[0], X_binned.shape[1], N_BIN_CODES, 2))
    _reduce_tasks(first, partial, hists)
    return hists


def build_histogram(X_binned, grad, hess, rows):
    """Histogram of one node whose rows are ``rows``, shape (n_features, 256, 2)."""
    bounds = np.array([0], dtype=np.int64), np.array([rows.shape[0]], dtype=np.int64)
    return build_histograms(X_binned, grad, hess, rows, *bounds)[0]


def subtract_histogram(parent, child):
    """Histogram of a node's other child: the parent's minus the built child's.

    This is the subtraction trick: only the smaller child is built from rows.
    """
    return parent - child
