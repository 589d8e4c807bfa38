"""Binning: map raw feature values to small integer codes.

Every feature gets at most ``max_bin`` value bins (255 at most, so codes fit in ``uint8``),
plus one reserved code, :data:`MISSING_BIN`, for NaN. A feature with few distinct values gets
one bin per value, so splits on it are exact; other features get quantile-based edges.

Bin ``b`` of feature ``f`` holds the values ``x`` with ``edges[f, b-1] < x <= edges[f, b]``.
A split "bin <= b goes left" therefore equals the raw-value test ``x <= edges[f, b]``, which
is what the trees store, so prediction never needs to re-bin.
"""

import numpy as np
from numba import njit

from .._threads import run_parallel

MISSING_BIN = 255
MAX_VALUE_BINS = 255


_RADIX_BITS = 8  # 256 counts per digit stay in L1
_RADIX_PASSES = 8


@njit(cache=True, nogil=True)
def sort_floats(values):
    """An ascending copy of ``values`` (float64 without NaN), by a least-significant-digit
    radix sort of their bit patterns: a few sequential passes, several times faster than
    a comparison sort on the column lengths binning sees (-0.0 comes before 0.0).

    The bit patterns are made to order like the floats: a negative float's bits all
    flipped, a positive one's sign bit set.
    """
    n = values.size
    keys = np.empty(n, dtype=np.uint64)
    bits = values.view(np.uint64)
    sign = np.uint64(1) << np.uint64(63)
    for i in range(n):
        b = bits[i]
        keys[i] = ~b if b & sign else b | sign
    n_buckets = 1 << _RADIX_BITS
    mask = np.uint64(n_buckets - 1)
    # All digits' counts in one pass; a digit shared by every key needs no pass.
    counts = np.zeros((_RADIX_PASSES, n_buckets), dtype=np.int64)
    for i in range(n):
        key = keys[i]
        for p in range(_RADIX_PASSES):
            counts[p, (key >> np.uint64(p * _RADIX_BITS)) & mask] += 1
    other = np.empty(n, dtype=np.uint64)
    for p in range(_RADIX_PASSES):
        shift = np.uint64(p * _RADIX_BITS)
        if counts[p, (keys[0] >> shift) & mask] == n:
            continue
        offset = 0
        for d in range(n_buckets):
            c = counts[p, d]
            counts[p, d] = offset
            offset += c
        for i in range(n):
            key = keys[i]
            d = (key >> shift) & mask
            other[counts[p, d]] = key
            counts[p, d] += 1
        keys, other = other, keys
    out = np.empty(n)
    out_bits = out.view(np.uint64)
    for i in range(n):
        key = keys[i]
        out_bits[i] = key & ~sign if key & sign else ~key
    return out


def _quantiles(max_bin):
    """Inner quantile levels of ``max_bin`` equal-frequency bins."""
    return np.linspace(0.0, 100.0, max_bin + 1)[1:-1] / 100


@njit(cache=True, nogil=True)
def _column_edges(column, quantiles, out):
    """Write the upper bin edges of one feature to ``out``; returns how many.

    A feature with at most ``len(quantiles) + 1`` distinct values gets one bin per value,
    with edges halfway between consecutive values (the lower value when rounding puts the
    midpoint on the upper one, so each value keeps a bin of its own). Otherwise the edges
    are the data values at the quantile levels, numpy's "lower" percentile method:
    interpolating between values of opposite sign near float64's limit would overflow.
    NaN is ignored.
    """
    values = np.empty(column.shape[0])
    n = 0
    for i in range(column.shape[0]):
        v = column[i]
        if not np.isnan(v):
            values[n] = v
            n += 1
    if n == 0:
        return 0
    # One sort gives both the distinct values and the quantiles (sorting is most of the
    # cost of binning a fit).
    values = sort_floats(values[:n])
    n_distinct = 1
    for i in range(1, n):
        n_distinct += values[i] != values[i - 1]
    n_edges = 0
    if n_distinct <= quantiles.shape[0] + 1:
        previous = values[0]
        for i in range(1, n):
            v = values[i]
            if v != previous:
                mid = previous / 2.0 + v / 2.0  # (v - previous) could overflow
                out[n_edges] = previous if mid >= v else mid
                n_edges += 1
                previous = v
        return n_edges
    top = values[n - 1]
    for q in range(quantiles.shape[0]):
        edge = values[np.int64(np.floor((n - 1) * quantiles[q]))]
        # The largest value must stay above every edge, else the top bin would be empty.
        if edge < top and (n_edges == 0 or edge != out[n_edges - 1]):
            out[n_edges] = edge
            n_edges += 1
    return n_edges


