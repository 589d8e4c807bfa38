"""What single decision trees and forests share: validation, targets, growth, persistence.

:mod:`ensembles.tree` and :mod:`ensembles.forest` grow every tree with one numba kernel,
:func:`ensembles._engine.forest.grow_forest_nodes`, on binned features. A fitted tree
routes rows by raw-value thresholds (derived from the bin edges, see :class:`FittedTree`),
so prediction runs on the raw features and never re-bins.

Classification trees are grown on the class of each row (Gini or entropy over all classes
at once) and hold class frequencies in their leaves; regression trees hold output means.
Either way a prediction is the (average over trees of the) leaf vector a row reaches.
"""

import dataclasses
import math
import operator
import threading
import weakref
from numbers import Integral, Real

import numpy as np
from scipy.sparse import csr_matrix, issparse
from sklearn.base import BaseEstimator
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.validation import check_is_fitted, validate_data

from ._categorical import fit_encode, transform_encode
from ._compat import Interval, RealNotInt, StrOptions, _check_sample_weight
from ._engine import sparse as _sparse
from ._engine.binning import MISSING_BIN, BinMapper
from ._engine.explain import TreeExplainer
from ._engine.forest import (
    ForestTreeParams,
    bin_values,
    cost_complexity_prune,
    grow_forest_nodes,
)
from ._engine.sparse_forest import SparseColumns, sparse_columns
from ._engine.sparse_forest import bin_values as sparse_bin_values
from ._engine.tree import (
    ROUTED_FEATURES,
    Tree,
    apply_compact,
    apply_trees,
    apply_trees_cat,
    compact_grown,
    compact_table,
    expand_compact,
    fill_internal_values,
    leaf_blocks,
    pair_routing,
    predict_compact,
    predict_paired,
    predict_raw,
    predict_raw_cat,
    sum_subtrees,
)
from ._fitstate import loads_aside, reads_snapshot
from ._model_io import params_to_json, read_trees_document, write_document
from ._threads import current_threads, run_items, threads
from ._validation import check_class_labels, passes_as_is

MODEL_FORMAT = "ensembles.trees"
# Version 2 added categorical features (a "categories" field, category bitsets in trees),
# version 3 each node's rows and impurity (``n_node_samples``, ``impurity``); files of
# earlier versions still load (their trees without those two).
MODEL_FORMAT_VERSION = 3
# A compact tree predicts fewer rows than _MIN_ROUTED_ROWS, or than its nodes over
# _ROWS_PER_ROUTING, by walking its arrays directly; more rows pay for building its
# routing arrays first (see add_values and _walks_compact).
_MIN_ROUTED_ROWS = 1024
_ROWS_PER_ROUTING = 32
# The trees routed at once (see _add_tree_values) are as many as take _BATCH_BYTES of
# routing arrays, and at least one per thread as long as theirs take at most _GROUP_BYTES
# together (one tree's always may).
_GROUP_BYTES = 64 << 20
_BATCH_BYTES = 4 << 20
# Routed trees walk the rows' bin codes from this many on (see _bin_codes).
_MIN_TREES_ON_CODES = 4
READABLE_VERSIONS = (1, 2, 3)
# A categorical feature keeps at most this many categories (the most frequent): the
# forest kernels read byte codes, of which 255 marks missing values.
MAX_CATEGORIES = MISSING_BIN
# Rows kept by the binning's quantile sketch; more rows barely move quantile edges.
_BINNING_SUBSAMPLE = 200_000
# Seed of that subsample when random_state is None: the bins are not part of the
# randomness a user asks for, so the same data gives the same bins on every fit.
_DEFAULT_BINNING_SEED = 0
# Seeds are drawn below this bound, as scikit-learn does, so they fit any RandomState.
MAX_SEED = np.iinfo(np.int32).max
# predict_raw / apply_trees take the roots and output columns of a pack of trees; a lone
# tree has its root at 0 and writes from column 0.
_LONE_TREE = np.zeros(1, dtype=np.int64)
# scikit-learn's feature and threshold of a leaf (its tree module's TREE_UNDEFINED).
TREE_UNDEFINED = -2


def tree_seeds(random_state):
    """The seeds a tree draws from its ``random_state``: its binning subsample's and its
    growth's. A forest grows each member from the member's own ``random_state`` the same
    way, so that the member, refitted alone on the forest's rows, grows the same tree.
    An integer is both seeds itself: seeding a ``RandomState`` from it would take about
    0.2 ms per member, as long as growing a small tree."""
    if isinstance(random_state, Integral):
        bin_seed = seed = random_state
    else:
        bin_seed, seed = check_random_state(random_state).randint(MAX_SEED, size=2)
    return int(bin_seed), int(seed)


def _packed_routing(trees):
    """The explicit routing arrays of ``trees`` end to end, as the multi-tree prediction
    kernels take them: ``(feature, threshold, default_left, left, right, value, offsets,
    outputs)``, where tree ``t``'s nodes start at ``offsets[t]`` (child ids stay relative
    to their tree) and every tree adds to output column 0."""
    routing = [tree._routing() for tree in trees]
    offsets = np.zeros(len(trees), dtype=np.int64)
    np.cumsum([len(tree.left) for tree in trees[:-1]], out=offsets[1:])
    return (np.concatenate([tree.feature for tree in trees]),
            np.concatenate([threshold for threshold, _, _ in routing]),
            np.concatenate([tree.default_left for tree in trees]),
            np.concatenate([tree.left for tree in trees]),
            np.concatenate([right for _, right, _ in routing]),
            np.concatenate([value for _, _, value in routing]),
            offsets, np.zeros(len(trees), dtype=np.int64))


