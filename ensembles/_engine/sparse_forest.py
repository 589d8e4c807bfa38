"""Forest trees grown on scipy sparse input without a dense code matrix.

A sparse matrix is binned into :class:`SparseColumns`: per feature, the sorted ids of the
rows whose code differs from the code of the value 0 (absent entries, explicit zeros and
stored values in the zero's bin are all "zero") and their ``uint8`` codes, a stored NaN
being the missing code. That is about five bytes per non-zero, against a byte per cell
for the dense codes.

The forest's node loop (:func:`.forest._make_node_loop`, kind ``sparse``) calls the
search and partition of this module instead of the dense ones; everything else (node
records, sums, stopping rules, monotonic bounds, growth order) is shared. In a node:

* the node's non-zeros of a feature are found either by scanning the feature's column
  and keeping the rows whose position (``pos_of``: row id -> position in the node-ordered
  row array) lies in the node, or by a binary search of each of the node's rows in the
  column, whichever is fewer steps (:func:`_gather`); a column of few entries is scanned,
  a small node searched;
* a best split's histogram starts with the node's totals in the zero's bin and moves each
  non-zero row to its own bin (:func:`_evaluate_sparse`), then the dense kernel's scan
  (:func:`.forest._scan_bins`) evaluates the thresholds; a node small enough for the
  dense kernel to sort its rows gets its codes written into a row-indexed byte buffer
  and the dense sorted evaluation itself, so small nodes split exactly as in a dense fit;
* an extra-trees split reads the node's bin range and the sums left of the drawn
  threshold from the non-zeros alone, the zero's bin being the node's totals minus the
  rest (:func:`random_split_sparse`);
* those sums round otherwise than a dense fit's, so a feature whose gain is a new best,
  or within a band of rounding (relative to the node's scale) of the best, is scored
  again on its codes of every node row with the dense kernel's own arithmetic, and the
  choice is made on those gains, as the dense fit makes it: the chosen split is the
  dense fit's, bit for bit, at the cost of a pass over the node's rows per new best (a
  few per node); classification with integer weights (bootstrap counts, or none) sums
  exact integers whatever the order, and skips it;
* a partition writes the split feature's codes of the node's rows into the row-indexed
  byte buffer (the zero code, then the non-zeros) and runs the dense partition on it,
  then updates ``pos_of`` for the node's rows.

A node therefore costs its non-zeros per examined feature plus its rows once per
partition, never its rows per feature. Sums taken as "totals minus the rest" can differ
from a dense fit's in the last bits of float sums (never in counts, nor in sums of
integer weights); gains within :func:`.forest._better`'s tolerance are ties, so the same
matrix grows the same trees either way.

Criteria of sums (gini, entropy, log_loss, squared_error, friedman_mse, poisson) and
monotonic constraints run here. ``criterion="absolute_error"`` orders a node's rows by
value for every examined feature anyway: its search (:func:`.forest._find_mae_split`)
writes each feature's codes of the node's rows into the row-indexed byte buffer and
reads them there. Categorical features need dense input: the estimators refuse a
sparse matrix with them before binning.
"""

import numpy as np

from .._threads import run_parallel
from .binning import MISSING_BIN, _code
from .forest import (
    _PARTITION_BOUND_MAX_ROWS,
    _SORT_MAX_ROWS,
    _better,
    _evaluate_feature,
    _evaluate_feature_sorted,
    _monotone,
    _partition,
    _partition_gain,
    _per_node,
    _randint,
    _random_threshold_bin,
    _scan_bins,
    _score,
    _unbeatable,
    _unbeatable_split_gain,
    bin_midpoints,
    threshold_tables,
)
from .jit import njit

# Position of a row that is not in the tree (weight 0 or out of bag): in no node.
_NOT_IN_TREE = np.uint32(0xFFFFFFFF)