def find_bin_edges(column, max_bin):
    """Upper bin edges (excluding the last, open-ended bin) of one feature.

    Parameters
    ----------
    column : ndarray of shape (n_samples,)
        Finite values and NaN of one feature (NaN ignored).
    max_bin : int
        Maximum number of value bins, 2 to 255.

    Returns
    -------
    edges : ndarray of float64
        Sorted thresholds; the feature has ``len(edges) + 1`` value bins.
    """
    out = np.empty(max_bin)
    n_edges = _column_edges(np.ascontiguousarray(column, dtype=np.float64),
                            _quantiles(max_bin), out)
    return out[:n_edges].copy()


class BinMapper:
    """Learn per-feature bin edges and map raw values to ``uint8`` codes.

    Parameters
    ----------
    max_bin : int, default=256
        Maximum number of bins per feature, missing values included in XGBoost's sense;
        value bins are capped at 255 so that one code stays reserved for NaN.
    subsample : int or None, default=200_000
        Edges are computed from a random subsample of this many rows (all rows if None or
        if there are fewer). Features with at most ``max_bin`` distinct values in the
        subsample still get exact bins when those are all their values.
    random_state : int, default=0
        Seed of the subsample.

    Attributes
    ----------
    edges_ : ndarray of shape (n_features, 255)
        Upper edges, padded with +inf past each feature's last edge.
    n_bins_ : ndarray of shape (n_features,)
        Number of value bins per feature (at least 1).
    """

    def __init__(self, max_bin=256, subsample=200_000, random_state=0):
        self.max_bin = max_bin
        self.subsample = subsample
        self.random_state = random_state

    def fit(self, X):
        n_samples, n_features = X.shape
        value_bins = min(int(self.max_bin), MAX_VALUE_BINS)
        if self.subsample is not None and n_samples > self.subsample:
            rng = np.random.default_rng(self.random_state)
            rows = np.sort(rng.choice(n_samples, self.subsample, replace=False))
            X = X[rows]
        self.edges_ = np.full((n_features, MAX_VALUE_BINS), np.inf)
        self.n_bins_ = np.empty(n_features, dtype=np.int32)
        # One contiguous row per feature, and features on the engine's threads.
        columns = np.ascontiguousarray(np.asarray(X, dtype=np.float64).T)
        run_parallel(_fit_features, n_features, columns, _quantiles(value_bins), self.edges_,
                     self.n_bins_)
        return self

    def transform(self, X):
        """Bin ``X`` into a C-contiguous ``uint8`` matrix of shape (n_samples, n_features)."""
        out = np.empty(X.shape, dtype=np.uint8)
        run_parallel(_bin_rows, X.shape[0], X, self.edges_, out, min_items=4096)
        return out


@njit(cache=True, nogil=True)
def _fit_features(f0, f1, columns, quantiles, edges_out, n_bins_out):
    for f in range(f0, f1):
        n_bins_out[f] = _column_edges(columns[f], quantiles, edges_out[f]) + 1


@njit(cache=True, nogil=True)
def _bin_rows(r0, r1, X, edges, out):
    n_features = X.shape[1]
    for i in range(r0, r1):
        for f in range(n_features):
            x = X[i, f]
            if np.isnan(x):
                out[i, f] = MISSING_BIN
                continue
            # The code is the number of edges below x (the first edge >= x). A fixed
            # eight-step search over the padded row of 255 edges (+inf past the feature's
            # last one, never below a finite x) has no unpredictable branch.
            code = 0
            step = 128
            while step > 0:
                code += step if edges[f, code + step - 1] < x else 0
                step >>= 1
            out[i, f] = code
