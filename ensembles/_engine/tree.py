"""Trees as flat arrays, and the numba kernels that predict with them.

A tree is a set of parallel arrays indexed by node id, node 0 being the root. Internal nodes
send a row left when ``x[feature] <= threshold`` (NaN goes left iff ``default_left``); leaves
have ``left == -1`` and carry a value vector of length ``n_values`` (1 for boosting trees,
the number of classes for classification forests). ``split_bin`` repeats the threshold in
bin space so training rows can be routed on their binned codes.

A split on a categorical feature (whose values are category codes ``0 .. n_cat - 1``, NaN
for missing or unseen categories) is a *partition*: ``cat_start[k] >= 0`` points into the
tree's ``cat_bits`` words, a bitset of the categories that go left (code ``c`` is bit
``c % 32`` of word ``cat_start[k] + c // 32``); its threshold and bin are unused (0, and
bin -1 in boosting trees, 0 in forest trees, whose bins are bytes). NaN follows
``default_left`` as for any split. Trees without such splits carry
``cat_start`` all -1 and an empty ``cat_bits``, and predict with the kernels that never
look at them.

An ensemble is predicted in one kernel call: the trees' arrays are concatenated
(:func:`pack_trees`) and every tree adds its leaf vector to columns
``output[t] : output[t] + n_values`` of the raw prediction.
"""

import numpy as np

from .._threads import run_parallel
from .jit import intrinsic, njit

TREE_FIELDS = (
    "feature", "threshold", "split_bin", "default_left", "left", "right", "value", "gain",
    "cover",
)
# Written (and read) only for trees with categorical splits.
CAT_FIELDS = ("cat_start", "cat_bits")
# Written (and read) only for trees that keep them (the forests' and single trees').
NODE_STAT_FIELDS = ("n_node_samples", "impurity")

# Features a routing word can name (see pair_routing).
ROUTED_FEATURES = 1 << 16
_INF_NAMES = {np.inf: "inf", -np.inf: "-inf"}
_INF_VALUES = {"inf": np.inf, "-inf": -np.inf}


@njit(cache=True, nogil=True)
def max_depth(left, right, offsets):
    """The greatest depth among trees whose node arrays are concatenated as
    :func:`pack_trees` does (tree ``t``'s root at ``offsets[t]``, children relative to
    it)."""
    depth = np.zeros(left.shape[0], dtype=np.int64)
    deepest = 0  # a loop, not depth.max(): numpy's reductions compile slowly
    for t in range(offsets.shape[0] - 1):
        base = offsets[t]
        for node in range(base, offsets[t + 1]):  # children have larger ids than parents
            if left[node] != -1:
                depth[base + left[node]] = depth[base + right[node]] = depth[node] + 1
                deepest = max(deepest, depth[node] + 1)
    return deepest