class SparseColumns:
    """Binned sparse features, column by column (see the module notes).

    Attributes
    ----------
    indptr : ndarray of int64, shape (n_features + 1,)
    rows : ndarray of uint32, shape (nnz,)
        Row ids of each feature's non-zero codes, sorted.
    codes : ndarray of uint8, shape (nnz,)
        Codes other than the feature's zero code (``MISSING_BIN`` for NaN).
    zero_codes : ndarray of uint8, shape (n_features,)
        The code of the value 0 (and of absent entries) of each feature.
    shape : tuple
        ``(n_samples, n_features)``, as the dense codes' shape.
    row_ptr, row_features : ndarray
        The binned CSR matrix's ``indptr`` and ``indices`` (shared, not copied): a small
        node lists the features its rows store from them, so that its search skips the
        features it does not store in constant time (see :func:`_mark_present`).
    """

    def __init__(self, indptr, rows, codes, zero_codes, shape, row_ptr, row_features):
        self.indptr = indptr
        self.rows = rows
        self.codes = codes
        self.zero_codes = zero_codes
        self.shape = tuple(shape)
        # The CSR matrix's own structure (no copy): the features each row stores.
        self.row_ptr = row_ptr
        self.row_features = row_features

    @property
    def nbytes(self):
        return (self.indptr.nbytes + self.rows.nbytes + self.codes.nbytes
                + self.zero_codes.nbytes)

    def kernel_input(self, rows):
        """The tuple the sparse node loop reads, with one tree's scratch: ``pos_of``
        (each row's position in ``rows``, :data:`_NOT_IN_TREE` for the others), a
        row-indexed code buffer, and room for a node's non-zeros of one feature."""
        n_samples = self.shape[0]
        pos_of = np.full(n_samples, _NOT_IN_TREE, dtype=np.uint32)
        _set_positions(rows, pos_of)
        codebuf = np.empty((1, n_samples), dtype=np.uint8)
        found_pos = np.empty(rows.shape[0], dtype=np.int64)
        found_code = np.empty(rows.shape[0], dtype=np.uint8)
        present = np.zeros(self.shape[1], dtype=np.uint8)
        return (self.indptr, self.rows, self.codes, self.zero_codes, pos_of, codebuf,
                found_pos, found_code, self.row_ptr, self.row_features, present)


@njit(cache=True, nogil=True)
def _set_positions(rows, pos_of):
    for i in range(rows.shape[0]):
        pos_of[rows[i]] = i


@njit(cache=True, nogil=True)
def _code_entries(r0, r1, indptr, indices, data, edges, half, zero_codes, entry_code):
    # The code of every stored entry of rows r0:r1 (NaN: the missing code).
    for i in range(r0, r1):
        for k in range(indptr[i], indptr[i + 1]):
            x = data[k]
            entry_code[k] = MISSING_BIN if np.isnan(x) else _code(x, edges, indices[k], half)


@njit(cache=True, nogil=True)
def _columns(indptr, indices, entry_code, zero_codes, n_features, col_ptr, col_rows,
             col_codes):
    # Entries whose code is not their feature's zero code, column by column; filled in
    # row order, so each column's rows come out sorted.
    counts = np.zeros(n_features + 1, dtype=np.int64)
    n_rows = indptr.shape[0] - 1
    for i in range(n_rows):
        for k in range(indptr[i], indptr[i + 1]):
            f = indices[k]
            if entry_code[k] != zero_codes[f]:
                counts[f + 1] += 1
    for f in range(n_features):
        counts[f + 1] += counts[f]
    col_ptr[:] = counts
    for i in range(n_rows):
        for k in range(indptr[i], indptr[i + 1]):
            f = indices[k]
            c = entry_code[k]
            if c != zero_codes[f]:
                j = counts[f]
                col_rows[j] = i
                col_codes[j] = c
                counts[f] = j + 1


@njit(cache=True, nogil=True)
def _count_kept(indptr, indices, entry_code, zero_codes):
    n = 0
    for i in range(indptr.shape[0] - 1):
        for k in range(indptr[i], indptr[i + 1]):
            n += entry_code[k] != zero_codes[indices[k]]
    return n