class FittedTree(Tree):
    """The node arrays of one fitted tree (``tree_`` of the estimators), shaped as
    scikit-learn's ``Tree``.

    Node 0 is the root; an internal node sends a row left when
    ``x[feature] <= threshold`` (NaN goes left iff ``default_left``); leaves have
    ``left == right == -1`` and, as in scikit-learn, ``feature == -2`` and
    ``threshold == -2.0`` (``TREE_UNDEFINED``). ``value`` has scikit-learn's shape
    ``(n_nodes, n_outputs, max_n_classes)``: ``value[node, k]`` is the weighted class
    frequency vector of output ``k`` (classification; zeros pad an output of fewer
    classes) or the weighted mean of output ``k`` (regression, one entry) of the node's
    training rows. ``n_classes`` holds the number of classes of each output (1 for
    regression) and ``n_features`` the number of input features, set by the estimator
    that owns the tree. ``gain`` is the weighted impurity decrease of a split,
    ``cover`` the node's training weight, ``n_node_samples`` its number of training rows
    (whatever their weights) and ``impurity`` its rows' impurity under the criterion.
    scikit-learn's names are aliases.

    A forest holds many deep trees, so a grown tree stores only what it cannot derive:
    given the model's bin ``edges`` (shared by its trees), ``threshold`` is
    ``edges[feature, split_bin]``, ``right`` is ``left + 1`` (the grower numbers children
    in pairs), ``value`` is kept for the leaves only (an internal node's is the
    cover-weighted mean of its children's; with ``internal_values``, for medians, every
    node's is kept) and ``gain`` for the internal nodes only (it is
    0 at leaves), ``n_node_samples`` and ``impurity`` for the leaves only and only where
    the cover does not tell them (an internal node's rows are its children's, and its
    weighted impurity is theirs plus its split's gain; computed so, it equals the
    search's own up to rounding); the full arrays are computed when read. A tree built
    without edges (read from a file) keeps the arrays it was given. ``n_node_samples`` and
    ``impurity`` are None in a tree read from a file of format version 1 or 2, which did
    not store them.

    A split on a categorical feature sends left the category codes of its bitset
    (``cat_start``/``cat_bits``, as in :class:`~ensembles._engine.tree.Tree`; both None
    in a tree without such splits); its threshold reads 0.

    The model file keeps the engine's form (``feature`` -1 and ``threshold`` 0 at
    leaves, ``value`` one vector per node: see :meth:`_file_array`), and the
    estimators' own code reads ``value`` in that form through :meth:`_values`.
    """

    def __init__(self, feature, threshold, split_bin, default_left, left, right, value, gain,
                 cover, edges=None, internal_values=False, cat_start=None, cat_bits=None,
                 n_node_samples=None, impurity=None):
        self._set_nodes(feature, split_bin, default_left, left, cover, cat_start, cat_bits,
                        edges)
        value = np.asarray(value, dtype=np.float64).reshape(len(self.left), -1)
        gain = np.asarray(gain, dtype=np.float64)
        right = np.asarray(right, dtype=np.int32)
        if edges is not None:
            node_stats = None if n_node_samples is None else np.column_stack(
                [np.asarray(n_node_samples, dtype=np.float64),
                 np.asarray(impurity, dtype=np.float64)])
            self._compact(right, value, gain, node_stats, internal_values)
        else:
            self._threshold, self._right, self._value, self._gain = (
                np.asarray(threshold, dtype=np.float64), right, value, gain)
            if n_node_samples is not None:
                self._node_stats = (np.asarray(n_node_samples, dtype=np.int64),
                                    np.asarray(impurity, dtype=np.float64))
        self._set_outputs()

    @classmethod
    def from_grown(cls, nodes, edges, internal_values=False):
        """The compact tree of the node loop's arrays (a
        :class:`~._engine.forest.GrownNodes`, whose views of the kernel's larger arrays
        it copies), its thresholds the bins' ``edges``."""
        tree = cls.__new__(cls)
        tree._set_nodes(nodes.feature, nodes.split_bin, nodes.default_left, nodes.left,
                        nodes.cover, nodes.cat_start, nodes.cat_bits, edges)
        tree._compact(nodes.right, nodes.value, nodes.gain, nodes.node_stats, internal_values)
        tree._set_outputs()
        return tree

    def _set_nodes(self, feature, split_bin, default_left, left, cover, cat_start, cat_bits,
                   edges):
        """Copy the arrays every tree keeps (a leaf's feature as scikit-learn's -2); a
        tree with bin ``edges`` is then compacted (see :meth:`_compact`)."""
        self._edges = edges
        self._node_value = self._leaf_stats = self._node_stats = None
        self.left = np.array(left, dtype=np.int32)
        # A leaf's feature is TREE_UNDEFINED; in arithmetic, as np.where branches on every
        # node, and leaf or not is a coin flip in a deep tree.
        feature = np.asarray(feature, dtype=np.int32)
        self.feature = feature + (self.left == -1) * (np.int32(TREE_UNDEFINED) - feature)
        # Categorical splits (see ensembles._engine.tree): None in a tree without any, so
        # that the many trees of a numeric forest carry no per-node array for them.
        self.cat_start = self.cat_bits = None
        if cat_start is not None and np.any(np.asarray(cat_start) >= 0):
            self.cat_start = np.array(cat_start, dtype=np.int32)
            self.cat_bits = np.array(cat_bits, dtype=np.uint32)
        self.split_bin = np.array(split_bin, dtype=np.uint8)
        self.default_left = np.array(default_left, dtype=np.bool_)
        self.cover = np.array(cover, dtype=np.float64)

    def _compact(self, right, value, gain, node_stats, internal_values):
        """Keep the leaves' values and the splits' gains (and, with ``internal_values``,
        every node's value: medians, under ``criterion="absolute_error"``, are no
        cover-weighted means of the children's). ``node_stats``: each node's rows and
        impurity, or None; a deep forest has about as many leaves as rows, so a leaf keeps
        only what its cover does not tell: its rows unless every weight is 1 (rows ==
        cover), and its impurity unless it has one row (impurity 0)."""
        stats = np.zeros((len(self.left), 2)) if node_stats is None else node_stats
        self._leaf_value, self._split_gain, paired, leaf_rows, leaf_impurity = compact_grown(
            self.left, right, value, gain, self.cover, stats)
        if not paired:
            raise ValueError("a tree stored compactly numbers its children in pairs")
        if internal_values:
            self._node_value = value.copy()
        if node_stats is not None:
            self._leaf_stats = (leaf_rows if leaf_rows.size else None, leaf_impurity)

    def _set_outputs(self):
        # One output of n_values classes (or one regression output), features unknown,
        # until the estimator that owns the tree says otherwise (see _with_outputs).
        self.n_classes = np.array([self.n_values], dtype=np.intp)
        self.n_features = None

    def _is_compact(self):
        return self._edges is not None

    def _leaf_blocks(self):
        """:func:`~._engine.tree.leaf_blocks` of a compact tree, computed on first use."""
        blocks = self.__dict__.get("_blocks")
        if blocks is None:
            blocks = self._blocks = leaf_blocks(self.left)
        return blocks

    def _walk_arrays(self):
        """The arrays of a compact tree that :func:`~._engine.tree.compact_table` reads."""
        return {"feature": self.feature, "split_bin": self.split_bin, "left": self.left,
                "default_left": self.default_left, "leaf_value": self._leaf_value,
                "blocks": self._leaf_blocks()}

    def _routing(self):
        """(threshold, right, value) as explicit arrays; a compact tree computes them, and
        leaves its internal nodes' values at 0, since no row ends in them."""
        if not self._is_compact():
            return self._threshold, self._right, self._value
        n = len(self.left)
        threshold, right, value = (np.empty(n), np.empty(n, dtype=np.int32),
                                   np.zeros((n, self.n_values)))
        expand_compact(self.feature, self.split_bin, self.left, self._edges,
                       self._leaf_value, threshold, right, value)
        if self.cat_start is not None:
            threshold[self.cat_start >= 0] = 0.0  # unused at categorical splits
        return threshold, right, value

    @property
    def threshold(self):
        """Raw-value threshold of each node (-2.0 at leaves, as in scikit-learn)."""
        return np.where(self.left == -1, float(TREE_UNDEFINED), self._routing()[0])

    @property
    def right(self):
        """Right child of each node, -1 at leaves."""
        return _paired_right(self.left) if self._is_compact() else self._right

    @property
    def value(self):
        """Each node's value in scikit-learn's shape ``(n_nodes, n_outputs,
        max_n_classes)`` (see the class description)."""
        values = self._values()
        n_classes = self.n_classes
        if np.all(n_classes == n_classes[0]):
            return values.reshape(len(values), len(n_classes), n_classes[0])
        out = np.zeros((len(values), len(n_classes), n_classes.max()))
        for k, (start, n) in enumerate(zip(np.cumsum(n_classes) - n_classes, n_classes,
                                           strict=True)):
            out[:, k, :n] = values[:, start:start + n]
        return out

    @property
    def n_outputs(self):
        """Number of outputs."""
        return len(self.n_classes)

    @property
    def max_n_classes(self):
        """Largest number of classes of an output (1 for regression)."""
        return int(self.n_classes.max())

    @property
    def capacity(self):
        """Number of nodes the arrays hold (scikit-learn's; here ``node_count``)."""
        return self.n_nodes

    def _with_outputs(self, n_classes, n_features):
        """Set ``n_classes`` (classes per output; 1 per output for regression), whose
        sum is the length of a node's value vector, and ``n_features``, the number of
        input features; returns the tree."""
        n_classes = np.asarray(n_classes, dtype=np.intp).reshape(-1)
        if n_classes.sum() != self.n_values:
            raise ValueError(f"the tree's nodes hold {self.n_values} value(s), not the "
                             f"{n_classes.sum()} of {n_classes.tolist()} classes per output.")
        self.n_classes = n_classes
        self.n_features = int(n_features)
        return self

    def predict(self, X):
        """The ``value`` of the leaf each row of ``X`` reaches, as scikit-learn's
        ``tree_.predict``: shape (n_samples, n_outputs, max_n_classes), or (n_samples,
        max_n_classes) for one output."""
        out = self.value[self.apply(X)]
        return out[:, 0] if self.n_outputs == 1 else out

    def compute_feature_importances(self, normalize=True):
        """Each feature's total weighted impurity decrease over the root's weight
        (scikit-learn's ``tree_.compute_feature_importances``); with ``normalize``,
        scaled to sum to 1 (unless all are 0)."""
        if normalize:
            return self.importances(self.n_features)
        return self._gain_per_feature(self.n_features) / self.cover[0]

    def _file_array(self, name):
        # The model file's form of the node arrays (see the class description).
        if name == "feature":
            return np.where(self.left == -1, -1, self.feature)
        if name == "threshold":
            return self._routing()[0]
        if name == "value":
            return self._values()
        return super()._file_array(name)

    def _values(self):
        """Value vector of each node, shape (n_nodes, n_values): the outputs' class
        frequencies (or means) side by side."""
        if not self._is_compact():
            return self._value
        if self._node_value is not None:
            return self._node_value
        threshold, right, value = self._routing()
        fill_internal_values(self.left, right, self.cover, value)
        return value

    @property
    def gain(self):
        """Weighted impurity decrease of each node's split (0 at leaves)."""
        if not self._is_compact():
            return self._gain
        gain = np.zeros(len(self.left))
        gain[self.left != -1] = self._split_gain
        return gain

    def _stats(self):
        """(n_node_samples, impurity) of every node, or (None, None); a compact tree
        derives both together on first use and keeps them (as ``_node_stats``)."""
        if self._node_stats is None and self._leaf_stats is not None:
            self._node_stats = self._derive_stats()
        return self._node_stats or (None, None)

    def _derive_stats(self):
        """Every node's rows and impurity from the leaves' (see the class description)."""
        leaf_samples, several_impurity = self._leaf_stats
        leaf = self.left == -1
        if leaf_samples is None:
            leaf_samples = self.cover[leaf]
        leaf_impurity = np.zeros(len(leaf_samples))
        leaf_impurity[leaf_samples > 1] = several_impurity
        samples = np.zeros(len(self.left), dtype=np.int64)
        total = np.zeros(len(self.left))  # weighted impurity: cover times impurity
        samples[leaf] = leaf_samples
        total[leaf] = leaf_impurity * self.cover[leaf]
        total[~leaf] = self._split_gain
        sum_subtrees(self.left, self.right, samples, total)
        with np.errstate(divide="ignore", invalid="ignore"):
            impurity = np.where(self.cover > 0, total / self.cover, 0.0)
        impurity[leaf] = leaf_impurity  # as the search had them, not divided back
        return samples, impurity

    @property
    def n_node_samples(self):
        """Number of training rows of each node (None if the file did not store it)."""
        return self._stats()[0]

    @property
    def impurity(self):
        """Impurity of each node's training rows (None if the file did not store it)."""
        return self._stats()[1]

    @property
    def n_values(self):
        """Length of a node's value vector (classes or outputs)."""
        return (self._leaf_value if self._is_compact() else self._value).shape[1]

    @property
    def node_count(self):
        """Number of nodes."""
        return self.n_nodes

    @property
    def max_depth(self):
        """Depth of the deepest leaf (the root alone has depth 0)."""
        return self.depth

    @property
    def children_left(self):
        """Left child of each node, -1 at leaves."""
        return self.left

    @property
    def children_right(self):
        """Right child of each node, -1 at leaves."""
        return self.right

    @property
    def weighted_n_node_samples(self):
        """Training weight of each node."""
        return self.cover

    def _gain_per_feature(self, n_features):
        split = self.left != -1
        return np.bincount(self.feature[split], weights=self.gain[split], minlength=n_features)

    def importances(self, n_features):
        """Impurity decrease per feature, normalized to sum to 1 (zeros for a lone leaf)."""
        out = self._gain_per_feature(n_features)
        total = out.sum()
        return out / total if total > 0 else out

    def _cat_arrays(self):
        """``cat_start`` and ``cat_bits`` as the categorical prediction kernels take them
        (those of the boosting ensembles, so that both share one compiled version)."""
        return self.cat_start.astype(np.int64), self.cat_bits

    def add_values(self, X, out):
        """Add the leaf vector each row of ``X`` reaches to ``out`` (n_samples, n_values).
        ``X`` may be canonical CSR (see ``_engine.sparse``) unless the tree has categorical
        splits (whose codes come from dense input)."""
        if self.cat_start is not None:
            threshold, right, value = self._routing()
            predict_raw_cat(X, self.feature, threshold, self.default_left, self.left, right,
                            value, _LONE_TREE, _LONE_TREE, 0, 1, *self._cat_arrays(), out)
            return
        if _sparse.is_sparse(X):
            threshold, right, value = self._routing()
            _sparse.predict_raw(X, self.feature, threshold, self.default_left, self.left,
                                right, value, _LONE_TREE, _LONE_TREE, 0, 1, out)
            return
        if not self._is_compact():
            predict_raw(X, self.feature, self._threshold, self.default_left, self.left,
                        self._right, self._value, _LONE_TREE, _LONE_TREE, 0, 1, out)
            return
        if self._routes(X):
            predict_paired(X, [self._route(routing_workspace([self], on_codes=False))], out)
            return
        table, _kept = compact_table([self._walk_arrays()])
        predict_compact(X, self._edges, table, out)

    def _routes(self, X):
        """Whether predicting ``X`` builds the tree's routing arrays (:func:`_route`): a
        compact tree without categorical splits, dense ``X``, and enough rows to pay for
        a pass over every node (fewer walk the compact arrays)."""
        return (not _walks_compact(X.shape[0], len(self.left)) and self._is_compact()
                and self.cat_start is None and not _sparse.is_sparse(X)
                and X.shape[1] <= ROUTED_FEATURES)

    def _route(self, workspace):
        """The routing arrays of :func:`~._engine.tree.pair_routing` (nodes, threshold,
        value), filled in the front of ``workspace``'s arrays (no threshold where the
        workspace has none, for a walk on bin codes)."""
        n = len(self.left)
        nodes, threshold, value = (None if array is None else array[:n]
                                   for array in workspace)
        pair_routing(self.feature, self.split_bin, self.left, self.default_left, self._edges,
                     self._leaf_value, nodes, threshold, value)
        return nodes, threshold, value

    def apply(self, X):
        """Leaf id each row of ``X`` reaches."""
        if self._is_compact() and self.cat_start is None and not _sparse.is_sparse(X):
            table, _kept = compact_table([self._walk_arrays()])
            return apply_compact(X, self._edges, table)[:, 0]
        threshold, right, _ = self._routing()
        if self.cat_start is not None:
            return apply_trees_cat(X, self.feature, threshold, self.default_left, self.left,
                                   right, _LONE_TREE, 0, 1, *self._cat_arrays())[:, 0]
        if _sparse.is_sparse(X):
            return _sparse.apply_trees(X, self.feature, threshold, self.default_left,
                                       self.left, right, _LONE_TREE, 0, 1)[:, 0]
        return apply_trees(X, self.feature, threshold, self.default_left, self.left, right,
                           _LONE_TREE, 0, 1)[:, 0]

    def decision_path(self, X):
        """Node indicator matrix: CSR of shape (n_samples, n_nodes), 1 where a row's path
        from the root to its leaf passes through the node (root first in each row)."""
        return path_indicator(self.left, self.right, self.apply(X))


