"""Compact histograms of gradient and hessian sums per (feature, bin).

A node's histogram is one float64 array of shape ``(n_hist_bins, 2)`` (column 0 sums
gradients, column 1 hessians), or with quantized gradients (:func:`quantize`) one int64
array of shape ``(n_hist_bins, 1)`` whose words each hold both integer sums. Feature ``f``
owns the rows ``offsets[f]`` to ``offsets[f] + n_bins[f]``: one per value bin, then one for
its missing values, so a feature with 17 distinct values takes 18 rows, not 256. The grower
keeps such histograms in a pool (one slot per node that may still be split) and derives a
sibling by subtraction in place.

Rows of a node are physically contiguous in the grower's buffers (it moves binned rows and
gradient pairs at every split), so building a histogram is one sequential sweep. Large nodes
are cut into a number of chunks that depends only on the number of rows, never on the number
of threads; each chunk fills its own partial histogram and the partials are added in chunk
order, so sums, and the models, are bit-identical whatever ``n_jobs`` is.
"""

import numpy as np
from numba import njit, types
from numba.extending import overload

CHUNK_ROWS = 16384
MAX_CHUNKS = 16


@njit(cache=True, nogil=True)
def n_chunks(n_rows):
    """Chunks a node of ``n_rows`` rows is cut into (1 to :data:`MAX_CHUNKS`)."""
    n = n_rows // CHUNK_ROWS
    if n < 1:
        return 1
    if n > MAX_CHUNKS:
        return MAX_CHUNKS
    return n


def hist_offsets(n_bins):
    """First histogram row of every feature, and the total, for ``n_bins`` value bins each
    (one more row per feature for missing values)."""
    offsets = np.zeros(len(n_bins) + 1, dtype=np.int64)
    np.cumsum(np.asarray(n_bins, dtype=np.int64) + 1, out=offsets[1:])
    return offsets


def kernel_layout(n_bins):
    """``(offsets, n_bins)`` as the unsigned arrays :func:`accumulate` reads."""
    return (hist_offsets(n_bins).astype(np.uint64),
            np.ascontiguousarray(n_bins, dtype=np.uint64))


@njit(cache=True, nogil=True)
def accumulate(X, gh, start, stop, offsets, n_bins, hist):
    """Add rows ``start:stop`` of binned rows ``X`` and gradient pairs ``gh`` into ``hist``.

    ``offsets`` and ``n_bins`` are unsigned (:func:`kernel_layout`), so that indexing needs
    no negative-index code. The missing code (255) is above every feature's value bins, so
    ``min(code, n_bins[f])`` sends it to the feature's missing row without a branch.
    """
    accumulate_features(X, gh, start, stop, offsets, n_bins, hist, np.int64(0), X.shape[1])


def accumulate_features(X, gh, start, stop, offsets, n_bins, hist, f0, f1):
    """:func:`accumulate` for the features ``f0:f1`` only (their histogram rows); float
    pairs or packed integer pairs after ``gh``'s dtype. Compiled code only."""
    raise TypeError("accumulate_features runs in compiled code only")


@overload(accumulate_features, jit_options={"nogil": True})
def _accumulate_features(X, gh, start, stop, offsets, n_bins, hist, f0, f1):
    if isinstance(gh.dtype, types.Integer):
        return _accumulate_packed
    return _accumulate_pairs


def _accumulate_pairs(X, gh, start, stop, offsets, n_bins, hist, f0, f1):
    """Float gradient pairs. Two rows at a time, feature by feature: the two updates are
    independent, so the CPU overlaps them (one row's updates wait on each other's loads
    and stores of the histogram less). Each bin still receives its rows in row order, so
    the sums are those of a row-by-row sweep."""
    i = start
    while i + 2 <= stop:
        g0 = np.float64(gh[i, 0])
        h0 = np.float64(gh[i, 1])
        g1 = np.float64(gh[i + 1, 0])
        h1 = np.float64(gh[i + 1, 1])
        for f in range(f0, f1):
            first = offsets[f]
            n = n_bins[f]
            b0 = first + min(np.uint64(X[i, f]), n)
            b1 = first + min(np.uint64(X[i + 1, f]), n)
            hist[b0, 0] += g0
            hist[b0, 1] += h0
            hist[b1, 0] += g1
            hist[b1, 1] += h1
        i += 2
    if i < stop:
        g = np.float64(gh[i, 0])
        h = np.float64(gh[i, 1])
        for f in range(f0, f1):
            b = offsets[f] + min(np.uint64(X[i, f]), n_bins[f])
            hist[b, 0] += g
            hist[b, 1] += h


def _accumulate_packed(X, gh, start, stop, offsets, n_bins, hist, f0, f1):
    """Packed integer pairs (see :func:`quantize`): one addition per row and feature adds
    both sums, into half the memory of float pairs. Eight rows at a time, as for
    :func:`_accumulate_pairs` (with one store per row, more rows keep overlapping)."""
    i = start
    while i + 8 <= stop:
        p0, p1, p2, p3 = gh[i, 0], gh[i + 1, 0], gh[i + 2, 0], gh[i + 3, 0]
        p4, p5, p6, p7 = gh[i + 4, 0], gh[i + 5, 0], gh[i + 6, 0], gh[i + 7, 0]
        for f in range(f0, f1):
            first = offsets[f]
            n = n_bins[f]
            hist[first + min(np.uint64(X[i, f]), n), 0] += p0
            hist[first + min(np.uint64(X[i + 1, f]), n), 0] += p1
            hist[first + min(np.uint64(X[i + 2, f]), n), 0] += p2
            hist[first + min(np.uint64(X[i + 3, f]), n), 0] += p3
            hist[first + min(np.uint64(X[i + 4, f]), n), 0] += p4
            hist[first + min(np.uint64(X[i + 5, f]), n), 0] += p5
            hist[first + min(np.uint64(X[i + 6, f]), n), 0] += p6
            hist[first + min(np.uint64(X[i + 7, f]), n), 0] += p7
        i += 8
    while i < stop:
        p = gh[i, 0]
        for f in range(f0, f1):
            hist[offsets[f] + min(np.uint64(X[i, f]), n_bins[f]), 0] += p
        i += 1