def sparse_columns(bin_mapper, X):
    """:class:`SparseColumns` of the canonical CSR matrix ``X`` (the codes
    ``bin_mapper.transform`` gives, without the dense matrix), and the code of every
    stored entry of ``X`` (uint8, aligned with ``X.data``; :func:`bin_values` reads it).
    """
    n_bins = bin_mapper.n_bins_
    if n_bins.max(initial=1) > MISSING_BIN:
        raise ValueError("sparse forest codes need at most 255 bins per feature.")
    edges = bin_mapper.edges_
    half = (1 << (int(n_bins.max(initial=1)) - 1).bit_length()) >> 1
    zero_codes = bin_mapper.zero_codes().astype(np.uint8)
    entry_code = np.empty(X.nnz, dtype=np.uint8)
    run_parallel(_code_entries, X.shape[0], X.indptr, X.indices, X.data, edges, half,
                 zero_codes, entry_code, min_items=4096)
    n_kept = _count_kept(X.indptr, X.indices, entry_code, zero_codes)
    col_ptr = np.empty(X.shape[1] + 1, dtype=np.int64)
    col_rows = np.empty(n_kept, dtype=np.uint32)
    col_codes = np.empty(n_kept, dtype=np.uint8)
    _columns(X.indptr, X.indices, entry_code, zero_codes, X.shape[1], col_ptr, col_rows,
             col_codes)
    return (SparseColumns(col_ptr, col_rows, col_codes, zero_codes, X.shape, X.indptr,
                          X.indices), entry_code)


@njit(cache=True, nogil=True)
def _fill_bin_values(indptr, indices, data, entry_code, weight, zero_codes, bin_min,
                     bin_max):
    n_rows = indptr.shape[0] - 1
    n_features = bin_min.shape[0]
    # Rows (of positive weight) storing each feature: the others hold an implicit zero.
    stored = np.zeros(n_features, dtype=np.int64)
    n_kept = 0
    for i in range(n_rows):
        if weight.shape[0] > 0 and not weight[i] > 0.0:
            continue
        n_kept += 1
        for k in range(indptr[i], indptr[i + 1]):
            f = indices[k]
            stored[f] += 1
            b = entry_code[k]
            if b == MISSING_BIN:
                continue
            x = data[k]
            if x < bin_min[f, b]:
                bin_min[f, b] = x
            if x > bin_max[f, b]:
                bin_max[f, b] = x
    for f in range(n_features):
        if stored[f] < n_kept:
            b = zero_codes[f]
            if 0.0 < bin_min[f, b]:
                bin_min[f, b] = 0.0
            if 0.0 > bin_max[f, b]:
                bin_max[f, b] = 0.0
    bin_midpoints(bin_min, bin_max)


def bin_values(X, columns, entry_code, weight=None):
    """:func:`.forest.bin_values` of the canonical CSR matrix ``X`` binned into
    ``columns`` (``entry_code``: its stored entries' codes, from :func:`sparse_columns`);
    absent entries count as zeros."""
    n_features = X.shape[1]
    bin_min = np.full((n_features, MISSING_BIN + 1), np.inf)
    bin_max = np.full((n_features, MISSING_BIN + 1), -np.inf)
    weight = np.empty(0) if weight is None else np.ascontiguousarray(weight, dtype=np.float64)
    _fill_bin_values(X.indptr, X.indices, X.data, entry_code, weight, columns.zero_codes,
                     bin_min, bin_max)
    return threshold_tables(bin_min)


# ------------------------------------------------------------------------ node kernels


@_per_node(inline="always")
def _gather(XS, f, start, stop, rows):
    """Write the node's non-zeros of feature ``f`` (their node positions and codes) to
    ``found_pos`` and ``found_code``; returns how many. Scans the column, or searches
    each of the node's rows in it, whichever takes fewer steps."""
    (col_ptr, col_rows, col_codes, zero_codes, pos_of, codebuf, found_pos, found_code,
     row_ptr, row_features, present) = XS
    a = col_ptr[f]
    b = col_ptr[f + 1]
    nnz = b - a
    m = 0
    if nnz == 0:
        return m
    n_node = stop - start
    steps = 1
    while (np.int64(1) << steps) < nnz:
        steps += 1
    if nnz <= n_node * steps:
        for k in range(a, b):
            p = np.int64(pos_of[col_rows[k]])
            if start <= p < stop:  # rows outside the tree sit at 2**32 - 1
                found_pos[m] = p
                found_code[m] = col_codes[k]
                m += 1
    else:
        for i in range(start, stop):
            r = rows[i]
            lo = a
            hi = b
            while lo < hi:
                mid = (lo + hi) >> 1
                if col_rows[mid] < r:
                    lo = mid + 1
                else:
                    hi = mid
            if lo < b and col_rows[lo] == r:
                found_pos[m] = i
                found_code[m] = col_codes[lo]
                m += 1
    return m


