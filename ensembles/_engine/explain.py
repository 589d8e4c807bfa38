"""Exact path-dependent TreeSHAP on the flat trees of :mod:`.tree`.

Lundberg, Erion and Lee (2018) attribute a tree's prediction for a row ``x`` to the
features by the Shapley values of the game ``g(S) = E[f(x) | x_S]``, the expectation taken
over the training distribution the tree remembers through its node covers
(path-dependent: at a split on a feature outside ``S`` both children are followed, weighted
by the share of the parent's cover each one holds).

A leaf ``l`` is reached by a path whose splits involve ``d`` distinct features. For each of
them the path keeps

* the *zero fraction* ``z_j``: the product of ``cover(child) / cover(parent)`` over the
  path's splits on feature ``j`` (the share of rows that follow the path there when ``x_j``
  is unknown);
* the *one fraction* ``o_j`` in {0, 1}: whether ``x`` satisfies all of them, which reduces to
  an interval test ``lo_j < x_j <= hi_j`` (or the path's default direction for NaN); on a
  categorical feature, to membership of the code ``x_j`` in the intersection of the
  path's category sets (a bitset per element).

The leaf then plays the game ``g_l(S) = v_l * prod_{j in S} o_j * prod_{j not in S} z_j``,
whose Shapley values are (``w(s, d) = s! (d - 1 - s)! / d!``)::

    phi_i = v_l (o_i - z_i) sum_{S subset of N minus i} w(|S|, d)
                                prod_{j in S} o_j prod_{j not in S, j != i} z_j.

Since ``o_j`` is 0 or 1, only subsets of ``A = {j : o_j = 1}`` count. With
``Z = prod_{j not in A} z_j`` and ``h(B) = sum_{s} w(s, d) e_{|B| - s}(z_B)`` (``e_k`` the
elementary symmetric polynomials of the zero fractions in ``B``)::

    phi_i = v_l (1 - z_i) Z h(A minus i)   for i in A,
    phi_i = -v_l Z h(A)                    for i not in A.

The ``e_k`` of ``A`` cost ``O(d^2)``; those of ``A`` minus one element follow from them by
one forward recurrence each, so a leaf costs ``O(d^2)`` per row, the bound of the original
algorithm, without its recursion. Better still, a leaf's values depend on the row only
through the pattern ``A``: for leaves of at most ``_TABLE_MAX_ELEMENTS`` elements the
coefficients of all ``2^d`` patterns are computed once per call (the idea of Fast TreeSHAP
v2, Yang 2021), and a row costs ``O(d)`` per leaf: find its pattern, add ``d`` numbers.
The tables hold exactly what the direct computation gives. The tree's contributions are
the sums over its leaves; their total plus the bias ``sum_l v_l prod_j z_j`` (the
cover-weighted mean of the leaves) is the tree's prediction (Shapley efficiency).

SHAP interaction values (Lundberg et al., 2020) are, for ``i != j``, half the difference
between feature ``j``'s Shapley value with feature ``i`` fixed present and fixed absent.
Fixing ``i`` present multiplies the leaf by ``o_i`` and removes ``i`` from its game;
absent, by ``z_i``, so a leaf adds ``(o_i - z_i) / 2`` times ``j``'s Shapley value in the
game without ``i``. The diagonal holds what is left of ``phi_i``, so every row of the
matrix sums to the contribution.
"""

import numpy as np

from .._threads import run_parallel
from . import compiled_only
from .jit import njit

# Fewer rows than this per thread are not worth a thread (a row costs every leaf of
# every tree, so far fewer than for prediction).
_MIN_ROWS_PER_THREAD = 64
# Leaves whose paths split on at most this many distinct features get a table of their
# Shapley coefficients for every pattern of satisfied splits (Fast TreeSHAP v2, Yang
# 2021); tables take at most this many float64 in all.
_TABLE_MAX_ELEMENTS = 10
_TABLE_BUDGET = 1 << 22