class Tree:
    """One fitted tree as flat node arrays.

    Attributes
    ----------
    feature : ndarray of int32 (-1 at leaves)
    threshold : ndarray of float64 (``x <= threshold`` goes left; +inf splits off NaN only)
    split_bin : ndarray of int32 (-1: no value goes left, only missing ones may)
    default_left : ndarray of bool
    left, right : ndarray of int32 (-1 at leaves)
    value : ndarray of float64, shape (n_nodes, n_values); learning rate already applied
    gain : ndarray of float64 (loss reduction of the split, 0 at leaves)
    cover : ndarray of float64 (hessian sum of the node's training rows)
    cat_start : ndarray of int32 (-1 except at categorical splits: first word of the
        node's left-category bitset in ``cat_bits``)
    cat_bits : ndarray of uint32 (the bitsets of the tree's categorical splits)
    n_node_samples : ndarray of int64 or None (training rows of each node, whatever their
        weights)
    impurity : ndarray of float64 or None (impurity of each node's training rows)
    """

    def __init__(self, feature, threshold, split_bin, default_left, left, right, value, gain,
                 cover, cat_start=None, cat_bits=None, n_node_samples=None, impurity=None):
        self.feature = np.asarray(feature, dtype=np.int32)
        self.threshold = np.asarray(threshold, dtype=np.float64)
        self.split_bin = np.asarray(split_bin, dtype=np.int32)
        self.default_left = np.asarray(default_left, dtype=np.bool_)
        self.left = np.asarray(left, dtype=np.int32)
        self.right = np.asarray(right, dtype=np.int32)
        self.value = np.asarray(value, dtype=np.float64).reshape(len(self.left), -1)
        self.gain = np.asarray(gain, dtype=np.float64)
        self.cover = np.asarray(cover, dtype=np.float64)
        self.cat_start = (np.full(len(self.left), -1, dtype=np.int32) if cat_start is None
                          else np.asarray(cat_start, dtype=np.int32))
        self.cat_bits = (np.empty(0, dtype=np.uint32) if cat_bits is None
                         else np.asarray(cat_bits, dtype=np.uint32))
        self.n_node_samples = (None if n_node_samples is None
                               else np.asarray(n_node_samples, dtype=np.int64))
        self.impurity = None if impurity is None else np.asarray(impurity, dtype=np.float64)

    @classmethod
    def of_arrays(cls, feature, threshold, split_bin, default_left, left, right, value, gain,
                  cover, cat_start, cat_bits):
        """A tree of node arrays that already have the attributes' dtypes and shapes
        (``value`` two-dimensional), taken as they are: the grower's export, whose
        conversions and checks in :meth:`__init__` would cost as much as a small tree's
        other bookkeeping."""
        tree = cls.__new__(cls)
        tree.feature, tree.threshold, tree.split_bin = feature, threshold, split_bin
        tree.default_left, tree.left, tree.right = default_left, left, right
        tree.value, tree.gain, tree.cover = value, gain, cover
        tree.cat_start, tree.cat_bits = cat_start, cat_bits
        tree.n_node_samples = tree.impurity = None
        return tree

    @property
    def has_categorical(self):
        """Whether the tree has a categorical (partition) split."""
        cat_start = getattr(self, "cat_start", None)  # subclasses may not set it
        return cat_start is not None and bool(np.any(cat_start >= 0))

    def left_categories(self, node):
        """Codes of the categories that go left at categorical split ``node``, given the
        number of words its bitset spans (all words to the next bitset or the end)."""
        start = int(self.cat_start[node])
        later = self.cat_start[self.cat_start > start]
        stop = int(later.min()) if later.size else len(self.cat_bits)
        words = self.cat_bits[start:stop].astype(np.uint64)
        bits = (words[:, None] >> np.arange(32, dtype=np.uint64)) & np.uint64(1)
        return np.flatnonzero(bits.reshape(-1))

    @property
    def n_nodes(self):
        return len(self.left)

    @property
    def n_leaves(self):
        return int(np.sum(self.left == -1))

    @property
    def depth(self):
        return int(max_depth(self.left, self.right, np.array([0, len(self.left)])))

    def to_dict(self):
        """Plain lists, for the JSON model format."""
        out = {}
        for name in TREE_FIELDS:
            array = self._file_array(name)
            if name == "threshold":
                # JSON has no infinity; +inf marks "split off missing values only".
                out[name] = [_INF_NAMES.get(float(t), float(t)) for t in array]
            elif name == "value":
                out[name] = array.tolist()
            elif array.dtype == np.bool_:
                out[name] = [int(v) for v in array]
            else:
                out[name] = array.tolist()
        if self.has_categorical:
            out["cat_start"] = self.cat_start.tolist()
            out["cat_bits"] = self.cat_bits.tolist()
        for name in NODE_STAT_FIELDS:
            if getattr(self, name, None) is not None:
                out[name] = getattr(self, name).tolist()
        return out

    def _file_array(self, name):
        """Node array ``name`` as the model file holds it (subclasses may show another
        form to their users)."""
        return getattr(self, name)

    def _values(self):
        """Value vector of each node, shape (n_nodes, n_values)."""
        return self.value

    @classmethod
    def from_dict(cls, data):
        threshold = [_INF_VALUES[t] if isinstance(t, str) else t for t in data["threshold"]]
        fields = {k: data[k] for k in TREE_FIELDS + CAT_FIELDS + NODE_STAT_FIELDS
                  if k in data}
        return cls(**{**fields, "threshold": threshold})


@njit(cache=True, nogil=True)
def expand_compact(feature, split_bin, left, edges, leaf_value, threshold, right, value):
    """Fill the threshold, right-child and value arrays (their first ``len(left)`` entries)
    of a tree stored compactly: thresholds as bins of ``edges``
    (``edges[feature, split_bin]``, 0 at leaves), right children as ``left + 1`` (-1 at
    leaves) and values for the leaves only, in node order. Internal nodes' values are left
    as they are: prediction never reads them (see :func:`fill_internal_values`)."""
    n_leaves = 0
    for k in range(left.shape[0]):
        if left[k] != -1:
            threshold[k] = edges[feature[k], split_bin[k]]
            right[k] = left[k] + 1
        else:
            threshold[k] = 0.0
            right[k] = -1
            for v in range(leaf_value.shape[1]):
                value[k, v] = leaf_value[n_leaves, v]
            n_leaves += 1


@njit(cache=True, nogil=True)
def compact_grown(left, right, value, gain, cover, node_stats):
    """What a compact tree keeps (the inverse of :func:`expand_compact` for values and
    gains, and of its nodes' rows and impurities, ``node_stats``, one row per node), in
    one pass: returns ``(leaf_value, split_gain, paired, leaf_rows, leaf_impurity)``: the
    leaves' value vectors and the internal nodes' gains in node order, whether every
    right child is ``left + 1`` (which a compact tree relies on), the leaves' rows, or
    nothing when every leaf's equals its cover (unit weights), and the impurities of the
    leaves of more than one row (a leaf of one row has impurity 0).

    One pass, without branches on whether a node is a leaf: in a deep tree that is a
    coin flip, node after node. Every node is written to the next slot of each output
    (slots past the end of one hold writes of nodes of the other kind) and only the
    cursors of its kind advance; the outputs are the written prefixes."""
    n = left.shape[0]
    K = value.shape[1]
    leaf_value = np.empty((n + 1, K))
    split_gain = np.empty(n + 1)
    leaf_rows = np.empty(n + 1, dtype=np.int32)
    leaf_impurity = np.empty(n + 1)
    n_leaves = 0
    n_splits = 0
    n_impure = 0
    rows_are_cover = True
    paired = True
    for k in range(n):
        leaf = left[k] == -1
        rows = node_stats[k, 0]
        for v in range(K):
            leaf_value[n_leaves, v] = value[k, v]
        split_gain[n_splits] = gain[k]
        leaf_rows[n_leaves] = np.int32(rows)
        leaf_impurity[n_impure] = node_stats[k, 1]
        rows_are_cover &= (not leaf) | (rows == cover[k])
        # A leaf's right child is -1, an internal node's left + 1 (left is -1 at a leaf).
        paired &= right[k] == left[k] + 1 - np.int32(leaf)
        n_impure += leaf & (rows > 1.0)
        n_leaves += leaf
        n_splits += not leaf
    return (leaf_value[:n_leaves].copy(), split_gain[:n_splits].copy(), paired,
            leaf_rows[:0 if rows_are_cover else n_leaves].copy(),
            leaf_impurity[:n_impure].copy())