# --- quantized gradients -------------------------------------------------------------------
# Shi et al., "Quantized Training of Gradient Boosting Decision Trees" (NeurIPS 2022): each
# tree sees its gradients and hessians rounded stochastically to a few integer levels. A
# row's two integers are packed in one int64, the gradient in the high 32 bits and the
# (non-negative) hessian in the low 32, so that adding packed words adds both sums exactly
# as long as a sum of hessians stays below 2**32 (checked by the caller); histograms are then
# one int64 per bin, built, added and subtracted as plain integers.

_LOW = np.int64(0xFFFFFFFF)
_LOW_U = np.uint64(0xFFFFFFFF)


@njit(cache=True, nogil=True)
def _row_draws(key, r):
    """Two uniform draws in [0, 1) for row ``r`` under ``key`` (the halves of a splitmix64
    hash of their mix), so that the rounding does not depend on which thread quantizes
    which rows."""
    z = key + np.uint64(r) * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    unit = 1.0 / 4294967296.0
    return np.float64(z >> np.uint64(32)) * unit, np.float64(z & _LOW_U) * unit


# Keys of the rounding: a tree's seed mixed with this (the column samples use the seed too).
ROUNDING_KEY = np.uint64(0x2545F4914F6CDD1D)


@njit(cache=True, nogil=True, inline="always")
def quantized_pair(g, h, r, g_scale, h_scale, key):
    """Row ``r``'s gradient ``g`` and hessian ``h`` times their scales (the inverse steps),
    rounded stochastically (up with probability the fractional part, so that each is
    unbiased) and packed in one int64."""
    ug, uh = _row_draws(key, r)
    gq = np.int64(np.floor(g * g_scale + ug))
    hq = np.int64(np.floor(h * h_scale + uh))
    return (gq << 32) + max(hq, 0)


@njit(cache=True, nogil=True)
def quantize(r0, r1, grad, hess, k, g_step, h_step, key, out):
    """``out[r, 0]`` for rows ``r0:r1``: the packed :func:`quantized_pair` of output
    ``k``'s gradient and hessian of row ``r`` (steps ``g_step`` and ``h_step``)."""
    g_scale = 1.0 / g_step
    h_scale = 1.0 / h_step
    for r in range(r0, r1):
        out[r, 0] = quantized_pair(grad[r, k], hess[r, k], r, g_scale, h_scale, key)


def gather_pair(gh, i, g, h, r, g_scale, h_scale, key):
    """Store row ``r``'s gradient pair at position ``i`` of buffer 0 of ``gh``: as floats,
    or for a packed buffer rounded by :func:`quantized_pair`. Compiled code only (each
    kind of buffer compiles only its own code)."""
    raise TypeError("gather_pair runs in compiled code only")


@overload(gather_pair, jit_options={"nogil": True})
def _gather_pair(gh, i, g, h, r, g_scale, h_scale, key):
    if isinstance(gh.dtype, types.Integer):
        def packed(gh, i, g, h, r, g_scale, h_scale, key):
            gh[0, i, 0] = quantized_pair(g, h, r, g_scale, h_scale, key)
        return packed

    def pair(gh, i, g, h, r, g_scale, h_scale, key):
        gh[0, i, 0] = g
        gh[0, i, 1] = h
    return pair


def quantization_steps(grad, hess, k, levels):
    """The steps of output ``k``'s rounded gradients and hessians: ``levels / 2`` levels
    on either side of 0 for the gradients, ``levels`` for the (non-negative) hessians."""
    g = grad[:, k]
    h = hess[:, k]
    g_max = max(float(g.max(initial=0.0)), -float(g.min(initial=0.0)))
    h_max = float(h.max(initial=0.0))
    return (2.0 * g_max / levels if g_max > 0.0 else 1.0,
            h_max / levels if h_max > 0.0 else 1.0)


def float_histogram(hist, scales, out, lo, hi):
    """``hist`` as float sums: itself, or for a packed histogram its rows ``lo:hi``
    unpacked into ``out`` and multiplied by ``scales`` (gradient step, hessian step).
    Compiled code only."""
    raise TypeError("float_histogram runs in compiled code only")


@overload(float_histogram, jit_options={"nogil": True})
def _float_histogram(hist, scales, out, lo, hi):
    if not isinstance(hist.dtype, types.Integer):
        return lambda hist, scales, out, lo, hi: hist

    def unpack(hist, scales, out, lo, hi):
        for b in range(lo, hi):
            word = hist[b, 0]
            h = word & _LOW
            out[b, 0] = ((word - h) >> 32) * scales[0]
            out[b, 1] = h * scales[1]
        return out
    return unpack


def build_histogram(X_binned, grad, hess, rows, n_bins):
    """Compact histogram of the rows ``rows`` of ``X_binned`` (a direct, serial build).

    Returns
    -------
    hist : ndarray of shape (n_hist_bins, 2)
    """
    offsets, n_bins = kernel_layout(n_bins)
    X = np.ascontiguousarray(X_binned[rows])
    gh = np.column_stack([grad[rows], hess[rows]]).astype(np.float64)
    hist = np.zeros((int(offsets[-1]), 2))
    accumulate(X, gh, 0, len(rows), offsets, n_bins, hist)
    return hist
