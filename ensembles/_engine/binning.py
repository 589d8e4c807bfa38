"""Binning: map raw feature values to small integer codes.

Every feature gets at most ``max_bin`` value bins, coded ``0 .. n_bins[f] - 1``. A missing
value (NaN) gets the largest code of the dtype, :data:`MISSING_BIN` (255) for ``uint8``
codes and 65535 for ``uint16``; the kernels read any code ``>= n_bins[f]`` as missing, so
one test serves both dtypes. Codes are ``uint8`` whenever they fit: up to 256 value bins,
the 256th only on a feature that has no NaN in the binned rows (256 value bins and NaN
need a 257th code). So with ``max_bin=256`` a quantile-binned feature with NaN in the
fitted rows gets 255 quantile bins, and its codes stay ``uint8`` (half the memory and
histogram traffic of ``uint16`` on the many tables with missing values); only a feature of
exactly 256 distinct values and NaN, whose exact bins XGBoost separates too, needs
``uint16``, as do more bins or NaN met at transform next to 256 value bins. A feature with
few distinct values gets one bin per value, so splits on it are exact; other features get
quantile-based edges.

Bin ``b`` of feature ``f`` holds the values ``x`` with ``edges[f, b-1] < x <= edges[f, b]``.
A split "bin <= b goes left" therefore equals the raw-value test ``x <= edges[f, b]``, which
is what the trees store, so prediction never needs to re-bin.

A categorical feature arrives as category codes ``0 .. n_cat - 1`` (NaN: missing) and
gets one bin per category whatever ``max_bin`` is (edges halfway between the codes), so
its bins are its codes.
"""


import numpy as np
from scipy import sparse

from .._threads import run_parallel
from .jit import njit

MISSING_BIN = 255  # the missing code of uint8 codes
MAX_VALUE_BINS = 65535  # uint16 codes, one of them for missing values
# Features whose edges are computed together: bounds the transient (features, max_bin)
# edge buffer on wide data.
_FEATURE_BLOCK = 2048
# Tiles of the transform: rows per tile (enough to be worth a thread), features per tile
# (whose edge rows fit in a core's cache).
_TILE_ROWS = 4096
_TILE_FEATURES = 256
# The bands of rows in which the fit transposes the features (see _feature_rows).
_TRANSPOSE_BYTES = 512 << 10


def _quantiles(max_bin):
    """Inner quantile levels of ``max_bin`` equal-frequency bins."""
    return np.linspace(0.0, 100.0, max_bin + 1)[1:-1] / 100


def find_bin_edges(column, max_bin):
    """Upper bin edges (excluding the last, open-ended bin) of one feature.

    Parameters
    ----------
    column : ndarray of shape (n_samples,)
        Finite values and NaN of one feature (NaN ignored).
    max_bin : int
        Maximum number of value bins, 2 to :data:`MAX_VALUE_BINS`.

    Returns
    -------
    edges : ndarray of float64
        Sorted thresholds; the feature has ``len(edges) + 1`` value bins.
    """
    out = np.empty(max_bin)
    quantiles = _quantiles(max_bin)
    n_edges = _column_edges(np.sort(np.asarray(column, dtype=np.float64)), 0, quantiles,
                            quantiles, out)
    return out[:n_edges].copy()