@njit(cache=True, nogil=True)
def bin_thresholds(feature, split_bin, left, edges):
    """Raw-value thresholds of a tree's splits, ``edges[feature, split_bin]`` (0 at
    leaves)."""
    threshold = np.zeros(left.shape[0])
    for k in range(left.shape[0]):
        if left[k] != -1:
            threshold[k] = edges[feature[k], split_bin[k]]
    return threshold


@njit(cache=True, nogil=True)
def pair_routing(feature, split_bin, left, default_left, edges, leaf_value, nodes, threshold,
                 value):
    """Fill the routing arrays :func:`predict_paired` takes (their first ``len(left)``
    entries) from a tree stored compactly (see :func:`expand_compact`).

    ``nodes`` (uint64) packs the left child in the high 32 bits, the feature in bits 16 to
    31, and the split on bin codes in the low 16 bits as a window: with ``low = bin + 1``
    in bits 8 to 15 and ``width`` in bits 0 to 7, code ``c`` goes right when
    ``(c - low) mod 256 < width``. The codes above the split bin are the window's first
    ``254 - bin`` values and the missing code (255) its next one, so ``width`` is
    ``255 - bin`` when missing values go right and ``254 - bin`` when they go left: one
    subtraction and one comparison route every code. The right child is ``left + 1``. A
    leaf is its own left child with an empty window (``low`` and ``width`` 0) and a
    threshold of +inf, so one more step of the walk keeps a row where it is. ``threshold``
    is None for a walk on bin codes, which needs none. Internal nodes' values are left as
    they are."""
    n_leaves = 0
    for k in range(left.shape[0]):
        if left[k] != -1:
            if threshold is not None:
                threshold[k] = edges[feature[k], split_bin[k]]
            low = np.uint64(split_bin[k]) + np.uint64(1)
            width = np.uint64(255 - split_bin[k] - default_left[k])
            nodes[k] = ((np.uint64(left[k]) << np.uint64(32))
                        | (np.uint64(feature[k]) << np.uint64(16))
                        | (low << np.uint64(8)) | width)
        else:
            if threshold is not None:
                threshold[k] = np.inf
            nodes[k] = np.uint64(k) << np.uint64(32)
            for v in range(leaf_value.shape[1]):
                value[k, v] = leaf_value[n_leaves, v]
            n_leaves += 1


@njit(cache=True, nogil=True, inline="always")
def _paired_step(X, i, k, nodes, threshold):
    """The node after ``k`` on row ``i``'s walk (``k`` itself at a leaf), without a branch
    (``i`` and ``k`` unsigned: no wraparound of negative indices to compute). With
    ``threshold`` None, ``X`` holds bin codes (255: missing) routed by the node's window;
    otherwise ``x > t`` goes right, as does a missing value where the window holds the
    missing code (its ``low + width`` is 256)."""
    node = nodes[k]
    x = X[i, (node >> np.uint64(16)) & np.uint64(0xFFFF)]
    if threshold is None:
        offset = (np.uint64(x) - ((node >> np.uint64(8)) & np.uint64(0xFF))) & np.uint64(0xFF)
        right = offset < (node & np.uint64(0xFF))
    else:
        window_end = (node & np.uint64(0xFF)) + ((node >> np.uint64(8)) & np.uint64(0xFF))
        missing_right = window_end == np.uint64(256)
        right = (x > threshold[k]) | ((x != x) & missing_right)
    return (node >> np.uint64(32)) + np.uint64(right)


@njit(cache=True, nogil=True)
def _predict_paired_rows(r0, r1, X, nodes, threshold, value, out):
    # Eight rows walk the tree side by side: each step of a walk waits for the node its
    # last comparison chose, and branch-free steps of independent walks let the CPU wait
    # for eight such loads at once (branches would be mispredicted half the time; eight
    # walks predicted a deep forest faster than four). Refilling a walk that reached its
    # leaf with the next row, rather than waiting for the deepest of the eight, was slower:
    # that test is a branch mispredicted once a walk.
    n_values = value.shape[1]
    one = np.uint64(1)
    end = np.uint64(r1)
    i = np.uint64(r0)
    while i + np.uint64(8) <= end:
        k0 = k1 = k2 = k3 = k4 = k5 = k6 = k7 = np.uint64(0)
        while True:
            n0 = _paired_step(X, i, k0, nodes, threshold)
            n1 = _paired_step(X, i + one, k1, nodes, threshold)
            n2 = _paired_step(X, i + np.uint64(2), k2, nodes, threshold)
            n3 = _paired_step(X, i + np.uint64(3), k3, nodes, threshold)
            n4 = _paired_step(X, i + np.uint64(4), k4, nodes, threshold)
            n5 = _paired_step(X, i + np.uint64(5), k5, nodes, threshold)
            n6 = _paired_step(X, i + np.uint64(6), k6, nodes, threshold)
            n7 = _paired_step(X, i + np.uint64(7), k7, nodes, threshold)
            # One test for all eight walks (a leaf steps to itself).
            if ((n0 ^ k0) | (n1 ^ k1) | (n2 ^ k2) | (n3 ^ k3) | (n4 ^ k4) | (n5 ^ k5)
                    | (n6 ^ k6) | (n7 ^ k7)) == 0:
                break
            k0, k1, k2, k3, k4, k5, k6, k7 = n0, n1, n2, n3, n4, n5, n6, n7
        for v in range(n_values):
            out[i, v] += value[k0, v]
            out[i + one, v] += value[k1, v]
            out[i + np.uint64(2), v] += value[k2, v]
            out[i + np.uint64(3), v] += value[k3, v]
            out[i + np.uint64(4), v] += value[k4, v]
            out[i + np.uint64(5), v] += value[k5, v]
            out[i + np.uint64(6), v] += value[k6, v]
            out[i + np.uint64(7), v] += value[k7, v]
        i += np.uint64(8)
    while i < end:
        k = np.uint64(0)
        while True:
            step = _paired_step(X, i, k, nodes, threshold)
            if step == k:
                break
            k = step
        for v in range(n_values):
            out[i, v] += value[k, v]
        i += one


