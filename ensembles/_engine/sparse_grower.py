"""Boosting trees on sparse binned codes: histograms from the non-zeros.

A sparse matrix binned densely costs one byte per cell, which for text-like data (10^6 rows,
10^4 columns, ten entries per row) is 10 GB for a 120 MB matrix. :class:`SparseCodes` keeps
instead, per row, the (feature, code) pairs whose code differs from the feature's code of
zero (the code every absent entry has): a CSR matrix of codes, a few bytes per stored entry.

:class:`SparseTreeGrower` grows the same trees as :class:`~.grower.TreeGrower` from it. It
runs the grower's planning, placement, split-finding and export kernels unchanged; only the
steps that read codes differ:

- rows no longer move with their codes: the buffers hold the gradient pair and row id, and
  a node's histogram sweeps its rows' pairs (a few per row instead of every feature);
- each chunk's histogram gets its zero bins last: the chunk's total minus the sum of the
  feature's other bins, so a feature's bins still sum to the node's total;
- partitioning reads a row's code of the split feature by binary search in its pairs
  (the zero code when absent).

The non-zero bins are the dense grower's sums, in the same order; a zero bin is a
difference, which can differ from the dense sum in the last bits, so trees match the dense
fit's in structure with leaf values equal up to rounding.
"""

import numpy as np

from .._threads import current_threads, run_parallel
from .grower import (
    _BATCH,
    _BIN,
    _DEPTH,
    _DLEFT,
    _FEATURE,
    _FINISHED,
    _G_STEP,
    _H_STEP,
    _MOVE,
    _N_COUNTERS,
    _N_FLOAT,
    _N_INT,
    _SLOT,
    _SLOTS,
    _SRC,
    _START,
    _STOP,
    PARALLEL_MIN_ROWS,
    TreeGrower,
    _finish,
    _place,
    _plan_batch,
    _plan_root,
    ensure_pool,
    max_nodes,
)
from .histogram import CHUNK_ROWS, ROUNDING_KEY, quantize
from .jit import njit


class SparseCodes:
    """Binned codes of a sparse matrix: per row, the (feature, code) pairs whose code is not
    the feature's code of zero.

    Attributes
    ----------
    indptr : ndarray of int64, shape (n_samples + 1,)
    features : ndarray of uint16 (int32 beyond 65,536 features)
        Sorted within each row.
    codes : ndarray of uint8 or uint16
    zero_codes : ndarray of the codes' dtype, shape (n_features,)
    shape : tuple
    dtype : numpy dtype of the codes
    """

    def __init__(self, indptr, features, codes, zero_codes, shape):
        self.indptr = indptr
        self.features = features
        self.codes = codes
        self.zero_codes = zero_codes
        self.shape = shape
        self.dtype = codes.dtype

    @property
    def nbytes(self):
        return self.indptr.nbytes + self.features.nbytes + self.codes.nbytes


def worth_sparse_codes(X):
    """Whether a canonical CSR matrix is better binned as :class:`SparseCodes`: when the
    dense codes (a byte per cell) would take more than four times the sparse ones (about
    five bytes per stored entry and a row's pointer and gradient pair)."""
    n, n_features = X.shape
    return n * n_features > 4 * (5 * X.nnz + 24 * n)


@njit(cache=True, nogil=True)
def _count_codes(r0, r1, indptr, indices, data, edges, n_bins, half, missing, zero_codes,
                 counts, clash):
    for i in range(r0, r1):
        c = 0
        for k in range(indptr[i], indptr[i + 1]):
            f = indices[k]
            x = data[k]
            if np.isnan(x):
                if n_bins[f] > missing:
                    clash[0] = True
                c += 1
                continue
            code = 0
            step = half
            while step > 0:
                code += step if edges[f, code + step - 1] < x else 0
                step >>= 1
            c += code != zero_codes[f]
        counts[i] = c