@compiled_only
def _count_leaves(left, right, offsets):
    n_leaves = 0
    path_total = 0
    depth = np.zeros(left.shape[0], dtype=np.int64)
    for t in range(offsets.shape[0] - 1):
        base = offsets[t]
        for k in range(offsets[t + 1] - base):
            node = base + k
            if left[node] == -1:
                n_leaves += 1
                path_total += depth[node]
            else:
                # Children have larger ids than their parent, so depths fill top-down.
                depth[base + left[node]] = depth[base + right[node]] = depth[node] + 1
    return n_leaves, path_total, depth


@njit(cache=True, nogil=True)
def _build_paths(feature, threshold, default_left, left, right, cover, offsets, cat_start,
                 cat_bits, n_words):
    n_nodes = left.shape[0]
    n_leaves, path_total, depth = _count_leaves(left, right, offsets)
    parent = np.full(n_nodes, -1, dtype=np.int64)
    for t in range(offsets.shape[0] - 1):
        base = offsets[t]
        for k in range(offsets[t + 1] - base):
            node = base + k
            if left[node] != -1:
                parent[base + left[node]] = node
                parent[base + right[node]] = node
    leaf_node = np.empty(n_leaves, dtype=np.int64)
    tree_leaves = np.zeros(offsets.shape[0], dtype=np.int64)
    path_ptr = np.zeros(n_leaves + 1, dtype=np.int64)
    p_feature = np.empty(path_total, dtype=np.int64)
    p_lo = np.empty(path_total)
    p_hi = np.empty(path_total)
    p_nan = np.empty(path_total, dtype=np.bool_)
    p_zero = np.empty(path_total)
    # Categorical elements: the first word of their allowed set in p_bits (-1: numeric).
    p_cat = np.full(path_total, -1, dtype=np.int64)
    max_words = 0
    for f in range(n_words.shape[0]):
        max_words = max(max_words, n_words[f])
    p_bits = np.empty(path_total * max_words if cat_bits.shape[0] > 0 else 0,
                      dtype=np.uint32)
    n_bits = 0
    n = 0  # path elements written
    m = 0  # leaves written
    for t in range(offsets.shape[0] - 1):
        base = offsets[t]
        for k in range(offsets[t + 1] - base):
            node = base + k
            if left[node] != -1:
                continue
            leaf_node[m] = node
            start = n
            child = node
            up = parent[node]
            while up != -1:
                went_left = base + left[up] == child
                f = feature[up]
                ratio = cover[child] / cover[up] if cover[up] > 0.0 else 0.5
                # One element per distinct feature: merge repeated splits on it.
                j = start
                while j < n and p_feature[j] != f:
                    j += 1
                if j == n:
                    p_feature[n] = f
                    p_lo[n] = -np.inf
                    p_hi[n] = np.inf
                    p_nan[n] = True
                    p_zero[n] = 1.0
                    n += 1
                c = cat_start[up]
                if c >= 0:
                    if p_cat[j] < 0:
                        p_cat[j] = n_bits
                        for w in range(n_words[f]):
                            p_bits[n_bits + w] = np.uint32(0xFFFFFFFF)
                        n_bits += n_words[f]
                    for w in range(n_words[f]):
                        word = cat_bits[c + w]
                        p_bits[p_cat[j] + w] &= word if went_left else ~word
                elif went_left:
                    p_hi[j] = min(p_hi[j], threshold[up])
                else:
                    p_lo[j] = max(p_lo[j], threshold[up])
                p_nan[j] &= default_left[up] == went_left
                p_zero[j] *= ratio
                child = up
                up = parent[up]
            m += 1
            path_ptr[m] = n
        tree_leaves[t + 1] = m
    return (leaf_node, tree_leaves, path_ptr, p_feature[:n].copy(), p_lo[:n].copy(),
            p_hi[:n].copy(), p_nan[:n].copy(), p_zero[:n].copy(), depth.max() if n_nodes else 0,
            p_cat[:n].copy(), p_bits[:n_bits].copy())


