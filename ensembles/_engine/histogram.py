"""Histograms of gradient and hessian sums per (feature, bin).

A histogram has shape (n_features, 256, 2): channel 0 sums gradients, channel 1 hessians,
bin 255 is the missing-value bin. Sums are accumulated in float64.

The grower keeps every node's rows *physically* contiguous (it moves the binned rows and
their gradient pairs when it partitions a node), so a node's histogram is built from one
sequential sweep over ``X_local[start:stop]`` and ``gh[start:stop]``. Gathering rows
through an index array instead costs a cache miss per row once nodes get small, which made
histogram building several times slower.

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
def plan_chunks(starts, stops):
    """Split every node's range into its fixed number of chunks (the parallel work items).

    Returns
    -------
    first : ndarray of shape (n_nodes + 1,)
        Chunks ``first[k]:first[k + 1]`` belong to node ``k``.
    chunk_start, chunk_stop : ndarray of shape (n_chunks,)
    """
    n_nodes = starts.shape[0]
    first = np.zeros(n_nodes + 1, dtype=np.int64)
    for k in range(n_nodes):
        first[k + 1] = first[k] + _n_chunks(stops[k] - starts[k])
    chunk_start = np.empty(first[n_nodes], dtype=np.int64)
    chunk_stop = np.empty(first[n_nodes], dtype=np.int64)
    for k in range(n_nodes):
        n_chunks = first[k + 1] - first[k]
        size = (stops[k] - starts[k] + n_chunks - 1) // n_chunks
        for c in range(n_chunks):
            chunk_start[first[k] + c] = starts[k] + c * size
            chunk_stop[first[k] + c] = min(stops[k], starts[k] + (c + 1) * size)
    return first, chunk_start, chunk_stop


@njit(cache=True, nogil=True)
def _accumulate(X_local, gh, start, stop, hist):
    """Add rows ``start:stop`` into ``hist``: the inner loop of histogram building."""
    n_features = X_local.shape[1]
    for i in range(start, stop):
        g = gh[i, 0]
        h = gh[i, 1]
        for f in range(n_features):
            b = np.uint64(X_local[i, f])  # unsigned: no negative-index wraparound code
            hist[f, b, 0] += g
            hist[f, b, 1] += h


@njit(cache=True, nogil=True)
def _accumulate_chunks(c0, c1, X_local, gh, chunk_start, chunk_stop, partial):
    for c in range(c0, c1):
        _accumulate(X_local, gh, chunk_start[c], chunk_stop[c], partial[c])


@njit(cache=True, nogil=True)
def _reduce_chunks(first, partial, hists):
    """Add each node's partial histograms in chunk order (a fixed order: deterministic)."""
    for k in range(hists.shape[0]):
        hists[k] = partial[first[k]]
        for c in range(first[k] + 1, first[k + 1]):
            hists[k] += partial[c]


def build_histograms(X_local, gh, starts, stops):
    """Histograms of several nodes at once, node ``k`` holding rows ``starts[k]:stops[k]``.

    All nodes of a tree level are built in one parallel call (chunks of every node are the
    work items), so small nodes keep every thread busy.

    Parameters
    ----------
    X_local : ndarray of uint8, shape (n_rows, n_features), C-contiguous
        Binned rows, each node's rows contiguous.
    gh : ndarray of float64, shape (n_rows, 2)
        Gradient and hessian of each row of ``X_local``.
    starts, stops : ndarray of int64, shape (n_nodes,)

    Returns
    -------
    hists : ndarray of float64, shape (n_nodes, n_features, 256, 2)
    """
    first, chunk_start, chunk_stop = plan_chunks(starts, stops)
    n_chunks = chunk_start.shape[0]
    partial = np.zeros((n_chunks, X_local.shape[1], N_BIN_CODES, 2))
    run_parallel(_accumulate_chunks, n_chunks, X_local, gh, chunk_start, chunk_stop, partial,
                 weights=chunk_stop - chunk_start, min_weight=_MIN_CHUNK_ROWS)
    if n_chunks == starts.shape[0]:
        return partial  # one chunk per node: the partials are the histograms
    hists = np.empty((starts.shape[0], X_local.shape[1], N_BIN_CODES, 2))
    _reduce_chunks(first, partial, hists)
    return hists


def build_histogram(X_binned, grad, hess, rows):
    """Histogram of the rows ``rows`` of ``X_binned``, shape (n_features, 256, 2)."""
    X_local = np.ascontiguousarray(X_binned[rows])
    gh = np.column_stack([grad[rows], hess[rows]]).astype(np.float64)
    bounds = np.array([0], dtype=np.int64), np.array([len(rows)], dtype=np.int64)
    return build_histograms(X_local, np.ascontiguousarray(gh), *bounds)[0]


def subtract_histogram(parent, child):
    """Histogram of a node's other child: the parent's minus the built child's.

    This is the subtraction trick: only the smaller child is built from rows.
    """
    return parent - child