def path_indicator(left, right, leaves):
    """CSR indicator of the nodes on the paths from the root to ``leaves``.

    Each path is read upwards from its leaf through the parent links, one tree level per
    step for all rows at once, and written root first.
    """
    n_nodes = len(left)
    parent = np.full(n_nodes, -1, dtype=np.int64)
    internal = np.flatnonzero(left != -1)
    parent[left[internal]] = internal
    parent[right[internal]] = internal
    depth = np.zeros(n_nodes, dtype=np.int64)
    level = np.zeros(1, dtype=np.int64)
    while level.size:  # one tree level at a time, from the root down
        level = level[left[level] != -1]
        level = np.concatenate([left[level], right[level]]).astype(np.int64)
        depth[level] = depth[parent[level]] + 1
    leaves = np.asarray(leaves, dtype=np.int64)
    indptr = np.zeros(len(leaves) + 1, dtype=np.int64)
    np.cumsum(depth[leaves] + 1, out=indptr[1:])
    indices = np.empty(indptr[-1], dtype=np.int64)
    node = leaves.copy()
    pos = indptr[1:] - 1
    active = np.arange(len(leaves))
    while active.size:
        indices[pos[active]] = node[active]
        pos[active] -= 1
        node[active] = parent[node[active]]
        active = active[node[active] >= 0]
    data = np.ones(len(indices), dtype=np.int64)
    return csr_matrix((data, indices, indptr), shape=(len(leaves), n_nodes))