@njit(cache=True, nogil=True, inline="always")
def _holds(x, lo, hi, nan_ok, cat, p_bits):
    """Whether value ``x`` satisfies a path element (interval, NaN side, category set)."""
    if x != x:
        return nan_ok
    if cat >= 0:
        code = np.int64(x)
        return (p_bits[cat + (code >> 5)] >> np.uint32(code & 31)) & np.uint32(1) != 0
    return lo < x and x <= hi


@njit(cache=True, nogil=True)
def _shapley_weights(max_d):
    """``W[d, s] = s! (d - 1 - s)! / d!`` for ``0 <= s < d <= max_d`` (0 elsewhere)."""
    W = np.zeros((max_d + 1, max_d + 1))
    for d in range(1, max_d + 1):
        for s in range(d):
            # 1 / (d * binomial(d - 1, s)), the binomial built as a running product.
            c = 1.0
            for r in range(s):
                c = c * (d - 1 - r) / (r + 1)
            W[d, s] = 1.0 / (d * c)
    return W


@njit(cache=True, nogil=True, inline="always")
def _leaf_coefs(ok, z, p0, n, skip, W, e, coef):
    """Shapley value per unit leaf value of each of the ``n`` path elements (``coef[j]``;
    their zero fractions are ``z[p0:p0 + n]``), in the game without element ``skip`` (-1:
    all elements play); see the module notes."""
    d = n if skip < 0 else n - 1
    zout = 1.0
    a = 0
    e[0] = 1.0
    for j in range(n):
        if j == skip:
            continue
        if ok[j]:
            a += 1
            e[a] = 0.0
            zj = z[p0 + j]
            for k in range(a, 0, -1):
                e[k] += zj * e[k - 1]
        else:
            zout *= z[p0 + j]
    h_all = 0.0
    for s in range(a + 1):
        h_all += W[d, s] * e[a - s]
    out_coef = -zout * h_all
    for j in range(n):
        if j == skip:
            continue
        if ok[j]:
            zj = z[p0 + j]
            ek = 1.0  # e_k of A without j, by e_k(A) = e_k(A - j) + z_j e_{k-1}(A - j)
            h = W[d, a - 1]
            for k in range(1, a):
                ek = e[k] - zj * ek
                h += W[d, a - 1 - k] * ek
            coef[j] = (1.0 - zj) * zout * h
        else:
            coef[j] = out_coef


@njit(cache=True, nogil=True, inline="always")
def _path_ok(X, i, p0, n, p_feature, p_lo, p_hi, p_nan, p_cat, p_bits, ok):
    for j in range(n):
        x = X[i, p_feature[p0 + j]]
        ok[j] = _holds(x, p_lo[p0 + j], p_hi[p0 + j], p_nan[p0 + j], p_cat[p0 + j], p_bits)


@njit(cache=True, nogil=True)
def _fill_tables(path_ptr, p_zero, table_ptr, W, table):
    """For each leaf with a table (``table_ptr >= 0``), the coefficients of every pattern
    of satisfied path elements: ``table[table_ptr + pattern * d + j]`` for element ``j``
    of a leaf with ``d`` elements, where bit ``j`` of ``pattern`` says whether element
    ``j`` holds."""
    max_d = W.shape[0]
    ok = np.empty(max_d, dtype=np.bool_)
    e = np.empty(max_d + 1)
    coef = np.empty(max_d)
    for leaf in range(table_ptr.shape[0]):
        base = table_ptr[leaf]
        if base < 0:
            continue
        p0 = path_ptr[leaf]
        d = path_ptr[leaf + 1] - p0
        for pattern in range(1 << d):
            for j in range(d):
                ok[j] = (pattern >> j) & 1
            _leaf_coefs(ok, p_zero, p0, d, -1, W, e, coef)
            for j in range(d):
                table[base + pattern * d + j] = coef[j]


# Rows explained together: their contributions stay in cache while every leaf is visited.
_ROW_BLOCK = 64