def _walk_paired(r0, r1, X, routings, out):
    for nodes, threshold, value in routings:
        _predict_paired_rows(r0, r1, X, nodes, threshold, value, out)


def predict_paired(X, routings, out):
    """Add the leaf values of trees whose children are numbered in pairs to ``out``
    (n_samples, n_values); ``routings`` holds each tree's ``(nodes, threshold, value)``
    from :func:`pair_routing`, with ``threshold`` None when ``X`` is the rows' bin codes
    (uint8, 255 for missing values). Each thread takes its rows through the trees in
    order."""
    run_parallel(_walk_paired, X.shape[0], X, routings, out, min_items=_MIN_ROWS_PER_THREAD)


@njit(cache=True, nogil=True, inline="always")
def _compact_leaf(X, i, feature, split_bin, left, default_left, edges):
    """The leaf row ``i`` reaches in a compact tree, walking its arrays themselves (the
    thresholds looked up in ``edges``)."""
    k = np.int64(0)
    while left[k] != -1:
        f = feature[k]
        x = X[i, f]
        go_right = x > edges[f, split_bin[k]] or (x != x and not default_left[k])
        k = np.int64(left[k]) + np.int64(go_right)
    return k


# A compact tree's leaf ranks are counted from every LEAF_BLOCK-th node (see
# leaf_blocks): a leaf's rank then reads at most this many entries of ``left``.
LEAF_BLOCK = 64


def leaf_blocks(left):
    """The number of leaves before every :data:`LEAF_BLOCK`-th node of a tree (int32,
    one entry per block and one past the end)."""
    leaves = np.concatenate([[0], np.cumsum(left == -1)])
    return leaves[::LEAF_BLOCK].astype(np.int32)


@intrinsic
def _array_at(typingctx, address, length, dtype):
    """The 1-d array of ``length`` items of ``dtype`` (a numpy scalar type) whose data
    starts at ``address``: an array that :func:`compact_table` found there, which its
    caller keeps alive (the array made here owns nothing)."""
    from numba.core import types

    item = dtype.instance_type
    array_type = types.Array(item, 1, "C")

    def codegen(context, builder, signature, args):
        from numba.core import cgutils
        from numba.np.arrayobj import make_array, populate_array

        array = make_array(array_type)(context, builder)
        itemsize = context.get_constant(
            types.intp, context.get_abi_sizeof(context.get_data_type(item)))
        n = context.cast(builder, args[1], signature.args[1], types.intp)
        populate_array(array, data=builder.inttoptr(args[0], array.data.type),
                       shape=cgutils.pack_array(builder, [n]),
                       strides=cgutils.pack_array(builder, [itemsize]), itemsize=itemsize,
                       meminfo=None)
        return array._getvalue()

    return array_type(address, length, dtype), codegen


# The columns of compact_table: where each of a tree's arrays starts, then its numbers of
# nodes, leaves and leaf blocks.
_COMPACT_FIELDS = (("feature", np.int32), ("split_bin", np.uint8), ("left", np.int32),
                   ("default_left", np.bool_), ("leaf_value", np.float64),
                   ("blocks", np.int32))
_N_NODES, _N_LEAVES, _N_BLOCKS = 6, 7, 8


def compact_table(trees):
    """The table of :func:`predict_compact` for trees stored compactly, each given as a
    dict of its arrays (``feature``, ``split_bin``, ``left``, ``default_left``,
    ``leaf_value`` of shape (n_leaves, n_values) and its :func:`leaf_blocks`
    ``blocks``): returns it and the arrays it points to, which must outlive its use (an
    array not of the dtype and layout the kernel reads is a converted copy)."""
    table = np.empty((len(trees), 9), dtype=np.int64)
    kept = []
    for t, tree in enumerate(trees):
        for j, (name, dtype) in enumerate(_COMPACT_FIELDS):
            array = np.ascontiguousarray(tree[name], dtype=dtype)
            kept.append(array)
            table[t, j] = array.ctypes.data
        table[t, _N_NODES] = len(tree["left"])
        table[t, _N_LEAVES] = len(tree["leaf_value"])
        table[t, _N_BLOCKS] = len(tree["blocks"])
    return table, kept