@_per_node(inline="always")
def _mark_present(XS, start, stop, rows, value):
    """Set ``present[f]`` to ``value`` for every feature the node's rows store. A node
    that cannot split tries every feature (the dense search's rule), and the features
    none of its rows store are constant there: with the marks, a small node rules them
    out without looking at their columns. Returns whether it marked (only nodes whose
    stored entries number fewer than the features: larger ones would pay more to mark
    than the columns cost)."""
    (col_ptr, col_rows, col_codes, zero_codes, pos_of, codebuf, found_pos, found_code,
     row_ptr, row_features, present) = XS
    n_features = zero_codes.shape[0]
    n_rows = row_ptr.shape[0] - 1
    # The node's expected stored entries, from the matrix's average per row.
    if (stop - start) * (row_ptr[n_rows] // max(n_rows, 1) + 1) > n_features:
        return False
    for i in range(start, stop):
        r = rows[i]
        for k in range(row_ptr[r], row_ptr[r + 1]):
            present[row_features[k]] = value
    return True


@_per_node(inline="always")
def _fill_codebuf(XS, f, m, start, stop, rows):
    """Feature ``f``'s codes of the node's rows in the row-indexed buffer (after
    :func:`_gather` found ``m`` non-zeros), so that the dense kernels can read them."""
    (col_ptr, col_rows, col_codes, zero_codes, pos_of, codebuf, found_pos, found_code,
     row_ptr, row_features, present) = XS
    z = zero_codes[f]
    for i in range(start, stop):
        codebuf[0, rows[i]] = z
    for q in range(m):
        codebuf[0, rows[found_pos[q]]] = found_code[q]


@_per_node(inline="always")
def _move_row(hist, src, dst, p, row, wn, cn, yn, classify):
    """Move the row at node position ``p`` (``row``, which indexes ``yn``) from bin ``src``
    to bin ``dst``."""
    K = hist.shape[1] - 2
    w = wn[p]
    if classify:
        c = cn[p]
        hist[src, c] -= w
        hist[dst, c] += w
    else:
        for k in range(K):
            wy = w * yn[row, k]
            hist[src, k] -= wy
            hist[dst, k] += wy
    hist[src, K] -= w
    hist[dst, K] += w
    hist[src, K + 1] -= 1.0
    hist[dst, K + 1] += 1.0


@_per_node()
def _evaluate_sparse(XS, f, m, start, stop, rows, wn, cn, yn, classify, G, W, criterion,
                     min_samples_leaf, min_weight_leaf, hist, out, GL, GR, cst, lower, upper):
    """:func:`.forest._evaluate_feature` from a node's ``m`` non-zeros of feature ``f``
    (found by :func:`_gather`): the zero's bin starts with the node's totals and each
    non-zero row moves to its own bin. ``hist`` is all zeros on entry and on exit.
    Returns False when the feature is constant in the node."""
    (col_ptr, col_rows, col_codes, zero_codes, pos_of, codebuf, found_pos, found_code,
     row_ptr, row_features, present) = XS
    K = G.shape[0]
    n_node = stop - start
    z = np.int64(zero_codes[f])
    for k in range(K):
        hist[z, k] = G[k]
    hist[z, K] = W
    hist[z, K + 1] = n_node
    lo = np.int64(255)
    hi = np.int64(-1)
    for q in range(m):
        b = np.int64(found_code[q])
        p = found_pos[q]
        _move_row(hist, z, b, p, rows[p], wn, cn, yn, classify)
        if b != MISSING_BIN:
            lo = min(lo, b)
            hi = max(hi, b)
    if hist[z, K + 1] > 0.0:
        lo = min(lo, z)
        hi = max(hi, z)
    else:
        # Exactly empty (counts are exact); the sums may hold rounding: clear them.
        for k in range(K + 2):
            hist[z, k] = 0.0
    has_missing = hist[MISSING_BIN, K + 1] > 0.0
    valid = hi >= 0 and (lo < hi or has_missing)
    found = False
    if valid:
        found = _scan_bins(hist, lo, hi, has_missing, G, W, n_node, criterion,
                           min_samples_leaf, min_weight_leaf, out, GL, GR, cst, lower, upper)
    for b in range(max(lo, 0), hi + 1):
        for k in range(K + 2):
            hist[b, k] = 0.0
    for k in range(K + 2):
        hist[MISSING_BIN, k] = 0.0
    if not found:
        out[0] = -np.inf
    return valid


@_per_node(inline="always")
def _score_random(f, t, has_missing, G, W, GL, hist, wl, nl, wm, nm, n_node, parent,
                  criterion, min_samples_leaf, min_weight_leaf, best, monotonic,
                  monotonic_cst, lower, upper, commit):
    """Score the threshold ``t`` of feature ``f`` with the missing rows right, then left
    (as the dense extra-trees search does), from the left side's sums (``GL``, ``wl``,
    ``nl``) and the missing rows' (``hist[MISSING_BIN]``, ``wm``, ``nm``); with
    ``commit``, keep a better one in ``best``. Returns the larger gain (-inf: none is
    valid)."""
    K = G.shape[0]
    top = -np.inf
    for miss_left in range(2 if has_missing else 1):
        w_left = wl + miss_left * wm
        n_left = nl + miss_left * nm
        w_right = W - w_left
        if (n_left < min_samples_leaf or n_node - n_left < min_samples_leaf
                or w_left < min_weight_leaf or w_right < min_weight_leaf
                or w_left <= 0.0 or w_right <= 0.0):
            continue
        if monotonic:
            g0 = GL[0] + miss_left * hist[MISSING_BIN, 0]
            if monotonic_cst[f] != 0 and not _monotone(
                    monotonic_cst[f], lower, upper, g0 / w_left, (G[0] - g0) / w_right):
                continue
        gain = _partition_gain(G, GL, hist, miss_left, W, w_left, w_right, criterion,
                               parent)
        if gain == -np.inf:
            continue
        top = max(top, gain)
        if commit and (best[1] < 0 or _better(gain, best[0])):
            best[0] = gain
            best[1] = f
            best[2] = t
            best[3] = miss_left
            for k in range(K):
                best[4 + k] = GL[k] + miss_left * hist[MISSING_BIN, k]
            best[4 + K] = w_left
            best[5 + K] = n_left
    return top


@_per_node(inline="always")
def _rescore_random(codebuf, f, t, rows, wn, cn, yn, classify, start, stop, G, W, criterion,
                    min_samples_leaf, min_weight_leaf, hist, best, GL, monotonic,
                    monotonic_cst, lower, upper):
    """Score an extra-trees candidate again from its feature's codes of every node row
    (in ``codebuf``), summing in node order with the dense search's arithmetic, and keep
    it in ``best`` as the dense search would: its gain and left sums are the dense fit's
    to the last bit (sums taken as "totals minus the rest" round otherwise)."""
    K = G.shape[0]
    n_node = stop - start
    wl = nl = wm = nm = 0.0
    for k in range(K):
        GL[k] = 0.0
        hist[MISSING_BIN, k] = 0.0
    if classify and K == 2:
        g1 = m1 = 0.0
        for r in range(start, stop):
            b = np.int64(codebuf[0, rows[r]])
            w = wn[r]
            is_left = 1.0 if b <= t else 0.0
            is_missing = 1.0 if b == MISSING_BIN else 0.0
            w1 = w * cn[r]
            wl += w * is_left
            nl += is_left
            g1 += w1 * is_left
            wm += w * is_missing
            nm += is_missing
            m1 += w1 * is_missing
        GL[0] = wl - g1
        GL[1] = g1
        hist[MISSING_BIN, 0] = wm - m1
        hist[MISSING_BIN, 1] = m1
    else:
        for r in range(start, stop):
            row = rows[r]
            b = np.int64(codebuf[0, row])
            w = wn[r]
            is_left = 1.0 if b <= t else 0.0
            is_missing = 1.0 if b == MISSING_BIN else 0.0
            if classify:
                c = cn[r]
                GL[c] += w * is_left
                hist[MISSING_BIN, c] += w * is_missing
            elif K == 1:
                wy = w * yn[row, 0]
                GL[0] += wy * is_left
                hist[MISSING_BIN, 0] += wy * is_missing
            else:
                for k in range(K):
                    GL[k] += w * is_left * yn[row, k]
                    hist[MISSING_BIN, k] += w * is_missing * yn[row, k]
            wl += w * is_left
            nl += is_left
            wm += w * is_missing
            nm += is_missing
    _score_random(f, t, nm > 0.0, G, W, GL, hist, wl, nl, wm, nm, n_node,
                  _score(G, W, criterion), criterion, min_samples_leaf, min_weight_leaf,
                  best, monotonic, monotonic_cst, lower, upper, True)
    for k in range(K + 2):
        hist[MISSING_BIN, k] = 0.0


@_per_node(inline="always")
def _rounding_band(G, W, criterion, classify, sq_node, exact_sums):
    """How close to the best gain a candidate's sparse gain must be to be scored again on
    the dense arithmetic. Gains computed from "totals minus the rest" differ from the
    dense sums' by rounding, at most a few ulps of the node's scale per row. ``sq_node``
    holds the node's weighted sums of squared targets (regression), part of that scale.
    With ``exact_sums`` (classification with integer weights: every sum is an exact
    integer, whatever its order) the sparse sums are the dense ones: -1, no candidate is
    ever within it."""
    if exact_sums:
        return -1.0
    scale = W + abs(_score(G, W, criterion))
    if not classify:
        for k in range(sq_node.shape[0]):
            scale += sq_node[k]
    return 1e-8 * scale


@_per_node(inline="always")
def random_split_sparse(XS, rows, wn, cn, yn, classify, start, stop, G, W, criterion,
                        min_samples_leaf, min_weight_leaf, max_features, hist, state,
                        bin_value, order, best, monotonic, monotonic_cst, lower, upper, GL,
                        sq_node, exact_sums, fused, unbeatable):
    """:func:`.forest._find_random_split` from the non-zeros: same feature draws, same
    bin range, same threshold draw and candidates. The left side's sums are those of
    the non-zeros at or below the threshold, or, when the zero's bin is on the left,
    the node's totals minus the missing and the right non-zeros. ``hist`` row
    ``MISSING_BIN`` holds the missing rows' sums (zeros on entry and on exit).
    ``sq_node`` and ``exact_sums`` set the band of rounding (:func:`_rounding_band`);
    ``fused``: the thresholds are drawn as the dense search draws them (see
    :func:`.forest._drawn_threshold_value`); ``unbeatable``: the gain at which the search
    stops, as the dense one's (:func:`.forest._unbeatable_split_gain`)."""
    band = _rounding_band(G, W, criterion, classify, sq_node, exact_sums)
    (col_ptr, col_rows, col_codes, zero_codes, pos_of, codebuf, found_pos, found_code,
     row_ptr, row_features, present) = XS
    K = G.shape[0]
    n_features = zero_codes.shape[0]
    n_node = stop - start
    parent = _score(G, W, criterion)
    best[0] = -np.inf
    best[1] = -1.0
    visited = 0
    n_constant = 0  # of the visited features, those the node cannot split on
    marked = _mark_present(XS, start, stop, rows, 1)
    for i in range(n_features):
        if (visited >= max_features and visited > n_constant
                or _unbeatable(best, n_node, unbeatable)):
            break
        j = i + _randint(state, n_features - i)
        f = order[j]
        order[j] = order[i]
        order[i] = f
        visited += 1
        if marked and present[f] == 0:
            n_constant += 1
            continue  # no row of the node stores it: constant
        m = _gather(XS, f, start, stop, rows)
        z = np.int64(zero_codes[f])
        lo = np.int64(255)
        hi = np.int64(-1)
        n_missing = 0
        for q in range(m):
            b = np.int64(found_code[q])
            if b == MISSING_BIN:
                n_missing += 1
            else:
                lo = min(lo, b)
                hi = max(hi, b)
        if m < n_node:  # rows in the zero's bin
            lo = min(lo, z)
            hi = max(hi, z)
        if hi < 0 or (lo == hi and n_missing == 0):
            n_constant += 1
            continue  # constant feature: no partition
        t = _random_threshold_bin(f, lo, hi, bin_value, state, fused) if hi > lo else hi
        zero_left = z <= t
        # GL: the non-zeros on the left (zero's bin right), or on the right (zero's bin
        # left); then the left side from the totals.
        for k in range(K):
            GL[k] = 0.0
        ws = ns = 0.0
        for q in range(m):
            b = np.int64(found_code[q])
            p = found_pos[q]
            w = wn[p]
            if b == MISSING_BIN:
                if classify:
                    hist[MISSING_BIN, cn[p]] += w
                else:
                    for k in range(K):
                        hist[MISSING_BIN, k] += w * yn[rows[p], k]
                hist[MISSING_BIN, K] += w
                hist[MISSING_BIN, K + 1] += 1.0
            elif (b <= t) != zero_left:
                if classify:
                    GL[cn[p]] += w
                else:
                    for k in range(K):
                        GL[k] += w * yn[rows[p], k]
                ws += w
                ns += 1.0
        wm = hist[MISSING_BIN, K]
        nm = hist[MISSING_BIN, K + 1]
        if zero_left:
            for k in range(K):
                GL[k] = G[k] - hist[MISSING_BIN, k] - GL[k]
            wl = W - wm - ws
            nl = n_node - nm - ns
        else:
            wl = ws
            nl = ns
        # With exact sums (band < 0) the candidates are kept at once, as the dense
        # search keeps them; otherwise only scored, and decided below.
        top = _score_random(f, t, n_missing > 0, G, W, GL, hist, wl, nl, wm, nm, n_node,
                            parent, criterion, min_samples_leaf, min_weight_leaf, best,
                            monotonic, monotonic_cst, lower, upper, band < 0.0)
        for k in range(K + 2):
            hist[MISSING_BIN, k] = 0.0
        if band >= 0.0 and top > -np.inf and (best[1] < 0 or top >= best[0] - band):
            # A new best or a near tie: decided on the dense search's own sums.
            _fill_codebuf(XS, f, m, start, stop, rows)
            _rescore_random(codebuf, f, t, rows, wn, cn, yn, classify, start, stop, G, W,
                            criterion, min_samples_leaf, min_weight_leaf, hist, best, GL,
                            monotonic, monotonic_cst, lower, upper)
    if marked:
        _mark_present(XS, start, stop, rows, 0)


@_per_node(inline="always")
def best_split_sparse(XS, rows, wn, cn, yn, classify, start, stop, G, W, criterion,
                      min_samples_leaf, min_weight_leaf, max_features, hist, state, order,
                      best, out, GL, GR, sort_scratch, monotonic, monotonic_cst, lower,
                      upper, sq_node, exact_sums):
    """:func:`.forest._find_best_split` on :class:`SparseColumns` (``XS``: its
    :meth:`~SparseColumns.kernel_input`); same feature draws, same choice, results in
    ``best``. ``sq_node`` and ``exact_sums`` set the band of rounding
    (:func:`_rounding_band`)."""
    band = _rounding_band(G, W, criterion, classify, sq_node, exact_sums)
    (col_ptr, col_rows, col_codes, zero_codes, pos_of, codebuf, found_pos, found_code,
     row_ptr, row_features, present) = XS
    sort_codes, sort_pos = sort_scratch
    n_features = zero_codes.shape[0]
    n_node = stop - start
    unbeatable = _unbeatable_split_gain(rows, wn, yn, start, stop, G, W, sq_node,
                                        _score(G, W, criterion), criterion, classify,
                                        _PARTITION_BOUND_MAX_ROWS, sort_pos)[0]
    best[0] = -np.inf
    best[1] = -1.0
    visited = 0
    n_constant = 0  # of the visited features, those the node cannot split on
    marked = _mark_present(XS, start, stop, rows, 1)
    for i in range(n_features):
        if (visited >= max_features and visited > n_constant
                or _unbeatable(best, n_node, unbeatable)):
            break
        j = i + _randint(state, n_features - i)
        f = order[j]
        order[j] = order[i]
        order[i] = f
        visited += 1
        if marked and present[f] == 0:
            n_constant += 1
            continue  # no row of the node stores it: constant
        m = _gather(XS, f, start, stop, rows)
        if m == 0:
            n_constant += 1
            continue  # every row in the zero's bin: constant
        cst = np.int64(monotonic_cst[f]) if monotonic else np.int64(0)
        if stop - start <= _SORT_MAX_ROWS:
            # The dense kernel's own evaluation of a small node, on the codes written
            # into the row-indexed buffer: small nodes split exactly as dense ones.
            _fill_codebuf(XS, f, m, start, stop, rows)
            valid = _evaluate_feature_sorted(codebuf, 0, rows, wn, cn, yn, classify, start,
                                             stop, G, W, criterion, min_samples_leaf,
                                             min_weight_leaf, hist, out, GL, GR, sort_codes,
                                             sort_pos, cst, lower, upper)
        else:
            valid = _evaluate_sparse(XS, f, m, start, stop, rows, wn, cn, yn, classify, G, W,
                                     criterion, min_samples_leaf, min_weight_leaf, hist, out,
                                     GL, GR, cst, lower, upper)
            if (band >= 0.0 and valid and out[0] > -np.inf
                    and (best[1] < 0 or out[0] >= best[0] - band)):
                # A new best or a near tie: decided on the dense evaluation of the
                # feature's codes of every node row (the zero's bin as "totals minus the
                # rest" rounds otherwise).
                _fill_codebuf(XS, f, m, start, stop, rows)
                _evaluate_feature(codebuf, 0, rows, wn, cn, yn, classify, start, stop, G,
                                  W, criterion, min_samples_leaf, min_weight_leaf, hist, out,
                                  GL, GR, cst, lower, upper)
        if not valid:
            n_constant += 1
            continue
        if out[0] > -np.inf and (best[1] < 0 or _better(out[0], best[0])):
            best[0] = out[0]
            best[1] = f
            best[2] = out[1]
            best[3] = out[2]
            for k in range(3, out.shape[0]):
                best[k + 1] = out[k]
    if marked:
        _mark_present(XS, start, stop, rows, 0)


@_per_node(inline="always")
def partition_sparse(XS, f, split_bin, default_left, start, stop, rows, wn, cn, yn,
                     classify, add_sums, unit_weights, rows_buf, wn_buf, cn_buf, yn_buf, sums,
                     sum_sq, move_targets):
    """:func:`.forest._partition` on feature ``f`` of :class:`SparseColumns`: its codes of
    the node's rows go to the row-indexed buffer and the dense partition reads them
    there (``move_targets`` as there); the rows' positions are then updated. Returns the
    number of left rows and the number of rows whose code is missing."""
    (col_ptr, col_rows, col_codes, zero_codes, pos_of, codebuf, found_pos, found_code,
     row_ptr, row_features, present) = XS
    m = _gather(XS, f, start, stop, rows)
    _fill_codebuf(XS, f, m, start, stop, rows)
    n_left, n_missing = _partition(codebuf, 0, split_bin, default_left, None, start, stop,
                                   rows, wn, cn, yn, classify, add_sums, unit_weights,
                                   rows_buf, wn_buf, cn_buf, yn_buf, sums, sum_sq, True,
                                   move_targets)
    for i in range(start, stop):
        pos_of[rows[i]] = i
    return n_left, n_missing