def routing_workspace(trees, on_codes):
    """Scratch routing arrays (see :func:`~._engine.tree.pair_routing`) that fit any of
    ``trees``, so that predicting with many trees fills the same memory instead of fresh
    pages per tree; no thresholds (None) for a walk ``on_codes``."""
    n = max(len(tree.left) for tree in trees)
    return (np.empty(n, dtype=np.uint64), None if on_codes else np.empty(n),
            np.zeros((n, trees[0].n_values)))


def _add_tree_values(trees, X, out):
    """Add the leaf vector each row of ``X`` reaches in each tree to ``out``.

    Building a compact tree's routing arrays is a serial pass over its nodes, as long as
    a fully grown tree's walks on two threads: so a group of trees is routed at once, the
    threads taking its trees in turn, and the rows then walk them all. The threads meet
    after every group, so a group holds as many trees as ``_BATCH_BYTES`` of routing
    arrays take, and at least one per thread within ``_GROUP_BYTES``. Every row still
    adds its trees' values in tree order, so predictions do not depend on ``n_jobs``.
    Enough trees walk ``X``'s bin codes instead of its values (see :func:`_bin_codes`).
    """
    if (not _sparse.is_sparse(X) and len(trees) > 1
            and _walks_compact(X.shape[0], len(trees[0].left))):
        walk = _compact_walk(trees)
        if walk is not None and _walks_compact(X.shape[0], walk.fewest_nodes):
            predict_compact(X, trees[0]._edges, walk.table, out)
            return
    routes = [tree._routes(X) for tree in trees]
    routed = [tree for tree, route in zip(trees, routes, strict=True) if route]
    if not routed:
        for tree in trees:
            tree.add_values(X, out)
        return
    codes = _bin_codes(routed, X)
    walked = X if codes is None else codes
    workspace = routing_workspace(routed, codes is not None)
    # A group's workspaces stay within a bound (many classes make a workspace large).
    workspace_bytes = sum(array.nbytes for array in workspace if array is not None)
    n_group = min(len(routed), max(1, min(current_threads(), _GROUP_BYTES // workspace_bytes),
                                   _BATCH_BYTES // workspace_bytes))
    workspaces = [workspace] + [routing_workspace(routed, codes is not None)
                                for _ in range(n_group - 1)]
    group = []

    def walk_group():
        routings = run_items(lambda j: group[j]._route(workspaces[j]), len(group),
                             min(current_threads(), len(group)))
        predict_paired(walked, routings, out)
        group.clear()

    for tree, route in zip(trees, routes, strict=True):
        if not route:
            if group:
                walk_group()
            tree.add_values(X, out)
            continue
        group.append(tree)
        if len(group) == n_group:
            walk_group()
    if group:
        walk_group()



def apply_trees_of(trees, X):
    """The leaf id each row of ``X`` reaches in each of ``trees`` (int32, shape (n_samples,
    n_trees)): a forest's compact trees in one call (see :func:`_compact_walk`), others
    one at a time."""
    walk = None if _sparse.is_sparse(X) or len(trees) < 2 else _compact_walk(trees)
    if walk is not None:
        return apply_compact(X, trees[0]._edges, walk.table)
    return np.column_stack([tree.apply(X) for tree in trees])


def _walks_compact(n_rows, n_nodes):
    """Whether a compact tree of ``n_nodes`` nodes predicts ``n_rows`` rows by walking its
    own arrays rather than building routing arrays first. The routing arrays walk faster
    but cost a pass over every node, and a forest's threads meet after each group of
    trees: below about a thousand rows that costs more than walking all trees at once
    (:func:`_compact_walk`), and a large tree needs more rows to pay for its pass."""
    return n_rows < _MIN_ROUTED_ROWS or n_rows * _ROWS_PER_ROUTING < n_nodes


@dataclasses.dataclass
class _CompactWalk:
    """The :func:`~._engine.tree.compact_table` of compact trees (``trees``, weak
    references, in that order), the arrays it points to (``kept``), and the number of
    nodes of the smallest tree."""

    trees: tuple
    table: np.ndarray
    kept: list
    fewest_nodes: int


# Walk tables by their first tree (see _compact_walk); an entry goes with its tree.
_WALKS = weakref.WeakKeyDictionary()
_WALKS_LOCK = threading.Lock()


def _compact_walk(trees):
    """The :class:`_CompactWalk` of a forest's compact ``trees`` (None unless there are
    several, without categorical splits, sharing their bin edges), made on first use
    and again when the forest's trees change (a new list of members).

    A prediction of a few rows walks each tree's own arrays; one kernel call walks them
    all, through the table of where they lie, which spares a call per tree (each cost
    more than the walks). The table points to the trees' arrays, not copies: the
    forest's memory does not grow. It keeps those arrays alive for as long as the first
    tree lives (a table never points to freed memory, even if a tree's arrays were
    replaced), so a first tree kept alone after its forest is gone keeps them too."""
    first = trees[0]
    with _WALKS_LOCK:
        walk = _WALKS.get(first)
        if walk is not None and len(walk.trees) == len(trees) and all(
                map(operator.is_, map(weakref.ref.__call__, walk.trees), trees)):
            return walk
        if len(trees) < 2 or not all(tree._is_compact() and tree.cat_start is None
                                     and tree._edges is first._edges for tree in trees):
            return None
        table, kept = compact_table([tree._walk_arrays() for tree in trees])
        walk = _CompactWalk(tuple(map(weakref.ref, trees)), table, kept,
                            min(len(tree.left) for tree in trees))
        _WALKS[first] = walk
        return walk


def _bin_codes(trees, X):
    """``X``'s bin codes under the bin edges the routed ``trees`` share, or None.

    A walk on the codes routes every row as the thresholds do (a split sends bin ``b`` and
    below left, which are the values up to ``edges[f, b]``), on a matrix an eighth of the
    size of float64 values and with half the routing array, so more of both stay in
    cache. Binning costs a few trees' walks, so fewer than :data:`_MIN_TREES_ON_CODES`
    trees walk the values.
    """
    edges = trees[0]._edges
    if len(trees) < _MIN_TREES_ON_CODES or any(tree._edges is not edges for tree in trees):
        return None
    n_bins = np.isfinite(edges).sum(axis=1) + 1
    if n_bins.max(initial=1) > MISSING_BIN:
        return None  # no byte code left for NaN (trees grown here have fewer bins)
    edges_list = [row[:n - 1] for row, n in zip(edges, n_bins, strict=True)]
    return BinMapper.from_edges(edges_list).transform(X)


def _paired_right(left):
    """Right children numbered in pairs with the left ones: ``left + 1``, -1 at leaves."""
    return np.where(left == -1, -1, left + 1).astype(np.int32)


def grow_tree(X_binned, bin_mapper, Y, weight, params, min_weight_fraction_leaf, seed,
              labels=None, bin_value=None, ccp_alpha=0.0):
    """Grow one tree on the rows of positive ``weight`` (``labels``: class indices, for
    classification; ``bin_value``: the bins' values, for random splits), then prune it
    with ``ccp_alpha`` (from the impurities the search recorded).

    ``min_weight_fraction_leaf`` is turned into an absolute weight of this tree's rows, as
    scikit-learn does with the weights a tree is fitted with.
    """
    rows = np.flatnonzero(weight > 0).astype(np.uint32)
    if labels is not None and labels.ndim > 1:
        labels = None  # several outputs: the kernel sums the one-hot blocks of Y
    if min_weight_fraction_leaf > 0.0 or params.min_weight_leaf != 0.0:
        params = dataclasses.replace(
            params, min_weight_leaf=min_weight_fraction_leaf * weight.sum())
    grown = grow_forest_nodes(X_binned, Y, weight, rows, bin_mapper.n_bins_, params,
                              int(seed), labels, bin_value)
    tree = FittedTree.from_grown(grown, bin_mapper.edges_,
                                 internal_values=params.criterion == "absolute_error")
    if ccp_alpha > 0.0 and tree.n_nodes > 1:
        # The impurities the search recorded, not those a compact tree derives.
        costs = node_costs(grown.node_stats[:, 1], grown.cover)
        pruned = cost_complexity_prune(tree.left, tree.right, costs, float(ccp_alpha))[4]
        tree = pruned_tree(tree, pruned, bin_mapper.edges_)
    return tree


def node_costs(impurity, cover):
    """Each node's weighted impurity (its ``impurity`` times its ``cover``) as a fraction
    of the root's weight: its cost as a leaf in cost-complexity pruning."""
    return impurity * cover / cover[0]


def pruned_tree(tree, pruned, edges):
    """The tree with the ``pruned`` nodes made leaves (their values are their training
    rows' values) and their descendants dropped, renumbered with children in pairs."""
    old_left, old_right = tree.left, tree.right
    value, cover, gain = tree._values(), tree.cover, tree.gain
    n_node_samples, impurity = tree.n_node_samples, tree.impurity
    order = [0]  # new id -> old id
    new_left, new_right = [], []
    i = 0
    while i < len(order):
        node = order[i]
        if old_left[node] != -1 and not pruned[node]:
            new_left.append(len(order))
            new_right.append(len(order) + 1)
            order += [old_left[node], old_right[node]]
        else:
            new_left.append(-1)
            new_right.append(-1)
        i += 1
    order = np.asarray(order)
    leaf = np.asarray(new_left) == -1
    feature = np.where(leaf, -1, tree.feature[order])
    cat_start = cat_bits = None
    if tree.cat_start is not None:
        # The kept categorical splits' bitsets, in the new node order.
        cat_start = np.full(len(order), -1, dtype=np.int32)
        words = []
        n_words = 0
        for new, old in enumerate(order):
            if not leaf[new] and tree.cat_start[old] >= 0:
                bits = _split_words(tree, old)
                cat_start[new] = n_words
                words.append(bits)
                n_words += len(bits)
        cat_bits = np.concatenate(words) if words else np.empty(0, dtype=np.uint32)
    return FittedTree(feature, np.zeros(len(order)), np.where(leaf, 0, tree.split_bin[order]),
                      tree.default_left[order] & ~leaf, new_left, new_right, value[order],
                      np.where(leaf, 0.0, gain[order]), cover[order], edges=edges,
                      internal_values=tree._node_value is not None, cat_start=cat_start,
                      cat_bits=cat_bits, n_node_samples=n_node_samples[order],
                      impurity=impurity[order])


def _split_words(tree, node):
    """The bitset words of categorical split ``node``: up to the next split's first word
    (bitsets are stored in node order) or the end."""
    start = int(tree.cat_start[node])
    later = tree.cat_start[tree.cat_start > start]
    stop = int(later.min()) if later.size else len(tree.cat_bits)
    return tree.cat_bits[start:stop]


class BaseTreeModel(BaseEstimator):
    """Parameters, validation, binning and persistence common to trees and forests.

    Subclasses provide ``_trees()`` (the fitted :class:`FittedTree` list),
    ``_tree_seeds()`` and ``_restore(trees, seeds)``; the target mixins below provide the
    label handling.
    """

    _parameter_constraints = {
        "max_depth": [Interval(Integral, 1, None, closed="left"), None],
        "min_samples_split": [Interval(Integral, 2, None, closed="left"),
                              Interval(RealNotInt, 0.0, 1.0, closed="right")],
        "min_samples_leaf": [Interval(Integral, 1, None, closed="left"),
                             Interval(RealNotInt, 0.0, 1.0, closed="neither")],
        "min_weight_fraction_leaf": [Interval(Real, 0.0, 0.5, closed="both")],
        "max_features": [Interval(Integral, 1, None, closed="left"),
                         Interval(RealNotInt, 0.0, 1.0, closed="right"),
                         StrOptions({"sqrt", "log2"}), None],
        "max_leaf_nodes": [Interval(Integral, 2, None, closed="left"), None],
        "min_impurity_decrease": [Interval(Real, 0.0, None, closed="left")],
        "max_bin": [Interval(Integral, 2, 256, closed="both")],
        "ccp_alpha": [Interval(Real, 0.0, None, closed="left")],
        "random_state": ["random_state"],
        "monotonic_cst": ["array-like", None],
        "categorical_features": [str, list, tuple, np.ndarray, None],
        "max_cat_to_onehot": [Interval(Integral, 1, None, closed="left")],
        "min_data_per_category": [Interval(Integral, 1, None, closed="left")],
        "cat_smooth": [Interval(Real, 0, None, closed="left")],
    }

    # ------------------------------------------------------------------ fitting
    def _validate_training_data(self, X, y, sample_weight):
        """Validated X (C-contiguous, or canonical CSR when sparse), the target matrix,
        the label codes and the row weights.

        The weights are ``sample_weight`` times the class weights (None when both are
        absent), so that the caller sees one weight vector.
        """
        if issparse(y):
            raise TypeError("y must be dense: a sparse matrix was passed; convert it with "
                            "y.toarray().")
        X = self._fit_categories(X, sample_weight)
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32],
                             accept_sparse=["csr", "csc"], ensure_all_finite="allow-nan",
                             **self._y_validation)
        X = _sparse.contiguous(X)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, ensure_non_negative=True)
        Y, codes = self._encode_targets(y)
        class_weight = self._class_weight_vector(y)
        if class_weight is not None:
            sample_weight = class_weight if sample_weight is None else sample_weight * class_weight
        # Summed once, in float64: float32 weights would meet the magnitude limit as
        # float32 (an overflow warning at every fit) and could overflow themselves.
        total_weight = (X.shape[0] if sample_weight is None
                        else float(sample_weight.sum(dtype=np.float64)))
        if not total_weight > 0:
            raise ValueError("sample_weight (times the class weights) must have a positive "
                             "sum; all rows have weight 0.")
        _check_magnitudes(Y if codes is None else None, total_weight)
        return X, Y, codes, sample_weight

    def _fit_categories(self, X, sample_weight):
        """Find the categorical features and their categories (set on this staging copy:
        ``is_categorical_``, ``categories_``); returns ``X`` with them as codes."""
        fitted = None
        if getattr(self, "warm_start", False) and getattr(self, "estimators_", None):
            # New members must read the codes as the kept ones do.
            fitted = (getattr(self, "is_categorical_", None),
                      getattr(self, "categories_", None) or [])
        # getattr: the Dask forests' estimators may predate these parameters.
        mask, categories, X = fit_encode(
            X, getattr(self, "categorical_features", None), sample_weight,
            getattr(self, "min_data_per_category", 1), MAX_CATEGORIES, fitted)
        self.is_categorical_ = mask
        self.categories_ = categories
        return X

    def _n_categories(self):
        """Categories per feature (0 for numeric ones), or None without categorical
        features."""
        categories = getattr(self, "categories_", None)
        if categories is None or all(c is None for c in categories):
            return None
        return [len(c) if c is not None else 0 for c in categories]

    def _growth_params(self, n_samples, n_features, splitter):
        """The kernel's parameters (``min_weight_leaf`` is set per tree); sets max_features_."""
        self.max_features_ = _resolve_max_features(self.max_features, n_features)
        min_samples_leaf = self.min_samples_leaf
        if not isinstance(min_samples_leaf, Integral):
            min_samples_leaf = math.ceil(min_samples_leaf * n_samples)
        min_samples_split = self.min_samples_split
        if not isinstance(min_samples_split, Integral):
            min_samples_split = max(2, math.ceil(min_samples_split * n_samples))
        return ForestTreeParams(
            criterion=self.criterion, splitter=splitter, max_depth=self.max_depth or 0,
            min_samples_split=max(int(min_samples_split), 2 * int(min_samples_leaf)),
            min_samples_leaf=int(min_samples_leaf), min_weight_leaf=0.0,
            max_features=self.max_features_, max_leaf_nodes=self.max_leaf_nodes or 0,
            min_impurity_decrease=float(self.min_impurity_decrease),
            n_outputs=int(self.n_outputs_), monotonic_cst=self._monotonic_cst(n_features),
            n_categories=self._categorical_kernel_input(),
            max_cat_to_onehot=int(getattr(self, "max_cat_to_onehot", 4)),
            cat_smooth=float(getattr(self, "cat_smooth", 10.0)),
        )

    def _categorical_kernel_input(self):
        """:meth:`_n_categories`, after refusing what categorical splits do not support."""
        n_categories = self._n_categories()
        if n_categories is not None and self.criterion == "absolute_error":
            raise ValueError("criterion='absolute_error' does not support categorical "
                             "features (its split search orders the rows of each feature "
                             "by value, which categories lack); use another criterion, or "
                             "categorical_features=None.")
        return n_categories

    def _monotonic_cst(self, n_features):
        """``monotonic_cst`` checked as scikit-learn checks it, as the kernel reads it: on
        channel 0 of the node values, which for a classifier is the first class's
        frequency, so its constraints (on the positive class) are negated."""
        # getattr: subclasses whose __init__ predates the parameter (the Dask forests)
        # have no such attribute and are unconstrained.
        if getattr(self, "monotonic_cst", None) is None:
            return None
        if self.n_outputs_ > 1:
            raise ValueError("monotonic_cst is not supported with multiple outputs (y has "
                             f"{self.n_outputs_} columns); use one output or "
                             "monotonic_cst=None.")
        cst = np.asarray(self.monotonic_cst)
        if cst.ndim != 1 or cst.shape[0] != n_features:
            raise ValueError(f"monotonic_cst has shape {cst.shape} but the input data X has "
                             f"{n_features} features; give one constraint per feature.")
        if not np.all(np.isin(cst, (-1, 0, 1))):
            raise ValueError("monotonic_cst must be None or an array-like of -1, 0 or 1, but "
                             f"got {np.unique(cst)}.")
        cst = cst.astype(np.int8)
        mask = getattr(self, "is_categorical_", None)
        if mask is not None and np.any((cst != 0) & mask):
            raise ValueError("monotonic_cst cannot constrain a categorical feature: its "
                             "categories have no order. Use 0 for the categorical features.")
        if isinstance(self, ClassifierTargets):
            if self.n_classes_ > 2:
                raise ValueError(f"monotonic_cst is not supported with multiclass "
                                 f"classification (y has {self.n_classes_} classes); it "
                                 f"constrains the positive class of a binary classifier.")
            cst = -cst
        return tuple(int(c) for c in cst)

    def _bin(self, X, weight, seed):
        """Fit the bins and bin X; returns (bin_mapper, X_binned)."""
        if self.random_state is None:
            seed = _DEFAULT_BINNING_SEED
        # At most 255 value bins: the forest kernels read uint8 codes, 255 for NaN.
        bin_mapper = BinMapper(min(self.max_bin, MISSING_BIN), _BINNING_SUBSAMPLE, int(seed))
        # Rows of zero weight must not shape the bins, so that a zero weight is the same
        # as leaving the row out.
        bin_mapper.fit(X if weight is None else X[weight > 0], self._n_categories())
        if _sparse.is_sparse(X):
            # Binned column by column, non-zeros only: never a dense code matrix
            # (categorical features need dense X, which the fit checked before).
            columns, entry_code = sparse_columns(bin_mapper, X)
            columns.entry_code = entry_code  # for _bin_values, which drops it
            return bin_mapper, columns
        # Fortran order: the forest kernel reads one feature of many rows at a time.
        return bin_mapper, np.asfortranarray(bin_mapper.transform(X))

    @staticmethod
    def _bin_values(X, X_binned, weight, splitter):
        """The bins' values where random splits draw thresholds between them, else None."""
        if isinstance(X_binned, SparseColumns):
            entry_code = X_binned.__dict__.pop("entry_code", None)
            if splitter != "random":
                return None
            return sparse_bin_values(X, X_binned, entry_code, weight)
        if splitter != "random":
            return None
        return bin_values(X, X_binned, weight)

    def _balanced_per_tree(self):
        """Whether "balanced_subsample" class weights are computed per tree instead."""
        return False

    # ------------------------------------------------------------------ prediction
    def _validate_X_predict(self, X):
        check_is_fitted(self)
        X = transform_encode(X, getattr(self, "is_categorical_", None),
                             getattr(self, "categories_", None))
        if passes_as_is(self, X):
            return X
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32],
                          accept_sparse=["csr", "csc"], ensure_all_finite="allow-nan")
        return _sparse.contiguous(X)

    def _mean_values(self, X):
        """Average over the trees of the leaf vectors the rows of validated X reach."""
        trees = self._trees()
        out = np.zeros((X.shape[0], trees[0].n_values))
        if _sparse.is_sparse(X) and all(tree.cat_start is None for tree in trees):
            # All trees in one walk: each row is written into a dense scratch row once,
            # not once per tree.
            _sparse.predict_raw(X, *_packed_routing(trees), 0, len(trees), out)
        else:
            _add_tree_values(trees, X, out)
        if len(trees) > 1:
            out /= len(trees)
        return out

    # ------------------------------------------------------------------ explanations
    def _shap(self, X, interactions):
        X = self._validate_X_predict(X)
        trees = self._trees()
        scale = 1.0 / len(trees)
        arrays = []
        for tree in trees:
            threshold, right, value = tree._routing()
            cat = () if tree.cat_start is None else (tree.cat_start, tree.cat_bits)
            arrays.append((tree.feature, threshold, tree.default_left, tree.left, right,
                           value * scale, tree.cover) + cat)
        n_values = trees[0].n_values
        explainer = TreeExplainer(arrays, [0] * len(trees), n_values, self._n_categories())
        F = self.n_features_in_
        with threads(getattr(self, "n_jobs", None)):
            if interactions:
                out = _sparse.explain(explainer.interactions, X, len(trees), F)
            else:
                out = _sparse.explain(explainer.contributions, X, len(trees), F)
        if isinstance(self, RegressorTargets) and self.n_outputs_ == 1:
            return out[:, 0]
        return out

    def predict_contribs(self, X):
        """SHAP values of the predictions: exact path-dependent TreeSHAP.

        Each feature's contribution is its Shapley value in the game whose value for a
        feature subset is the model's expected prediction given those features (the
        expectation following each tree's training weights, ``cover``, where a feature is
        unknown); the model averages its trees, and so do the contributions. A row's
        contributions plus the bias (the expected prediction, last column) sum to its
        prediction: the value for a regressor, the class probabilities for a classifier.
        The same method on the boosting estimators explains their raw margins.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            NaN marks a missing value.

        Returns
        -------
        ndarray of shape (n_samples, n_features + 1), or (n_samples, n_outputs,
        n_features + 1) for a classifier (one block per class of ``classes_``) and for a
        regressor of several outputs
        """
        return self._shap(X, interactions=False)

    def predict_interactions(self, X):
        """SHAP interaction values of the predictions.

        Entry ``[f, g]`` (``f != g``) is half the change in feature ``g``'s SHAP value
        between feature ``f`` known and unknown; the diagonal holds the rest of each
        feature's contribution, so row ``[f, :]`` sums to feature ``f``'s contribution of
        :meth:`predict_contribs`. The bias is at ``[-1, -1]``.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_features + 1, n_features + 1), or (n_samples,
        n_outputs, n_features + 1, n_features + 1) as for :meth:`predict_contribs`
        """
        return self._shap(X, interactions=True)

    # ------------------------------------------------------------------ persistence
    @reads_snapshot
    def save_model(self, path=None):
        """Write the fitted model as JSON.

        The file holds the parameters, the labels, every tree's node arrays and seed;
        :meth:`load_model` restores bit-identical predictions. Callable parameters (an
        ``oob_score`` scorer) and ``RandomState`` instances are code or state, not data, and
        are left out; out-of-bag arrays are not stored (``oob_score_`` is).

        Parameters
        ----------
        path : str, os.PathLike, file object or None, default=None
            Where to write: a path, or an open text or binary file. With None the document
            is returned as UTF-8 bytes.

        Returns
        -------
        bytes or None
            The document when ``path`` is None.
        """
        check_is_fitted(self)
        doc = {
            "format": MODEL_FORMAT,
            "version": MODEL_FORMAT_VERSION,
            "estimator": type(self).__name__,
            "params": params_to_json(self.get_params()),
            "n_features_in": int(self.n_features_in_),
            "feature_names_in": (list(map(str, self.feature_names_in_))
                                 if hasattr(self, "feature_names_in_") else None),
            "max_features": int(self.max_features_),
            "n_outputs": int(self.n_outputs_),
            "trees": [tree.to_dict() for tree in self._trees()],
            "random_states": [int(s) for s in self._tree_seeds()],
            "oob_score": (float(self.oob_score_) if hasattr(self, "oob_score_") else None),
            "categories": (list(self.categories_) if self._n_categories() is not None
                           else None),
        }
        doc.update(self._labels_to_dict())
        return write_document(doc, path)

    @loads_aside
    def load_model(self, path):
        """Restore a model written by :meth:`save_model` into this estimator.

        Parameters
        ----------
        path : str, os.PathLike, file object or bytes
            A path, an open text or binary file, or the document itself.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            If the file is not valid JSON, not a tree model of this estimator's kind, of
            an unknown format version, or internally inconsistent. A rejected file leaves
            the estimator untouched.
        """
        doc, params, trees = read_trees_document(path, type(self), MODEL_FORMAT,
                                                  READABLE_VERSIONS)
        # This runs on an unfitted staging copy (see ensembles._fitstate): the estimator
        # itself changes only once everything below has succeeded.
        self.set_params(**params)
        self.n_features_in_ = doc["n_features_in"]
        if doc["feature_names_in"] is not None:
            self.feature_names_in_ = np.asarray(doc["feature_names_in"], dtype=object)
        self.max_features_ = doc["max_features"]
        self.n_outputs_ = doc["n_outputs"]
        categories = doc.get("categories") or [None] * self.n_features_in_
        self.is_categorical_ = np.array([c is not None for c in categories], dtype=np.bool_)
        self.categories_ = list(categories)
        self._labels_from_dict(doc)
        self._restore(trees, doc["random_states"])
        if doc["oob_score"] is not None:
            self.oob_score_ = doc["oob_score"]
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        # Categorical features need dense input; named ones exclude sparse matrices.
        spec = getattr(self, "categorical_features", None)
        tags.input_tags.sparse = spec is None or isinstance(spec, str) and spec == "from_dtype"
        return tags