@njit(cache=True, nogil=True, inline="always")
def _walked_arrays(table, t):
    """Tree ``t``'s arrays of :func:`_compact_leaf` (``feature``, ``split_bin``,
    ``left``, ``default_left``), viewed at the addresses ``table`` holds."""
    n_nodes = table[t, _N_NODES]
    return (_array_at(table[t, 0], n_nodes, np.int32),
            _array_at(table[t, 1], n_nodes, np.uint8),
            _array_at(table[t, 2], n_nodes, np.int32),
            _array_at(table[t, 3], n_nodes, np.bool_))


@njit(cache=True, nogil=True)
def _predict_compact_rows(r0, r1, X, edges, table, out):
    block = np.uint64(LEAF_BLOCK)
    n_values = out.shape[1]
    for t in range(table.shape[0]):
        feature, split_bin, left, default_left = _walked_arrays(table, t)
        leaf_value = _array_at(table[t, 4], table[t, _N_LEAVES] * n_values, np.float64)
        blocks = _array_at(table[t, 5], table[t, _N_BLOCKS], np.int32)
        for i in range(r0, r1):
            k = np.uint64(_compact_leaf(X, i, feature, split_bin, left, default_left, edges))
            # The leaf's value is the one at its rank among the leaves in node order.
            first = k // block
            rank = np.int64(blocks[first])
            for j in range(first * block, k):
                rank += left[j] == -1
            for v in range(n_values):
                out[i, v] += leaf_value[rank * n_values + v]


def predict_compact(X, edges, table, out):
    """Add the leaf values of trees stored compactly (see :func:`expand_compact`) to
    ``out`` (n_samples, n_values), without the routing arrays of :func:`predict_paired`:
    for a few rows, building those for every node costs far more than the walks. The
    trees are the rows of ``table`` (see :func:`compact_table`), whose thresholds are
    bins of ``edges``; a leaf's value is found by its rank among its tree's leaves,
    counted from its ``blocks`` (:func:`leaf_blocks`). One call walks every tree, since
    a call per tree costs more than a tree's walks of a few rows; each thread takes its
    rows through the trees in order, a tree at a time, so that a row adds the trees'
    values in order."""
    run_parallel(_predict_compact_rows, X.shape[0], X, edges, table, out,
                 min_items=_rows_per_thread(table.shape[0]))


@njit(cache=True, nogil=True)
def _apply_compact_rows(r0, r1, X, edges, table, out):
    for t in range(table.shape[0]):
        feature, split_bin, left, default_left = _walked_arrays(table, t)
        for i in range(r0, r1):
            out[i, t] = _compact_leaf(X, i, feature, split_bin, left, default_left, edges)


def apply_compact(X, edges, table):
    """The leaf id each row of ``X`` reaches in each tree of ``table`` (see
    :func:`compact_table`; int32, shape (n_samples, n_trees)), walking the compact arrays
    themselves (see :func:`predict_compact`)."""
    out = np.empty((X.shape[0], table.shape[0]), dtype=np.int32)
    run_parallel(_apply_compact_rows, X.shape[0], X, edges, table, out,
                 min_items=_rows_per_thread(table.shape[0]))
    return out


@njit(cache=True, nogil=True)
def fill_internal_values(left, right, cover, value):
    """Set each internal node's value to the cover-weighted mean of its children's (the
    value of the node's training rows, up to rounding), from the leaves up."""
    for node in range(left.shape[0] - 1, -1, -1):  # children have larger ids than parents
        lo = left[node]
        if lo == -1:
            continue
        hi = right[node]
        for k in range(value.shape[1]):
            total = cover[lo] * value[lo, k] + cover[hi] * value[hi, k]
            value[node, k] = total / cover[node] if cover[node] > 0.0 else 0.0


@njit(cache=True, nogil=True)
def sum_subtrees(left, right, samples, total):
    """Add each internal node's children's entries of ``samples`` and ``total`` to its own,
    from the leaves up: an internal node's entry becomes its own plus its subtree's."""
    for node in range(left.shape[0] - 1, -1, -1):  # children have larger ids than parents
        lo = left[node]
        if lo != -1:
            samples[node] += samples[lo] + samples[right[node]]
            total[node] += total[lo] + total[right[node]]


_PACKED_DTYPES = {"feature": np.int32, "threshold": np.float64, "default_left": np.bool_,
                  "left": np.int32, "right": np.int32}


def pack_trees(trees, outputs):
    """Concatenate trees into the arrays :func:`predict_raw` takes.

    Child pointers stay relative to their tree; ``offsets[t]`` is tree ``t``'s root and
    ``outputs[t]`` the first output column tree ``t`` writes to.
    """
    offsets = np.zeros(len(trees) + 1, dtype=np.int64)
    np.cumsum([t.n_nodes for t in trees], out=offsets[1:])
    packed = {name: np.concatenate([getattr(t, name) for t in trees]) if trees
              else np.empty(0, dtype=dtype) for name, dtype in _PACKED_DTYPES.items()}
    n_values = trees[0].value.shape[1] if trees else 1
    packed["value"] = (np.concatenate([t.value for t in trees]) if trees
                       else np.empty((0, n_values)))
    packed["offsets"] = offsets
    packed["outputs"] = np.asarray(outputs, dtype=np.int64)
    # Categorical splits: bitset starts made absolute into the concatenated words.
    # (One test over all trees: a test per tree costs more than the concatenations.)
    cat_start = [t.cat_start for t in trees if getattr(t, "cat_start", None) is not None]
    packed["categorical"] = bool(cat_start) and np.concatenate(cat_start).max() >= 0
    if packed["categorical"]:
        word0 = np.cumsum([0] + [t.cat_bits.size for t in trees])
        packed["cat_start"] = np.concatenate(
            [np.where(t.cat_start >= 0, t.cat_start + w, -1)
             for t, w in zip(trees, word0, strict=False)]
        ).astype(np.int64)
        packed["cat_bits"] = np.concatenate([t.cat_bits for t in trees]).astype(np.uint32)
    return packed