class BinMapper:
    """Learn per-feature bin edges and map raw values to ``uint8`` or ``uint16`` codes.

    Parameters
    ----------
    max_bin : int, default=256
        Maximum number of value bins per feature (XGBoost's ``max_bin``: missing values
        come on top), 2 to :data:`MAX_VALUE_BINS`.
    subsample : int or None, default=200_000
        Edges are computed from a random subsample of this many rows (all rows if None or
        if there are fewer). Features with at most ``max_bin`` distinct values in the
        subsample still get exact bins when those are all their values.
    random_state : int, default=0
        Seed of the subsample.

    Attributes
    ----------
    edges_ : ndarray of shape (n_features, width)
        Upper edges, padded with +inf past each feature's last edge, so that
        ``edges_[f, n_bins_[f] - 1]`` is +inf (the threshold of a split that sends every
        value left and only missing values right). The width is at least the smallest
        ``2**k - 1`` that holds the feature with most edges, which lets :meth:`transform`
        find a code by ``k`` halvings.
    n_bins_ : ndarray of shape (n_features,)
        Number of value bins per feature (at least 1).
    categorical_ : ndarray of bool, shape (n_features,)
        Features binned as category codes.
    """

    def __init__(self, max_bin=256, subsample=200_000, random_state=0):
        self.max_bin = max_bin
        self.subsample = subsample
        self.random_state = random_state

    def fit(self, X, n_categories=None):
        """Learn the edges of ``X``; ``n_categories[f] > 0`` marks feature ``f`` as
        categorical with that many categories (its values are their codes).

        ``X`` may be a scipy sparse matrix (an absent entry is a zero, a stored NaN is
        missing): the edges then come from each column's stored values with its implicit
        zeros counted as one value of that multiplicity, the same edges as those of the
        dense matrix, which is never formed.
        """
        n_samples, n_features = X.shape
        value_bins = min(int(self.max_bin), MAX_VALUE_BINS)
        if self.subsample is not None and n_samples > self.subsample:
            rng = np.random.default_rng(self.random_state)
            rows = np.sort(rng.choice(n_samples, self.subsample, replace=False))
            X = X[rows]
        quantiles = _quantiles(value_bins)
        # A feature with NaN keeps the top uint8 code for it (see the module notes).
        quantiles_missing = (_quantiles(MISSING_BIN) if value_bins == MISSING_BIN + 1
                             else quantiles)
        n_bins = np.empty(n_features, dtype=np.int32)
        blocks = []
        if sparse.issparse(X):
            # Column slices of CSC: a feature's stored values are contiguous (and sorted
            # in a copy of the data, never the caller's).
            X = X.tocsc()
            data = np.array(X.data, dtype=np.float64)
            indptr = np.asarray(X.indptr, dtype=np.int64)
        for f0 in range(0, n_features, _FEATURE_BLOCK):
            f1 = min(f0 + _FEATURE_BLOCK, n_features)
            edges = np.full((f1 - f0, max(value_bins - 1, 1)), np.inf)
            if sparse.issparse(X):
                run_parallel(_fit_sparse_block, f1 - f0, f0, indptr, data, X.shape[0],
                             quantiles, quantiles_missing, edges, n_bins[f0:f1])
            else:
                # One contiguous row per feature (a copy, sorted in place), and features on
                # the engine's threads.
                columns = _feature_rows(X, f0, f1)
                run_parallel(_fit_dense_block, f1 - f0, columns, quantiles,
                             quantiles_missing, edges, n_bins[f0:f1])
            blocks.append(edges[:, : max(int(n_bins[f0:f1].max(initial=1)) - 1, 1)])
        if n_categories is not None and np.any(np.asarray(n_categories) > 0):
            rows = [row for block in blocks for row in block]
            edges = [row[: n - 1] for row, n in zip(rows, n_bins, strict=True)]
            return self._from_list(self._with_categories(edges, n_categories), n_categories)
        self._set_edges(blocks, n_bins)
        self.categorical_ = np.zeros(n_features, dtype=np.bool_)
        return self

    @staticmethod
    def _with_categories(edges, n_categories):
        """``edges`` with each categorical feature's replaced by the halfway points between
        its codes."""
        return [np.arange(n - 1) + 0.5 if n > 0 else e
                for e, n in zip(edges, n_categories, strict=True)]

    def _from_list(self, edges, n_categories=None):
        n_bins = np.array([len(e) + 1 for e in edges], dtype=np.int32)
        block = np.full((len(edges), max(int(n_bins.max(initial=1)) - 1, 1)), np.inf)
        for f, e in enumerate(edges):
            block[f, : len(e)] = e
        self._set_edges([block], n_bins)
        self.categorical_ = (np.zeros(len(edges), dtype=np.bool_) if n_categories is None
                             else np.asarray(n_categories) > 0)
        return self

    @classmethod
    def from_edges(cls, edges, max_bin=256, n_categories=None):
        """A fitted mapper with the given upper edges per feature (a list of sorted
        sequences, as :meth:`edges_list` returns them); features with
        ``n_categories[f] > 0`` are categorical and take their edges from it."""
        mapper = cls(max_bin)
        if n_categories is not None:
            edges = cls._with_categories(list(edges), n_categories)
        return mapper._from_list(edges, n_categories)

    def _set_edges(self, blocks, n_bins):
        n_edges = int(n_bins.max(initial=1)) - 1
        width = max((1 << n_edges.bit_length()) - 1, n_edges + 1)
        self.edges_ = np.full((len(n_bins), width), np.inf)
        f0 = 0
        for block in blocks:
            self.edges_[f0:f0 + len(block), : block.shape[1]] = block
            f0 += len(block)
        self.n_bins_ = n_bins

    def edges_list(self):
        """The upper edges of every feature, as a list of 1-d arrays."""
        return [row[: n - 1] for row, n in zip(self.edges_, self.n_bins_, strict=True)]

    def zero_codes(self):
        """The code of the value 0 in every feature (that of a sparse matrix's absent
        entries): the number of its edges below 0."""
        return np.sum(self.edges_ < 0.0, axis=1)

    def transform(self, X):
        """Bin ``X`` into a C-contiguous code matrix of shape (n_samples, n_features):
        ``uint8`` where every code fits, else ``uint16`` (see the module notes).

        A sparse ``X`` must be canonical CSR (see :func:`.sparse.as_csr`): each row gets
        the zero codes, then its stored values' codes, without a dense float copy.
        """
        n_bins = self.n_bins_
        dtype = np.uint8 if n_bins.max(initial=1) <= MISSING_BIN + 1 else np.uint16
        is_sparse = sparse.issparse(X)
        while True:
            out = np.empty(X.shape, dtype=dtype)
            missing = np.iinfo(dtype).max
            # Set when a NaN meets a feature whose value bins use every code, the missing
            # one too: then the codes need the wider dtype.
            clash = np.zeros(1, dtype=np.bool_)
            half = (1 << (int(n_bins.max(initial=1)) - 1).bit_length()) >> 1
            if is_sparse:
                run_parallel(_bin_csr_rows, X.shape[0], X.indptr, X.indices, X.data,
                             self.edges_, n_bins, half, missing,
                             self.zero_codes().astype(dtype), out, clash, min_items=4096)
            else:
                # Tiles of rows by features, so that a tile's edge rows stay in cache on
                # wide data; tiles on the engine's threads.
                row_tiles = -(-X.shape[0] // _TILE_ROWS)
                feature_tiles = -(-X.shape[1] // _TILE_FEATURES)
                run_parallel(_bin_tiles, row_tiles * feature_tiles, row_tiles, X,
                             self.edges_, n_bins, half, missing, out, clash)
            if not clash[0]:
                return out
            dtype = np.uint16


def _feature_rows(X, f0, f1):
    """Features ``f0:f1`` of a dense ``X`` as the rows of a float64 C-ordered copy.

    Transposed a band of rows at a time, each band's values fitting in a core's cache:
    transposed whole, every value read lands on a cache line of its own, which had to
    come from memory once per feature (the copy took as long as the sorts).
    """
    columns = np.empty((f1 - f0, X.shape[0]))
    band = max(16, _TRANSPOSE_BYTES // (8 * (f1 - f0)))
    for r0 in range(0, X.shape[0], band):
        columns[:, r0:r0 + band] = X[r0:r0 + band, f0:f1].T
    return columns


def _fit_dense_block(f0, f1, columns, quantiles, quantiles_missing, edges_out, n_bins_out):
    """Edges of features ``f0:f1``, one per row of ``columns``, which are sorted in place
    first: numpy's sort (NaN last, the GIL released) is as fast as a compiled one and
    needs no compiling in a fresh installation."""
    columns[f0:f1].sort(axis=1)
    _fit_features(f0, f1, columns, quantiles, quantiles_missing, edges_out, n_bins_out)


def _fit_sparse_block(f0, f1, offset, indptr, data, n_rows, quantiles, quantiles_missing,
                      edges_out, n_bins_out):
    """:func:`_fit_dense_block` for the stored values of CSC columns (features
    ``offset + f0 : offset + f1``), each sorted in place in ``data``."""
    for f in range(offset + f0, offset + f1):
        data[indptr[f]:indptr[f + 1]].sort()
    _fit_sparse_features(f0, f1, offset, indptr, data, n_rows, quantiles, quantiles_missing,
                         edges_out, n_bins_out)


@njit(cache=True, nogil=True)
def _fit_features(f0, f1, columns, quantiles, quantiles_missing, edges_out, n_bins_out):
    for f in range(f0, f1):
        # np.int64(0), not 0: numba would compile a second version for the literal.
        n_bins_out[f] = _column_edges(columns[f], np.int64(0), quantiles,
                                      quantiles_missing, edges_out[f]) + 1


@njit(cache=True, nogil=True)
def _bin_tiles(t0, t1, row_tiles, X, edges, n_bins, half, missing, out, clash):
    # Tile t covers row tile t % row_tiles and feature tile t // row_tiles.
    for t in range(t0, t1):
        r0 = (t % row_tiles) * _TILE_ROWS
        f0 = (t // row_tiles) * _TILE_FEATURES
        r1 = min(r0 + _TILE_ROWS, X.shape[0])
        f1 = min(f0 + _TILE_FEATURES, X.shape[1])
        for i in range(r0, r1):
            for f in range(f0, f1):
                x = X[i, f]
                if np.isnan(x):
                    out[i, f] = missing
                    if n_bins[f] > missing:
                        clash[0] = True
                    continue
                out[i, f] = _code(x, edges, f, half)


@njit(cache=True, nogil=True, inline="always")
def _code(x, edges, f, half):
    """The code of a non-NaN ``x`` of feature ``f``: the number of edges below it (the
    first edge >= x). A fixed number of halvings (``half`` = 2**(k-1)) over the padded row
    of 2**k - 1 edges (+inf past the feature's last one, never below a finite x) has no
    unpredictable branch. The halvings of 256 bins (the default) are written out: with
    constant steps, the compiler interleaves the searches of neighbouring values, several
    times faster than the loop."""
    row = edges[f]
    code = np.uint64(0)  # unsigned: no negative-index code
    if half == 128:
        for s in (128, 64, 32, 16, 8, 4, 2, 1):
            step = np.uint64(s)
            code += step if row[code + step - np.uint64(1)] < x else np.uint64(0)
        return code
    step = np.uint64(half)
    while step > 0:
        code += step if row[code + step - np.uint64(1)] < x else np.uint64(0)
        step >>= np.uint64(1)
    return code


@njit(cache=True, nogil=True)
def _bin_csr_rows(r0, r1, indptr, indices, data, edges, n_bins, half, missing, zero_codes,
                  out, clash):
    # _bin_tiles for CSR rows: the absent entries take the code of 0.
    for i in range(r0, r1):
        out[i, :] = zero_codes
        for k in range(indptr[i], indptr[i + 1]):
            f = indices[k]
            x = data[k]
            if np.isnan(x):
                out[i, f] = missing
                if n_bins[f] > missing:
                    clash[0] = True
                continue
            out[i, f] = _code(x, edges, f, half)


@njit(cache=True, nogil=True)
def _fit_sparse_features(f0, f1, offset, indptr, data, n_rows, quantiles, quantiles_missing,
                         edges_out, n_bins_out):
    for f in range(f0, f1):
        lo = indptr[offset + f]
        hi = indptr[offset + f + 1]
        n_bins_out[f] = _column_edges(data[lo:hi], n_rows - (hi - lo), quantiles,
                                      quantiles_missing, edges_out[f]) + 1


@njit(cache=True, nogil=True)
def _column_edges(stored, n_zeros, quantiles, quantiles_missing, out):
    """Write the upper bin edges of one feature to ``out``; returns how many. The feature's
    values are ``stored`` (sorted, NaN last, as numpy sorts) and ``n_zeros`` more zeros
    (the implicit entries of a sparse column; 0 for a dense one), never formed; NaN is
    ignored.

    A feature with at most ``len(quantiles) + 1`` distinct values gets one bin per value,
    with edges halfway between consecutive values (the lower value when rounding puts the
    midpoint on the upper one, so each value keeps a bin of its own). Otherwise the edges
    follow the data values at the quantile levels (``quantiles_missing`` when there is
    NaN; numpy's "lower" percentile method, not an interpolation, which between values of
    opposite sign near float64's limit would overflow), each moved halfway to the next
    distinct value.

    One sort gives both the distinct values and the quantiles (sorting is most of the
    cost of binning a fit), of the stored values only: the full column's sorted values are
    the sorted stored ones with the zeros inserted after the negative values (next to any
    stored zero, equal to them as a float); ``merged`` is that sequence with the zeros
    counted once, which has the same distinct values, and the full sequence's ``j``-th
    value is read through the insertion point.
    """
    m = stored.shape[0]
    while m > 0 and np.isnan(stored[m - 1]):
        m -= 1
    has_nan = m < stored.shape[0]
    values = stored[:m]
    n = m + n_zeros
    if n == 0:
        return 0
    p = 0  # stored values below zero
    while p < m and values[p] < 0.0:
        p += 1
    z = 1 if n_zeros > 0 else 0
    merged = values
    if z:
        # Loops, not slice assignments: those compile numba's broadcasting machinery,
        # a large part of the first fit's compile time.
        merged = np.empty(m + 1)
        for i in range(p):
            merged[i] = values[i]
        merged[p] = 0.0
        for i in range(p, m):
            merged[i + 1] = values[i]
    n_merged = m + z
    n_distinct = 1
    for i in range(1, n_merged):
        n_distinct += merged[i] != merged[i - 1]
    n_edges = 0
    if n_distinct <= quantiles.shape[0] + 1:
        previous = merged[0]
        for i in range(1, n_merged):
            v = merged[i]
            if v != previous:
                mid = previous / 2.0 + v / 2.0  # (v - previous) could overflow
                out[n_edges] = previous if mid >= v else mid
                n_edges += 1
                previous = v
        return n_edges
    if has_nan:
        quantiles = quantiles_missing  # NaN takes a code of its own
    top = merged[n_merged - 1]
    last = -np.inf
    for q in range(quantiles.shape[0]):
        j = np.int64(np.floor((n - 1) * quantiles[q]))
        # The position in merged of the full sequence's j-th value.
        if j < p:
            k = j
        elif j < p + n_zeros:
            k = p
        else:
            k = j - n_zeros + z
        value = merged[k]
        # The largest value must stay above every edge, else the top bin would be empty.
        if value < top and (n_edges == 0 or value != last):
            last = value
            # Halfway to the next distinct value, as for exact bins: the sample's values
            # fall in the same bins, and none sits on a threshold, where float32 rounding
            # (XGBoost reads float32) could send it the other way. (A scan, not
            # np.searchsorted, which is slower to compile; each run of equal values is
            # scanned once.)
            while merged[k] == value:
                k += 1
            above = merged[k]
            mid = value / 2.0 + above / 2.0
            out[n_edges] = value if mid >= above else mid
            n_edges += 1
    return n_edges