@njit(cache=True, nogil=True)
def _contrib_rows(r0, r1, X, leaf_node, leaf_col, path_ptr, p_feature, p_lo, p_hi, p_nan,
                  p_zero, value, W, table_ptr, table, leaf0, leaf1, p_cat, p_bits, out):
    max_d = W.shape[0]
    ok = np.empty(max_d, dtype=np.bool_)
    e = np.empty(max_d + 1)
    coef = np.empty(max_d)
    n_values = value.shape[1]
    feat = np.empty(max_d, dtype=np.uint64)
    lo = np.empty(max_d)
    hi = np.empty(max_d)
    nan_ok = np.empty(max_d, dtype=np.bool_)
    cat = np.empty(max_d, dtype=np.int64)
    vals = np.empty(n_values)
    for b0 in range(r0, r1, _ROW_BLOCK):
        b1 = min(b0 + _ROW_BLOCK, r1)
        for leaf in range(leaf0, leaf1):
            p0 = path_ptr[leaf]
            n = path_ptr[leaf + 1] - p0
            if n == 0:
                continue
            node = leaf_node[leaf]
            col = leaf_col[leaf]
            base = table_ptr[leaf]
            if base >= 0:
                # The leaf's path in local arrays, indexed without sign checks: this loop
                # runs once per row and leaf.
                for j in range(n):
                    feat[j] = p_feature[p0 + j]
                    lo[j] = p_lo[p0 + j]
                    hi[j] = p_hi[p0 + j]
                    nan_ok[j] = p_nan[p0 + j]
                    cat[j] = p_cat[p0 + j]
                for k in range(n_values):
                    vals[k] = value[node, k]
                un = np.uint64(n)
                for i in range(b0, b1):
                    # A leaf's Shapley values depend on the row only through which of its
                    # path elements the row satisfies: read them from the leaf's table.
                    ui = np.uint64(i)
                    pattern = np.uint64(0)
                    for j in range(un):
                        x = X[ui, feat[j]]
                        if x != x:
                            hit = nan_ok[j]
                        elif cat[j] >= 0:
                            hit = _holds(x, lo[j], hi[j], nan_ok[j], cat[j], p_bits)
                        else:
                            hit = lo[j] < x and x <= hi[j]
                        pattern |= np.uint64(hit) << j
                    row = np.uint64(base) + pattern * un
                    for k in range(n_values):
                        v = vals[k]
                        c = np.uint64(col + k)
                        for j in range(un):
                            out[ui, c, feat[j]] += table[row + j] * v
                continue
            for i in range(b0, b1):
                _path_ok(X, i, p0, n, p_feature, p_lo, p_hi, p_nan, p_cat, p_bits, ok)
                _leaf_coefs(ok, p_zero, p0, n, -1, W, e, coef)
                for k in range(n_values):
                    v = value[node, k]
                    for j in range(n):
                        out[i, col + k, p_feature[p0 + j]] += coef[j] * v


@njit(cache=True, nogil=True)
def _interaction_rows(r0, r1, X, leaf_node, leaf_col, path_ptr, p_feature, p_lo, p_hi, p_nan,
                      p_zero, value, W, leaf0, leaf1, p_cat, p_bits, out):
    max_d = W.shape[0]
    ok = np.empty(max_d, dtype=np.bool_)
    e = np.empty(max_d + 1)
    coef = np.empty(max_d)
    n_values = value.shape[1]
    for i in range(r0, r1):
        for leaf in range(leaf0, leaf1):
            p0 = path_ptr[leaf]
            n = path_ptr[leaf + 1] - p0
            if n == 0:
                continue
            _path_ok(X, i, p0, n, p_feature, p_lo, p_hi, p_nan, p_cat, p_bits, ok)
            node = leaf_node[leaf]
            col = leaf_col[leaf]
            # The contributions go on the diagonal first; the off-diagonal terms are
            # taken off it below, which leaves the rows summing to the contributions.
            _leaf_coefs(ok, p_zero, p0, n, -1, W, e, coef)
            for k in range(n_values):
                v = value[node, k]
                for j in range(n):
                    f = p_feature[p0 + j]
                    out[i, col + k, f, f] += coef[j] * v
            for a in range(n):
                fixed = (1.0 if ok[a] else 0.0) - p_zero[p0 + a]
                if fixed == 0.0:
                    continue
                _leaf_coefs(ok, p_zero, p0, n, a, W, e, coef)
                fa = p_feature[p0 + a]
                for k in range(n_values):
                    v = 0.5 * fixed * value[node, k]
                    for j in range(n):
                        if j != a:
                            f = p_feature[p0 + j]
                            term = coef[j] * v
                            out[i, col + k, fa, f] += term
                            out[i, col + k, fa, fa] -= term