@njit(cache=True, nogil=True, inline="always")
def _find_leaf(X, i, base, feature, threshold, default_left, left, right):
    """Leaf (absolute node id) that row ``i`` of ``X`` reaches in the tree rooted at ``base``.

    Takes the matrix and a row number rather than a row view (creating views in the hot
    loop costs reference-count updates that threads contend on), and indexes with unsigned
    integers, which spares numba's negative-index wraparound on every access (about a
    third of the time of this loop).
    """
    k = np.uint64(base)
    while left[k] != -1:
        x = X[i, np.uint64(feature[k])]
        t = threshold[k]
        # NaN (neither comparison holds) takes the rare third branch, so the default
        # direction is only read for missing values.
        if x > t:
            k = np.uint64(base) + np.uint64(right[k])
        elif x <= t or default_left[k]:
            k = np.uint64(base) + np.uint64(left[k])
        else:
            k = np.uint64(base) + np.uint64(right[k])
    return k


@njit(cache=True, nogil=True, inline="always")
def _find_leaf_cat(X, i, base, feature, threshold, default_left, left, right, cat_start,
                   cat_bits):
    """:func:`_find_leaf` for trees with categorical splits (see the module notes)."""
    k = np.uint64(base)
    while left[k] != -1:
        x = X[i, np.uint64(feature[k])]
        c = cat_start[k]
        if x != x:
            go_left = default_left[k]
        elif c >= 0:
            code = np.uint64(x)
            go_left = (cat_bits[np.uint64(c) + (code >> np.uint64(5))]
                       >> np.uint32(code & np.uint64(31))) & np.uint32(1) != 0
        else:
            go_left = x <= threshold[k]
        k = np.uint64(base) + np.uint64(left[k] if go_left else right[k])
    return k


# Fewer rows than this per thread are not worth a thread.
_MIN_ROWS_PER_THREAD = 2048

# For kernels over many trees, less work than this many (row, tree) pairs per thread (a
# few hundred microseconds) is not worth a thread, nor fewer rows than the next.
_MIN_ROW_TREES_PER_THREAD = 32768
_FEWEST_ROWS_PER_THREAD = 64


