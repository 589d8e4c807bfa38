"""Histograms of gradient and hessian sums per (feature, bin).

A histogram has shape (n_features, 256, 2): channel 0 sums gradients, channel 1 hessians,
bin 255 is the missing-value bin. Sums are accumulated in float64.

Rows are processed in a fixed number of chunks that depends only on the number of rows,
never on the number of threads; each chunk fills its own partial histogram and the partials
are added in chunk order. Floating-point sums therefore come out bit-identical whatever
``n_jobs`` is, which keeps models deterministic.
"""

import numpy as np
from numba import njit, prange

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
    """Add rows ``rows[start:stop]`` into ``hist``: the serial inner loop.

    Kept as its own function because numba optimizes it better outside a ``prange`` body.
    """
    n_features = X_binned.shape[1]
    for i in range(start, stop):
        r = rows[i]
        g = grad[r]
        h = hess[r]
        for f in range(n_features):
            b = X_binned[r, f]
            hist[f, b, 0] += g
            hist[f, b, 1] += h


@njit(parallel=True, cache=True, nogil=True)
def build_histograms(X_binned, grad, hess, rows, starts, stops):
    """Histograms of several nodes at once, the rows of node ``k`` being
    ``rows[starts[k]:stops[k]]``.

    All nodes of a tree level are built in one parallel region (chunks of every node are
    the work items), so small nodes keep both cores busy and the threads meet at one
    barrier per level instead of one per node.

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
    n_nodes = starts.shape[0]
    n_features = X_binned.shape[1]
    node_chunks = np.empty(n_nodes, dtype=np.int64)
    for k in range(n_nodes):
        node_chunks[k] = _n_chunks(stops[k] - starts[k])
    first = np.zeros(n_nodes + 1, dtype=np.int64)
    first[1:] = np.cumsum(node_chunks)
    n_tasks = first[n_nodes]
    task_node = np.empty(n_tasks, dtype=np.int64)
    task_start = np.empty(n_tasks, dtype=np.int64)
    task_stop = np.empty(n_tasks, dtype=np.int64)
    for k in range(n_nodes):
        size = stops[k] - starts[k]
        chunk = (size + node_chunks[k] - 1) // node_chunks[k]
        for c in range(node_chunks[k]):
            t = first[k] + c
            task_node[t] = k
            task_start[t] = starts[k] + c * chunk
            task_stop[t] = min(stops[k], starts[k] + (c + 1) * chunk)
    partial = np.zeros((n_tasks, n_features, N_BIN_CODES, 2))
    for t in prange(n_tasks):
        _accumulate(X_binned, grad, hess, rows, task_start[t], task_stop[t], partial[t])
    hists = np.empty((n_nodes, n_features, N_BIN_CODES, 2))
    for j in prange(n_nodes * n_features):
        k = j // n_features
        f = j % n_features
        hists[k, f] = partial[first[k], f]
        for t in range(first[k] + 1, first[k + 1]):
            for b in range(N_BIN_CODES):
                hists[k, f, b, 0] += partial[t, f, b, 0]
                hists[k, f, b, 1] += partial[t, f, b, 1]
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