@njit(cache=True, nogil=True)
def _leaf_bias(leaf_node, leaf_col, path_ptr, p_zero, value, leaf0, leaf1, bias):
    for leaf in range(leaf0, leaf1):
        reach = 1.0
        for p in range(path_ptr[leaf], path_ptr[leaf + 1]):
            reach *= p_zero[p]
        for k in range(value.shape[1]):
            bias[leaf_col[leaf] + k] += reach * value[leaf_node[leaf], k]


class TreeExplainer:
    """The leaf paths of a set of trees, ready for TreeSHAP.

    Parameters
    ----------
    trees : sequence of tuples ``(feature, threshold, default_left, left, right, value,
        cover)``
        Each tree's node arrays (see :class:`~.tree.Tree`; only the leaves' values are
        read, and ``value`` may be multiplied by a scale first, as a forest's ``1 /
        n_trees``).
        Two more arrays, ``cat_start`` and ``cat_bits``, give a tree's categorical splits.
    outputs : sequence of int
        The first output column each tree's value vector adds to.
    n_outputs : int
        Number of output columns.
    n_categories : array-like of int, optional
        Categories per feature (0 for numeric ones), needed with categorical splits.
    """

    def __init__(self, trees, outputs, n_outputs, n_categories=None):
        cat_start = [t[7] if len(t) > 7 else np.full(len(t[3]), -1) for t in trees]
        cat_bits = [t[8] if len(t) > 8 else np.empty(0, np.uint32) for t in trees]
        word0 = np.cumsum([0] + [len(b) for b in cat_bits])
        cat_start = (np.concatenate([np.where(np.asarray(c) >= 0, np.asarray(c) + w, -1)
                                     for c, w in zip(cat_start, word0, strict=False)])
                     if trees else np.empty(0)).astype(np.int64)
        cat_bits = (np.concatenate(cat_bits) if trees else np.empty(0)).astype(np.uint32)
        n_words = (np.zeros(1, dtype=np.int64) if n_categories is None else
                   (np.asarray(n_categories, dtype=np.int64) + 31) // 32)
        trees = [t[:7] for t in trees]
        arrays = list(zip(*trees, strict=True)) if trees else [[]] * 7
        offsets = np.zeros(len(trees) + 1, dtype=np.int64)
        np.cumsum([len(t[3]) for t in trees], out=offsets[1:])
        feature, threshold, default_left, left, right, value, cover = (
            np.concatenate(a) if trees else np.empty(0) for a in arrays)
        self.value = (np.ascontiguousarray(value, dtype=np.float64) if trees
                      else np.empty((0, 1)))
        (self.leaf_node, self.tree_leaves, self.path_ptr, self.p_feature, self.p_lo,
         self.p_hi, self.p_nan, self.p_zero, max_depth, self.p_cat, self.p_bits) = _build_paths(
            feature.astype(np.int64), threshold.astype(np.float64),
            default_left.astype(np.bool_), left.astype(np.int64), right.astype(np.int64),
            cover.astype(np.float64), offsets, cat_start, cat_bits, n_words)
        n_per_tree = np.diff(self.tree_leaves)
        self.leaf_col = np.repeat(np.asarray(outputs, dtype=np.int64), n_per_tree)
        self.n_outputs = int(n_outputs)
        self.W = _shapley_weights(int(max(max_depth, 1)))

    def _tables(self, leaf0, leaf1, n_rows):
        """Coefficient tables of the leaves ``leaf0:leaf1`` that are worth one for
        ``n_rows`` rows: at most ``_TABLE_MAX_ELEMENTS`` path elements, no more patterns
        than rows (a table costs about as much as explaining ``2**d`` rows directly),
        within ``_TABLE_BUDGET`` numbers in all. Returns ``(table_ptr, table)``, -1 for
        the leaves computed row by row."""
        d = np.diff(self.path_ptr)
        patterns = np.left_shift(1, np.minimum(d, _TABLE_MAX_ELEMENTS + 1))
        eligible = (d > 0) & (d <= _TABLE_MAX_ELEMENTS) & (patterns <= n_rows)
        eligible[:leaf0] = eligible[leaf1:] = False
        size = np.where(eligible, d * patterns, 0)
        within = eligible & (np.cumsum(size) <= _TABLE_BUDGET)
        size = np.where(within, size, 0)
        table_ptr = np.where(within, np.cumsum(size) - size, -1)
        table = np.empty(int(size.sum()))
        _fill_tables(self.path_ptr, self.p_zero, table_ptr, self.W, table)
        return table_ptr, table

    def _leaf_range(self, start, stop):
        return int(self.tree_leaves[start]), int(self.tree_leaves[stop])

    def bias(self, start, stop):
        """Expected value of trees ``start:stop`` per output (the leaves' mean under the
        covers), shape (n_outputs,)."""
        out = np.zeros(self.n_outputs)
        _leaf_bias(self.leaf_node, self.leaf_col, self.path_ptr, self.p_zero, self.value,
                   *self._leaf_range(start, stop), out)
        return out

    def contributions(self, X, start, stop, n_features):
        """SHAP values of trees ``start:stop``: shape (n_samples, n_outputs,
        n_features + 1), the bias (expected value) in the last column."""
        out = np.zeros((X.shape[0], self.n_outputs, n_features + 1))
        # One compiled specialization for every input dtype (a float64 copy of X is no
        # larger than the output).
        X = np.ascontiguousarray(X, dtype=np.float64)
        leaf0, leaf1 = self._leaf_range(start, stop)
        table_ptr, table = self._tables(leaf0, leaf1, X.shape[0])
        run_parallel(_contrib_rows, X.shape[0], X, self.leaf_node, self.leaf_col,
                     self.path_ptr, self.p_feature, self.p_lo, self.p_hi, self.p_nan,
                     self.p_zero, self.value, self.W, table_ptr, table, leaf0, leaf1,
                     self.p_cat, self.p_bits, out,
                     min_items=_MIN_ROWS_PER_THREAD)
        out[:, :, n_features] = self.bias(start, stop)
        return out

    def interactions(self, X, start, stop, n_features):
        """SHAP interaction values of trees ``start:stop``: shape (n_samples, n_outputs,
        n_features + 1, n_features + 1); each row ``[i, k, f, :]`` sums to the
        contribution of feature ``f``, and the bias sits at ``[i, k, -1, -1]``."""
        out = np.zeros((X.shape[0], self.n_outputs, n_features + 1, n_features + 1))
        X = np.ascontiguousarray(X, dtype=np.float64)
        run_parallel(_interaction_rows, X.shape[0], X, self.leaf_node, self.leaf_col,
                     self.path_ptr, self.p_feature, self.p_lo, self.p_hi, self.p_nan,
                     self.p_zero, self.value, self.W, *self._leaf_range(start, stop),
                     self.p_cat, self.p_bits, out,
                     min_items=_MIN_ROWS_PER_THREAD // 8)
        out[:, :, n_features, n_features] = self.bias(start, stop)
        return out