def _rows_per_thread(n_trees):
    """The fewest rows worth a thread of their own for a kernel over ``n_trees`` trees:
    a large model is worth two threads on a few hundred rows."""
    return max(_FEWEST_ROWS_PER_THREAD, _MIN_ROW_TREES_PER_THREAD // max(1, n_trees))


@njit(cache=True, nogil=True)
def _predict_rows_cat(r0, r1, X, feature, threshold, default_left, left, right, value,
                      offsets, outputs, start, stop, cat_start, cat_bits, out):
    n_values = value.shape[1]
    for i in range(r0, r1):
        for t in range(start, stop):
            leaf = _find_leaf_cat(X, i, offsets[t], feature, threshold, default_left, left,
                                  right, cat_start, cat_bits)
            col = outputs[t]
            for v in range(n_values):
                out[i, col + v] += value[leaf, v]


@njit(cache=True, nogil=True)
def _apply_rows_cat(r0, r1, X, feature, threshold, default_left, left, right, offsets, start,
                    stop, cat_start, cat_bits, out):
    for i in range(r0, r1):
        for t in range(start, stop):
            out[i, t - start] = _find_leaf_cat(X, i, offsets[t], feature, threshold,
                                               default_left, left, right, cat_start,
                                               cat_bits) - offsets[t]


def predict_raw_cat(X, feature, threshold, default_left, left, right, value, offsets,
                    outputs, start, stop, cat_start, cat_bits, out):
    """:func:`predict_raw` for trees with categorical splits (``cat_start`` as int64,
    absolute into ``cat_bits``)."""
    run_parallel(_predict_rows_cat, X.shape[0], X, feature, threshold, default_left, left,
                 right, value, offsets, outputs, start, stop, cat_start, cat_bits, out,
                 min_items=_rows_per_thread(stop - start))


def apply_trees_cat(X, feature, threshold, default_left, left, right, offsets, start, stop,
                    cat_start, cat_bits):
    """:func:`apply_trees` for trees with categorical splits."""
    out = np.empty((X.shape[0], stop - start), dtype=np.int32)
    run_parallel(_apply_rows_cat, X.shape[0], X, feature, threshold, default_left, left,
                 right, offsets, start, stop, cat_start, cat_bits, out,
                 min_items=_rows_per_thread(stop - start))
    return out


def predict_packed(X, packed, start, stop, out):
    """Add the leaf values of trees ``start:stop`` of :func:`pack_trees`' arrays to
    ``out``, through the categorical kernel when the trees have categorical splits."""
    p = packed
    if p.get("categorical"):
        predict_raw_cat(X, p["feature"], p["threshold"], p["default_left"], p["left"],
                        p["right"], p["value"], p["offsets"], p["outputs"], start, stop,
                        p["cat_start"], p["cat_bits"], out)
    else:
        predict_raw(X, p["feature"], p["threshold"], p["default_left"], p["left"],
                    p["right"], p["value"], p["offsets"], p["outputs"], start, stop, out)


def apply_packed(X, packed, start, stop):
    """:func:`apply_trees` on :func:`pack_trees`' arrays, categorical splits included."""
    p = packed
    if not p.get("categorical"):
        return apply_trees(X, p["feature"], p["threshold"], p["default_left"], p["left"],
                           p["right"], p["offsets"], start, stop)
    return apply_trees_cat(X, p["feature"], p["threshold"], p["default_left"], p["left"],
                           p["right"], p["offsets"], start, stop, p["cat_start"],
                           p["cat_bits"])


@njit(cache=True, nogil=True)
def _predict_rows(r0, r1, X, feature, threshold, default_left, left, right, value, offsets,
                  outputs, start, stop, out):
    n_values = value.shape[1]
    for i in range(r0, r1):
        for t in range(start, stop):
            leaf = _find_leaf(X, i, offsets[t], feature, threshold, default_left, left, right)
            col = outputs[t]
            for v in range(n_values):
                out[i, col + v] += value[leaf, v]


def predict_raw(X, feature, threshold, default_left, left, right, value, offsets, outputs,
                start, stop, out):
    """Add the leaf values of trees ``start:stop`` to ``out`` (n_samples, n_outputs)."""
    run_parallel(_predict_rows, X.shape[0], X, feature, threshold, default_left, left, right,
                 value, offsets, outputs, start, stop, out,
                 min_items=_rows_per_thread(stop - start))


@njit(cache=True, nogil=True)
def _apply_rows(r0, r1, X, feature, threshold, default_left, left, right, offsets, start,
                stop, out):
    for i in range(r0, r1):
        for t in range(start, stop):
            out[i, t - start] = _find_leaf(X, i, offsets[t], feature, threshold,
                                           default_left, left, right) - offsets[t]


def apply_trees(X, feature, threshold, default_left, left, right, offsets, start, stop):
    """Leaf id reached in each tree ``start:stop`` by each row: (n_samples, stop - start)."""
    out = np.empty((X.shape[0], stop - start), dtype=np.int32)
    run_parallel(_apply_rows, X.shape[0], X, feature, threshold, default_left, left, right,
                 offsets, start, stop, out, min_items=_rows_per_thread(stop - start))
    return out


@njit(cache=True, nogil=True)
def _predict_binned_rows(r0, r1, X_binned, n_bins, feature, split_bin, default_left, left,
                         right, value, scale, out, col):
    n_values = value.shape[1]
    for i in range(r0, r1):
        node = 0
        while left[node] != -1:
            f = feature[node]
            b = X_binned[i, f]
            if b >= n_bins[f]:  # a missing value (see binning)
                go_left = default_left[node]
            else:
                go_left = b <= split_bin[node]
            node = left[node] if go_left else right[node]
        for v in range(n_values):
            out[i, col + v] += scale * value[node, v]


@njit(cache=True, nogil=True)
def _predict_binned_rows_cat(r0, r1, X_binned, n_bins, feature, split_bin, default_left,
                             left, right, value, scale, cat_start, cat_bits, out, col):
    n_values = value.shape[1]
    for i in range(r0, r1):
        node = 0
        while left[node] != -1:
            f = feature[node]
            b = X_binned[i, f]
            if b >= n_bins[f]:
                go_left = default_left[node]
            elif cat_start[node] >= 0:
                go_left = (cat_bits[cat_start[node] + (b >> 5)] >> (b & 31)) & 1 != 0
            else:
                go_left = b <= split_bin[node]
            node = left[node] if go_left else right[node]
        for v in range(n_values):
            out[i, col + v] += scale * value[node, v]


def predict_binned_tree(X_binned, n_bins, tree, scale, out, col):
    """Add ``tree``'s leaf values (times ``scale``) to ``out[:, col:]`` routing binned
    rows, categorical splits included."""
    if not tree.has_categorical:
        predict_binned_add(X_binned, n_bins, tree.feature, tree.split_bin, tree.default_left,
                           tree.left, tree.right, tree.value, scale, out, col)
        return
    run_parallel(_predict_binned_rows_cat, X_binned.shape[0], X_binned, n_bins, tree.feature,
                 tree.split_bin, tree.default_left, tree.left, tree.right, tree.value, scale,
                 tree.cat_start, tree.cat_bits, out, col, min_items=_MIN_ROWS_PER_THREAD)


def predict_binned_add(X_binned, n_bins, feature, split_bin, default_left, left, right, value,
                       scale, out, col):
    """Add one tree's leaf values (times ``scale``) to ``out[:, col:]`` routing binned rows
    (codes from ``n_bins[f]`` up are missing values)."""
    run_parallel(_predict_binned_rows, X_binned.shape[0], X_binned, n_bins, feature, split_bin,
                 default_left, left, right, value, scale, out, col,
                 min_items=_MIN_ROWS_PER_THREAD)


# Deepest trees predicted through the complete layout below (2**10 leaves per tree).
MAX_COMPLETE_DEPTH = 10


@njit(cache=True, nogil=True)
def _fill_complete(feature, threshold, default_left, left, right, value, offsets, depth,
                   nodes, leaves):
    n_internal = 2 ** depth - 1
    stack = np.empty((2 ** (depth + 1), 3), dtype=np.int64)
    for t in range(offsets.shape[0] - 1):
        base = offsets[t]
        stack[0, 0], stack[0, 1], stack[0, 2] = 0, 0, 0
        top = 1
        while top > 0:
            top -= 1
            node, pos, d = stack[top, 0], stack[top, 1], stack[top, 2]
            k = base + node
            if d == depth:
                leaves[t, pos - n_internal] = value[k, 0]
                continue
            if left[k] == -1:
                # A leaf above the full depth: a split that sends every row left
                # (x <= +inf; NaN follows the default, left), its value copied below.
                nodes[t, pos, 0] = np.inf
                nodes[t, pos, 1] = 1.0
                children = (node, node)
            else:
                nodes[t, pos, 0] = threshold[k]
                nodes[t, pos, 1] = 2.0 * feature[k] + (1.0 if default_left[k] else 0.0)
                children = (left[k], right[k])
            stack[top, 0], stack[top, 1], stack[top, 2] = children[1], 2 * pos + 2, d + 1
            stack[top + 1, 0], stack[top + 1, 1], stack[top + 1, 2] = (
                children[0], 2 * pos + 1, d + 1)
            top += 2


def complete_layout(packed, depth):
    """Trees as complete binary trees of ``depth`` levels, for branch-light prediction.

    Node ``i`` has children ``2i + 1`` and ``2i + 2``; each node is one cache-friendly pair
    ``(threshold, 2 * feature + default_left)``. Leaves above the full depth are padded
    with splits that send every row left. Only single-value trees (boosting) are laid out.

    Returns
    -------
    nodes : ndarray of shape (n_trees, 2**depth - 1, 2)
    leaves : ndarray of shape (n_trees, 2**depth)
    """
    n_trees = packed["offsets"].shape[0] - 1
    nodes = np.zeros((n_trees, 2 ** depth - 1, 2))
    leaves = np.zeros((n_trees, 2 ** depth))
    _fill_complete(packed["feature"], packed["threshold"], packed["default_left"],
                   packed["left"], packed["right"], packed["value"], packed["offsets"], depth,
                   nodes, leaves)
    return nodes, leaves


@njit(cache=True, nogil=True, inline="always")
def _complete_step(X, i, t, k, nodes):
    """The node after ``k`` on row ``i``'s walk down complete tree ``t``: ``2k + 1``,
    plus one to the right. The feature code goes through int64: a float converts to a
    signed integer in one instruction, to an unsigned one in several, on every level's
    path."""
    code = np.uint64(np.int64(nodes[t, k, 1]))
    x = X[i, code >> np.uint64(1)]
    th = nodes[t, k, 0]
    # ``x > th`` is False for NaN (left); ``not x <= th`` is True (right).
    go_right = (x > th) if code & np.uint64(1) else not (x <= th)
    return np.uint64(2) * k + np.uint64(1) + np.uint64(go_right)


@njit(cache=True, nogil=True)
def _predict_complete_rows(r0, r1, X, nodes, leaves, outputs, start, stop, depth, out):
    # Eight rows go down a tree side by side, level by level: their walks are
    # independent, so the CPU overlaps their loads, the eight nodes stay in registers,
    # and a fixed number of levels means no data-dependent loop exit.
    n_internal = np.uint64(2 ** depth - 1)
    one = np.uint64(1)
    i = np.uint64(r0)
    end = np.uint64(r1)
    while i + np.uint64(8) <= end:
        for t in range(start, stop):
            k0 = k1 = k2 = k3 = k4 = k5 = k6 = k7 = np.uint64(0)
            for _ in range(depth):
                k0 = _complete_step(X, i, t, k0, nodes)
                k1 = _complete_step(X, i + one, t, k1, nodes)
                k2 = _complete_step(X, i + np.uint64(2), t, k2, nodes)
                k3 = _complete_step(X, i + np.uint64(3), t, k3, nodes)
                k4 = _complete_step(X, i + np.uint64(4), t, k4, nodes)
                k5 = _complete_step(X, i + np.uint64(5), t, k5, nodes)
                k6 = _complete_step(X, i + np.uint64(6), t, k6, nodes)
                k7 = _complete_step(X, i + np.uint64(7), t, k7, nodes)
            col = outputs[t]
            out[i, col] += leaves[t, k0 - n_internal]
            out[i + one, col] += leaves[t, k1 - n_internal]
            out[i + np.uint64(2), col] += leaves[t, k2 - n_internal]
            out[i + np.uint64(3), col] += leaves[t, k3 - n_internal]
            out[i + np.uint64(4), col] += leaves[t, k4 - n_internal]
            out[i + np.uint64(5), col] += leaves[t, k5 - n_internal]
            out[i + np.uint64(6), col] += leaves[t, k6 - n_internal]
            out[i + np.uint64(7), col] += leaves[t, k7 - n_internal]
        i += np.uint64(8)
    while i < end:  # the last rows, fewer than eight, one at a time
        for t in range(start, stop):
            k = np.uint64(0)
            for _ in range(depth):
                k = _complete_step(X, i, t, k, nodes)
            out[i, outputs[t]] += leaves[t, k - n_internal]
        i += one


def predict_complete(X, nodes, leaves, outputs, start, stop, out):
    """Add trees ``start:stop`` of a :func:`complete_layout` to ``out`` (n_samples, n_out)."""
    depth = int(np.log2(leaves.shape[1]))
    run_parallel(_predict_complete_rows, X.shape[0], X, nodes, leaves, outputs, start, stop,
                 depth, out, min_items=_rows_per_thread(stop - start))