@njit(cache=True, nogil=True)
def _fill_codes(r0, r1, indptr, indices, data, edges, half, missing, zero_codes, out_ptr,
                out_features, out_codes):
    for i in range(r0, r1):
        j = out_ptr[i]
        for k in range(indptr[i], indptr[i + 1]):
            f = indices[k]
            x = data[k]
            if np.isnan(x):
                code = missing
            else:
                code = 0
                step = half
                while step > 0:
                    code += step if edges[f, code + step - 1] < x else 0
                    step >>= 1
                if code == zero_codes[f]:
                    continue
            out_features[j] = f
            out_codes[j] = code
            j += 1


def sparse_codes(bin_mapper, X):
    """:class:`SparseCodes` of the canonical CSR matrix ``X`` (the codes of
    ``bin_mapper.transform``, without the dense matrix)."""
    n_bins = bin_mapper.n_bins_
    edges = bin_mapper.edges_
    half = (1 << (int(n_bins.max(initial=1)) - 1).bit_length()) >> 1
    zero = bin_mapper.zero_codes().astype(np.int64)
    dtype = np.uint8 if n_bins.max(initial=1) <= 256 else np.uint16
    counts = np.empty(X.shape[0], dtype=np.int64)
    while True:
        missing = np.iinfo(dtype).max
        clash = np.zeros(1, dtype=np.bool_)
        run_parallel(_count_codes, X.shape[0], X.indptr, X.indices, X.data, edges, n_bins,
                     half, missing, zero, counts, clash, min_items=4096)
        if not clash[0]:
            break
        dtype = np.uint16
    indptr = np.zeros(X.shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    # Features as uint16 where they fit: the grower moves them at every split.
    features = np.empty(indptr[-1], dtype=np.uint16 if X.shape[1] <= 65536 else np.int32)
    codes = np.empty(indptr[-1], dtype=dtype)
    run_parallel(_fill_codes, X.shape[0], X.indptr, X.indices, X.data, edges, half, missing,
                 zero, indptr, features, codes, min_items=4096)
    return SparseCodes(indptr, features, codes, zero.astype(dtype), X.shape)


# --- the steps that read codes ------------------------------------------------------------------
#
# Each buffer holds, besides the gradient pairs and row ids, the rows' (feature, code) pairs
# in row order (``pf``, ``pc``) and each position's first pair (``rp[buffer, i]``, the row
# at position ``i`` owning pairs ``rp[buffer, i]:rp[buffer, i + 1]``). Rows move with their
# pairs, as the dense grower moves rows with their codes, so every step sweeps memory in
# order. A node over positions ``start:stop`` owns the pairs ``rp[b, start]:rp[b, stop]`` in
# either buffer.


@njit(cache=True, nogil=True)
def _row_pointers(indptr, rows, rp):
    """``rp[0]``: where each sampled row's pairs start in buffer 0."""
    rp[0, 0] = 0
    for i in range(rows.shape[0]):
        r = rows[i]
        rp[0, i + 1] = rp[0, i] + (indptr[r + 1] - indptr[r])


@njit(cache=True, nogil=True)
def _gather(r0, r1, indptr, features, codes, grad, hess, k, rows, gh, ids, rp, pf, pc):
    for i in range(r0, r1):
        r = rows[i]
        gh[0, i, 0] = grad[r, k]
        gh[0, i, 1] = hess[r, k]
        ids[0, i] = r
        j = rp[0, i]
        for q in range(indptr[r], indptr[r + 1]):
            pf[0, j] = features[q]
            pc[0, j] = codes[q]
            j += 1


@njit(cache=True, nogil=True, inline="always")
def _code_at(pf, pc, buf, lo, hi, zero, f):
    """The code of feature ``f`` among the pairs ``lo:hi`` of buffer ``buf`` (``zero`` if
    none)."""
    while lo < hi:
        mid = (lo + hi) >> np.uint64(1)
        g = pf[buf, mid]
        if g < f:
            lo = mid + np.uint64(1)
        elif g > f:
            hi = mid
        else:
            return np.int64(pc[buf, mid])
    return np.int64(zero)


@njit(cache=True, nogil=True)
def _build_nodes(j0, j1, zero_codes, gh, rp, pf, pc, bplan, nodes_i, pool, offsets_u,
                 n_bins_u):
    """The histograms of the small nodes of ``bplan[j0:j1]``, each whole in its slot (a row
    costs a few pairs, so the dense grower's partial histograms per chunk of rows, as large
    as the node's, would cost more than they save)."""
    n_features = n_bins_u.shape[0]
    for j in range(j0, j1):
        node = bplan[j, 0]
        if node < 0:
            continue
        bplan[j, 3] = 0  # no partials to reduce
        out = pool[nodes_i[node, _SLOT]]
        for b in range(out.shape[0]):
            out[b, 0] = 0.0
            out[b, 1] = 0.0
        buf = np.uint64(nodes_i[node, _DEPTH] % 2)
        G = 0.0
        H = 0.0
        for i in range(np.uint64(nodes_i[node, _START]), np.uint64(nodes_i[node, _STOP])):
            g = gh[buf, i, 0]
            h = gh[buf, i, 1]
            G += g
            H += h
            for q in range(np.uint64(rp[buf, i]), np.uint64(rp[buf, i + np.uint64(1)])):
                f = pf[buf, q]
                b = offsets_u[f] + min(np.uint64(pc[buf, q]), n_bins_u[f])
                out[b, 0] += g
                out[b, 1] += h
        # The zero bins: what the feature's other bins leave of the node's total.
        for f in range(n_features):
            sg = 0.0
            sh = 0.0
            for b in range(offsets_u[f], offsets_u[f + 1]):
                sg += out[b, 0]
                sh += out[b, 1]
            z = offsets_u[f] + np.uint64(zero_codes[f])
            out[z, 0] = G - sg
            out[z, 1] = H - sh


@njit(cache=True, nogil=True, inline="always")
def _goes_left(code, split_bin, default_left, n_bins):
    if code <= split_bin:
        return True
    return default_left if code >= n_bins else False


@njit(cache=True, nogil=True)
def _count_left(c0, c1, zero_codes, rp, pf, pc, cplan, batch, nodes_i, n_bins, src, goes,
                left_pairs):
    """Each chunk's left rows (``cplan[c, 3]``) and left pairs (``left_pairs[c]``); each
    row's side in ``goes``."""
    for c in range(c0, c1):
        node = batch[cplan[c, 0]]
        f, b, dl = nodes_i[node, _FEATURE], nodes_i[node, _BIN], nodes_i[node, _DLEFT] != 0
        nb = n_bins[f]
        zero = zero_codes[f]
        count = 0
        pairs = np.uint64(0)
        s = np.uint64(src)
        for i in range(np.uint64(cplan[c, 1]), np.uint64(cplan[c, 2])):
            lo, hi = np.uint64(rp[s, i]), np.uint64(rp[s, i + np.uint64(1)])
            left = _goes_left(_code_at(pf, pc, s, lo, hi, zero, f), b, dl, nb)
            goes[i] = left
            if left:
                count += 1
                pairs += hi - lo
        cplan[c, 3] = count
        left_pairs[c] = pairs


@njit(cache=True, nogil=True)
def _place_pairs(counters, batch, cplan, nodes_i, rp, src, left_pairs, pplan, n_chunk):
    """Where each chunk's left and right pairs go (``pplan[c]``), as ``_place`` does for
    rows; the start of each split node's pairs in the other buffer."""
    dst = 1 - src
    c = 0
    for j in range(counters[_BATCH]):
        node = batch[j]
        first = c
        n_left = 0
        while c < n_chunk and cplan[c, 0] == j:
            n_left += left_pairs[c]
            c += 1
        start = nodes_i[node, _START]
        lo = rp[src, start]
        hi = lo + n_left
        rp[dst, start] = lo
        for q in range(first, c):
            pplan[q, 0] = lo
            pplan[q, 1] = hi
            lo += left_pairs[q]
            hi += rp[src, cplan[q, 2]] - rp[src, cplan[q, 1]] - left_pairs[q]


@njit(cache=True, nogil=True)
def _scatter(c0, c1, gh, ids, rp, pf, pc, cplan, pplan, src, move_data, goes):
    """Move each chunk's rows (and, with ``move_data``, their gradient pairs and code
    pairs) to where their side goes, in a stable order. (Unsigned indices spare numba's
    negative-index checks in this, the grower's most memory-bound loop.)"""
    s = np.uint64(src)
    d = np.uint64(1 - src)
    one = np.uint64(1)
    for c in range(c0, c1):
        lo = np.uint64(cplan[c, 4])
        hi = np.uint64(cplan[c, 5])
        plo = np.uint64(pplan[c, 0])
        phi = np.uint64(pplan[c, 1])
        for i in range(np.uint64(cplan[c, 1]), np.uint64(cplan[c, 2])):
            left = goes[i]
            if left:
                j = lo
                lo += one
                p = plo
            else:
                j = hi
                hi += one
                p = phi
            ids[d, j] = ids[s, i]
            if move_data:
                gh[d, j, 0] = gh[s, i, 0]
                gh[d, j, 1] = gh[s, i, 1]
                for q in range(np.uint64(rp[s, i]), np.uint64(rp[s, i + one])):
                    pf[d, p] = pf[s, q]
                    pc[d, p] = pc[s, q]
                    p += one
                rp[d, j + one] = p
            if left:
                plo = p
            else:
                phi = p


@njit(cache=True, nogil=True)
def _grow_serial(indptr, features, codes, zero_codes, grad, hess, k, rows, gh, ids, rp, pf,
                 pc, goes, left_pairs, pplan, nodes_i, nodes_f, counters, open_ids, batch,
                 cplan, hplan, bplan, free_slots, pool, partials, offsets_u, n_bins_u,
                 offsets, n_bins, tree_mask, seed, fparams, iparams, monotone, groups,
                 feature_weights, is_cat, cat_params, cat_bits):
    """:func:`~.grower._grow_serial` on :class:`SparseCodes`."""
    m = np.int64(rows.shape[0])
    zero = np.int64(0)
    _row_pointers(indptr, rows, rp)
    _gather(zero, m, indptr, features, codes, grad, hess, k, rows, gh, ids, rp, pf, pc)
    _plan_root(m, nodes_i, nodes_f, counters, hplan, bplan)
    _build_nodes(zero, counters[_FINISHED], zero_codes, gh, rp, pf, pc, bplan, nodes_i, pool,
                 offsets_u, n_bins_u)
    _finish(zero, counters[_FINISHED], bplan, nodes_i, nodes_f, pool, partials, offsets,
            n_bins, tree_mask, seed, fparams, iparams, monotone, groups,
            feature_weights, is_cat, cat_params, cat_bits)
    while True:
        n_chunk = _plan_batch(nodes_i, nodes_f, counters, open_ids, batch, cplan, bplan,
                              free_slots, iparams)
        if n_chunk == 0:
            return pool
        src = counters[_SRC]
        _count_left(zero, n_chunk, zero_codes, rp, pf, pc, cplan, batch, nodes_i, n_bins,
                    src, goes, left_pairs)
        _place(nodes_i, nodes_f, counters, batch, cplan, hplan, bplan, free_slots, fparams,
               iparams, monotone)
        _place_pairs(counters, batch, cplan, nodes_i, rp, src, left_pairs, pplan, n_chunk)
        pool = ensure_pool(pool, counters[_SLOTS])
        _scatter(zero, n_chunk, gh, ids, rp, pf, pc, cplan, pplan, src, counters[_MOVE] != 0,
                 goes)
        _build_nodes(zero, counters[_FINISHED], zero_codes, gh, rp, pf, pc, bplan, nodes_i,
                     pool, offsets_u, n_bins_u)
        _finish(zero, counters[_FINISHED], bplan, nodes_i, nodes_f, pool, partials, offsets,
                n_bins, tree_mask, seed, fparams, iparams, monotone, groups,
                feature_weights, is_cat, cat_params, cat_bits)


class _Workspace:
    """The buffers one tree is grown in: those of :class:`~.grower.TreeGrower` with code
    pairs in place of binned rows, and no partial histograms (nodes are built whole)."""

    def __init__(self, n_rows, n_pairs, n_hist_bins, max_nodes, feature_dtype, code_dtype):
        self.gh = np.empty((2, n_rows, 2))
        self.ids = np.empty((2, n_rows), dtype=np.int32)
        self.rp = np.empty((2, n_rows + 1), dtype=np.int64)
        self.pf = np.empty((2, n_pairs), dtype=feature_dtype)
        self.pc = np.empty((2, n_pairs), dtype=code_dtype)
        self.goes = np.empty(n_rows, dtype=np.bool_)
        self.nodes_i = np.empty((max_nodes, _N_INT), dtype=np.int64)
        self.nodes_f = np.empty((max_nodes, _N_FLOAT))
        self.counters = np.zeros(_N_COUNTERS, dtype=np.int64)
        max_batch = (max_nodes + 1) // 2
        self.open_ids = np.empty(max_batch, dtype=np.int64)
        self.batch = np.empty(max_batch, dtype=np.int64)
        max_chunks = max_batch + n_rows // CHUNK_ROWS + 1
        self.cplan = np.empty((max_chunks, 6), dtype=np.int64)
        self.hplan = np.empty((max_chunks, 4), dtype=np.int64)
        self.left_pairs = np.empty(max_chunks, dtype=np.int64)
        self.pplan = np.empty((max_chunks, 2), dtype=np.int64)
        self.bplan = np.empty((max_batch, 4), dtype=np.int64)
        self.free_slots = np.empty(max_nodes, dtype=np.int64)
        self.pool = np.empty((min(4, max_nodes), n_hist_bins, 2))
        self.partials = np.empty((0, n_hist_bins, 2))
        self.cat_bits = np.zeros((1, 1), dtype=np.uint32)


class SparseTreeGrower(TreeGrower):
    """:class:`~.grower.TreeGrower` on :class:`SparseCodes` (no categorical features)."""

    def __init__(self, codes, edges, n_bins, params):
        super().__init__(codes, edges, n_bins, params, None)
        self.codes = codes
        self.wide = False  # the feature-parallel levels are the dense grower's

    def _build_parts(self):
        return 1  # a node's histogram is built whole (see _build_nodes)

    def _workspace(self, key, n_rows, n_pairs):
        ws = self._workspaces.get(key)
        if ws is None or ws.ids.shape[1] < n_rows or ws.pf.shape[1] < n_pairs:
            c = self.codes
            ws = _Workspace(n_rows, n_pairs, int(self.offsets[-1]),
                            max_nodes(n_rows, self.params), c.features.dtype, c.codes.dtype)
            self._workspaces[key] = ws
        return ws

    def _rounded_gradients(self, grad, hess, k, fparams, seed):
        """The rounded gradients as the floats they stand for (the sparse kernels build
        float histograms), rounded as the dense grower rounds them."""
        packed = np.empty((grad.shape[0], 1), dtype=np.int64)
        run_parallel(quantize, grad.shape[0], grad, hess, np.int64(k), fparams[_G_STEP],
                     fparams[_H_STEP], seed ^ ROUNDING_KEY, packed, min_items=65536)
        h = packed & 0xFFFFFFFF
        return ((packed - h) >> 32) * fparams[_G_STEP], h * fparams[_H_STEP], 0

    def _grow(self, grad, hess, k, rows, feature_mask, seed, workspace, fparams, cat_params):
        """See :meth:`~.grower.TreeGrower._grow`."""
        m = rows.shape[0]
        c = self.codes
        n_pairs = (c.features.shape[0] if m == c.shape[0]
                   else int(np.diff(c.indptr)[rows].sum()))
        ws = self._workspace(workspace, m, n_pairs)
        args = (self.offsets, self.n_bins, feature_mask, seed, fparams, self.iparams,
                self.monotone, self.groups, self.feature_weights, None, cat_params,
                ws.cat_bits)
        if current_threads() <= 1 or m < PARALLEL_MIN_ROWS:
            ws.pool = _grow_serial(
                c.indptr, c.features, c.codes, c.zero_codes, grad, hess, k, rows, ws.gh,
                ws.ids, ws.rp, ws.pf, ws.pc, ws.goes, ws.left_pairs, ws.pplan, ws.nodes_i,
                ws.nodes_f, ws.counters, ws.open_ids, ws.batch, ws.cplan, ws.hplan, ws.bplan,
                ws.free_slots, ws.pool, ws.partials, self.offsets_u, self.n_bins_u, *args)
        else:
            self._grow_levels(ws, grad, hess, k, rows, args)
        return self._export(ws, m, fparams)

    def _grow_levels(self, ws, grad, hess, k, rows, args):
        m = rows.shape[0]
        c = self.codes
        _row_pointers(c.indptr, rows, ws.rp)
        run_parallel(_gather, m, c.indptr, c.features, c.codes, grad, hess, k, rows, ws.gh,
                     ws.ids, ws.rp, ws.pf, ws.pc, min_items=4096)
        _plan_root(m, ws.nodes_i, ws.nodes_f, ws.counters, ws.hplan, ws.bplan)
        self._build(ws)
        _finish(0, 1, ws.bplan, ws.nodes_i, ws.nodes_f, ws.pool, ws.partials, *args)
        while True:
            n_chunk = _plan_batch(ws.nodes_i, ws.nodes_f, ws.counters, ws.open_ids, ws.batch,
                                  ws.cplan, ws.bplan, ws.free_slots, self.iparams)
            if n_chunk == 0:
                return
            src = int(ws.counters[_SRC])
            weights = ws.cplan[:n_chunk, 2] - ws.cplan[:n_chunk, 1]
            run_parallel(_count_left, n_chunk, c.zero_codes, ws.rp, ws.pf, ws.pc, ws.cplan,
                         ws.batch, ws.nodes_i, self.n_bins, src, ws.goes, ws.left_pairs,
                         weights=weights, min_weight=CHUNK_ROWS)
            _place(ws.nodes_i, ws.nodes_f, ws.counters, ws.batch, ws.cplan, ws.hplan,
                   ws.bplan, ws.free_slots, self.fparams, self.iparams, self.monotone)
            _place_pairs(ws.counters, ws.batch, ws.cplan, ws.nodes_i, ws.rp, src,
                         ws.left_pairs, ws.pplan, n_chunk)
            ws.pool = ensure_pool(ws.pool, ws.counters[_SLOTS])
            run_parallel(_scatter, n_chunk, ws.gh, ws.ids, ws.rp, ws.pf, ws.pc, ws.cplan,
                         ws.pplan, src, bool(ws.counters[_MOVE]), ws.goes, weights=weights,
                         min_weight=CHUNK_ROWS)
            self._build(ws)
            run_parallel(_finish, int(ws.counters[_FINISHED]), ws.bplan, ws.nodes_i,
                         ws.nodes_f, ws.pool, ws.partials, *args)

    def _build(self, ws):
        n = int(ws.counters[_FINISHED])
        small = ws.bplan[:n, 0]
        weights = np.where(small >= 0, ws.nodes_i[np.maximum(small, 0), _STOP]
                           - ws.nodes_i[np.maximum(small, 0), _START], 0)
        run_parallel(_build_nodes, n, self.codes.zero_codes, ws.gh, ws.rp, ws.pf, ws.pc,
                     ws.bplan, ws.nodes_i, ws.pool, self.offsets_u, self.n_bins_u,
                     weights=weights, min_weight=CHUNK_ROWS // 4)