class ClassifierTargets:
    """Labels of any type, one-hot target matrix, class weights, probabilities.

    Several outputs (a 2-d ``y``) are fitted by one tree per member whose leaves hold every
    output's class frequencies side by side (the Gini index or entropy averaged over the
    outputs, as scikit-learn does); ``classes_`` and ``n_classes_`` are then lists, one
    entry per output, and ``predict_proba`` returns one array per output.
    """

    _y_validation = {"multi_output": True}

    def _encode_targets(self, y):
        check_class_labels(y)
        y = np.asarray(y)
        columns = [y] if y.ndim == 1 else [y[:, k] for k in range(y.shape[1])]
        encoders = [LabelEncoder().fit(column) for column in columns]
        codes = np.column_stack([e.transform(c) for e, c in zip(encoders, columns,
                                                                strict=True)])
        n_classes = [len(e.classes_) for e in encoders]
        Y = np.zeros((len(codes), sum(n_classes)))
        offset = 0
        for k, n in enumerate(n_classes):
            Y[np.arange(len(codes)), offset + codes[:, k]] = 1.0
            offset += n
        self.n_outputs_ = len(columns)
        if self.n_outputs_ == 1:
            self.classes_, self.n_classes_ = encoders[0].classes_, n_classes[0]
            return Y, codes[:, 0]
        self.classes_ = [e.classes_ for e in encoders]
        self.n_classes_ = n_classes
        return Y, codes

    def _blocks(self, values):
        """Split leaf vectors into one (n_samples, n_classes_k) block per output."""
        if self.n_outputs_ == 1:
            return [values]
        bounds = np.cumsum(self.n_classes_)[:-1]
        return np.split(values, bounds, axis=1)

    def _class_weight_vector(self, y):
        class_weight = self.class_weight
        if class_weight is None or self._balanced_per_tree():
            return None
        if isinstance(class_weight, str):
            class_weight = "balanced"  # "balanced_subsample" without bootstrap
        return compute_sample_weight(class_weight, y)

    def _labels_to_dict(self):
        if self.n_outputs_ == 1:
            return {"classes": self.classes_.tolist(),
                    "classes_dtype": self.classes_.dtype.str}
        return {"classes": [c.tolist() for c in self.classes_],
                "classes_dtype": [c.dtype.str for c in self.classes_]}

    def _labels_from_dict(self, doc):
        if self.n_outputs_ == 1:
            self.classes_ = doc["classes"]  # arrays of the stored dtypes, once validated
            self.n_classes_ = len(self.classes_)
            return
        self.classes_ = list(doc["classes"])
        self.n_classes_ = [len(c) for c in self.classes_]

    def _n_values(self):
        return self.n_classes_ if self.n_outputs_ == 1 else sum(self.n_classes_)

    def _output_classes(self):
        """Classes per output (a tree's ``n_classes``)."""
        return np.atleast_1d(self.n_classes_)

    @reads_snapshot
    def predict_proba(self, X):
        """Class probabilities: the (mean of the trees') leaf class frequencies.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            NaN marks a missing value.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), or a list of them
            Columns follow ``classes_``; with several outputs, one array per output.
        """
        blocks = self._blocks(self._predict_values(X))
        return blocks[0] if self.n_outputs_ == 1 else blocks

    @reads_snapshot
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba` (``-inf`` where a probability is 0)."""
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            if self.n_outputs_ == 1:
                return np.log(proba)
            return [np.log(p) for p in proba]

    @reads_snapshot
    def predict(self, X):
        """Class labels: the class of highest probability (the first one on ties).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        proba = self.predict_proba(X)  # checks the fit before classes_ is touched
        if self.n_outputs_ == 1:
            return self.classes_[np.argmax(proba, axis=1)]
        out = np.empty((len(proba[0]), self.n_outputs_), dtype=self.classes_[0].dtype)
        for k, (classes, p) in enumerate(zip(self.classes_, proba, strict=True)):
            out[:, k] = classes[np.argmax(p, axis=1)]
        return out

    def _oob_result(self, values, Y, codes):
        """Set the out-of-bag attributes from the averaged out-of-bag class frequencies."""
        # As in scikit-learn, a scorer receives label codes (indices into classes_).
        score = self.oob_score if callable(self.oob_score) else accuracy_score
        if self.n_outputs_ == 1:
            self.oob_decision_function_ = values
            self.oob_score_ = float(score(codes, np.argmax(values, axis=1)))
            return
        # scikit-learn's layout (n_samples, n_classes, n_outputs); outputs with fewer
        # classes are padded with zeros.
        blocks = self._blocks(values)
        decision = np.zeros((len(values), max(self.n_classes_), self.n_outputs_))
        for k, block in enumerate(blocks):
            decision[:, :block.shape[1], k] = block
        self.oob_decision_function_ = decision
        # Multilabel targets: the subset accuracy, as scikit-learn scores them.
        self.oob_score_ = float(score(codes, np.argmax(decision, axis=1)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class RegressorTargets:
    """Real-valued targets, one or several outputs."""

    _y_validation = {"multi_output": True, "y_numeric": True}

    def _encode_targets(self, y):
        Y = np.asarray(y, dtype=np.float64)
        Y = np.ascontiguousarray(Y.reshape(len(Y), -1))
        if self.criterion == "poisson":
            if np.any(Y < 0):
                raise ValueError("criterion='poisson' needs non-negative targets; some "
                                 "value(s) of y are negative.")
            if not np.all(Y.sum(axis=0) > 0):
                raise ValueError("criterion='poisson' needs targets of positive sum (in "
                                 "every output); the sum of y is 0.")
        self.n_outputs_ = Y.shape[1]
        return Y, None

    def _class_weight_vector(self, y):
        return None

    def _labels_to_dict(self):
        return {}

    def _labels_from_dict(self, doc):
        pass

    def _n_values(self):
        return self.n_outputs_

    def _output_classes(self):
        return np.ones(self.n_outputs_, dtype=np.intp)

    @reads_snapshot
    def predict(self, X):
        """Predicted values: the (mean of the trees') leaf means.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            NaN marks a missing value.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        values = self._predict_values(X)
        return values[:, 0] if self.n_outputs_ == 1 else values

    def _oob_result(self, values, Y, codes):
        """Set the out-of-bag attributes from the averaged out-of-bag predictions."""
        prediction = values[:, 0] if self.n_outputs_ == 1 else values
        truth = Y[:, 0] if self.n_outputs_ == 1 else Y
        self.oob_prediction_ = prediction
        score = self.oob_score if callable(self.oob_score) else r2_score
        self.oob_score_ = float(score(truth, prediction))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


# Bounds (as powers of ten) on the weighted sums of the split search: the total weight
# and the sum of w * y are squared, so each must stay below the square root of float64's
# 1.8e308, and the sum of w * y**2 below 1.8e308 itself, with a margin.
_MAX_LOG_SUM = 153
_MAX_LOG_SQUARE_SUM = 306


def _check_magnitudes(Y, total_weight):
    """Refuse targets and weights whose impurity sums would overflow float64: the trees
    would silently stop splitting."""
    if not total_weight <= 10.0**_MAX_LOG_SUM:
        raise ValueError(f"sample_weight (times the class weights) sums to {total_weight:.3g}; "
                         f"the split search needs a total below 1e{_MAX_LOG_SUM}. Divide the "
                         f"weights by a common factor (trees depend on their ratios only, "
                         f"and on min_weight_fraction_leaf).")
    if Y is None or Y.size == 0:
        return
    y_max = float(np.max(np.abs(Y)))
    if y_max == 0:
        return
    log_w, log_y = math.log10(max(total_weight, 1e-300)), math.log10(y_max)
    if log_w + log_y > _MAX_LOG_SUM or log_w + 2 * log_y > _MAX_LOG_SQUARE_SUM:
        raise ValueError(f"y has values up to {y_max:.3g}, which with a total weight of "
                         f"{total_weight:.3g} overflows the squared-error sums of the split "
                         f"search (the total weight times |y| must stay below "
                         f"1e{_MAX_LOG_SUM}, times y**2 below 1e{_MAX_LOG_SQUARE_SUM}). "
                         f"Divide y by a constant and multiply the predictions back.")


def _resolve_max_features(max_features, n_features):
    """Number of features examined per node, with scikit-learn's rules."""
    if max_features is None:
        return n_features
    if max_features == "sqrt":
        return max(1, int(np.sqrt(n_features)))
    if max_features == "log2":
        return max(1, int(np.log2(n_features)))
    if isinstance(max_features, Integral):
        if max_features > n_features:
            raise ValueError(f"max_features={max_features} is larger than the number of "
                             f"features in X ({n_features}); use an int in [1, {n_features}],"
                             f" a float in (0, 1], 'sqrt', 'log2' or None.")
        return int(max_features)
    return max(1, int(max_features * n_features))
