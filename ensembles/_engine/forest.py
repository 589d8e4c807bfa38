"""Growing one tree of a random forest or extra-trees ensemble, entirely in numba.

Forest trees are grown deep (often to single-row leaves), so the per-node work must stay
small and free of Python: one compiled call grows a whole tree. It shares the engine's
binned data, bin edges, flat :class:`~.tree.Tree` arrays and prediction kernels with
boosting; what differs is the split search, which is multi-output and looks only at the
``max_features`` features sampled for each node:

* ``splitter="best"``: for each sampled feature, one pass fills a histogram over the bins
  present in the node and a scan evaluates every threshold, with missing values tried on
  both sides; a node of a few rows sorts them by bin instead, since their values still
  span most bins and a histogram scan would cost far more than the rows;
* ``splitter="random"`` (extra trees): one pass finds the node's bin range, a threshold is
  drawn uniformly in value space between the range's bin values (see :func:`bin_values`)
  and mapped back to a bin, and a second pass sums the left side (no histogram); the
  whole search is one function, as calls per feature would outweigh the work in small
  nodes;
* the channels are the weighted sums of the K targets (class weights, or regression
  outputs), the weight and the row count.
* a categorical feature (its codes are its categories) is split by a set of categories:
  its rows are summed per category, the categories present are ordered by their
  smoothed mean of one target channel, and the prefixes of that order are scored (one
  drawn prefix for extra trees; each category alone for features of few categories),
  see :func:`_evaluate_categorical`.

What keeps a node cheap:

* the rows' weights and targets (class indices for classification) travel with the row
  ids when a node is partitioned, so every pass reads them sequentially and only the
  uint8 feature codes are gathered;
* the partition and the extra-trees sums are branch-free, since which side a row takes is
  unpredictable;
* for classification with integer weights (bootstrap counts), the split search already
  summed the left child, and the right child is the parent minus the left, exactly; the
  partition then only moves rows;
* extra trees' sums over a feature without missing values in the node skip the missing
  side's accumulators, and with unit weights (no bootstrap, no sample or class weights)
  the weight is the count, so the weights are neither read nor moved;
* node arrays start small and double as the tree grows, so the transient memory of a
  tree is proportional to its size, not to its number of rows;
* the per-node functions run without numba's reference counting and are inlined into
  the node loop (see :func:`_per_node`), and index with unsigned row positions, so a
  small node costs little more than its rows;
* each kind of tree (classification or regression, best or random splits, absolute
  error or not) has its own node loop in which the kind is a constant (see
  :func:`_make_node_loop`), so a first fit compiles only its own search.

With ``G_k`` the weighted sums of the targets and ``W`` the weight of a node, the weighted
impurity decrease of a split is ``S(L) + S(R) - S(P)`` where ``S = sum_k G_k^2 / W`` for the
Gini index and the squared error, ``S = sum_k G_k log2(G_k / W)`` for the entropy and
``S = sum_k G_k ln(G_k / W)`` for the Poisson deviance, exactly scikit-learn's quantities
(divided by the number of outputs, which scikit-learn averages over). Node values are
``G / W`` (class frequencies or means).
"""

import threading
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from . import compiled_only
from .binning import MISSING_BIN
from .gather import GATHER_WIDTH, gather_codes
from .jit import BoundKernels, njit
from .tree import Tree, bin_thresholds

# "friedman_mse" is the squared error: scikit-learn 1.9 maps it so (their splits always
# coincided). "poisson" scores a node as sum_k G_k ln(G_k / W), the entropy's form.
CRITERIA = {"gini": 0, "entropy": 1, "log_loss": 1, "squared_error": 2, "friedman_mse": 2,
            "poisson": 3, "absolute_error": 4}
SPLITTERS = {"best": 0, "random": 1}
# scikit-learn treats impurities below this as pure nodes.
_EPSILON = np.finfo(np.float64).eps
# A Poisson child's target sum at most this fraction of its node's is zero (rounding).
_POISSON_ZERO = 1e-10
# Best splits of nodes of at most this many rows sort the rows instead of filling a
# histogram: the histogram's scan spans the node's bin range, which stays wide in small
# nodes of continuous features.
_SORT_MAX_ROWS = 128
# Above this many rows, a node whose codes of the feature span fewer bins than twice its
# rows fills a histogram after all: its scan is then short (features of few values).
_SORT_NARROW_ROWS = 64
# Up to this many rows the sort ranks each row by counting smaller keys (quadratic, but
# without branches); above it, a radix sort in linear time.
_RANK_MAX_ROWS = 32
# The sort's scratch of keys (``sort_codes``): the sorted keys, the radix sort's keys
# between its two passes, and its counts of each 4-bit digit of the low and high halves.
_RADIX_COUNTS = 2 * 16
_SORT_SCRATCH = 2 * _SORT_MAX_ROWS + _RADIX_COUNTS
# A comparison as 0.0 or 1.0, read from this table: converting the integer instead costs
# far more in the branch-free sums, since the conversion instruction also waits for the
# register's previous value, tying every row to the one before.
_ZERO_ONE = np.array([0.0, 1.0])
# Three classes or more, of unit weights, count a node's left rows per class in integer
# fields of a few registers (see _count_left_classes): up to six classes in two
# registers of three 21-bit fields, up to twelve in three registers of four 16-bit
# fields. A row adds its class's units (a field's 1 in each register).
_SIX_CLASS_BITS = 21
_TWELVE_CLASS_BITS = 16


def _class_units(n_classes, bits, n_registers):
    per_register = 64 // bits
    return np.array([[1 << (bits * (c % per_register)) if c // per_register == j else 0
                      for j in range(n_registers)] for c in range(n_classes)], dtype=np.int64)


_SIX_CLASS_UNITS = _class_units(6, _SIX_CLASS_BITS, 2)
_TWELVE_CLASS_UNITS = _class_units(12, _TWELVE_CLASS_BITS, 3)
# A comparison as a mask of no bits or all bits, read from this table for the same reason.
_ALL_OR_NONE = np.array([0, -1], dtype=np.int64)
# Extra trees find the bin of a drawn threshold through a table of at most this many
# equal cells of each feature's range (see bin_values), fewer when all features' tables
# would take more than _THRESHOLD_TABLE_BYTES: wide data then keeps them in the cache,
# each draw reading its feature's table.
_THRESHOLD_CELLS = 2048
_THRESHOLD_TABLE_BYTES = 256 << 10
# bin_values fills the bins' ranges of more features than this a block of this many at a
# time (see _fill_bin_values).
_BIN_VALUE_BLOCK = 64
# A subtree's copy of its rows' codes (see _localize) takes at most _LOCAL_BYTES or a
# _OUTER_SHARE-th of all the codes, whichever is more, and a smaller subtree's, within it
# or not, at most _NEAR_BYTES: the outer copy keeps the codes of deep subtrees out of
# main memory (and grows with the codes, so that the nodes just above it, whose rows lie
# ever farther apart, stay few), the inner one keeps those of the small nodes, where most
# of a tree's nodes are, in the core's own cache. Copies are made for subtrees of at
# least _MIN_LOCAL_ROWS rows: thousands of features leave room for few rows, whose
# subtrees still read every feature at every node.
_LOCAL_BYTES = 1 << 20
_OUTER_SHARE = 7
_NEAR_BYTES = 1 << 17
_MIN_LOCAL_ROWS = 32
# Extra trees' one-output regression searches a node a row at a time
# (_find_random_split_rowwise) when there are between these many features and at least
# this fraction of them drawn: it adds up every feature, drawn or not, so it pays where
# most are drawn and there are enough to fill the vector instructions. (Classification
# never: its search four features at a time counts rows with integers and often stops
# early at pure children, which made it faster at any fraction drawn.)
_ROWWISE_FEATURES = (12, 64)
_ROWWISE_MIN_DRAWN = 0.8
# The searches that score all drawn features together (a row at a time, or four features
# a pass: _random_split_prefix) serve nodes of at least this many rows: in a node of two
# rows the first feature drawn splits it, and the others need no pass.
_ALL_DRAWN_MIN_ROWS = 3
# Extra trees draw a node's thresholds before reading its rows (see _drawn_threshold_value)
# in nodes of at least this many rows: there the drawn value seldom misses the node's
# range, and with unit weights (two classes, or one regression output) the pass that
# finds the ranges sums the left sides too.
_FUSED_MIN_ROWS = 512
# Best splits of one regression output stop at a split no other can beat: in nodes of up
# to this many rows, one that makes the best two groups of the node's targets (see
# _best_partition_gain), whose bound takes a pass of its own, as a feature's scan does.
_PARTITION_BOUND_MAX_ROWS = 8
# Extra trees' regression nodes of up to this many rows, when they draw at least this many
# features, search one feature at a time and stop at that bound. (With few features drawn,
# scoring them four at a time costs less than the bound saves.)
_RANDOM_BOUND_MAX_ROWS = 6
_RANDOM_BOUND_MIN_DRAWN = 12
# Nodes of this many rows or more gather a feature's codes sixteen at a time (see
# _node_codes).
_GATHER_MIN_ROWS = 8
# The most rows of a node whose subtree _grow_subtree grows (of fewer than
# _FUSED_MIN_ROWS rows, whose searches it does not fuse, in any case).
_SUBTREE_MAX_ROWS = 511
# A candidate split's missing-value field (see _score_random_threshold) when no row of its
# node lacks the feature and its gain comes from sums added in any order: the node loop
# replaces that gain by the exact one (see _fused_target_sums).
_APPROXIMATE_GAIN = -2.0
# Extra trees' one-output regression scores its drawn features four at a time
# (_random_split_prefix); off, one at a time (which the tests compare it with).
_FOUR_AT_A_TIME = True
# The step of splitmix64's counter (see _next_random).
_STREAM_STEP = np.uint64(0x9E3779B97F4A7C15)


def _per_node(entry=False, **options):
    """Compile a function of the per-node path without numba's reference counting.

    Numba increments and decrements (atomically) the reference count of every array a
    compiled function receives; at a couple of dozen arrays per call and several calls
    per node, that cost a third of a deep tree's time. These functions allocate nothing
    (numba refuses to compile them if they try), and the arrays they see are owned by
    :func:`_grow`, which outlives them. The few functions called once per node are
    inlined into the node loop (numba's ``inline="always"``, which merges them before
    typing): a call passes every array as a handful of scalars on the stack, which cost a
    sixth of a tree's time; so are the small scores every node computes (its impurity,
    :func:`_score`, :func:`_unbeatable_gain`). Inlining at numba's level rather than
    LLVM's also compiles them once: a compiled callee is linked into its caller and
    optimized and compiled to machine code again there.

    Only the node loop is called from Python (``entry=True``); the others are compiled
    without the wrappers that convert Python objects, which shortens the first fit's
    compile.

    Divisions follow numpy's error model: numba's default tests every divisor for zero,
    to raise ``ZeroDivisionError``, and then the status of every call that might have
    raised, work that shows in a deep tree's fit time. These functions divide only by
    weights, counts and sums they know to be positive (a zero there would be a bug, not
    an input to report), so those tests never fired.
    """
    wrappers = {} if entry else {"no_cpython_wrapper": True, "no_cfunc_wrapper": True}
    return njit(cache=True, nogil=True, _nrt=False, error_model="numpy", **wrappers,
                **options)


@dataclass
class ForestTreeParams:
    """Growth parameters of one forest tree (scikit-learn's meanings)."""

    criterion: str = "gini"
    splitter: str = "best"
    max_depth: int = 0
    min_samples_split: int = 2
    min_samples_leaf: int = 1
    min_weight_leaf: float = 0.0
    max_features: int = 1
    max_leaf_nodes: int = 0
    min_impurity_decrease: float = 0.0
    # Outputs whose impurities are averaged (0: one per target column for regression,
    # one for classification); a multi-output classification tree gets its one-hot
    # blocks side by side in Y.
    n_outputs: int = 0
    # Monotonic constraint of each feature (-1, 0, 1) on channel 0 of the node values: the
    # single regression output, or the first class's frequency of a binary classification
    # (whose constraints on the positive class are therefore negated); None: none.
    monotonic_cst: object = None
    # Categories of each feature (0 for a numeric one; its codes are then category codes
    # 0 .. n - 1, at most 255 of them); None: no categorical feature.
    n_categories: object = None
    # A categorical feature of fewer categories than this is split one category against
    # the rest; otherwise by the best prefix of its categories ordered by their target
    # means (see _evaluate_categorical).
    max_cat_to_onehot: int = 4
    # Rows of pseudo-count pulling a category's mean towards its node's when ordering.
    cat_smooth: float = 10.0


@_per_node(inline="always")
def _random_at(z):
    """splitmix64's output for the stream state ``z`` (the state after its step)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@_per_node()
def _next_random(state):
    """splitmix64: a small, explicit random stream, so that every tree owns its state. The
    state is a counter (one step a draw), so a draw can also be made out of turn
    (:func:`_uniform_at`)."""
    state[0] += _STREAM_STEP
    return _random_at(state[0])


@_per_node()
def _randint(state, n):
    """Uniform integer in [0, n) for n < 2**32 (the high half of a 32x32-bit product: no
    division, and a bias below n / 2**32)."""
    return np.int64(((_next_random(state) >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))


@_per_node(inline="always")
def _uniform_of(z):
    """A draw's 64 random bits as a uniform float in [0, 1) (the top 53 bits)."""
    return np.float64(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@_per_node()
def _uniform(state):
    """Uniform float in [0, 1) (53 random bits)."""
    return _uniform_of(_next_random(state))


@_per_node(inline="always")
def _uniform_at(z):
    """The uniform float :func:`_uniform` draws from a stream whose state is ``z``,
    without moving any stream."""
    return _uniform_of(_random_at(z + _STREAM_STEP))


@_per_node(inline="always")
def _threshold_cell(v, low, scale, n_cells):
    """The cell of value ``v`` in a feature's table (see :func:`bin_values`): the
    integer part of ``(v - low) * scale``, clamped into ``[0, n_cells]``. Monotone in
    ``v``, which is all the lookup relies on."""
    x = (v - low) * scale
    if not x > 0.0:  # also -inf bins (a subsample's empty lowest bins) and NaN
        return 0
    if x >= n_cells:
        return n_cells
    return np.int64(x)


@_per_node(inline="always")
def _random_threshold_value(f, lo, hi, bin_value, uniform):
    """Extra trees' threshold value for feature ``f`` in a node whose present codes span
    bins ``lo < hi``: drawn uniformly between the values of bins ``lo`` and ``hi`` (see
    :func:`bin_values`), as Geurts et al. draw thresholds, in value space, not by the
    rows' quantiles; ``uniform`` is the draw in [0, 1). :func:`_threshold_bin` maps it to
    its bin."""
    value = bin_value[0]
    f = np.uint64(f)  # unsigned indices, as in _threshold_bin
    vmin = value[f, np.uint64(lo)]
    return vmin + (value[f, np.uint64(hi)] - vmin) * uniform


@_per_node(inline="always")
def _threshold_bin(f, lo, hi, u, bin_value):
    """The last bin in ``[lo, hi - 1]`` whose value lies at or below ``u`` (a value of
    :func:`_random_threshold_value`): a gap between bins is cut in proportion to its
    width in value space."""
    value, bounds, cells = bin_value
    # Unsigned indices: numba then emits no negative-index wraparound, a few
    # instructions per load on the path of every draw.
    f = np.uint64(f)
    # The bins of the value's cell, and the last bin of the cells below it, hold the
    # answer: those below lie under u, those of the cells above over it.
    n_cells = cells.shape[1] - 2
    c = np.uint64(_threshold_cell(u, bounds[f, 0], bounds[f, 1], n_cells))
    base = max(np.int64(cells[f, c]), lo)
    n = max(min(np.int64(cells[f, c + np.uint64(1)]), hi - 1) - base + 1, 1)
    # Binary search without branches (the answer lies in [base, base + n - 1], and
    # value[f, base] <= u): which way each step goes is a coin flip. The step is masked
    # by a word read from a table, since LLVM turns a multiply or select by the
    # comparison back into a branch, about half of them mispredicted. A cell seldom
    # holds more than one bin's start, so the loop seldom runs, and whether it does
    # is predicted; the last step (of one bin or two) is taken always: whether a cell
    # holds a bin's start is a coin flip too.
    while n > 2:
        half = n >> 1
        base += half & _ALL_OR_NONE[np.int64(value[f, np.uint64(base + half)] <= u)]
        n -= half
    half = n >> 1
    return base + (half & _ALL_OR_NONE[np.int64(value[f, np.uint64(base + half)] <= u)])


@_per_node(inline="always")
def _value_limit(value, f, hi, u):
    """The bin value at or below which a node's row goes left when :func:`_threshold_bin`
    of ``u`` is the threshold, ``hi`` being the node's largest code of feature ``f``:
    ``u`` itself, unless the draw rounded up to the value of ``hi`` (whose bin is then
    ``hi - 1``). Exact because a bin that holds a node's row holds training rows of
    positive weight, so that its value lies strictly above every lower bin's (see
    :func:`bin_values`): codes at or below the bin are those at or below the value."""
    return u if u < value[f, hi] else value[f, hi - 1]


@_per_node(inline="always")
def _early_threshold_value(f, bin_value, z):
    """The threshold value a node of at least ``_FUSED_MIN_ROWS`` rows draws for feature
    ``f`` before it knows the feature's range there: uniform between the lowest and
    highest value the feature takes in the training data (``bounds[f, 0]`` and
    ``bounds[f, 2]``, see :func:`bin_values`), from the stream state ``z`` (the state
    after the feature's draw). :func:`_drawn_threshold_value` keeps it when it falls in
    the node's range."""
    bounds = bin_value[1]
    return bounds[f, 0] + (bounds[f, 2] - bounds[f, 0]) * _uniform_at(z)


@_per_node(inline="always")
def _drawn_threshold_value(f, lo, hi, bin_value, z, fused):
    """The threshold value drawn for feature ``f`` in a node whose present codes span
    bins ``lo < hi``, the stream's state being ``z`` after the feature's draw: with
    ``fused`` (the node has at least ``_FUSED_MIN_ROWS`` rows), the draw over the
    feature's whole training range (:func:`_early_threshold_value`) if it falls between
    the values of bins ``lo`` and ``hi``, else a second draw between them, from the next
    state; without, :func:`_random_threshold_value` of the next draw.

    Both ways the value is uniform between the values of ``lo`` and ``hi``: a uniform
    draw over a wider range that lands in the node's range is uniform there, and
    otherwise the second draw is. A fused node draws the first value before it has seen
    its rows, so that one pass over them finds the feature's range and the left sums of
    that threshold together (:func:`_random_split_prefix`); a second pass is needed only
    where the draw misses the node's range.
    """
    if fused:
        value = bin_value[0]
        u = _early_threshold_value(f, bin_value, z)
        if value[f, lo] <= u < value[f, hi]:
            return u
        z += _STREAM_STEP
    return _random_threshold_value(f, lo, hi, bin_value, _uniform_at(z))


@_per_node(inline="always")
def _random_threshold_bin(f, lo, hi, bin_value, state, fused):
    """Extra trees' threshold bin for feature ``f`` in a node whose present codes span
    bins ``lo < hi``: :func:`_threshold_bin` of :func:`_drawn_threshold_value`, a bin in
    ``[lo, hi - 1]``. Moves the stream by the draws that takes (two when ``fused``)."""
    return _threshold_bin(f, lo, hi, _threshold_draw(f, lo, hi, bin_value, state, fused),
                          bin_value)


@_per_node(inline="always")
def _threshold_draw(f, lo, hi, bin_value, state, fused):
    """:func:`_drawn_threshold_value` from the stream ``state``, which it moves by one
    draw, or two when ``fused``."""
    z = state[0]
    state[0] += _STREAM_STEP * (2 if fused else 1)
    return _drawn_threshold_value(f, lo, hi, bin_value, z, fused)


@njit(cache=True, nogil=True)
def _fill_threshold_cells(value, bounds, cells):
    """Fill each feature's table of bins by cell of its range (see :func:`bin_values`):
    ``bounds[f]`` is (lowest value, cells per unit of value, highest value) and
    ``cells[f, c]`` the last bin of a cell below ``c`` (0 if none)."""
    n_cells = cells.shape[1] - 2
    for f in range(value.shape[0]):
        low = np.inf
        high = -np.inf
        for b in range(MISSING_BIN):
            if np.isfinite(value[f, b]):
                low = min(low, value[f, b])
                high = max(high, value[f, b])
        # A feature of one value (or none) maps every value to cell 0, whose bins are
        # then all of them: the lookup is the whole binary search.
        scale = n_cells / (high - low) if high > low else 0.0
        bounds[f, 0] = low if high >= low else 0.0
        bounds[f, 1] = scale
        bounds[f, 2] = high if high >= low else 0.0
        b = 0
        for c in range(n_cells + 2):
            while (b < MISSING_BIN
                   and _threshold_cell(value[f, b], bounds[f, 0], scale, n_cells) < c):
                b += 1
            cells[f, c] = max(b - 1, 0)


@njit(cache=True, nogil=True)
def _fill_bin_values(X, X_binned, weight, bin_min, bin_max):
    if X.shape[1] <= _BIN_VALUE_BLOCK:
        # Row by row: every feature's bin ranges stay in the cache, and with many rows
        # per bin a row seldom widens its bin's range (the branches are predicted).
        for i in range(X.shape[0]):
            if weight.shape[0] > 0 and not weight[i] > 0.0:
                continue
            for f in range(X.shape[1]):
                b = X_binned[i, f]
                if b == MISSING_BIN:
                    continue
                x = np.float64(X[i, f])
                if x < bin_min[f, b]:
                    bin_min[f, b] = x
                if x > bin_max[f, b]:
                    bin_max[f, b] = x
    else:
        # Wide data: a block of features at a time, so that the block's ranges stay in
        # the cache (thousands of features' do not), and without branches (few rows per
        # bin: a row widens its bin's range about every other time).
        for f0 in range(0, X.shape[1], _BIN_VALUE_BLOCK):
            f1 = min(f0 + _BIN_VALUE_BLOCK, X.shape[1])
            for i in range(X.shape[0]):
                if weight.shape[0] > 0 and not weight[i] > 0.0:
                    continue
                for f in range(f0, f1):
                    b = X_binned[i, f]
                    if b == MISSING_BIN:
                        continue
                    x = np.float64(X[i, f])
                    bin_min[f, b] = min(bin_min[f, b], x)
                    bin_max[f, b] = max(bin_max[f, b], x)
    bin_midpoints(bin_min, bin_max)


@compiled_only
def bin_midpoints(bin_min, bin_max):
    """Turn each bin's range of training values (``bin_min``, ``bin_max``, shape
    (n_features, n_bins + 1), the last column the missing code's) into its value, in
    ``bin_min``.

    Each bin's value is the midpoint of its training values, but the lowest bin's is its
    smallest value and the highest bin's its largest: a node that reaches a tail bin then
    spans the feature's whole range there, as it does for scikit-learn, and draws that
    fall in a wide tail bin cut next to it (the nearest partition binning allows).
    """
    n_bins = bin_min.shape[1] - 1
    for f in range(bin_min.shape[0]):
        first = -1
        last = -1
        for b in range(n_bins):
            if bin_min[f, b] <= bin_max[f, b]:
                if first < 0:
                    first = b
                last = b
        for b in range(n_bins):
            if bin_min[f, b] <= bin_max[f, b]:
                if b == last and b != first:
                    bin_min[f, b] = bin_max[f, b]
                elif b != first:
                    bin_min[f, b] = 0.5 * bin_min[f, b] + 0.5 * bin_max[f, b]
            else:
                # A bin no training row fell in (bins may be fitted on a subsample)
                # takes its neighbour's value, so that the values stay sorted.
                bin_min[f, b] = bin_min[f, b - 1] if b > 0 else -np.inf


def bin_values(X, X_binned, weight=None):
    """A representative value of each bin of each feature: the midpoint of its training
    values' range (the extreme value, for a feature's lowest and highest bins).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Raw feature values.
    X_binned : ndarray of uint8, shape (n_samples, n_features)
        Their codes.
    weight : ndarray of shape (n_samples,), optional
        Rows of weight 0 are left out (as they are out of the bins).

    Returns
    -------
    bin_value : tuple of ndarray
        ``(value, bounds, cells)``. ``value``, of shape (n_features, 256): sorted along
        each feature (the missing-value bin is unused). Extra trees draw thresholds
        between the values of a node's lowest and highest bins, and find the drawn
        value's bin through ``cells``, of shape (n_features, n_cells + 2), uint8: the
        feature's range cut into ``n_cells`` equal cells (2,048; fewer for thousands of
        features, see :data:`_THRESHOLD_TABLE_BYTES`; ``bounds[f]``: its lowest value,
        cells per unit and highest value), each with the last bin of the cells below
        it. A cell holds few bins, so a search among them takes a step or two, where a
        binary search over a node's bins waits on eight dependent loads. The cells
        change how fast a bin is found, never which.
    """
    n_features = X.shape[1]
    bin_min = np.full((n_features, MISSING_BIN + 1), np.inf)
    bin_max = np.full((n_features, MISSING_BIN + 1), -np.inf)
    weight = np.empty(0) if weight is None else np.ascontiguousarray(weight, dtype=np.float64)
    _fill_bin_values(X, X_binned, weight, bin_min, bin_max)
    return threshold_tables(bin_min)


def threshold_tables(value):
    """``(value, bounds, cells)`` of :func:`bin_values` from the bins' values."""
    bounds = np.empty((value.shape[0], 3))
    n_cells = min(_THRESHOLD_CELLS, max(64, _THRESHOLD_TABLE_BYTES // max(value.shape[0], 1)))
    cells = np.empty((value.shape[0], n_cells + 2), dtype=np.uint8)
    _fill_threshold_cells(value, bounds, cells)
    return value, bounds, cells


def no_threshold_tables():
    """Empty :func:`bin_values` tables, for trees of best splits (which draw no
    thresholds)."""
    return np.empty((0, 0)), np.empty((0, 3)), np.empty((0, 0), dtype=np.uint8)


@_per_node(inline="always")
def _score(G, W, criterion):
    """``S`` of a node from its target sums ``G`` (length K) and weight ``W``."""
    if W <= 0.0:
        return 0.0
    s = 0.0
    if criterion == 1:
        for k in range(G.shape[0]):
            if G[k] > 0.0:
                s += G[k] * np.log2(G[k] / W)
    elif criterion == 3:
        for k in range(G.shape[0]):
            if G[k] > 0.0:
                s += G[k] * np.log(G[k] / W)
    else:
        for k in range(G.shape[0]):
            s += G[k] * G[k] / W
    return s


@_per_node(inline="always")
def _impurity(G, W, sum_sq, criterion, n_outputs):
    """Impurity of a node (Gini index, entropy in bits, or variance), averaged over the
    outputs; a multi-output classification tree holds each output's class channels one
    after the other."""
    if W <= 0.0:
        return 0.0
    K = G.shape[0]
    if criterion == 0:
        s = np.float64(n_outputs)  # each output's class frequencies sum to 1
        for k in range(K):
            s -= (G[k] / W) ** 2
        return s / n_outputs
    if criterion == 1:
        s = 0.0
        for k in range(K):
            if G[k] > 0.0:
                s -= (G[k] / W) * np.log2(G[k] / W)
        return s / n_outputs
    s = 0.0
    for k in range(K):
        s += sum_sq[k] / W - (G[k] / W) ** 2
    return s / K


@_per_node()
def _poisson_impurity(rows, yn, wn, start, stop, G, W):
    """Half the Poisson deviance of a node's rows (positions ``start:stop`` of ``rows``
    and ``wn``; their targets ``yn[rows[i]]``) per unit weight, averaged over the
    outputs: scikit-learn's Poisson impurity, ``sum(w * y * log(y / mean)) / W`` (the
    ``mean - y`` terms sum to 0). The split search needs only the node's sums; this pass
    is for the impurity it reports."""
    if W <= 0.0:
        return 0.0
    K = G.shape[0]
    s = 0.0
    for k in range(K):
        if G[k] <= 0.0:
            continue  # every target 0: no deviance
        own = 0.0
        for r in range(start, stop):
            y = yn[rows[r], k]
            if y > 0.0:
                own += wn[r] * y * np.log(y)
        s += own - G[k] * np.log(G[k] / W)
    return s / (W * K)


@_per_node(inline="always")
def _add_row(acc, slot, i, row, wn, cn, yn, classify):
    """Add the row at node position ``i`` (``row = rows[i]``) to ``acc[slot]``: its
    weighted targets (K channels), its weight and a count of 1."""
    K = acc.shape[1] - 2
    w = wn[i]
    if classify:
        acc[slot, cn[i]] += w
    else:
        for k in range(K):
            acc[slot, k] += w * yn[row, k]
    acc[slot, K] += w
    acc[slot, K + 1] += 1.0


@_per_node()
def _evaluate_feature(XT, f, rows, wn, cn, yn, classify, start, stop, G, W, criterion,
                      min_samples_leaf, min_weight_leaf, hist, out, GL, GR, cst, lower, upper):
    """Best split of one feature (its codes in node order: ``XT[f, rows[i]]``) for one node
    over all thresholds; writes (gain, bin, default_left) and the left side's sums (K
    targets, weight, count) to ``out``.

    ``hist`` must be all zeros on entry and is left all zeros: only the bins the node's
    rows touch are filled, scanned and cleared, so a small node costs little.
    ``cst``, ``lower`` and ``upper`` are the feature's monotonic constraint and the node's
    bounds (see :func:`_scan_bins`).
    Returns False when the feature is constant in the node (no partition exists).
    """
    K = G.shape[0]
    # Typed int64 from the start: literal initial values make numba compile the callees
    # twice (once for the literal, once for the merged type).
    lo = np.int64(255)
    hi = np.int64(-1)
    for i in range(np.uint64(start), np.uint64(stop)):  # unsigned: no wraparound code
        row = rows[i]
        b = np.int64(XT[f, row])
        if not classify and K == 1:
            # One output: no loop over K (its overhead per row costs as much as the sums).
            w = wn[i]
            hist[b, 0] += w * yn[row, 0]
            hist[b, 1] += w
            hist[b, 2] += 1.0
        else:
            _add_row(hist, b, i, row, wn, cn, yn, classify)
        if b != MISSING_BIN:
            lo = min(lo, b)
            hi = max(hi, b)
    has_missing = hist[MISSING_BIN, K + 1] > 0.0
    found = False
    if hi >= 0 and (lo < hi or has_missing):
        found = _scan_bins(hist, lo, hi, has_missing, G, W, stop - start, criterion,
                           min_samples_leaf, min_weight_leaf, out, GL, GR, cst, lower, upper)
    # Clear only the bins the node touched.
    for b in range(max(lo, 0), hi + 1):
        for k in range(K + 2):
            hist[b, k] = 0.0
    for k in range(K + 2):
        hist[MISSING_BIN, k] = 0.0
    if not found:
        out[0] = -np.inf
    return hi >= 0 and (lo < hi or has_missing)


@_per_node(inline="always")
def _sort_keys(keys, n, scratch):
    """Sort the ``n`` distinct keys ``keys[:n]`` (a code in bits 16-23 over a row
    position) into ``scratch[:n]``, which holds :data:`_SORT_SCRATCH` entries.

    Up to :data:`_RANK_MAX_ROWS` keys, each key's place is the number of smaller keys:
    comparisons without branches, which the CPU runs several at a time, where an
    insertion sort mispredicts where each row stops. More keys are radix sorted on the
    code's two halves of 4 bits (linear time; stable, so the rows keep their order within
    a code), through the scratch past the sorted keys.
    """
    if n <= _RANK_MAX_ROWS:
        for i in range(n):
            key = keys[i]
            rank = 0
            for j in range(n):
                rank += keys[j] < key
            scratch[rank] = key
        return
    middle = (scratch.shape[0] - _RADIX_COUNTS) >> 1  # the keys between the passes
    counts = 2 * middle  # the low digit's 16 counts, then the high digit's
    for d in range(_RADIX_COUNTS):
        scratch[counts + d] = 0
    for i in range(n):
        code = keys[i] >> 16
        scratch[counts + (code & 15)] += 1
        scratch[counts + 16 + (code >> 4)] += 1
    # Counts to the digits' first slots: the low digit's pass writes from ``middle`` on,
    # the high digit's from 0.
    low = middle
    high = 0
    for d in range(16):
        count = scratch[counts + d]
        scratch[counts + d] = low
        low += count
        count = scratch[counts + 16 + d]
        scratch[counts + 16 + d] = high
        high += count
    for i in range(n):
        key = keys[i]
        slot = counts + ((key >> 16) & 15)
        to = scratch[slot]
        scratch[to] = key
        scratch[slot] = to + 1
    for i in range(middle, middle + n):
        key = scratch[i]
        slot = counts + 16 + (key >> 20)
        to = scratch[slot]
        scratch[to] = key
        scratch[slot] = to + 1


@_per_node(inline="always")
def _evaluate_feature_sorted(XT, f, rows, wn, cn, yn, classify, start, stop, G, W, criterion,
                             min_samples_leaf, min_weight_leaf, hist, out, GL, GR, sort_codes,
                             sort_pos, cst, lower, upper):
    """:func:`_evaluate_feature` for a small node: its rows sorted by bin (stably, see
    :func:`_sort_keys`) instead of a histogram, so the scan visits the node's rows, not
    the span of bins between its smallest and largest value. Same candidates, same
    choice.

    Above :data:`_SORT_NARROW_ROWS` rows, a feature whose codes in the node span fewer
    bins than twice its present rows is evaluated by :func:`_evaluate_feature` instead,
    whose scan of the span is then the shorter one.

    ``sort_codes`` holds :data:`_SORT_SCRATCH` entries, ``sort_pos`` at least
    ``stop - start``; the missing
    rows are summed in ``hist[MISSING_BIN]`` (zeros on entry and on exit). The scoring of
    a threshold repeats :func:`_scan_bins`'s on purpose: as a shared function (inlined or
    not) it made the random forest 5-20% slower.
    """
    K = G.shape[0]
    n_present = 0
    lo = np.int64(MISSING_BIN)
    hi = np.int64(0)
    for r in range(start, stop):
        row = rows[r]
        b = np.int64(XT[f, row])
        if b == MISSING_BIN:
            _add_row(hist, MISSING_BIN, r, row, wn, cn, yn, classify)
            continue
        sort_pos[n_present] = (b << 16) | (r - start)  # distinct keys, by code then row
        n_present += 1
        lo = min(lo, b)
        hi = max(hi, b)
    if stop - start > _SORT_NARROW_ROWS and hi - lo < 2 * n_present:
        for k in range(K + 2):
            hist[MISSING_BIN, k] = 0.0
        return _evaluate_feature(XT, f, rows, wn, cn, yn, classify, start, stop, G, W,
                                 criterion, min_samples_leaf, min_weight_leaf, hist, out, GL,
                                 GR, cst, lower, upper)
    _sort_keys(sort_pos, n_present, sort_codes)
    for q in range(n_present):
        key = sort_codes[q]
        sort_codes[q] = key >> 16
        sort_pos[q] = start + (key & 0xFFFF)
    has_missing = n_present < stop - start
    if n_present == 0 or (sort_codes[0] == sort_codes[n_present - 1] and not has_missing):
        for k in range(K + 2):
            hist[MISSING_BIN, k] = 0.0
        out[0] = -np.inf
        return False
    n_node = stop - start
    parent = _score(G, W, criterion)
    for k in range(K):
        GL[k] = 0.0
    WL = 0.0
    NL = 0.0
    found = False
    best_next = hi
    if not classify and K == 1 and criterion == 2 and (cst is None or cst == 0):
        # One output, the squared error, no constraint (most regression trees): the scan
        # below, the same arithmetic on sums kept in registers instead of arrays (whose
        # loops over K and stores cost more than the sums in nodes this small), and
        # without branches: every candidate is scored, and the best is kept by selects
        # (whether a gain beats the best so far is unpredictable).
        g_total = G[0]
        g_left = 0.0
        g_missing = hist[MISSING_BIN, 0]
        w_missing = hist[MISSING_BIN, 1]
        n_missing = hist[MISSING_BIN, 2]
        to_beat = -np.inf  # what a gain must exceed (see _better)
        best_q = np.int64(-1)
        best_gain = best_miss = best_gl = best_wl = best_nl = 0.0
        last = n_present - 1
        for q in range(n_present):
            r = sort_pos[q]
            w = wn[r]
            g_left += w * yn[rows[r], 0]
            WL += w
            NL += 1.0
            # A threshold after the bin's last row; after the last bin only with missing
            # rows to send right.
            cut = (sort_codes[q + 1] != sort_codes[q]) if q < last else has_missing
            for miss_left in range(2 if has_missing else 1):
                wl = WL + miss_left * w_missing
                nl = NL + miss_left * n_missing
                wr = W - wl
                valid = (cut & (nl >= min_samples_leaf) & (n_node - nl >= min_samples_leaf)
                         & (wl >= min_weight_leaf) & (wr >= min_weight_leaf) & (wl > 0.0)
                         & (wr > 0.0))
                gr = g_total - g_left - miss_left * g_missing
                gl = g_total - gr
                gain = (gl * gl / (wl if wl > 0.0 else 1.0)
                        + gr * gr / (wr if wr > 0.0 else 1.0) - parent)
                take = valid & (gain > to_beat)
                to_beat = gain + 1e-9 * abs(gain) if take else to_beat
                best_gain = gain if take else best_gain
                best_q = q if take else best_q
                best_miss = np.float64(miss_left) if take else best_miss
                best_gl = gl if take else best_gl
                best_wl = wl if take else best_wl
                best_nl = nl if take else best_nl
        if best_q >= 0:
            found = True
            out[0] = best_gain
            out[1] = sort_codes[best_q]
            out[2] = best_miss
            out[3] = best_gl
            out[4] = best_wl
            out[5] = best_nl
            best_next = sort_codes[best_q + 1] if best_q < last else hi
    else:
        for q in range(n_present):
            r = sort_pos[q]
            w = wn[r]
            if classify:
                GL[cn[r]] += w
            else:
                for k in range(K):
                    GL[k] += w * yn[rows[r], k]
            WL += w
            NL += 1.0
            b = sort_codes[q]
            if q + 1 < n_present and sort_codes[q + 1] == b:
                continue  # the bin goes on
            if b == hi and not has_missing:
                break  # every row left: no partition
            for miss_left in range(2 if has_missing else 1):
                wl = WL + miss_left * hist[MISSING_BIN, K]
                nl = NL + miss_left * hist[MISSING_BIN, K + 1]
                wr = W - wl
                if (nl < min_samples_leaf or n_node - nl < min_samples_leaf
                        or wl < min_weight_leaf or wr < min_weight_leaf or wl <= 0.0
                        or wr <= 0.0):
                    continue
                for k in range(K):
                    GR[k] = G[k] - GL[k] - miss_left * hist[MISSING_BIN, k]
                if cst is not None:  # pruned at compile time when given None
                    if cst != 0 and not _monotone(cst, lower, upper, (G[0] - GR[0]) / wl,
                                                  GR[0] / wr):
                        continue
                # Both children's S (see _score) in one loop: a call per threshold cost more
                # than the arithmetic in small nodes.
                score_left = 0.0
                score_right = 0.0
                if criterion == 1:
                    for k in range(K):
                        gl = G[k] - GR[k]
                        if gl > 0.0:
                            score_left += gl * np.log2(gl / wl)
                        if GR[k] > 0.0:
                            score_right += GR[k] * np.log2(GR[k] / wr)
                elif criterion == 3:
                    if _poisson_invalid(G, GL, hist, miss_left):
                        continue
                    for k in range(K):
                        gl = GL[k] + miss_left * hist[MISSING_BIN, k]
                        score_left += gl * np.log(gl / wl)
                        if GR[k] > 0.0:
                            score_right += GR[k] * np.log(GR[k] / wr)
                else:
                    for k in range(K):
                        gl = G[k] - GR[k]
                        score_left += gl * gl / wl
                        score_right += GR[k] * GR[k] / wr
                gain = score_left + score_right - parent
                if not found or _better(gain, out[0]):
                    found = True
                    out[0] = gain
                    out[1] = b
                    out[2] = miss_left
                    for k in range(K):
                        out[3 + k] = G[k] - GR[k]
                    out[3 + K] = wl
                    out[4 + K] = nl
                    best_next = sort_codes[q + 1] if q + 1 < n_present else hi
    if found and out[1] < hi:
        # Mid-gap, as _scan_bins places it.
        out[1] = (np.int64(out[1]) + best_next) // 2
    for k in range(K + 2):
        hist[MISSING_BIN, k] = 0.0
    if not found:
        out[0] = -np.inf
    return True


@_per_node(inline="always")
def _find_random_split_rowwise(X_rows, rows, wn, yn, unit_weights, start, stop,
                               G, W, parent, unbeatable, criterion, min_samples_leaf,
                               min_weight_leaf, max_features, scratch, state, bin_value,
                               order, best, monotonic, monotonic_cst, lower, upper, rowwise,
                               fused):
    """:func:`_find_random_split` for a node of many drawn features, from its codes laid
    out a row at a time (``X_rows``, of shape (rows, n_features)): every feature's range
    in one pass over the rows, then every feature's left-side sums in a second one.
    Returns False, having drawn nothing, when a row of the node lacks a feature (the
    caller then searches feature by feature).

    A row's codes are contiguous, so each pass handles all features of a row at once
    (vector instructions, one cache line a row), where the search feature by feature
    makes two passes per feature, each gathering one code per row. It computes the
    sums of features no draw picks, which is why it serves when most features are drawn
    (extra trees' regression default draws them all); one regression output. The split,
    the sums and the random stream are exactly the other search's:
    the draws replay its order (feature, then threshold unless the feature is
    constant), the candidates are scored in that order, and where it would have
    stopped at an unbeatable split (:func:`_unbeatable`) the stream and the feature
    order are wound back to that point. ``rowwise`` is the scratch: each feature's
    lowest and highest code, drawn threshold, left count, left target sum and left
    weight, then each draw's swap in ``order`` and the stream's state after it.
    ``fused``: the thresholds are drawn as :func:`_find_random_split` draws them.
    """
    low, high, threshold, count, left_sum, left_weight, swaps, states = rowwise
    n_features = X_rows.shape[1]
    first = np.uint64(start)
    end = np.uint64(stop)
    for f in range(n_features):
        low[f] = MISSING_BIN
        high[f] = 0
    for r in range(first, end):
        row = rows[r]
        for f in range(n_features):
            b = X_rows[row, f]
            low[f] = min(low[f], b)
            high[f] = max(high[f], b)
    for f in range(n_features):
        if high[f] == MISSING_BIN:
            return False
    # The draws, in the order _find_random_split makes them.
    visited = 0
    n_constant = 0
    for i in range(n_features):
        if visited >= max_features and visited > n_constant:
            break
        j = i + _randint(state, n_features - i)
        f = order[j]
        order[j] = order[i]
        order[i] = f
        swaps[i] = j
        visited += 1
        if high[f] == low[f]:
            n_constant += 1
        else:
            threshold[f] = _random_threshold_bin(f, np.int64(low[f]), np.int64(high[f]),
                                                 bin_value, state, fused)
        states[i] = state[0]
    # The left sums, added in row order as the other search adds them (the same floats).
    for f in range(n_features):
        count[f] = 0
        left_sum[f] = 0.0
        left_weight[f] = 0.0
    if unit_weights:
        for r in range(first, end):
            row = rows[r]
            y = yn[row, 0]
            for f in range(n_features):
                is_left = X_rows[row, f] <= threshold[f]
                count[f] += is_left
                left_sum[f] += y * np.float64(is_left)
    else:
        for r in range(first, end):
            row = rows[r]
            w = wn[r]
            wy = w * yn[row, 0]
            for f in range(n_features):
                is_left = X_rows[row, f] <= threshold[f]
                left = np.float64(is_left)
                count[f] += is_left
                left_sum[f] += wy * left
                left_weight[f] += w * left
    n_node = stop - start
    for i in range(visited):
        f = order[i]
        if high[f] == low[f]:
            continue
        _score_left_sums(f, threshold[f], count[f], left_sum[f], left_weight[f], False,
                         unit_weights, scratch, G, W, n_node, parent, criterion,
                         min_samples_leaf, min_weight_leaf, monotonic, monotonic_cst, lower,
                         upper, best)
        if _unbeatable(best, n_node, unbeatable):
            # The other search stops here: undo the draws after this one.
            if i + 1 < visited:
                state[0] = states[i]
                _undo_draws(order, swaps, visited, i + 1)
            break
    scratch[0, 0] = 0.0
    scratch[0, 1] = 0.0
    return True


@_per_node(inline="always")
def _code_ranges4(XT, rows, first, end, f0, f1, f2, f3, f4, five, i, low, high):
    """The lowest and highest codes of features ``f0`` to ``f3``, and with ``five`` (a
    constant of each call) of ``f4``, over the rows at positions ``first:end``, in one
    pass: written to ``low[i:i + 4]`` and ``high[i:i + 4]`` (``i + 5`` with ``five``)."""
    l0 = l1 = l2 = l3 = l4 = np.uint8(MISSING_BIN)
    h0 = h1 = h2 = h3 = h4 = np.uint8(0)
    for r in range(first, end):
        row = rows[r]
        l0, h0 = _widen(l0, h0, XT[f0, row])
        l1, h1 = _widen(l1, h1, XT[f1, row])
        l2, h2 = _widen(l2, h2, XT[f2, row])
        l3, h3 = _widen(l3, h3, XT[f3, row])
        if five:
            l4, h4 = _widen(l4, h4, XT[f4, row])
    _store_ranges(low, high, i, five, l0, l1, l2, l3, l4, h0, h1, h2, h3, h4)


@_per_node(inline="always")
def _widen(low, high, b):
    """The code range ``[low, high]`` widened to code ``b``."""
    return min(low, b), max(high, b)


@_per_node(inline="always")
def _store_ranges(low, high, i, five, l0, l1, l2, l3, l4, h0, h1, h2, h3, h4):
    """Write a block's code ranges to ``low[i:i + 4]`` and ``high[i:i + 4]`` (``i + 5``
    with ``five``)."""
    low[i] = l0
    high[i] = h0
    low[i + 1] = l1
    high[i + 1] = h1
    low[i + 2] = l2
    high[i + 2] = h2
    low[i + 3] = l3
    high[i + 3] = h3
    if five:
        low[i + 4] = l4
        high[i + 4] = h4


@_per_node(inline="always")
def _left_sums4(XT, rows, wn, cn, yn, classify, unit_weights, first, end, f0, f1, f2, f3,
                f4, t0, t1, t2, t3, t4, five, i, count, left_sum, left_weight, ranges, low,
                high):
    """The left sides of four thresholds, and with ``five`` of a fifth, in one pass over
    the rows at positions ``first:end``: a row goes left of feature ``fk``'s when its code
    is at most ``tk``. Writes the left counts to ``count[i:i + 4]`` (``i + 5`` with
    ``five``), the target sums to ``left_sum`` (one regression output, or with
    ``classify`` the class codes ``cn`` of two classes: the weight of class 1) and the
    weights to ``left_weight`` (with ``unit_weights`` zeros: the weights are the
    counts); each sum adds the rows in order, as the search of one feature does, so that
    the floats are its own. The counts add in floats (exact), out of the integer
    registers the loop is short of; for the same reason ``classify``, ``unit_weights``
    and ``five`` must be constants of each call (the caller calls it once per case), so
    that no test of them stays in the loop. Two classes of unit weights count in integers
    instead, as the search of one feature does: the left rows in the low 32 bits of one
    register, those of class 1 in the high bits (the same values: counts are exact either
    way). With ``ranges`` (two classes of unit weights only, whose loop is vectorized),
    the same pass also writes the codes' ranges, as :func:`_code_ranges4` does, at the
    cost of a few vector instructions a block of rows; in the scalar loops of float sums
    they cost as much as their own pass."""
    if classify and unit_weights:
        p0 = p1 = p2 = p3 = p4 = 0
        l0 = l1 = l2 = l3 = l4 = np.uint8(MISSING_BIN)
        h0 = h1 = h2 = h3 = h4 = np.uint8(0)
        for r in range(first, end):
            row = rows[r]
            unit = 1 + (np.int64(cn[r]) << 32)
            b0 = XT[f0, row]
            b1 = XT[f1, row]
            b2 = XT[f2, row]
            b3 = XT[f3, row]
            p0 += np.int64(b0 <= t0) * unit
            p1 += np.int64(b1 <= t1) * unit
            p2 += np.int64(b2 <= t2) * unit
            p3 += np.int64(b3 <= t3) * unit
            if ranges:
                l0, h0 = _widen(l0, h0, b0)
                l1, h1 = _widen(l1, h1, b1)
                l2, h2 = _widen(l2, h2, b2)
                l3, h3 = _widen(l3, h3, b3)
            if five:
                b4 = XT[f4, row]
                p4 += np.int64(b4 <= t4) * unit
                if ranges:
                    l4, h4 = _widen(l4, h4, b4)
        if ranges:
            _store_ranges(low, high, i, five, l0, l1, l2, l3, l4, h0, h1, h2, h3, h4)
        low_half = 0xFFFFFFFF
        n0, n1, n2, n3, n4 = (p0 & low_half, p1 & low_half, p2 & low_half, p3 & low_half,
                              p4 & low_half)
        g0, g1, g2, g3, g4 = (np.float64(p0 >> 32), np.float64(p1 >> 32),
                              np.float64(p2 >> 32), np.float64(p3 >> 32),
                              np.float64(p4 >> 32))
        w0 = w1 = w2 = w3 = w4 = 0.0
    else:
        n0 = n1 = n2 = n3 = n4 = 0.0
        g0 = g1 = g2 = g3 = g4 = 0.0
        w0 = w1 = w2 = w3 = w4 = 0.0
        for r in range(first, end):
            row = rows[r]
            y = np.float64(cn[r]) if classify else yn[row, 0]
            w = 1.0 if unit_weights else wn[r]
            wy = y if unit_weights else w * y
            left0 = _ZERO_ONE[np.int64(XT[f0, row] <= t0)]
            left1 = _ZERO_ONE[np.int64(XT[f1, row] <= t1)]
            left2 = _ZERO_ONE[np.int64(XT[f2, row] <= t2)]
            left3 = _ZERO_ONE[np.int64(XT[f3, row] <= t3)]
            n0 += left0
            n1 += left1
            n2 += left2
            n3 += left3
            g0 += wy * left0
            g1 += wy * left1
            g2 += wy * left2
            g3 += wy * left3
            if not unit_weights:
                w0 += w * left0
                w1 += w * left1
                w2 += w * left2
                w3 += w * left3
            if five:
                left4 = _ZERO_ONE[np.int64(XT[f4, row] <= t4)]
                n4 += left4
                g4 += wy * left4
                if not unit_weights:
                    w4 += w * left4
    count[i] = np.int64(n0)
    count[i + 1] = np.int64(n1)
    count[i + 2] = np.int64(n2)
    count[i + 3] = np.int64(n3)
    left_sum[i] = g0
    left_sum[i + 1] = g1
    left_sum[i + 2] = g2
    left_sum[i + 3] = g3
    left_weight[i] = w0
    left_weight[i + 1] = w1
    left_weight[i + 2] = w2
    left_weight[i + 3] = w3
    if five:
        count[i + 4] = np.int64(n4)
        left_sum[i + 4] = g4
        left_weight[i + 4] = w4


@_per_node()
def _early_thresholds(order, states, m, bin_value, threshold):
    """The bins of the thresholds that the ``m`` draws of a fused node (one of at least
    ``_FUSED_MIN_ROWS`` rows) draw over each feature's whole range
    (:func:`_early_threshold_value`), into ``threshold``. Out of line, as is
    :func:`_redraw_missed`: a fused node is large, so the call costs nothing next to
    its pass, and the node loop compiles faster without their code inlined."""
    for i in range(m):
        u = _early_threshold_value(order[i], bin_value, states[i])
        threshold[i] = _threshold_bin(order[i], 0, MISSING_BIN, u, bin_value)


@_per_node(inline="always")
def _early_draw_kept(f, lo, hi, bin_value, z):
    """Whether the early draw of feature ``f`` from stream state ``z``
    (:func:`_early_threshold_value`) falls in a node whose present codes span bins ``lo``
    to ``hi``: then its bin over the whole range is its bin over the node's, and
    :func:`_drawn_threshold_value` keeps it."""
    value = bin_value[0]
    return value[f, lo] <= _early_threshold_value(f, bin_value, z) < value[f, hi]


@_per_node()
def _redraw_missed(XT, rows, cn, yn, classify, first, end, order, states, low, high, n_valid,
                   bin_value, threshold, count, left_sum):
    """After a fused node's pass (unit weights, see :func:`_random_split_prefix`): each of
    the ``n_valid`` drawn features whose early draw missed the node's range draws again
    within it (:func:`_drawn_threshold_value`) and sums its left side in a pass of its
    own: with ``classify`` (two classes) its rows and rows of class 1, else its rows and
    their targets ``yn``, in order (the sums of the search one feature at a time)."""
    for i in range(n_valid):
        f = order[i]
        lo = np.int64(low[i])
        hi = np.int64(high[i])
        if _early_draw_kept(f, lo, hi, bin_value, states[i]):
            continue  # the pass summed its left side
        t = _threshold_bin(f, lo, hi, _drawn_threshold_value(f, lo, hi, bin_value,
                                                             states[i], True), bin_value)
        threshold[i] = t
        if classify:
            packed = 0
            for r in range(first, end):
                packed += np.int64(XT[f, rows[r]] <= t) * (1 + (np.int64(cn[r]) << 32))
            count[i] = packed & 0xFFFFFFFF
            left_sum[i] = np.float64(packed >> 32)
        else:
            n = 0
            g = 0.0
            for r in range(first, end):
                row = rows[r]
                is_left = np.int64(XT[f, row] <= t)
                n += is_left
                g += yn[row, 0] * _ZERO_ONE[is_left]
            count[i] = n
            left_sum[i] = g


@njit(cache=True, nogil=True, _nrt=False, no_cpython_wrapper=True, no_cfunc_wrapper=True,
      fastmath={"reassoc", "nsz"})
def _fused_target_sums(XT, rows, yn, first, end, order, threshold, m, low, high, count,
                       left_sum):
    """The codes' ranges, and the left counts and target sums at the thresholds drawn
    before the pass, of the ``m`` features drawn in a fused node of one regression output
    and unit weights (see :func:`_random_split_prefix`): one pass per block of five
    (a last block of fewer repeats its last feature), into ``low[:m]``, ``high[:m]``,
    ``count[:m]`` and ``left_sum[:m]``.

    The sums may add in any order (``fastmath``'s reassociation), so that the pass is
    vectorized as the integer counts of two classes are: in a pass of float sums one
    row after the other the ranges cost as much as their own pass. Their last bits then
    differ from the sums of the search one feature at a time; the choice between
    candidates does not (:func:`_better` allows for rounding), and the node loop
    recomputes the gain of a split chosen here from its partition's exact sums.
    Compiled on its own, for its reassociation; a fused node is large, so the call costs
    nothing next to its pass."""
    last = m - 1
    for i in range(0, m, 5):
        j1, j2, j3, j4 = min(i + 1, last), min(i + 2, last), min(i + 3, last), min(i + 4, last)
        f0, f1, f2, f3, f4 = order[i], order[j1], order[j2], order[j3], order[j4]
        t0, t1, t2, t3, t4 = (threshold[i], threshold[j1], threshold[j2], threshold[j3],
                              threshold[j4])
        n0 = n1 = n2 = n3 = n4 = 0
        g0 = g1 = g2 = g3 = g4 = 0.0
        l0 = l1 = l2 = l3 = l4 = np.uint8(MISSING_BIN)
        h0 = h1 = h2 = h3 = h4 = np.uint8(0)
        for r in range(first, end):
            row = rows[r]
            y = yn[row, 0]
            b0 = XT[f0, row]
            b1 = XT[f1, row]
            b2 = XT[f2, row]
            b3 = XT[f3, row]
            b4 = XT[f4, row]
            l0, h0 = _widen(l0, h0, b0)
            l1, h1 = _widen(l1, h1, b1)
            l2, h2 = _widen(l2, h2, b2)
            l3, h3 = _widen(l3, h3, b3)
            l4, h4 = _widen(l4, h4, b4)
            # Selects, not products with 0 or 1: the sums vectorize as masked adds.
            n0 += b0 <= t0
            n1 += b1 <= t1
            n2 += b2 <= t2
            n3 += b3 <= t3
            n4 += b4 <= t4
            g0 += y if b0 <= t0 else 0.0
            g1 += y if b1 <= t1 else 0.0
            g2 += y if b2 <= t2 else 0.0
            g3 += y if b3 <= t3 else 0.0
            g4 += y if b4 <= t4 else 0.0
        # Written last to first: a repeated feature's entry gets its first copy's sums.
        _store_block_sums(low, high, count, left_sum, j4, l4, h4, n4, g4)
        _store_block_sums(low, high, count, left_sum, j3, l3, h3, n3, g3)
        _store_block_sums(low, high, count, left_sum, j2, l2, h2, n2, g2)
        _store_block_sums(low, high, count, left_sum, j1, l1, h1, n1, g1)
        _store_block_sums(low, high, count, left_sum, i, l0, h0, n0, g0)


@_per_node(inline="always")
def _store_block_sums(low, high, count, left_sum, j, lo, hi, n, g):
    """Write draw ``j``'s code range, left count and left target sum."""
    low[j] = lo
    high[j] = hi
    count[j] = n
    left_sum[j] = g


@_per_node(inline="always")
def _block_sums(XT, rows, wn, cn, yn, classify, unit_weights, first, end, order, threshold,
                i, n_valid, five, count, left_sum, left_weight, ranges, low, high):
    """:func:`_left_sums4` of the block of drawn features starting at draw ``i`` (five
    with ``five``, a constant of each call), their features and thresholds read from
    ``order`` and ``threshold``; a block past the last of the ``n_valid`` valid draws
    repeats it (its sums are never read)."""
    last = n_valid - 1
    f0, f1, f2, f3, f4 = (order[i], order[min(i + 1, last)], order[min(i + 2, last)],
                          order[min(i + 3, last)], order[min(i + 4, last)])
    t0, t1, t2, t3, t4 = (threshold[i], threshold[min(i + 1, last)],
                          threshold[min(i + 2, last)], threshold[min(i + 3, last)],
                          threshold[min(i + 4, last)])
    if unit_weights:  # constants of each call (see _left_sums4)
        _left_sums4(XT, rows, wn, cn, yn, classify, True, first, end, f0, f1, f2, f3, f4, t0,
                    t1, t2, t3, t4, five, i, count, left_sum, left_weight, ranges, low, high)
    else:
        _left_sums4(XT, rows, wn, cn, yn, classify, False, first, end, f0, f1, f2, f3, f4,
                    t0, t1, t2, t3, t4, five, i, count, left_sum, left_weight, False, low,
                    high)


@_per_node(inline="always")
def _undo_draws(order, swaps, n_drawn, n_kept):
    """Undo the feature draws after the first ``n_kept`` of ``n_drawn`` (``swaps[i]``: the
    position draw ``i`` swapped into ``order[i]``), last first."""
    for k in range(n_drawn - 1, n_kept - 1, -1):
        j = swaps[k]
        f = order[j]
        order[j] = order[k]
        order[k] = f


@_per_node(inline="always")
def _valid_draws(order, swaps, states, low, high, n_drawn, state):
    """How many of the ``n_drawn`` draws of :func:`_random_split_prefix` come before the
    first feature that does not vary in the node or that a row lacks (by the codes'
    ``low`` and ``high`` of each draw); the draws from that one on are undone, and the
    stream wound back to before its draw."""
    for i in range(n_drawn):
        if high[i] == MISSING_BIN or low[i] == high[i]:
            _undo_draws(order, swaps, n_drawn, i)
            state[0] = states[i] - _STREAM_STEP  # before this feature's draw
            return i
    return n_drawn


@_per_node(inline="always")
def _random_split_prefix(XT, rows, wn, cn, yn, classify, unit_weights, start, stop, G, W,
                         parent, unbeatable, criterion, min_samples_leaf, min_weight_leaf,
                         max_features, scratch, state, bin_value, order, best, monotonic,
                         monotonic_cst, lower, upper, prefix, fused):
    """The first draws of :func:`_find_random_split` for one regression output or two
    classes (``classify``, a constant of the kind), the features scored four at a time:
    returns how many draws it made (a multiple of four, or one more, unless a drawn feature
    does not vary or a split cannot be beaten), having scored them into ``best`` and left the
    random stream and ``order`` as the search of one feature at a time leaves them; that
    search goes on from there (its ``visited``). The node loop calls it, where the kind is
    a constant: categorical kinds compile none of it.

    That search makes two passes over the node's rows per feature (its codes' range, then
    the left sums), and a pass's loads are what bounds it; here a pass handles four
    features, loading each row's position and target once for the four. The features are
    drawn first, the random stream being a counter (:func:`_next_random`): each feature's
    draw is followed by its threshold's, made out of turn once its range is known
    (:func:`_uniform_at`). That order holds while every drawn feature varies in the node
    and no row lacks it; from the first one that does not, the draws are undone and the
    caller's search takes over at that feature (a last block of fewer than four repeats
    its last feature). When the features drawn are one more than a multiple of four, the
    first block takes five. The thresholds' bins are looked up together, between the passes.
    The sums are the other search's, row for row; the candidates are scored in draw
    order, and where the other search would have stopped at an unbeatable split
    (:func:`_unbeatable`) the stream and ``order`` are wound back to that point.
    ``prefix`` is the scratch of :func:`_find_random_split_rowwise`, indexed by draw.

    With ``fused`` (a node of at least ``_FUSED_MIN_ROWS`` rows), each feature's threshold
    is drawn first over the feature's whole range (see :func:`_drawn_threshold_value`);
    with unit weights, before the pass, so that one pass per block finds both the codes'
    ranges and the left sums, a feature whose draw misses the node's range drawing again
    and taking a pass of its own (:func:`_redraw_missed`). One regression output's pass
    adds its sums in any order (:func:`_fused_target_sums`); the best split's
    missing-value field then says so (``_APPROXIMATE_GAIN``), and the node loop
    recomputes its gain.
    """
    low, high, threshold, count, left_sum, left_weight, swaps, states = prefix
    n_features = XT.shape[0]
    n_node = stop - start
    first = np.uint64(start)
    end = np.uint64(stop)
    # Blocks of four features, the first of five when one more is drawn (the square root
    # of a few dozen features is five), which on its own would take the other search's
    # two passes.
    m = min(max_features, n_features)
    five = m >= 5 and m % 4 == 1
    if not five:
        m &= ~3
    for i in range(m):
        j = i + _randint(state, n_features - i)
        f = order[j]
        order[j] = order[i]
        order[i] = f
        swaps[i] = j
        states[i] = state[0]
        state[0] += _STREAM_STEP * (2 if fused else 1)
    block = 5 if five else 0  # where the blocks of four start
    # (Tested as "if classify", which numba prunes: each kind compiles its own branch.)
    n_valid = m
    fused_pass = False
    approximate = False  # whether the pass's sums are reassociated (see below)
    if classify:
        fused_pass = fused and unit_weights
        if fused_pass:
            # Thresholds first, over each feature's whole range; the pass below finds
            # the ranges too.
            _early_thresholds(order, states, m, bin_value, threshold)
    else:
        # One output of unit weights alike, in a pass of its own whose float sums add in
        # any order (_fused_target_sums: added one row after the other, they keep the
        # pass scalar, and the ranges then cost as much as their own pass); not under
        # monotonic constraints, whose bounds take the split's left sums, nor for
        # Poisson's criterion, which refuses children of (about) zero sums.
        approximate = fused and unit_weights and not monotonic and criterion == 2
        if approximate:
            _early_thresholds(order, states, m, bin_value, threshold)
            _fused_target_sums(XT, rows, yn, first, end, order, threshold, m, low, high,
                               count, left_sum)
            fused_pass = True
    if not fused_pass:
        if five:
            _code_ranges4(XT, rows, first, end, order[0], order[1], order[2], order[3],
                          order[4], True, 0, low, high)
        for i in range(block, m, 4):
            _code_ranges4(XT, rows, first, end, order[i], order[i + 1], order[i + 2],
                          order[i + 3], 0, False, i, low, high)
        n_valid = _valid_draws(order, swaps, states, low, high, m, state)
        for i in range(n_valid):
            f = order[i]
            lo = np.int64(low[i])
            hi = np.int64(high[i])
            u = _drawn_threshold_value(f, lo, hi, bin_value, states[i], fused)
            threshold[i] = _threshold_bin(f, lo, hi, u, bin_value)
    # One pass per block: the left sums, and for two classes the ranges (where the search
    # knew them already, the same ones again: one copy of the loop, compiled once); the
    # reassociated pass summed them already.
    if not approximate:
        if five and n_valid > 0:
            _block_sums(XT, rows, wn, cn, yn, classify, unit_weights, first, end, order,
                        threshold, 0, n_valid, True, count, left_sum, left_weight, classify,
                        low, high)
        for i in range(block, n_valid, 4):
            _block_sums(XT, rows, wn, cn, yn, classify, unit_weights, first, end, order,
                        threshold, i, n_valid, False, count, left_sum, left_weight, classify,
                        low, high)
    if fused_pass:
        n_valid = _valid_draws(order, swaps, states, low, high, m, state)
        _redraw_missed(XT, rows, cn, yn, classify, first, end, order, states, low, high,
                       n_valid, bin_value, threshold, count, left_sum)
    for i in range(n_valid):
        _score_left_sums(order[i], np.int64(threshold[i]), count[i], left_sum[i],
                         left_weight[i], classify, unit_weights, scratch, G, W, n_node,
                         parent, criterion, min_samples_leaf, min_weight_leaf, monotonic,
                         monotonic_cst, lower, upper, best)
        if (approximate and best[1] == order[i] and _early_draw_kept(
                order[i], np.int64(low[i]), np.int64(high[i]), bin_value, states[i])):
            # Its sums are the reassociated pass's (a redrawn feature's are exact).
            best[3] = _APPROXIMATE_GAIN
        if i + 1 < n_valid and _unbeatable(best, n_node, unbeatable):
            # The other search stops here: undo the draws after this one.
            _undo_draws(order, swaps, n_valid, i + 1)
            state[0] = states[i] + _STREAM_STEP * (2 if fused else 1)
            n_valid = i + 1
            break
    scratch[0, 0] = 0.0
    if classify:
        scratch[0, 1] = 0.0
    return n_valid


@_per_node(inline="always")
def _count_left_classes(codes, cn, first, end, t, K, scratch, units, bits,
                        three_registers):
    """The rows at positions ``first:end`` whose code (``codes[r - first]``, see
    :func:`_node_codes`) is at most ``t``: returns their count (a float) and writes their
    count per class to ``scratch[0, :K]``.

    Each class adds its row of ``units`` (the class's 1 in one field of ``bits`` bits,
    in two registers, or three with ``three_registers``, a constant of each call), so
    that the counts add in registers: counters in memory, indexed by the row's class,
    made rows of one class wait for each other's stores. The node's rows must be fewer
    than a field holds."""
    count = 0
    packed0 = packed1 = packed2 = 0
    for r in range(first, end):
        is_left = np.int64(codes[r - first] <= t)
        c = cn[r]
        count += is_left
        packed0 += is_left * units[c, 0]
        packed1 += is_left * units[c, 1]
        if three_registers:
            packed2 += is_left * units[c, 2]
    per_register = 64 // bits
    field = (1 << bits) - 1
    for k in range(K):
        j = k // per_register
        packed = packed0 if j == 0 else (packed1 if j == 1 else packed2)
        # Whole numbers: the same floats as sums of each row's weight.
        scratch[0, k] = np.float64((packed >> (bits * (k % per_register))) & field)
    return np.float64(count)


@_per_node(inline="always")
def _node_codes(XT, f, rows, first, end, codes):
    """Copy the codes of feature ``f`` of the rows at positions ``first:end`` to ``codes``
    (``codes[r - first] = XT[f, rows[r]]``): by :func:`~.gather.gather_codes` from
    ``_GATHER_MIN_ROWS`` rows on, one at a time below, where a vector's setup costs more
    than it saves. Returns the codes' range as bytes: the smallest, the largest, and the
    largest plus one, where the missing code wraps to 0, so that it less one is the
    largest present code (-1 if none)."""
    low = np.uint8(MISSING_BIN)
    high = np.uint8(0)
    top = np.uint8(0)
    if end - first >= _GATHER_MIN_ROWS:
        gather_codes(XT, f, rows, first, end - first, codes)
        # Reduced in bytes, which vectorize 64 rows at a time.
        for p in range(end - first):
            b = codes[p]
            low = min(low, b)
            high = max(high, b)
            top = max(top, np.uint8(b + np.uint8(1)))
    else:
        # The range while copying: a second loop over a few bytes cost five-class trees
        # 2-4% of their time.
        for r in range(first, end):
            b = XT[f, rows[r]]
            codes[r - first] = b
            low = min(low, b)
            high = max(high, b)
            top = max(top, np.uint8(b + np.uint8(1)))
    return low, high, top


@_per_node(inline="always")
def _find_random_split(XT, rows, wn, cn, yn, classify, unit_weights, start, stop, G, W,
                       node_scores, criterion, min_samples_leaf, min_weight_leaf,
                       max_features, scratch, state, bin_value, order, best, constraints,
                       cat, out, GL, visited, fused, codes):
    """Extra trees' split search (``splitter="random"``), written as one function: for each
    drawn feature, one threshold drawn uniformly between the node's smallest and largest
    present bin, scored with missing values on either side.

    Two passes per feature and no histogram: the bin range, then the left side's sums.
    Everything stays in this function because nodes are mostly small, and there the
    calls and array bookkeeping of a function per feature cost more than the passes.
    The feature draw follows :func:`_find_best_split`; the results go to ``best`` likewise.
    ``scratch`` rows 0 and 1 (zeros on entry, zeros on exit) hold the left and missing
    sums when they do not fit in registers. With ``unit_weights`` every row weighs 1.
    ``node_scores`` is ``(parent, unbeatable)``: the node's :func:`_score` and the gain of
    a split it cannot beat (:func:`_unbeatable_gain`, from the node's weighted squared
    targets in regression; see :func:`_unbeatable`).
    ``constraints`` is ``(monotonic, monotonic_cst, lower, upper)``: with ``monotonic``
    (whether any feature is constrained), ``monotonic_cst`` and the node's bounds
    ``lower`` and ``upper`` reject thresholds as :func:`_scan_bins` does. (One tuple:
    a call of more than thirty arguments is compiled as a call with ``*args``, which
    numba does not inline.)
    With categorical features (``cat`` as for :func:`_find_best_split`), a feature of
    ``n_cat[f] > 0`` categories draws a random partition instead
    (:func:`_evaluate_categorical`, with ``out`` and ``GL`` as scratch).
    The caller resets ``best``, and may search first: where
    :func:`_find_random_split_rowwise` found the split (the same split and random stream,
    faster) this is not called; ``visited > 0``: its :func:`_random_split_prefix` drew
    and scored that many features into ``best``, and the search goes on from the next
    draw. With ``fused`` (a node of at least ``_FUSED_MIN_ROWS`` rows) the thresholds are
    drawn as :func:`_random_split_prefix` draws them there (:func:`_drawn_threshold_value`).
    Each feature's codes are first copied to ``codes`` (:func:`_node_codes`), which the
    passes then read in order.
    """
    K = G.shape[0]
    n_features = XT.shape[0]
    n_node = stop - start
    value_of = bin_value[0]  # each bin's value (see bin_values)
    parent, unbeatable = node_scores
    monotonic, monotonic_cst, lower, upper = constraints
    n_constant = 0  # of the visited features, those the node cannot split on
    # Unsigned row positions and row ids: numba then skips its negative-index wraparound,
    # which otherwise costs as much as the loops' own work.
    first = np.uint64(start)
    end = np.uint64(stop)
    for i in range(visited, n_features):
        if (visited >= max_features and visited > n_constant
                or _unbeatable(best, n_node, unbeatable)):
            break
        j = i + _randint(state, n_features - i)
        f = order[j]
        order[j] = order[i]
        order[i] = f
        visited += 1
        if cat is not None:
            n_cat, cat_params, cat_key, cat_idx = cat
            if n_cat[f] > 0:
                if not _evaluate_categorical(XT, f, rows, wn, cn, yn, classify, start, stop,
                                             G, W, criterion, min_samples_leaf,
                                             min_weight_leaf, scratch, out, GL, n_cat[f],
                                             cat_params[0], cat_params[1], True, state,
                                             cat_key, cat_idx):
                    n_constant += 1
                    continue
                if out[0] > -np.inf and (best[1] < 0 or _better(out[0], best[0])):
                    best[0] = out[0]
                    best[1] = f
                    best[2] = out[1]
                    best[3] = out[2]
                    for k in range(3, out.shape[0]):
                        best[k + 1] = out[k]
                continue
        low, high, top = _node_codes(XT, f, rows, first, end, codes)
        lo = np.int64(low)
        hi = np.int64(top) - 1
        has_missing = high == MISSING_BIN
        if hi < 0 or (lo == hi and not has_missing):
            n_constant += 1
            continue  # constant feature: no partition
        # With a single present bin the only partition is "present vs missing" (t = hi).
        u = limit = 0.0
        if has_missing or classify or K > 1:
            t = _random_threshold_bin(f, lo, hi, bin_value, state, fused) if hi > lo else hi
        else:
            # One output without missing values: rows go left by their bin's value (see
            # _value_limit), and the bin, whose search waits on a chain of loads, is only
            # looked up for a candidate that becomes the best (t = -1 until then). (Not
            # for classes: their sums count in integers, whose loop the gather of each
            # row's value slows more than the search costs.)
            u = _threshold_draw(f, lo, hi, bin_value, state, fused)
            limit = _value_limit(value_of, f, hi, u)
            t = -1
        # Branch-free sums: which side a row falls on is a coin flip the CPU cannot
        # predict. Weights and counts accumulate in registers, and so do the targets of
        # two classes (class 0 is the rest, exactly: a row of class 1 adds the same
        # product to both sums) or of one regression output.
        wl = nl = wm = nm = 0.0
        if classify and K == 2 and not has_missing:
            # The same without missing values, the common case: half the accumulators,
            # and with unit weights (extra trees' default) the weight is the count.
            g1 = 0.0
            if unit_weights:
                # Integer counts, both in one register: the left count in the low 32 bits,
                # the left rows of class 1 in the high bits.
                packed = 0
                for r in range(first, end):
                    is_left = np.int64(codes[r - first] <= t)
                    packed += is_left * (1 + (np.int64(cn[r]) << 32))
                nl = packed & 0xFFFFFFFF
                g1 = packed >> 32
                wl = nl
            else:
                for r in range(first, end):
                    b = np.int64(codes[r - first])
                    w = wn[r]
                    is_left = _ZERO_ONE[np.int64(b <= t)]
                    wl += w * is_left
                    nl += is_left
                    g1 += w * cn[r] * is_left
            scratch[0, 0] = wl - g1
            scratch[0, 1] = g1
            scratch[1, 0] = scratch[1, 1] = 0.0
        elif classify and K == 2:
            g1 = m1 = 0.0
            for r in range(first, end):
                b = np.int64(codes[r - first])
                w = wn[r]
                is_left = _ZERO_ONE[np.int64(b <= t)]
                is_missing = _ZERO_ONE[np.int64(b == MISSING_BIN)]
                w1 = w * cn[r]
                wl += w * is_left
                nl += is_left
                g1 += w1 * is_left
                wm += w * is_missing
                nm += is_missing
                m1 += w1 * is_missing
            scratch[0, 0] = wl - g1
            scratch[0, 1] = g1
            scratch[1, 0] = wm - m1
            scratch[1, 1] = m1
        elif not classify and K == 1 and not has_missing:
            # One regression output without missing values: the left side's sums only.
            g = 0.0
            if unit_weights:
                count = 0
                for r in range(first, end):
                    is_left = np.int64(value_of[f, codes[r - first]] <= limit)
                    count += is_left
                    g += yn[rows[r], 0] * _ZERO_ONE[is_left]
                nl = wl = np.float64(count)
            else:
                for r in range(first, end):
                    w = wn[r]
                    is_left = _ZERO_ONE[np.int64(value_of[f, codes[r - first]] <= limit)]
                    wl += w * is_left
                    nl += is_left
                    g += w * yn[rows[r], 0] * is_left
            scratch[0, 0] = g
            scratch[1, 0] = 0.0
        elif not classify and K == 1:
            g = m = 0.0
            for r in range(first, end):
                b = np.int64(codes[r - first])
                w = wn[r]
                wy = w * yn[rows[r], 0]
                is_left = _ZERO_ONE[np.int64(b <= t)]
                is_missing = _ZERO_ONE[np.int64(b == MISSING_BIN)]
                wl += w * is_left
                nl += is_left
                g += wy * is_left
                wm += w * is_missing
                nm += is_missing
                m += wy * is_missing
            scratch[0, 0] = g
            scratch[1, 0] = m
        elif (classify and unit_weights and not has_missing and K <= 6
                and n_node < 1 << _SIX_CLASS_BITS):
            # More classes of unit weights without missing values count their left
            # rows in integers too, a few classes to a register (see _count_left_classes).
            nl = wl = _count_left_classes(codes, cn, first, end, t, K, scratch,
                                          _SIX_CLASS_UNITS, _SIX_CLASS_BITS, False)
        elif (classify and unit_weights and not has_missing and K <= 12
                and n_node < 1 << _TWELVE_CLASS_BITS):
            nl = wl = _count_left_classes(codes, cn, first, end, t, K, scratch,
                                          _TWELVE_CLASS_UNITS, _TWELVE_CLASS_BITS, True)
        else:
            for r in range(first, end):
                row = rows[r]
                b = np.int64(codes[r - first])
                w = wn[r]
                is_left = _ZERO_ONE[np.int64(b <= t)]
                is_missing = _ZERO_ONE[np.int64(b == MISSING_BIN)]
                if classify:
                    c = cn[r]
                    scratch[0, c] += w * is_left
                    scratch[1, c] += w * is_missing
                else:
                    for k in range(K):
                        scratch[0, k] += w * is_left * yn[row, k]
                        scratch[1, k] += w * is_missing * yn[row, k]
                wl += w * is_left
                nl += is_left
                wm += w * is_missing
                nm += is_missing
        _score_random_threshold(f, t, wl, nl, wm, nm, has_missing, scratch, G, W, n_node,
                                parent, criterion, min_samples_leaf, min_weight_leaf,
                                monotonic, monotonic_cst, lower, upper, best)
        if t < 0 and best[1] == f:
            best[2] = _threshold_bin(f, lo, hi, u, bin_value)
        for k in range(K):
            scratch[0, k] = 0.0
            scratch[1, k] = 0.0


@_per_node(inline="always")
def _split_two_rows(XT, rows, wn, cn, yn, classify, start, G, W, parent, criterion,
                    min_samples_leaf, min_weight_leaf, max_features, scratch, state,
                    bin_value, order, best, monotonic, monotonic_cst, lower, upper):
    """:func:`_find_random_split` in a node of two rows, where every valid split makes
    the same children, one row each: the first drawn feature on which the rows differ
    splits them, unless its split is refused (weights, constraints), when the draws go
    on. The same draws, split and gain, without that search's copy of the codes and its
    passes over them (a third of a fully grown tree's splits are of two rows). Leaves
    ``scratch`` as it found it (zeros)."""
    K = G.shape[0]
    n_features = XT.shape[0]
    first = np.uint64(start)
    row_a = rows[first]
    row_b = rows[first + np.uint64(1)]
    n_constant = 0
    visited = 0
    for i in range(n_features):
        if visited >= max_features and visited > n_constant or best[1] >= 0:
            break
        j = i + _randint(state, n_features - i)
        f = order[j]
        order[j] = order[i]
        order[i] = f
        visited += 1
        code_a = XT[f, row_a]
        code_b = XT[f, row_b]
        if code_a == code_b:
            n_constant += 1
            continue
        # The row of the lower code goes left (the missing code is the highest); with a
        # missing code, "present vs missing" is the one partition (no draw).
        lo = np.int64(min(code_a, code_b))
        hi = np.int64(max(code_a, code_b))
        has_missing = hi == MISSING_BIN
        t = lo if has_missing else _random_threshold_bin(f, lo, hi, bin_value, state,
                                                         False)
        p_left = first if code_a < code_b else first + np.uint64(1)
        p_right = first + np.uint64(1) - (p_left - first)
        w_left = wn[p_left]
        w_right = wn[p_right]
        side = 1 if has_missing else 0  # where the right row's sums go, if anywhere
        if classify:
            scratch[0, cn[p_left]] = w_left
            if has_missing:
                scratch[1, cn[p_right]] = w_right
        else:
            for k in range(K):
                scratch[0, k] = w_left * yn[rows[p_left], k]
                if has_missing:
                    scratch[1, k] = w_right * yn[rows[p_right], k]
        _score_random_threshold(f, t, w_left, 1.0, w_right if has_missing else 0.0,
                                np.float64(side), has_missing, scratch, G, W, 2, parent,
                                criterion, min_samples_leaf, min_weight_leaf, monotonic,
                                monotonic_cst, lower, upper, best)
        for k in range(K):
            scratch[0, k] = 0.0
            scratch[1, k] = 0.0


@_per_node(inline="always")
def _score_left_sums(f, t, count, left_sum, left_weight, classify, unit_weights, scratch, G,
                     W, n_node, parent, criterion, min_samples_leaf, min_weight_leaf,
                     monotonic, monotonic_cst, lower, upper, best):
    """:func:`_score_random_threshold` of threshold ``t`` of feature ``f`` in a node without
    missing values, from the left side's sums of the searches that score the drawn
    features together: ``count`` rows, ``left_sum`` of their weighted targets (with
    ``classify``, two classes: of class 1's weight) and ``left_weight`` (the count with
    ``unit_weights``). Leaves ``scratch[0, :2]`` to its caller to clear."""
    nl = np.float64(count)
    wl = nl if unit_weights else left_weight
    if classify:
        # The left weights of class 0 and class 1, as the search one feature at a time
        # writes them.
        scratch[0, 0] = wl - left_sum
        scratch[0, 1] = left_sum
    else:
        scratch[0, 0] = left_sum
    _score_random_threshold(f, t, wl, nl, 0.0, 0.0, False, scratch, G, W, n_node, parent,
                            criterion, min_samples_leaf, min_weight_leaf, monotonic,
                            monotonic_cst, lower, upper, best)


@_per_node()
def _gain_of_left_sums(f, t, left_sum, left_weight, n_left, node_sum, node_weight, n_node,
                       criterion, min_samples_leaf, min_weight_leaf, monotonic_cst, G,
                       scratch, best):
    """The gain :func:`_score_random_threshold` scores for threshold ``t`` of feature
    ``f`` in a node of one regression output without missing values, ``node_sum`` and
    ``node_weight`` its target sum and weight, whose left side has ``n_left`` rows of
    target sum ``left_sum`` and weight ``left_weight``. ``G``, ``scratch`` (zeros, as
    the searches leave it) and ``best`` are scratch, free between searches. Out of line:
    it serves large nodes only (see :func:`_fused_target_sums`), and inlined, a second
    copy of the scoring made the regression node loop's first JIT compile 44 s against
    39 s."""
    G[0] = node_sum
    scratch[0, 0] = left_sum
    best[1] = -1.0
    _score_random_threshold(f, t, left_weight, n_left, 0.0, 0.0, False, scratch, G,
                            node_weight, n_node, _score(G, node_weight, criterion), criterion,
                            min_samples_leaf, min_weight_leaf, False, monotonic_cst, -np.inf,
                            np.inf, best)
    scratch[0, 0] = 0.0
    return best[0]


@_per_node(inline="always")
def _score_random_threshold(f, t, wl, nl, wm, nm, has_missing, scratch, G, W, n_node, parent,
                            criterion, min_samples_leaf, min_weight_leaf, monotonic,
                            monotonic_cst, lower, upper, best):
    """Score extra trees' drawn threshold ``t`` of feature ``f`` and keep it in ``best``
    if it beats the best so far (as :func:`_find_best_split` fills it).

    ``wl`` and ``nl`` are the weight and count of the present rows at or below ``t``,
    ``scratch[0]`` their K target sums; with ``has_missing`` (rows lack the feature), ``wm``,
    ``nm`` and ``scratch[1]`` are theirs, and they are tried on either side. ``parent``
    is the node's :func:`_score`.
    """
    K = G.shape[0]
    for miss_left in range(2 if has_missing else 1):
        w_left = wl + miss_left * wm
        n_left = nl + miss_left * nm
        w_right = W - w_left
        if (n_left < min_samples_leaf or n_node - n_left < min_samples_leaf
                or w_left < min_weight_leaf or w_right < min_weight_leaf
                or w_left <= 0.0 or w_right <= 0.0):
            continue
        if monotonic:
            g0 = scratch[0, 0] + miss_left * scratch[1, 0]
            if monotonic_cst[f] != 0 and not _monotone(
                    monotonic_cst[f], lower, upper, g0 / w_left, (G[0] - g0) / w_right):
                continue
        gain = -parent
        for k in range(K):
            gl = scratch[0, k] + miss_left * scratch[1, k]
            gr = G[k] - gl
            if criterion == 1:
                if gl > 0.0:
                    gain += gl * np.log2(gl / w_left)
                if gr > 0.0:
                    gain += gr * np.log2(gr / w_right)
            elif criterion == 3:
                zero = max(_EPSILON, _POISSON_ZERO * G[k])
                if gl <= zero or gr <= zero:
                    gain = -np.inf  # scikit-learn's rule: no child of zero mean
                    break
                gain += gl * np.log(gl / w_left) + gr * np.log(gr / w_right)
            else:
                gain += gl * gl / w_left + gr * gr / w_right
        if gain == -np.inf:
            continue
        if best[1] < 0 or _better(gain, best[0]):
            best[0] = gain
            best[1] = f
            best[2] = t
            # -1: no row of the node lacks the feature (the partition need not count).
            best[3] = miss_left if has_missing else -1.0
            for k in range(K):
                best[4 + k] = scratch[0, k] + miss_left * scratch[1, k]
            best[4 + K] = w_left
            best[5 + K] = n_left


@_per_node()
def _poisson_invalid(G, GL, hist, miss_left):
    """Whether a child of a Poisson split has a target sum of (about) zero in an output:
    its mean prediction would be 0, of infinite deviance, so scikit-learn refuses it.

    The left sums are the present rows' ``GL`` plus, with ``miss_left``, the missing rows'
    (``hist[MISSING_BIN]``); the right ones are the rest. A sum summed in another order
    than the node's misses zero by rounding, so "zero" is relative to the node's sum
    (targets are non-negative: no cancellation hides a real sum that small).
    """
    for k in range(G.shape[0]):
        gl = GL[k] + miss_left * hist[MISSING_BIN, k]
        zero = max(_EPSILON, _POISSON_ZERO * G[k])
        if gl <= zero or G[k] - gl <= zero:
            return True
    return False


@_per_node()
def _monotone(cst, lower, upper, value_left, value_right):
    """Whether a split's children values respect a monotonic constraint (scikit-learn's
    rule): both lie within the node's bounds, and they do not decrease (``cst == 1``) or
    increase (``cst == -1``) from left to right."""
    return (lower <= value_left <= upper and lower <= value_right <= upper
            and (value_left - value_right) * cst <= 0.0)


@_per_node()
def _better(gain, best):
    """A gain beats the best so far only by more than rounding: weighted rows and repeated
    rows sum in different orders, and must still pick the same split."""
    return gain > best + 1e-9 * abs(best)


@_per_node(inline="always")
def _unbeatable_gain(G, W, sq, parent, criterion):
    """A gain at which no split of the node can be beaten (``parent``: the node's
    :func:`_score`): the largest gain there is, less :func:`_better`'s tolerance, plus
    the rounding of its own sums. The largest gain is known for Gini and entropy
    (children of one class each, whose scores are then the sum of ``G``, each output's
    classes summing to the weight, and 0), whether ``G`` sums labels or, for several
    outputs, class indicators (a tree of copies of one target then stops where the tree
    of the target does), and for squared error (children of one target value each: the
    sum of ``sq``, the weighted squared targets); ``inf`` otherwise."""
    if criterion <= 1:
        top = 0.0
        if criterion == 0:
            for k in range(G.shape[0]):
                top += G[k]
        scale = W
    elif criterion == 2:
        top = 0.0
        for k in range(sq.shape[0]):
            top += sq[k]
        scale = top
    else:
        return np.inf
    largest = top - parent
    return largest - 1e-10 * abs(largest) + 1e-15 * scale


@_per_node(inline="always")
def _best_partition_gain(rows, wn, yn, start, stop, G, W, sq, parent, by_target):
    """The squared error's gain of the best two-way partition of the node's rows, any
    partition, with :func:`_unbeatable_gain`'s margins (one regression output): a split
    that reaches it cannot be beaten, the best so far being kept on equal gains.

    On a line, the two groups of weighted points with the least squared error are
    intervals, so the best partition cuts the rows in the order of their targets:
    ``n - 1`` cuts to score, in the node's rows sorted by target (positions written to
    ``by_target``; a rank by comparisons, the node being small). The margins cover the
    rounding of sums added in another order than a feature's scan adds them.
    """
    n = stop - start
    for i in range(n):
        y = yn[rows[start + i], 0]
        rank = 0
        for j in range(n):
            other = yn[rows[start + j], 0]
            rank += (other < y) | ((other == y) & (j < i))
        by_target[rank] = start + i
    g_left = w_left = 0.0
    largest = -np.inf
    for q in range(n - 1):
        r = by_target[q]
        w = wn[r]
        g_left += w * yn[rows[r], 0]
        w_left += w
        g_right = G[0] - g_left
        largest = max(largest, g_left * g_left / w_left + g_right * g_right / (W - w_left))
    largest -= parent
    return largest - 1e-10 * abs(largest) + 1e-15 * sq[0]


@_per_node(inline="always")
def _unbeatable_split_gain(rows, wn, yn, start, stop, G, W, sq, parent, criterion, classify,
                           max_rows, by_target):
    """:func:`_unbeatable_gain`, in a node of one regression output under the squared
    error of at most ``max_rows`` rows lowered to the gain of its best two-way partition
    (:func:`_best_partition_gain`, ``by_target`` its scratch). Returns the gain and
    whether it was lowered. Every search of a kind takes it from here, so that the dense
    and sparse ones stop alike."""
    unbeatable = _unbeatable_gain(G, W, sq, parent, criterion)
    lowered = (not classify and G.shape[0] == 1 and criterion == 2
               and 2 < stop - start <= max_rows)
    if lowered:
        unbeatable = min(unbeatable, _best_partition_gain(rows, wn, yn, start, stop, G, W,
                                                          sq, parent, by_target))
    return unbeatable, lowered


@_per_node(inline="always")
def _unbeatable(best, n_node, unbeatable):
    """Whether no split left to examine can replace the best so far, so that the search
    may stop: in a node of two rows every valid split makes the same children, one row
    each, and :func:`_better` keeps the first of equal gains; a gain of at least
    ``unbeatable`` (:func:`_unbeatable_gain`) can only be matched. The split found is
    the one the whole search finds; only the random stream moves on less. Classification
    on two classes and squared error on their 0/1 indicator stop alike, so that both
    grow the same tree, as in scikit-learn."""
    return best[1] >= 0 and (n_node == 2 or best[0] >= unbeatable)


@_per_node()
def _scan_bins(hist, lo, hi, has_missing, G, W, n_node, criterion, min_samples_leaf,
               min_weight_leaf, out, GL, GR, cst, lower, upper):
    """Evaluate thresholds ``bin <= t`` over a filled histogram; returns whether any
    threshold satisfies the leaf constraints. ``GL`` and ``GR`` are scratch. With ``cst``
    nonzero, a threshold whose children's values (channel 0) break the monotonic
    constraint or leave ``[lower, upper]`` is skipped (see :func:`_monotone`); ``cst`` is
    None for a free feature's scan, so that numba compiles no check at all."""
    K = G.shape[0]
    parent = _score(G, W, criterion)
    # Thresholds t in [lo, hi - 1]; with missing values t = hi too (present values left,
    # missing right).
    last = hi if has_missing else hi - 1
    for k in range(K):
        GL[k] = 0.0
    WL = 0.0
    NL = 0.0
    found = False
    if K == 1 and criterion == 2 and (cst is None or cst == 0):
        # One output, the squared error, no constraint (most regression trees): the scan
        # below, the same arithmetic on sums kept in registers (see
        # _evaluate_feature_sorted).
        g_left = 0.0
        for b in range(lo, last + 1):
            if hist[b, 2] == 0.0:
                continue
            g_left += hist[b, 0]
            WL += hist[b, 1]
            NL += hist[b, 2]
            for miss_left in range(2 if has_missing else 1):
                wl = WL + miss_left * hist[MISSING_BIN, 1]
                nl = NL + miss_left * hist[MISSING_BIN, 2]
                wr = W - wl
                if (nl < min_samples_leaf or n_node - nl < min_samples_leaf
                        or wl < min_weight_leaf or wr < min_weight_leaf or wl <= 0.0
                        or wr <= 0.0):
                    continue
                gr = G[0] - g_left - miss_left * hist[MISSING_BIN, 0]
                gl = G[0] - gr
                gain = gl * gl / wl + gr * gr / wr - parent
                if not found or _better(gain, out[0]):
                    found = True
                    out[0] = gain
                    out[1] = b
                    out[2] = miss_left
                    out[3] = gl
                    out[4] = wl
                    out[5] = nl
    else:
        for b in range(lo, last + 1):
            if hist[b, K + 1] == 0.0:
                continue  # same partition as the previous threshold: nothing new to score
            for k in range(K):
                GL[k] += hist[b, k]
            WL += hist[b, K]
            NL += hist[b, K + 1]
            for miss_left in range(2 if has_missing else 1):
                wl = WL + miss_left * hist[MISSING_BIN, K]
                nl = NL + miss_left * hist[MISSING_BIN, K + 1]
                nr = n_node - nl
                wr = W - wl
                if (nl < min_samples_leaf or nr < min_samples_leaf or wl < min_weight_leaf
                        or wr < min_weight_leaf or wl <= 0.0 or wr <= 0.0):
                    continue
                for k in range(K):
                    GR[k] = G[k] - GL[k] - miss_left * hist[MISSING_BIN, k]
                if cst is not None:  # pruned at compile time for a free feature's scan
                    if cst != 0 and not _monotone(cst, lower, upper, (G[0] - GR[0]) / wl,
                                                  GR[0] / wr):
                        continue
                # Both children's S (see _score) in one loop: a call per threshold cost more
                # than the arithmetic in small nodes.
                score_left = 0.0
                score_right = 0.0
                if criterion == 1:
                    for k in range(K):
                        gl = G[k] - GR[k]
                        if gl > 0.0:
                            score_left += gl * np.log2(gl / wl)
                        if GR[k] > 0.0:
                            score_right += GR[k] * np.log2(GR[k] / wr)
                elif criterion == 3:
                    if _poisson_invalid(G, GL, hist, miss_left):
                        continue
                    for k in range(K):
                        gl = GL[k] + miss_left * hist[MISSING_BIN, k]
                        score_left += gl * np.log(gl / wl)
                        if GR[k] > 0.0:
                            score_right += GR[k] * np.log(GR[k] / wr)
                else:
                    for k in range(K):
                        gl = G[k] - GR[k]
                        score_left += gl * gl / wl
                        score_right += GR[k] * GR[k] / wr
                gain = score_left + score_right - parent
                if not found or _better(gain, out[0]):
                    found = True
                    out[0] = gain
                    out[1] = b
                    out[2] = miss_left
                    for k in range(K):
                        out[3 + k] = G[k] - GR[k]
                    out[3 + K] = wl
                    out[4 + K] = nl
    if found and out[1] < hi:
        # Every threshold up to the next non-empty bin makes the same partition; take the
        # middle one, so the raw-value threshold sits mid-gap between the two sides'
        # values, as exact trees place it, instead of hugging the left side.
        b = np.int64(out[1])
        nxt = b + 1
        while nxt < hi and hist[nxt, K + 1] == 0.0:
            nxt += 1
        out[1] = (b + nxt) // 2
    return found


# --------------------------------------------------------------------- categorical
# A categorical feature's codes are its categories (0 .. n_cat - 1, at most 255; the
# missing code 255 also holds unseen and rare categories). Its split sends a *set* of
# categories left, written as a bitset of CAT_WORDS 32-bit words (category c is bit
# c % 32 of word c // 32); in a search result the words follow the left side's sums, as
# floats (exact below 2**53).
CAT_WORDS = 8


@_per_node()
def _order_categories(hist, m, G, W, smooth, cat_key, cat_idx):
    """Sort the node's ``m`` present categories (``cat_idx[:m]``, their sums in ``hist``)
    by their smoothed mean of one channel, ``(G_ck + s G_k / W) / (W_c + s)``, ascending
    (stable: ties keep the codes' order).

    The channel is the one whose category means spread most (the largest weighted sum of
    squares of the means about the node's): the only one for a single regression output,
    either class for two classes (same order, reversed), and for more classes or outputs
    the class or output that the categories separate best, for which ordering the
    categories makes the prefix splits nearly as good as any partition (exactly so for
    two classes and one output, Breiman et al. 1984).
    """
    K = G.shape[0]
    channel = 0
    spread = -1.0
    for k in range(K):
        mean = G[k] / W
        s = 0.0
        for q in range(m):
            c = cat_idx[q]
            d = (hist[c, k] + smooth * mean) / (hist[c, K] + smooth) - mean
            s += hist[c, K] * d * d
        if s > spread:
            spread = s
            channel = k
    mean = G[channel] / W
    for q in range(m):
        c = cat_idx[q]
        key = (hist[c, channel] + smooth * mean) / (hist[c, K] + smooth)
        # Insertion sort: a few categories per node, mostly.
        p = q
        while p > 0 and cat_key[p - 1] > key:
            cat_key[p] = cat_key[p - 1]
            cat_idx[p] = cat_idx[p - 1]
            p -= 1
        cat_key[p] = key
        cat_idx[p] = c


@_per_node()
def _partition_gain(G, GL, hist, miss_left, W, wl, wr, criterion, parent):
    """``S(L) + S(R) - S(P)`` of a split whose left side holds the sums ``GL`` and, with
    ``miss_left``, the missing rows' (``hist[MISSING_BIN]``); -inf for a Poisson split
    with a child of zero sum (see :func:`_poisson_invalid`)."""
    gain = -parent
    for k in range(G.shape[0]):
        gl = GL[k] + miss_left * hist[MISSING_BIN, k]
        gr = G[k] - gl
        if criterion == 1:
            if gl > 0.0:
                gain += gl * np.log2(gl / wl)
            if gr > 0.0:
                gain += gr * np.log2(gr / wr)
        elif criterion == 3:
            zero = max(_EPSILON, _POISSON_ZERO * G[k])
            if gl <= zero or gr <= zero:
                return -np.inf
            gain += gl * np.log(gl / wl) + gr * np.log(gr / wr)
        else:
            gain += gl * gl / wl + gr * gr / wr
    return gain


@_per_node()
def _evaluate_categorical(XT, f, rows, wn, cn, yn, classify, start, stop, G, W, criterion,
                          min_samples_leaf, min_weight_leaf, hist, out, GL, n_cat, onehot,
                          smooth, random_split, state, cat_key, cat_idx):
    """The best partition of categorical feature ``f`` (``n_cat`` categories) in a node,
    or with ``random_split`` one drawn at random; writes (gain, 0, default_left), the left
    side's sums (K targets, weight, count) and its categories' bitset (``CAT_WORDS``
    words from ``out[5 + K]``) to ``out``, gain -inf when no candidate qualifies.

    Candidates, each with the missing rows on either side: with fewer than ``onehot``
    categories, each category present in the node alone against the others; otherwise the
    present categories ordered by their smoothed mean (:func:`_order_categories`) and cut
    after each of the first ``m - 1``; with missing rows also every present category
    against them. Extra trees draw one candidate uniformly among the first kind (all
    present categories against the missing rows when only one is present), as they draw
    a threshold between the node's values. ``hist`` is all zeros on entry and on exit.
    Returns False when the node has no partition of the feature (one category, no
    missing rows).
    """
    K = G.shape[0]
    for i in range(np.uint64(start), np.uint64(stop)):
        row = rows[i]
        _add_row(hist, np.int64(XT[f, row]), i, row, wn, cn, yn, classify)
    m = 0
    for c in range(n_cat):
        if hist[c, K + 1] > 0.0:
            cat_idx[m] = c
            m += 1
    has_missing = hist[MISSING_BIN, K + 1] > 0.0
    out[0] = -np.inf
    valid = m >= 2 or (m == 1 and has_missing)
    if valid:
        one_vs_rest = n_cat < onehot
        if not one_vs_rest:
            _order_categories(hist, m, G, W, smooth, cat_key, cat_idx)
        n_regular = 0
        if m >= 2:
            n_regular = m if one_vs_rest else m - 1
        n_cand = n_regular + (1 if has_missing else 0)
        first = 0
        last = n_cand - 1
        if random_split:
            first = _randint(state, n_regular) if n_regular > 0 else n_regular
            last = first
        parent = _score(G, W, criterion)
        n_node = stop - start
        for k in range(K):
            GL[k] = 0.0
        WL = 0.0
        NL = 0.0
        summed = 0  # categories of the order summed into GL
        best_q = -1
        for q in range(first, last + 1):
            if one_vs_rest and q < n_regular:
                c = cat_idx[q]
                for k in range(K):
                    GL[k] = hist[c, k]
                WL = hist[c, K]
                NL = hist[c, K + 1]
            else:
                if one_vs_rest:  # the last candidate: every present category
                    for k in range(K):
                        GL[k] = 0.0
                    WL = 0.0
                    NL = 0.0
                upto = m if q == n_regular else q + 1
                while summed < upto:
                    c = cat_idx[summed]
                    for k in range(K):
                        GL[k] += hist[c, k]
                    WL += hist[c, K]
                    NL += hist[c, K + 1]
                    summed += 1
            for miss_left in range(2 if has_missing else 1):
                wl = WL + miss_left * hist[MISSING_BIN, K]
                nl = NL + miss_left * hist[MISSING_BIN, K + 1]
                wr = W - wl
                if (nl < min_samples_leaf or n_node - nl < min_samples_leaf
                        or wl < min_weight_leaf or wr < min_weight_leaf or wl <= 0.0
                        or wr <= 0.0):
                    continue
                gain = _partition_gain(G, GL, hist, miss_left, W, wl, wr, criterion, parent)
                if gain == -np.inf:
                    continue
                if best_q < 0 or _better(gain, out[0]):
                    best_q = q
                    out[0] = gain
                    out[2] = miss_left
                    for k in range(K):
                        out[3 + k] = GL[k] + miss_left * hist[MISSING_BIN, k]
                    out[3 + K] = wl
                    out[4 + K] = nl
        if best_q >= 0:
            out[1] = 0.0
            for w in range(CAT_WORDS):
                out[5 + K + w] = 0.0
            lo = 0
            hi = best_q + 1
            if best_q == n_regular:
                hi = m
            elif one_vs_rest:
                lo = best_q
            for q in range(lo, hi):
                c = cat_idx[q]
                out[5 + K + (c >> 5)] += np.float64(np.int64(1) << (c & 31))
    for q in range(m):
        c = cat_idx[q]
        for k in range(K + 2):
            hist[c, k] = 0.0
    for k in range(K + 2):
        hist[MISSING_BIN, k] = 0.0
    return valid


# --------------------------------------------------------------------- absolute error
# criterion="absolute_error": node values are weighted medians and a split is scored by
# the absolute deviations of its two sides from their own medians. Medians are no sums,
# so no histogram serves. When a node opens, its targets are ranked (a heap sort per
# output); for each examined feature its rows are bucketed by bin and added, bin by bin,
# to a Fenwick tree over the target ranks that holds prefix sums of the weights and
# weighted targets: the weighted median of the rows added so far and their absolute
# deviation come from one descent of the tree (scikit-learn's method). A feature costs
# O(n log n) in a node of n rows (two passes, four with missing values), where the other
# criteria cost O(n).
#
# Scratch (see _grow): ``mae_rank[i, k]`` the rank of node position i's target k;
# ``mae_sorted[start + r, k]`` the node's target k of rank r; ``mae_key``/``mae_idx``
# sort keys and positions; ``mae_pos`` node positions bucketed by bin; ``fen`` the Fenwick
# tree (weights, weighted targets; 1-based); ``mae_bins[b]`` per bin: row count, weight,
# then the deviations of four nested sets (see _mae_best_feature); ``mae_off`` the buckets'
# offsets.


@_per_node()
def _sift_down(key, idx, first, root, n):
    while True:
        child = 2 * root + 1
        if child >= n:
            return
        if child + 1 < n and key[first + child + 1] > key[first + child]:
            child += 1
        if not key[first + child] > key[first + root]:
            return
        k = key[first + root]
        key[first + root] = key[first + child]
        key[first + child] = k
        j = idx[first + root]
        idx[first + root] = idx[first + child]
        idx[first + child] = j
        root = child


@_per_node()
def _heap_sort(key, idx, first, n):
    """Sort ``key[first:first + n]`` ascending, moving ``idx`` along (in place)."""
    for root in range(n // 2 - 1, -1, -1):
        _sift_down(key, idx, first, root, n)
    for end in range(n - 1, 0, -1):
        k = key[first]
        key[first] = key[first + end]
        key[first + end] = k
        j = idx[first]
        idx[first] = idx[first + end]
        idx[first + end] = j
        _sift_down(key, idx, first, 0, end)


@_per_node()
def _mae_open(yn, wn, start, stop, value, node, mae_rank, mae_sorted, mae_key, mae_idx):
    """Rank the node's targets, set ``value[node]`` to their weighted medians and return
    the weighted absolute deviation from them, summed over the outputs.

    The median is scikit-learn's: the smallest target whose cumulative weight (in target
    order) exceeds half the node's weight, or its midpoint with the previous target when
    the weight before it is exactly half.
    """
    K = yn.shape[1]
    n = stop - start
    total = 0.0
    for k in range(K):
        for j in range(n):
            mae_key[start + j] = yn[start + j, k]
            mae_idx[start + j] = j
        _heap_sort(mae_key, mae_idx, start, n)
        W = 0.0
        for j in range(n):
            mae_rank[start + mae_idx[start + j], k] = j
            mae_sorted[start + j, k] = mae_key[start + j]
            W += wn[start + mae_idx[start + j]]
        half = 0.5 * W
        cum = 0.0
        median = mae_key[start + n - 1]
        for j in range(n):
            before = cum
            cum += wn[start + mae_idx[start + j]]
            if cum > half:
                median = mae_key[start + j]
                if before == half and j > 0:
                    median = 0.5 * (mae_key[start + j - 1] + median)
                break
        value[node, k] = median
        for j in range(n):
            total += wn[start + mae_idx[start + j]] * abs(mae_key[start + j] - median)
    return total


@_per_node()
def _fenwick_reset(fen, n):
    for i in range(n + 1):
        fen[i, 0] = 0.0
        fen[i, 1] = 0.0


@_per_node()
def _fenwick_add(fen, n, rank, y, w):
    i = rank + 1
    while i <= n:
        fen[i, 0] += w
        fen[i, 1] += w * y
        i += i & -i


@_per_node()
def _fenwick_deviation(fen, n, sorted_y, k, start, total_w, total_wy):
    """Weighted absolute deviation from their weighted median of the targets in the
    Fenwick tree (of ``n`` ranks; total weight ``total_w`` and weighted sum ``total_wy``):
    ``sum w (y - m)`` above the median plus ``sum w (m - y)`` below, from the prefix sums
    below the median's rank. Returns ``(deviation, median)``."""
    half = 0.5 * total_w
    top = 1
    while top * 2 <= n:
        top *= 2
    # The longest prefix of weight at most half: the median's rank follows it.
    pos = 0
    w_left = 0.0
    wy_left = 0.0
    step = top
    while step > 0:
        if pos + step <= n and w_left + fen[pos + step, 0] <= half:
            pos += step
            w_left += fen[pos, 0]
            wy_left += fen[pos, 1]
        step >>= 1
    median = sorted_y[start + pos, k]
    if w_left == half:
        # Exactly half below: the median is the midpoint with the largest rank below
        # (the end of the longest prefix of weight under half).
        prev = 0
        w = 0.0
        step = top
        while step > 0:
            if prev + step <= n and w + fen[prev + step, 0] < half:
                prev += step
                w += fen[prev, 0]
            step >>= 1
        median = 0.5 * (sorted_y[start + prev, k] + median)
    deviation = ((total_wy - wy_left - median * (total_w - w_left))
                 + (median * w_left - wy_left))
    return deviation, median


@_per_node()
def _mae_add_bin(b, mae_pos, mae_off, mae_rank, yn, wn, k, fen, n, sums):
    """Add the rows of bin ``b`` (output ``k``) to the Fenwick tree and to ``sums``
    (weight, weighted target)."""
    for q in range(mae_off[b], mae_off[b + 1]):
        i = mae_pos[q]
        w = wn[i]
        y = yn[i, k]
        _fenwick_add(fen, n, mae_rank[i, k], y, w)
        sums[0] += w
        sums[1] += w * y


@_per_node()
def _mae_best_feature(XT, f, rows, wn, yn, start, stop, W, node_ae, min_samples_leaf,
                      min_weight_leaf, mae_rank, mae_sorted, mae_pos, fen, mae_bins, mae_off,
                      sums, out, cst, lower, upper):
    """Best threshold of feature ``f`` for the absolute error; writes (gain, bin,
    default_left, left weight, left count) to ``out`` (gain -inf if none qualifies).
    Returns False when the feature is constant in the node.

    ``mae_bins[b, 2:6]`` collect, summed over the outputs, the deviations of the rows of
    bins ``<= b`` (column 2), the same with the missing rows (3), the rows of bins ``>= b``
    (4) and the same with the missing rows (5); under a monotonic constraint (``cst``
    nonzero; 0 for a free feature), ``mae_bins[b, 6:10]`` hold the medians of the same
    sets (one output), a threshold whose children's medians break the constraint or the
    node's bounds ``[lower, upper]`` is skipped, as scikit-learn does, and ``out[5]`` is
    the midpoint of the chosen children's medians (0 for a free feature).
    """
    K = yn.shape[1]
    n = stop - start
    for b in range(MISSING_BIN + 1):
        for c in range(6):
            mae_bins[b, c] = 0.0
    lo = np.int64(MISSING_BIN)
    hi = np.int64(-1)
    for i in range(start, stop):
        b = np.int64(XT[f, rows[i]])
        mae_bins[b, 0] += 1.0
        mae_bins[b, 1] += wn[i]
        if b != MISSING_BIN:
            lo = min(lo, b)
            hi = max(hi, b)
    has_missing = mae_bins[MISSING_BIN, 0] > 0.0
    out[0] = -np.inf
    if hi < 0 or (lo == hi and not has_missing):
        return False
    # Bucket the node's positions by bin (missing last): mae_off[b] is where bucket b
    # starts, and after the fill where it ends, so a shift makes it the start again.
    pos = start
    for b in range(MISSING_BIN + 1):
        mae_off[b] = pos
        pos += np.int64(mae_bins[b, 0])
    for i in range(start, stop):
        b = np.int64(XT[f, rows[i]])
        mae_pos[mae_off[b]] = i
        mae_off[b] += 1
    for b in range(MISSING_BIN, -1, -1):  # back to the buckets' starts
        mae_off[b + 1] = mae_off[b]
    mae_off[0] = start
    missing_ae = 0.0
    missing_median = 0.0
    for k in range(K):
        for with_missing in range(2 if has_missing else 1):
            # Forward: bins <= b (after the missing rows).
            _fenwick_reset(fen, n)
            sums[0] = sums[1] = 0.0
            if with_missing:
                _mae_add_bin(MISSING_BIN, mae_pos, mae_off, mae_rank, yn, wn, k, fen, n, sums)
                deviation, missing_median = _fenwick_deviation(fen, n, mae_sorted, k, start,
                                                               sums[0], sums[1])
                missing_ae += deviation
            for b in range(lo, hi + 1):
                if mae_bins[b, 0] > 0.0:
                    _mae_add_bin(b, mae_pos, mae_off, mae_rank, yn, wn, k, fen, n, sums)
                    deviation, median = _fenwick_deviation(fen, n, mae_sorted, k, start,
                                                           sums[0], sums[1])
                    mae_bins[b, 2 + with_missing] += deviation
                    if cst != 0:
                        mae_bins[b, 6 + with_missing] = median
            # Backward: bins >= b (after the missing rows).
            _fenwick_reset(fen, n)
            sums[0] = sums[1] = 0.0
            if with_missing:
                _mae_add_bin(MISSING_BIN, mae_pos, mae_off, mae_rank, yn, wn, k, fen, n, sums)
            for b in range(hi, lo - 1, -1):
                if mae_bins[b, 0] > 0.0:
                    _mae_add_bin(b, mae_pos, mae_off, mae_rank, yn, wn, k, fen, n, sums)
                    deviation, median = _fenwick_deviation(fen, n, mae_sorted, k, start,
                                                           sums[0], sums[1])
                    mae_bins[b, 4 + with_missing] += deviation
                    if cst != 0:
                        mae_bins[b, 8 + with_missing] = median
    # Thresholds t in [lo, hi - 1]; with missing values t = hi too (present values left,
    # missing right).
    last = hi if has_missing else hi - 1
    n_missing = mae_bins[MISSING_BIN, 0]
    w_missing = mae_bins[MISSING_BIN, 1]
    WL = 0.0
    NL = 0.0
    best_next = hi
    for t in range(lo, last + 1):
        if mae_bins[t, 0] == 0.0:
            continue
        WL += mae_bins[t, 1]
        NL += mae_bins[t, 0]
        nxt = t + 1
        while nxt <= hi and mae_bins[nxt, 0] == 0.0:
            nxt += 1
        for miss_left in range(2 if has_missing else 1):
            wl = WL + miss_left * w_missing
            nl = NL + miss_left * n_missing
            wr = W - wl
            if (nl < min_samples_leaf or n - nl < min_samples_leaf or wl < min_weight_leaf
                    or wr < min_weight_leaf or wl <= 0.0 or wr <= 0.0):
                continue
            left_ae = mae_bins[t, 2 + miss_left]
            if nxt > hi:
                right_ae = missing_ae  # only the missing rows go right
            else:
                # Missing rows go right unless they went left.
                right_ae = mae_bins[nxt, 5 if has_missing and not miss_left else 4]
            middle = 0.0
            if cst != 0:
                left_median = mae_bins[t, 6 + miss_left]
                if nxt > hi:
                    right_median = missing_median
                else:
                    right_median = mae_bins[nxt, 9 if has_missing and not miss_left else 8]
                if not _monotone(cst, lower, upper, left_median, right_median):
                    continue
                middle = 0.5 * (left_median + right_median)
            gain = node_ae - left_ae - right_ae
            if out[0] == -np.inf or _better(gain, out[0]):
                out[0] = gain
                out[1] = t
                out[2] = miss_left
                out[3] = wl
                out[4] = nl
                best_next = nxt
                out[5] = middle
    if out[0] > -np.inf and out[1] < hi:
        out[1] = (np.int64(out[1]) + best_next) // 2  # mid-gap, as _scan_bins places it
    return True


@_per_node()
def _mae_random_feature(XT, f, rows, wn, yn, start, stop, W, node_ae, t, min_samples_leaf,
                        min_weight_leaf, mae_rank, mae_sorted, fen, mae_bins, sums, out, cst,
                        lower, upper):
    """:func:`_mae_best_feature` for one threshold ``t`` (extra trees): the deviations of
    the rows left of it and right of it, each with and without the missing rows (and their
    medians, in ``mae_bins[0, 6:10]``, under a monotonic constraint)."""
    K = yn.shape[1]
    n = stop - start
    wl = nl = wm = nm = 0.0
    for i in range(start, stop):
        b = np.int64(XT[f, rows[i]])
        if b == MISSING_BIN:
            wm += wn[i]
            nm += 1.0
        elif b <= t:
            wl += wn[i]
            nl += 1.0
    # mae_bins[0, 2:6]: the deviations of the left rows, the left and missing rows, the
    # right rows, the right and missing rows.
    for c in range(2, 6):
        mae_bins[0, c] = 0.0
    for k in range(K):
        for side in range(2):
            _fenwick_reset(fen, n)
            sums[0] = sums[1] = 0.0
            for i in range(start, stop):
                b = np.int64(XT[f, rows[i]])
                if b != MISSING_BIN and (b <= t) == (side == 0):
                    _fenwick_add(fen, n, mae_rank[i, k], yn[i, k], wn[i])
                    sums[0] += wn[i]
                    sums[1] += wn[i] * yn[i, k]
            if sums[0] > 0.0:
                deviation, median = _fenwick_deviation(fen, n, mae_sorted, k, start, sums[0],
                                                       sums[1])
                mae_bins[0, 2 + 2 * side] += deviation
                if cst != 0:
                    mae_bins[0, 6 + 2 * side] = median
            if nm > 0.0:
                for i in range(start, stop):
                    if XT[f, rows[i]] == MISSING_BIN:
                        _fenwick_add(fen, n, mae_rank[i, k], yn[i, k], wn[i])
                        sums[0] += wn[i]
                        sums[1] += wn[i] * yn[i, k]
                deviation, median = _fenwick_deviation(fen, n, mae_sorted, k, start, sums[0],
                                                       sums[1])
                mae_bins[0, 3 + 2 * side] += deviation
                if cst != 0:
                    mae_bins[0, 7 + 2 * side] = median
    out[0] = -np.inf
    for miss_left in range(2 if nm > 0.0 else 1):
        w_left = wl + miss_left * wm
        n_left = nl + miss_left * nm
        w_right = W - w_left
        if (n_left < min_samples_leaf or n - n_left < min_samples_leaf
                or w_left < min_weight_leaf or w_right < min_weight_leaf or w_left <= 0.0
                or w_right <= 0.0):
            continue
        middle = 0.0
        if cst != 0:
            # Left: present rows (6), with the missing ones (7); right likewise (8, 9).
            left_median = mae_bins[0, 6 + miss_left]
            right_median = mae_bins[0, 9 - miss_left] if nm > 0.0 else mae_bins[0, 8]
            if not _monotone(cst, lower, upper, left_median, right_median):
                continue
            middle = 0.5 * (left_median + right_median)
        if nm > 0.0:
            gain = node_ae - mae_bins[0, 2 + miss_left] - mae_bins[0, 5 - miss_left]
        else:
            gain = node_ae - mae_bins[0, 2] - mae_bins[0, 4]
        if out[0] == -np.inf or _better(gain, out[0]):
            out[0] = gain
            out[1] = t
            out[2] = miss_left
            out[3] = w_left
            out[4] = n_left
            out[5] = middle


@_per_node(inline="always")
def _find_mae_split(XT, rows, wn, yn, start, stop, W, node_ae, random_split,
                    min_samples_leaf, min_weight_leaf, max_features, state, bin_value, order,
                    best, out, mae_rank, mae_sorted, mae_pos, fen, mae_bins, mae_off, sums,
                    monotonic, monotonic_cst, lower, upper, columns):
    """:func:`_find_best_split` for the absolute error (regression only): the same feature
    draw and results in ``best`` (the left child's target sums, which the partition
    recomputes, are left at 0; under monotonic constraints ``best[4]`` is instead the
    midpoint of the children's medians).

    On sparse input ``columns`` is the :class:`~.sparse_forest.SparseColumns`' kernel
    input and ``XT`` its row-indexed code buffer: each examined feature's codes of the
    node's rows are written there first (the search orders the node's rows by value, so
    it costs the node's rows per feature either way). On dense codes ``columns`` is None
    and none of that is compiled."""
    K = yn.shape[1]
    n_features = order.shape[0]  # XT may be a sparse fit's one-row code buffer
    best[0] = -np.inf
    best[1] = -1.0
    visited = 0
    n_constant = 0  # of the visited features, those the node cannot split on
    for i in range(n_features):
        if visited >= max_features and visited > n_constant:
            break
        j = i + _randint(state, n_features - i)
        f = order[j]
        order[j] = order[i]
        order[i] = f
        visited += 1
        cst = np.int64(monotonic_cst[f]) if monotonic else np.int64(0)
        fx = f  # the feature's row of XT
        if columns is not None:
            _fill_codebuf(columns, f, _gather(columns, f, start, stop, rows), start, stop,
                          rows)
            fx = 0
        if random_split:
            lo = np.int64(MISSING_BIN)
            hi = np.int64(-1)
            n_missing = 0
            for r in range(start, stop):
                b = np.int64(XT[fx, rows[r]])
                missing = b == MISSING_BIN
                lo = min(lo, b)
                hi = max(hi, -1 if missing else b)
                n_missing += missing
            if hi < 0 or (lo == hi and n_missing == 0):
                n_constant += 1
                continue
            t = _random_threshold_bin(f, lo, hi, bin_value, state, False) if hi > lo else hi
            _mae_random_feature(XT, fx, rows, wn, yn, start, stop, W, node_ae, t,
                                min_samples_leaf, min_weight_leaf, mae_rank, mae_sorted, fen,
                                mae_bins, sums, out, cst, lower, upper)
        elif not _mae_best_feature(XT, fx, rows, wn, yn, start, stop, W, node_ae,
                                   min_samples_leaf, min_weight_leaf, mae_rank, mae_sorted,
                                   mae_pos, fen, mae_bins, mae_off, sums, out, cst, lower,
                                   upper):
            n_constant += 1
            continue
        if out[0] > -np.inf and (best[1] < 0 or _better(out[0], best[0])):
            best[0] = out[0]
            best[1] = f
            best[2] = out[1]
            best[3] = out[2]
            for k in range(K):
                best[4 + k] = 0.0
            if monotonic:
                best[4] = out[5]
            best[4 + K] = out[3]
            best[5 + K] = out[4]


@_per_node(inline="always")
def _find_best_split(XT, rows, wn, cn, yn, classify, start, stop, G, W, sq, criterion,
                     min_samples_leaf, min_weight_leaf, max_features, hist, state, order, best,
                     out, GL, GR, sort_scratch, monotonic, monotonic_cst, lower, upper, cat):
    """Best split over randomly ordered features: at least ``max_features`` of them are
    examined, and more while every one examined was constant in the node (scikit-learn's
    rule: a node whose examined non-constant features allow no valid split, say under
    ``min_samples_leaf``, becomes a leaf even if a feature not examined would split it).

    ``order`` is a permutation of the features that a partial Fisher-Yates shuffle keeps
    drawing from (any permutation will do, so it is not reset between nodes). Writes
    (gain, feature, bin, default_left) to ``best[:4]`` and the left child's sums (K
    targets, weight, count) to ``best[4:]``; feature -1 if no split qualifies.
    ``sq`` holds the node's weighted squared targets (regression; see :func:`_unbeatable`).
    With ``monotonic`` (whether any feature is constrained), ``monotonic_cst`` holds each
    feature's constraint on channel 0 and ``[lower, upper]`` the node's bounds on it.
    ``sort_scratch`` is ``(sort_codes, sort_pos)`` (see :func:`_evaluate_feature_sorted`;
    one argument: CPython passes a call of more than 30 arguments as ``*args``, which
    numba cannot inline). ``cat`` is None without categorical features (numba then
    compiles none of their code), else ``(n_cat, cat_params, cat_key, cat_idx)``:
    ``n_cat[f] > 0`` marks a categorical feature, split by a set of categories
    (:func:`_evaluate_categorical`; ``cat_params`` holds ``max_cat_to_onehot`` and
    ``cat_smooth``, ``cat_key`` and ``cat_idx`` are scratch); its bitset follows the left
    side's sums in ``best``.
    """
    sort_codes, sort_pos = sort_scratch
    n_features = XT.shape[0]
    n_node = stop - start
    unbeatable = _unbeatable_split_gain(rows, wn, yn, start, stop, G, W, sq,
                                        _score(G, W, criterion), criterion, classify,
                                        _PARTITION_BOUND_MAX_ROWS, sort_pos)[0]
    best[0] = -np.inf
    best[1] = -1.0
    visited = 0
    n_constant = 0  # of the visited features, those the node cannot split on
    for i in range(n_features):
        if (visited >= max_features and visited > n_constant
                or _unbeatable(best, n_node, unbeatable)):
            break
        j = i + _randint(state, n_features - i)
        f = order[j]
        order[j] = order[i]
        order[i] = f
        visited += 1
        if cat is not None:
            n_cat, cat_params, cat_key, cat_idx = cat
            if n_cat[f] > 0:
                if not _evaluate_categorical(XT, f, rows, wn, cn, yn, classify, start, stop,
                                             G, W, criterion, min_samples_leaf,
                                             min_weight_leaf, hist, out, GL, n_cat[f],
                                             cat_params[0], cat_params[1], False, state,
                                             cat_key, cat_idx):
                    n_constant += 1
                    continue
                if out[0] > -np.inf and (best[1] < 0 or _better(out[0], best[0])):
                    best[0] = out[0]
                    best[1] = f
                    best[2] = out[1]
                    best[3] = out[2]
                    for k in range(3, out.shape[0]):
                        best[k + 1] = out[k]
                continue
        # 0: the feature is free (also every feature without constraints).
        cst = np.int64(monotonic_cst[f]) if monotonic else np.int64(0)
        if stop - start <= _SORT_MAX_ROWS:
            valid = _evaluate_feature_sorted(XT, f, rows, wn, cn, yn, classify, start, stop,
                                             G, W, criterion, min_samples_leaf,
                                             min_weight_leaf, hist, out, GL, GR, sort_codes,
                                             sort_pos, cst, lower, upper)
        elif cst == 0:
            # A free feature's histogram scan is compiled without the constraint's checks
            # (None), as before constraints were read at run time.
            valid = _evaluate_feature(XT, f, rows, wn, cn, yn, classify, start, stop, G, W,
                                      criterion, min_samples_leaf, min_weight_leaf, hist,
                                      out, GL, GR, None, lower, upper)
        else:
            valid = _evaluate_feature(XT, f, rows, wn, cn, yn, classify, start, stop, G, W,
                                      criterion, min_samples_leaf, min_weight_leaf, hist,
                                      out, GL, GR, cst, lower, upper)
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


@_per_node(inline="always")
def _goes_left(b, shift, limit, lut):
    """Whether code ``b`` goes left: ``lut[b]`` with a routing table (trees with
    categorical features, whose category sets and thresholds route alike through it; the
    missing code's entry is the default direction), else the threshold test. ``lut`` is
    None in trees without categorical features, which then compile only the test.

    The test is one comparison, missing code included: ``shift`` is 1 when missing values
    go left (0 otherwise) and ``limit`` the split's bin plus ``shift``; shifted by one, the
    missing code (the largest) wraps to 0, at or below any limit, and the others keep
    their order.
    """
    if lut is not None:
        return lut[b] != 0
    return ((np.int64(b) + shift) & 0xFF) <= limit


@_per_node(inline="always")
def _route(XT, f, rows, i, shift, limit, lut):
    """The row at position ``i``, its code of feature ``f`` and whether it goes left
    (:func:`_goes_left`): the start of every partition loop's step."""
    r = rows[i]
    b = XT[f, r]
    return r, b, _goes_left(b, shift, limit, lut)


@_per_node(inline="always")
def _partition_one_output(XT, f, shift, limit, lut, first, stop, rows, wn, yn, rows_buf,
                          wn_buf, yn_buf, unit_weights, count_missing, move_targets):
    """:func:`_partition`'s loop for one regression output (``unit_weights`` a constant of
    each call; ``move_targets``: see :func:`_partition`). Returns the left and right
    counts, the number of missing codes (0 without ``count_missing``), and the left and
    right target sums, squared target sums and weights."""
    one = np.uint64(1)
    n_left = np.uint64(0)
    n_right = np.uint64(0)
    n_missing = 0
    # Both sides' sums in registers, each row adding its terms to one side and zeros to
    # the other (the same sums as side by side, bit for bit; sums indexed by the side
    # would chain every row to the last through memory).
    g_left = g_right = sq_left = sq_right = w_left = w_right = 0.0
    for i in range(first, stop):
        r, b, go_left = _route(XT, f, rows, i, shift, limit, lut)
        if count_missing:
            n_missing += b == MISSING_BIN
        j = first + n_left
        rows[j] = r
        rows_buf[n_right] = r
        if move_targets:
            y = yn[i, 0]
            yn[j, 0] = y
            yn_buf[n_right, 0] = y
        else:
            y = yn[r, 0]
        is_left = np.uint64(go_left)
        to_left = _ZERO_ONE[is_left]
        to_right = _ZERO_ONE[one - is_left]
        if unit_weights:
            wy = y
        else:
            w = wn[i]
            wn[j] = w
            wn_buf[n_right] = w
            wy = w * y
            w_left += w * to_left
            w_right += w * to_right
        wyy = wy * y
        g_left += wy * to_left
        g_right += wy * to_right
        sq_left += wyy * to_left
        sq_right += wyy * to_right
        n_left += is_left
        n_right += one - is_left
    if unit_weights:
        # The weights are the counts (the same floats).
        w_left = np.float64(n_left)
        w_right = np.float64(n_right)
    return n_left, n_right, n_missing, g_left, g_right, sq_left, sq_right, w_left, w_right


@_per_node(inline="always")
def _partition_classes(XT, f, shift, limit, lut, first, stop, rows, wn, cn, rows_buf, wn_buf,
                       cn_buf, unit_weights, count_missing):
    """:func:`_partition`'s loop for classes whose sums it need not add (``unit_weights``
    a constant of each call). Returns the left and right counts and the number of missing
    codes (0 without ``count_missing``)."""
    one = np.uint64(1)
    n_left = np.uint64(0)
    n_right = np.uint64(0)
    n_missing = 0
    for i in range(first, stop):
        r, b, go_left = _route(XT, f, rows, i, shift, limit, lut)
        if count_missing:
            n_missing += b == MISSING_BIN
        c = cn[i]
        j = first + n_left
        rows[j] = r
        cn[j] = c
        rows_buf[n_right] = r
        cn_buf[n_right] = c
        if not unit_weights:
            w = wn[i]
            wn[j] = w
            wn_buf[n_right] = w
        is_left = np.uint64(go_left)
        n_left += is_left
        n_right += one - is_left
    return n_left, n_right, n_missing


@_per_node(inline="always")
def _partition(XT, f, split_bin, default_left, lut, start, stop, rows, wn, cn, yn, classify,
               add_sums, unit_weights, rows_buf, wn_buf, cn_buf, yn_buf, sums, sum_sq,
               count_missing, move_targets):
    """Reorder the node's rows (and their weights and class codes, and with
    ``move_targets`` their targets) so that the left child's come first, keeping their
    order; a row goes left as :func:`_goes_left` says. Without ``move_targets`` (a
    constant of the caller), ``yn`` is indexed by the values in ``rows`` and stays as it
    is: a row's targets are eight bytes per output, twice its id, and moving them (two
    stores a row, then the right side's copied back) cost more than reading them by row
    in every pass. With
    ``add_sums``, also sum both children's targets, weight and count into ``sums[0]``
    (left) and ``sums[1]`` (right), and their squared targets into ``sum_sq``. Unit
    weights (all ones) need not move.

    Returns the number of rows that go left and the number of rows whose code is missing
    (0 without ``count_missing``, a constant of the caller that knows whether any is).
    """
    K = sums.shape[1] - 2
    n_missing = 0
    shift = np.int64(default_left)  # see _goes_left
    limit = split_bin + shift
    # Unsigned positions: no wraparound code for negative indices (see
    # _find_random_split).
    first = np.uint64(start)
    one = np.uint64(1)
    n_left = np.uint64(0)
    n_right = np.uint64(0)
    # Branch-free: every row is written to both sides' next slots and only one cursor
    # advances (the side a row takes is unpredictable, and a mispredicted branch costs
    # more than the extra stores). Writing the left slot in place is safe: it is at or
    # before the row being read.
    if classify and not add_sums:
        # A loop of its own with unit weights, as for one output below.
        if unit_weights:
            n_left, n_right, n_missing = _partition_classes(
                XT, f, shift, limit, lut, first, np.uint64(stop), rows, wn, cn, rows_buf,
                wn_buf, cn_buf, True, count_missing)
        else:
            n_left, n_right, n_missing = _partition_classes(
                XT, f, shift, limit, lut, first, np.uint64(stop), rows, wn, cn, rows_buf,
                wn_buf, cn_buf, False, count_missing)
    elif not classify and K == 1:
        # A loop of its own with unit weights (registers are short in the loop, and the
        # weights' code holds some).
        if unit_weights:
            n_left, n_right, n_missing, g_left, g_right, sq_left, sq_right, w_left, w_right = (
                _partition_one_output(XT, f, shift, limit, lut, first, np.uint64(stop), rows,
                                      wn, yn, rows_buf, wn_buf, yn_buf, True,
                                      count_missing, move_targets))
        else:
            n_left, n_right, n_missing, g_left, g_right, sq_left, sq_right, w_left, w_right = (
                _partition_one_output(XT, f, shift, limit, lut, first, np.uint64(stop), rows,
                                      wn, yn, rows_buf, wn_buf, yn_buf, False,
                                      count_missing, move_targets))
        sums[0, 0] = g_left
        sums[1, 0] = g_right
        sum_sq[0, 0] = sq_left
        sum_sq[1, 0] = sq_right
        sums[0, 1] = w_left
        sums[1, 1] = w_right
        sums[0, 2] = n_left
        sums[1, 2] = n_right
    else:
        sums[:] = 0.0
        sum_sq[:] = 0.0
        for i in range(first, np.uint64(stop)):
            r, b, go_left = _route(XT, f, rows, i, shift, limit, lut)
            if count_missing:
                n_missing += b == MISSING_BIN
            side = 0 if go_left else 1
            w = wn[i]
            j = first + n_left
            rows[j] = r
            wn[j] = w
            rows_buf[n_right] = r
            wn_buf[n_right] = w
            if classify:
                c = cn[i]
                cn[j] = c
                cn_buf[n_right] = c
                sums[side, c] += w
            else:
                for k in range(K):
                    if move_targets:
                        y = yn[i, k]
                        yn[j, k] = y
                        yn_buf[n_right, k] = y
                    else:
                        y = yn[r, k]
                    sums[side, k] += w * y
                    sum_sq[side, k] += w * y * y
            sums[side, K] += w
            is_left = np.uint64(go_left)
            n_left += is_left
            n_right += one - is_left
        sums[0, K + 1] = n_left
        sums[1, K + 1] = n_right
    # The right side's rows after the left's: loops, not slices (a slice is an allocation
    # here), over unsigned positions; a loop per array, since a test inside the loop
    # becomes a masked store once vectorized, and those are slow (microcoded on AMD).
    mid = first + n_left
    for i in range(n_right):
        rows[mid + i] = rows_buf[i]
    if not unit_weights:
        for i in range(n_right):
            wn[mid + i] = wn_buf[i]
    if classify:
        for i in range(n_right):
            cn[mid + i] = cn_buf[i]
    elif move_targets:
        for i in range(n_right):
            for k in range(K):
                yn[mid + i, k] = yn_buf[i, k]
    return np.int64(n_left), n_missing


@_per_node(inline="always")
def _on_copy(start, stop, local_range):
    """Whether the rows at positions ``start:stop`` are columns of the subtree copies
    (see :func:`_localize`): the node lies in the outer or in the inner copied subtree,
    whose positions ``local_range`` holds (start and stop of each)."""
    return ((local_range[2] <= start and stop <= local_range[3])
            or (local_range[0] <= start and stop <= local_range[1]))


@_per_node()
def _localize(XT, Y, rows, start, stop, local, y_local, local_rows, offset):
    """Copy the codes of the rows at positions ``start:stop`` to the columns of ``local``
    (features as rows, as ``XT``) from ``offset`` on, unless they are empty their targets
    (rows of ``Y``, indexed as ``XT``'s columns) to the rows of ``y_local`` and their
    codes to the rows of ``local_rows`` (rows as rows, for
    :func:`_find_random_split_rowwise`) from ``offset`` on, and replace those rows by
    their columns. ``XT`` and ``Y`` may be ``local`` and ``y_local`` themselves, read at
    other columns (a subtree of the outer copy copied to the inner one).

    Small nodes gather a few codes of each of many scattered rows: once the codes outgrow
    the CPU's caches, nearly every one is a miss. A subtree grown on a copy of its rows'
    codes, a few hundred kilobytes, finds them in the cache instead; depth-first growth
    finishes the subtree before it reads any node outside it. The copy keeps the rows'
    order, so the subtree grows exactly as on ``XT``.
    """
    first = np.uint64(start)
    to = np.uint64(offset)
    n = np.uint64(stop - start)
    for f in range(XT.shape[0]):
        for i in range(n):
            local[f, to + i] = XT[f, rows[first + i]]
    if y_local.shape[0] > 0:
        for i in range(n):
            for k in range(Y.shape[1]):
                y_local[to + i, k] = Y[rows[first + i], k]
    if local_rows.shape[0] > 0:
        for i in range(n):
            for f in range(XT.shape[0]):
                local_rows[to + i, f] = local[f, to + i]
    for i in range(n):
        rows[first + i] = to + i


@_per_node(inline="always")
def _record_split(node, f, b, dl, base, feature, split_bin, default_left, left, right,
                  gain):
    """Record node ``node``'s split (feature ``f``, bin ``b``, missing values left with
    ``dl``) and make its children, nodes ``base`` and ``base + 1``, leaves until they
    split in turn."""
    feature[node] = f
    split_bin[node] = b
    default_left[node] = dl
    left[node] = base
    right[node] = base + 1
    for child in (base, base + 1):
        feature[child] = -1
        left[child] = right[child] = -1
        split_bin[child] = 0
        default_left[child] = False
        gain[child] = 0.0


@_per_node()
def _grow_subtree(XT, X_rows, yn, rows, wn, cn, unit_weights, criterion, max_depth,
                  min_samples_split, min_samples_leaf, min_weight_leaf, max_features,
                  min_decrease, random_bound_rows, node, start, stop, depth, f, b, miss,
                  pending, pending_split, feature, split_bin, default_left, left, right,
                  value, gain, cover, node_stats, rows_buf, wn_buf, yn_buf, sums, sum_sq,
                  G_node, sq_node, hist, state, bin_value, order, best, out, GL, rowwise,
                  by_target, node_codes, monotonic_cst, n_nodes, n_leaves):
    """Split node ``node`` (rows at positions ``start:stop``, at ``depth``) on feature
    ``f`` at bin ``b`` (``miss``: its record's missing-value field, see
    :func:`_score_random_threshold`) and grow its whole subtree: the node loop's work for
    extra trees of one regression output (no constraints, depth first), on a small node.
    Returns the new ``(n_nodes, n_leaves)``.

    Nodes are opened, searched, numbered and split in the node loop's order (right child
    opened first, left subtree grown first), with its searches, partition and sums, so
    that the tree and the random stream come out as that loop leaves them. Most of a
    fully grown tree's nodes are small, and there a split's cost is mostly the loop's
    own: records pushed and popped through memory, and the loop's many arrays and kinds
    held in a function too large to keep them in registers. Here pending splits are a
    stack in ``pending`` (node, start, stop, depth) and ``pending_split`` (feature, bin,
    missing-value field): the pending nodes hold two rows or more each, so a node of
    ``n`` rows needs at most ``n // 2`` entries.
    """
    top = 1
    pending[0, 0] = node
    pending[0, 1] = start
    pending[0, 2] = stop
    pending[0, 3] = depth
    pending_split[0, 0] = f
    pending_split[0, 1] = b
    pending_split[0, 2] = miss
    no_bound = np.inf
    while top > 0:
        top -= 1
        node = pending[top, 0]
        start = pending[top, 1]
        stop = pending[top, 2]
        depth = pending[top, 3]
        f = np.int64(pending_split[top, 0])
        b = np.int64(pending_split[top, 1])
        dl = pending_split[top, 2] > 0.5
        has_missing = pending_split[top, 2] >= 0.0
        n_left = _partition(XT, f, b, dl, None, start, stop, rows, wn, cn, yn, False, True,
                            unit_weights, rows_buf, wn_buf, cn, yn_buf, sums, sum_sq, False,
                            False)[0]
        mid = start + n_left
        if not has_missing:
            dl = n_left > stop - mid
        base = n_nodes
        n_nodes += 2
        _record_split(node, f, b, dl, base, feature, split_bin, default_left, left, right,
                      gain)
        n_leaves += 1
        for side in (1, 0):
            child = base + side
            child_start = start if side == 0 else mid
            child_stop = mid if side == 0 else stop
            G_node[0] = sums[side, 0]
            sq_node[0] = sum_sq[side, 0]
            W = sums[side, 1]
            value[child, 0] = G_node[0] / W if W > 0.0 else 0.0
            cover[child] = W
            n_node = child_stop - child_start
            impurity = _impurity(G_node, W, sq_node, criterion, 1)
            node_stats[child, 0] = n_node
            node_stats[child, 1] = impurity
            if ((max_depth > 0 and depth + 1 >= max_depth) or n_node < min_samples_split
                    or n_node < 2 * min_samples_leaf or W < 2.0 * min_weight_leaf
                    or impurity <= _EPSILON):
                continue
            parent = _score(G_node, W, criterion)
            best[0] = -np.inf
            best[1] = -1.0
            if n_node == 2:
                _split_two_rows(XT, rows, wn, cn, yn, False, child_start, G_node, W, parent,
                                criterion, min_samples_leaf, min_weight_leaf, max_features,
                                hist, state, bin_value, order, best, False, monotonic_cst,
                                -no_bound, no_bound)
            else:
                # The node loop's search of a node of one output (see there).
                unbeatable, bounded = _unbeatable_split_gain(
                    rows, wn, yn, child_start, child_stop, G_node, W, sq_node, parent,
                    criterion, False, random_bound_rows, by_target)
                visited = 0
                found = False
                if X_rows.shape[0] > 0 and not bounded:
                    found = _find_random_split_rowwise(
                        X_rows, rows, wn, yn, unit_weights, child_start, child_stop, G_node,
                        W, parent, unbeatable, criterion, min_samples_leaf, min_weight_leaf,
                        max_features, hist, state, bin_value, order, best, False,
                        monotonic_cst, -no_bound, no_bound, rowwise, False)
                elif max_features >= 4 and rowwise[0].shape[0] > 0 and not bounded:
                    visited = _random_split_prefix(
                        XT, rows, wn, cn, yn, False, unit_weights, child_start, child_stop,
                        G_node, W, parent, unbeatable, criterion, min_samples_leaf,
                        min_weight_leaf, max_features, hist, state, bin_value, order, best,
                        False, monotonic_cst, -no_bound, no_bound, rowwise, False)
                if not found:
                    _find_random_split(XT, rows, wn, cn, yn, False, unit_weights,
                                       child_start, child_stop, G_node, W,
                                       (parent, unbeatable), criterion, min_samples_leaf,
                                       min_weight_leaf, max_features, hist, state,
                                       bin_value, order, best,
                                       (False, monotonic_cst, -no_bound, no_bound), None,
                                       out, GL, visited, False, node_codes)
            if best[1] < 0 or best[0] < min_decrease:
                continue
            gain[child] = best[0]
            pending[top, 0] = child
            pending[top, 1] = child_start
            pending[top, 2] = child_stop
            pending[top, 3] = depth + 1
            for k in range(3):
                pending_split[top, k] = best[1 + k]
            top += 1
    return n_nodes, n_leaves


_NODE_LOOPS = {}
_NODE_LOOPS_LOCK = threading.Lock()


def _node_loop(classify, random_split, absolute_error, categorical, sparse=False):
    """:func:`_make_node_loop`'s function of this kind, made once (a forest's threads
    ask for it at the same time, and two made would be compiled twice)."""
    key = (bool(classify), bool(random_split), bool(absolute_error), bool(categorical),
           bool(sparse))
    with _NODE_LOOPS_LOCK:
        if key not in _NODE_LOOPS:
            _NODE_LOOPS[key] = _make_node_loop(*key).made_by(__name__, "_node_loop", key)
        return _NODE_LOOPS[key]


def _make_node_loop(classify, random_split, absolute_error, categorical, sparse=False):
    """The compiled node loop of one kind of tree: classification or regression, best or
    random splits, absolute error or a criterion of sums, categorical features or not,
    dense or sparse codes.

    Each kind is its own function, in which ``classify``, ``random_split``,
    ``absolute_error`` and ``categorical`` are constants: numba prunes the branches of
    the other kinds before typing them, so a fit compiles only the search it runs (the
    other kinds' code made the first fit's compile several times longer); a fit without
    categorical features compiles none of their search, partition or bitsets.

    Monotonic constraints are not a kind: whether any feature is constrained is read at
    run time (``monotonic_cst`` is empty when none is), and a free feature is scored
    without their checks. Their code is a small part of a loop's compile, while a kind of
    their own doubled the loops the package build compiles and left those of sparse or
    categorical input with constraints to compile on their first fit.

    With ``sparse``, ``XT`` is a :class:`~.sparse_forest.SparseColumns`' kernel input
    and the split search and partition are :mod:`.sparse_forest`'s (the absolute error's
    search reads each examined feature's codes from its code buffer; categorical
    features bin densely); a dense fit compiles none of them.

    With categorical features, ``n_cat[f] > 0`` is feature ``f``'s number of categories,
    a split on it is a category set (its ``CAT_WORDS`` bitset words travel in the
    node's record after the left child's sums and land in ``cat_words[node]``), and the
    partition routes rows through a table of the codes that go left (``lut``).

    Monotonic constraints follow scikit-learn: they apply to channel 0 of a node's value
    (the single regression output, or the first class's frequency, whose constraints the
    caller has negated); every node carries bounds ``[lower, upper]`` on that channel
    (the root's are infinite), its value is clipped into them, a split on a constrained
    feature is rejected when its children's values break the constraint or the bounds,
    and such a split gives its children the midpoint of their values as the bound
    between them (the other bound is inherited; a split on a free feature passes both
    bounds down).
    """

    dense = not sparse
    # Whether the split search records if a row of the node lacks the split's feature
    # (extra trees' numeric searches, see _score_random_threshold): a constant numba
    # prunes on, so that the other kinds compile only the partition that counts them.
    missing_known = random_split and dense and not categorical and not absolute_error
    count_missing = not missing_known
    # Whether a split's gain may come from sums added in any order (one regression
    # output's fused extra-trees pass, see _fused_target_sums), to be recomputed from the
    # partition's exact sums: a constant too.
    approximate_gains = missing_known and not classify
    # Whether the rows' targets move with them (in node order, as the absolute error's
    # search reads them); otherwise ``yn`` is indexed by the values in ``rows`` (row ids,
    # or positions in the subtree copies, whose targets ``y_local`` holds).
    move_targets = absolute_error
    # Whether the searches and the partition read targets by row: from ``y_local`` in a
    # subtree copy (classes move with the rows and have no targets).
    targets_by_row = not (move_targets or classify)
    # Whether small subtrees are grown by _grow_subtree (extra trees of one regression
    # output; the other conditions are read at run time).
    small_subtrees = random_split and dense and not (classify or categorical
                                                     or absolute_error)

    @_per_node(entry=True)
    def split_open_nodes(XT, X_rows, local, local_rows, y_local, rowwise, local_range, rows,
                          wn, cn, yn,
                          unit_weights, sums_by_difference, criterion, n_outputs, max_depth,
                          min_samples_split,
                          min_samples_leaf, min_weight_leaf, max_features, max_leaf_nodes,
                          min_decrease, feature, split_bin, default_left, left, right, value,
                          gain, cover, node_stats, open_int, open_float, rows_buf, wn_buf,
                          cn_buf, yn_buf, sums, sum_sq, G_node, sq_node, hist, state,
                          bin_value, order, best, out,
                          GL, GR, sort_codes, sort_pos, mae_rank, mae_sorted, mae_key, mae_idx,
                          mae_pos, fen, mae_bins, mae_off, mae_sums, monotonic_cst, n_cat,
                          cat_params, cat_words, lut, cat_key, cat_idx, node_codes, n_nodes,
                          n_open, n_leaves):
        """Split open nodes (the last one pushed, or with ``max_leaf_nodes`` the best) until
        none is left, the leaf limit is reached, or the open-record arrays are full (the
        caller then enlarges them and calls again; the node arrays, sized for the most
        nodes the limits allow, fill up only once no node is left open). Returns the new
        ``(n_nodes, n_open, n_leaves)``. With ``n_nodes == 0``, first opens the root from its
        sums in ``sums[0]`` and ``sum_sq[0]``. ``local`` is the buffer of the subtree
        copies' codes (no columns: no copies; see :func:`_localize`), ``y_local`` their
        rows' targets (unless the targets move with the rows), ``local_rows`` their
        codes a row at a time, and ``local_range`` the positions whose rows they hold (start
        and stop of the outer copy, then of the inner one; kept across calls), then the
        most rows of each (the inner copy's columns follow the outer one's), then the
        fewest rows of a node whose extra-trees search draws its thresholds before reading
        its rows (``_FUSED_MIN_ROWS``, see :func:`_drawn_threshold_value`), then the most
        rows of a node whose subtree :func:`_grow_subtree` grows (``_SUBTREE_MAX_ROWS``).
        With ``X_rows`` (the codes a row at a time; no rows: none), random splits of nodes
        of at least ``_ALL_DRAWN_MIN_ROWS`` rows are searched from it or from
        ``local_rows``, with the scratch ``rowwise`` (:func:`_find_random_split_rowwise`).
        """
        K = value.shape[1]
        own = best.shape[0]  # where a record's own sums start in open_float
        monotonic = monotonic_cst.shape[0] > 0
        sort_scratch = (sort_codes, sort_pos)
        # None without categorical features: the split search then compiles none of them.
        cat = (n_cat, cat_params, cat_key, cat_idx) if categorical else None
        # Extra trees' small regression nodes search one feature at a time against the gain
        # of their best partition when many features are drawn (see _unbeatable_split_gain).
        random_bound_rows = (_RANDOM_BOUND_MAX_ROWS if max_features >= _RANDOM_BOUND_MIN_DRAWN
                             else 0)
        # The most rows of the outer and inner copies of a subtree's codes (see _localize).
        n_far = local_range[4]
        n_near = local_range[5]
        # The bounds of the pending children (left, right) on the constrained channel; a
        # record keeps its node's after its own sums.
        lower_left = lower_right = -np.inf
        upper_left = upper_right = np.inf
        # Nodes waiting to be opened: on the first call the root (its sums are in sums[0]),
        # then the two children of each split, at ids base and base + 1.
        n_pending = 0
        base = start = mid = stop = depth = 0
        if n_nodes == 0:
            n_pending = 1
            mid = rows.shape[0]
            depth = -1
        while True:
            # Right child first, so that a depth-first stack grows the left subtree first.
            # One place in the code: the split search is inlined here, and a second copy
            # would double the compile time.
            for side in (1, 0):
                if side >= n_pending:
                    continue
                for k in range(K):
                    G_node[k] = sums[side, k]
                    sq_node[k] = sum_sq[side, k]
                child_start = start if side == 0 else mid
                child_stop = mid if side == 0 else stop
                # Open the node: set its value, cover, row count and impurity (the last two
                # in node_stats) from its sums; if it may split and a split qualifies, push
                # its record (node, start, stop, depth in open_int; in open_float the
                # candidate split: gain, feature, bin, default_left, the left child's K
                # target sums, weight and count; then the node's own sums).
                # Written out here, at the one place nodes are opened: numba cannot inline a
                # call of this many arguments, and a compiled function of its own would be
                # compiled again inside this one.
                node = base + side
                # Whether the node lies in a subtree copy (see _localize); its targets are
                # indexed by its rows' ids or by their positions there (see _partition),
                # in node order with move_targets.
                in_local = dense and _on_copy(child_start, child_stop, local_range)
                Y_node = y_local if in_local and targets_by_row else yn
                W = sums[side, K]
                for k in range(K):
                    value[node, k] = G_node[k] / W if W > 0.0 else 0.0
                cover[node] = W
                n_node = child_stop - child_start
                if absolute_error:
                    # Medians (the node's value), and the ranks the split search uses.
                    node_ae = _mae_open(yn, wn, child_start, child_stop, value, node,
                                        mae_rank, mae_sorted, mae_key, mae_idx)
                    impurity = node_ae / (W * n_outputs) if W > 0.0 else 0.0
                else:
                    node_ae = 0.0
                    impurity = _impurity(G_node, W, sq_node, criterion, n_outputs)
                node_stats[node, 0] = n_node
                # Poisson's stopping rule reads the variance (zero exactly when every target
                # is the same), its reported impurity is the deviance.
                node_stats[node, 1] = (impurity if criterion != 3 else _poisson_impurity(
                    rows, Y_node, wn, child_start, child_stop, G_node, W))
                lower = lower_left if side == 0 else lower_right
                upper = upper_left if side == 0 else upper_right
                if monotonic:
                    value[node, 0] = min(max(value[node, 0], lower), upper)
                    if classify and K == 2:
                        value[node, 1] = 1.0 - value[node, 0]
                if ((max_depth > 0 and depth + 1 >= max_depth) or n_node < min_samples_split
                        or n_node < 2 * min_samples_leaf or W < 2.0 * min_weight_leaf
                        or impurity <= _EPSILON):
                    continue
                if absolute_error and sparse:
                    # XT[5]: the sparse kernel input's row-indexed code buffer.
                    _find_mae_split(XT[5], rows, wn, yn, child_start, child_stop, W,
                                    node_ae, random_split, min_samples_leaf,
                                    min_weight_leaf, max_features, state, bin_value, order,
                                    best, out, mae_rank, mae_sorted, mae_pos, fen, mae_bins,
                                    mae_off, mae_sums, monotonic, monotonic_cst, lower, upper,
                                    XT)
                elif absolute_error:
                    X_node = local if in_local else XT
                    _find_mae_split(X_node, rows, wn, yn, child_start, child_stop, W, node_ae,
                                    random_split, min_samples_leaf, min_weight_leaf,
                                    max_features, state, bin_value, order, best, out, mae_rank,
                                    mae_sorted, mae_pos, fen, mae_bins, mae_off, mae_sums,
                                    monotonic, monotonic_cst, lower, upper, None)
                elif sparse and random_split:
                    # The dense search's bound (below), so that both grow the same trees.
                    unbeatable = _unbeatable_split_gain(
                        rows, wn, yn, child_start, child_stop, G_node, W, sq_node,
                        _score(G_node, W, criterion), criterion, classify, random_bound_rows,
                        sort_pos)[0]
                    random_split_sparse(XT, rows, wn, cn, yn, classify, child_start,
                                        child_stop, G_node, W, criterion, min_samples_leaf,
                                        min_weight_leaf, max_features, hist, state, bin_value,
                                        order, best, monotonic, monotonic_cst, lower, upper,
                                        GL, sq_node, sums_by_difference,
                                        n_node >= local_range[6], unbeatable)
                elif sparse:
                    best_split_sparse(XT, rows, wn, cn, yn, classify, child_start, child_stop,
                                      G_node, W, criterion, min_samples_leaf,
                                      min_weight_leaf, max_features, hist, state, order,
                                      best, out, GL, GR, sort_scratch, monotonic,
                                      monotonic_cst, lower, upper, sq_node,
                                      sums_by_difference)
                elif random_split:
                    X_node = local if in_local else XT
                    # Regression only: classification kinds compile none of it.
                    parent = _score(G_node, W, criterion)
                    # A small node of one output that draws many features searches them
                    # one at a time (bounded), to stop at the first split no other can
                    # beat (the searches of all drawn features at once find the ranges and
                    # draw the thresholds of every one first).
                    unbeatable, bounded = _unbeatable_split_gain(
                        rows, wn, Y_node, child_start, child_stop, G_node, W, sq_node, parent,
                        criterion, classify, random_bound_rows, sort_pos)
                    by_rows = (not classify and X_rows.shape[0] > 0
                               and n_node >= _ALL_DRAWN_MIN_ROWS and not bounded)
                    # A node this large draws its thresholds before it reads its rows
                    # (see _drawn_threshold_value).
                    fused = n_node >= local_range[6]
                    visited = 0
                    # No split yet: the block, then the search one feature at a time, keep
                    # the best of their draws here.
                    best[0] = -np.inf
                    best[1] = -1.0
                    # Each search is inlined here rather than one inside another: numba
                    # copies a callee's code block by block, each block with all of the
                    # callee's variables, so a larger callee costs quadratically more
                    # compile time. Called here, where categorical is a constant numba
                    # prunes on: categorical kinds compile no block search.
                    found = False
                    if by_rows:
                        found = _find_random_split_rowwise(
                            local_rows if in_local else X_rows, rows, wn, Y_node, unit_weights,
                            child_start, child_stop, G_node, W, parent, unbeatable, criterion,
                            min_samples_leaf, min_weight_leaf, max_features, hist, state,
                            bin_value, order, best, monotonic, monotonic_cst, lower, upper,
                            rowwise, fused)
                    elif (not categorical and K == (2 if classify else 1)
                            and max_features >= 4 and n_node >= _ALL_DRAWN_MIN_ROWS
                            and rowwise[0].shape[0] > 0 and not bounded):
                        visited = _random_split_prefix(
                            X_node, rows, wn, cn, Y_node, classify, unit_weights, child_start,
                            child_stop, G_node, W, parent, unbeatable, criterion,
                            min_samples_leaf, min_weight_leaf, max_features, hist, state,
                            bin_value, order, best, monotonic, monotonic_cst, lower, upper,
                            rowwise, fused)
                    if not found:
                        _find_random_split(X_node, rows, wn, cn, Y_node, classify,
                                           unit_weights, child_start, child_stop, G_node, W,
                                           (parent, unbeatable), criterion, min_samples_leaf,
                                           min_weight_leaf, max_features, hist, state,
                                           bin_value, order, best,
                                           (monotonic, monotonic_cst, lower, upper), cat, out,
                                           GL, visited, fused, node_codes)
                else:
                    X_node = local if in_local else XT
                    _find_best_split(X_node, rows, wn, cn, Y_node, classify, child_start,
                                     child_stop, G_node, W, sq_node, criterion, min_samples_leaf,
                                     min_weight_leaf, max_features, hist, state, order, best,
                                     out, GL, GR, sort_scratch, monotonic, monotonic_cst,
                                     lower, upper, cat)
                if best[1] < 0:
                    continue
                if n_outputs > 1:
                    best[0] /= n_outputs  # scikit-learn averages the impurities over outputs
                if best[0] < min_decrease:
                    continue
                open_int[n_open, 0] = node
                open_int[n_open, 1] = child_start
                open_int[n_open, 2] = child_stop
                open_int[n_open, 3] = depth + 1
                for k in range(own):
                    open_float[n_open, k] = best[k]
                for k in range(K):
                    open_float[n_open, own + k] = G_node[k]
                open_float[n_open, own + K] = W
                open_float[n_open, own + K + 1] = n_node
                if monotonic:
                    open_float[n_open, own + K + 2] = lower
                    open_float[n_open, own + K + 3] = upper
                n_open += 1
            n_nodes += n_pending
            if n_open == 0 or (max_leaf_nodes > 0 and n_leaves >= max_leaf_nodes):
                break
            if n_nodes + 2 > feature.shape[0] or n_open + 1 > open_int.shape[0]:
                break
            pick = n_open - 1
            if max_leaf_nodes > 0:
                pick = 0
                for i in range(1, n_open):
                    if open_float[i, 0] > open_float[pick, 0]:
                        pick = i
            split_node = open_int[pick, 0]
            start = open_int[pick, 1]
            stop = open_int[pick, 2]
            depth = open_int[pick, 3]
            f = np.int64(open_float[pick, 1])
            b = np.int64(open_float[pick, 2])
            dl = open_float[pick, 3] > 0.5
            has_missing = open_float[pick, 3] >= 0.0  # see _score_random_threshold
            gain[split_node] = open_float[pick, 0]
            approximate = False
            node_sum = node_weight = 0.0
            if approximate_gains:
                approximate = open_float[pick, 3] == _APPROXIMATE_GAIN
                node_sum = open_float[pick, own]
                node_weight = open_float[pick, own + K]
            if monotonic:
                lower_left = lower_right = open_float[pick, own + K + 2]
                upper_left = upper_right = open_float[pick, own + K + 3]
                direction = monotonic_cst[f]
                if direction != 0:
                    if absolute_error:
                        middle = open_float[pick, 4]  # of the children's medians
                    else:
                        # The children's values (channel 0) before clipping, from the
                        # left child's sums in the record and the node's own, as
                        # scikit-learn takes the midpoint from its criterion's sums.
                        w_left = open_float[pick, 4 + K]
                        w_right = open_float[pick, own + K] - w_left
                        g_left = open_float[pick, 4]
                        middle = (g_left / (2.0 * w_left)
                                  + (open_float[pick, own] - g_left) / (2.0 * w_right))
                    # Within the node's bounds also when the sums round otherwise than
                    # the check of the split did.
                    middle = min(max(middle, lower_left), upper_left)
                    if direction > 0:
                        upper_left = lower_right = middle
                    else:
                        lower_left = upper_right = middle
            if sums_by_difference:
                # The split search summed the left child; the right child is the rest.
                for k in range(K + 1):
                    sums[0, k] = open_float[pick, 4 + k]
                    sums[1, k] = open_float[pick, own + k] - sums[0, k]
            n_open -= 1
            if pick != n_open:  # best-first: the last record fills the hole
                for k in range(open_int.shape[1]):
                    open_int[pick, k] = open_int[n_open, k]
                for k in range(open_float.shape[1]):
                    open_float[pick, k] = open_float[n_open, k]
            if dense:
                # Small enough: the node's subtree, grown before any node outside it,
                # reads its codes from a copy of their own (see _localize), the inner
                # copy taken from the outer one when the node lies in it.
                in_far = local_range[0] <= start and stop <= local_range[1]
                in_near = local_range[2] <= start and stop <= local_range[3]
                if stop - start <= n_near and not in_near:
                    _localize(local if in_far else XT, y_local if in_far else yn, rows,
                              start, stop, local, y_local, local_rows, n_far)
                    local_range[2] = start
                    local_range[3] = stop
                elif stop - start <= n_far and not (in_far or in_near):
                    _localize(XT, yn, rows, start, stop, local, y_local, local_rows, 0)
                    local_range[0] = start
                    local_range[1] = stop
            # A small subtree grows in _grow_subtree, where the rows, and so the pending
            # nodes (two rows or more each), are few enough for the free records.
            if (small_subtrees and stop - start <= local_range[7]
                    and stop - start < local_range[6] and K == 1 and n_outputs <= 1
                    and criterion == 2 and not monotonic and max_leaf_nodes == 0
                    and n_open + (stop - start) // 2 <= open_int.shape[0]
                    and (local.shape[1] == 0 or _on_copy(start, stop, local_range))):
                in_local = local.shape[1] > 0
                X_node = local if in_local else XT
                X_node_rows = local_rows if in_local else X_rows
                Y_node = y_local if in_local else yn
                miss = np.float64(dl) if has_missing else -1.0
                n_nodes, n_leaves = _grow_subtree(
                    X_node, X_node_rows, Y_node, rows, wn, cn, unit_weights, criterion,
                    max_depth, min_samples_split, min_samples_leaf, min_weight_leaf,
                    max_features, min_decrease, random_bound_rows, split_node, start, stop,
                    depth, f, b, miss, open_int[n_open:], open_float[n_open:], feature, split_bin,
                    default_left, left, right, value, gain, cover, node_stats, rows_buf,
                    wn_buf, yn_buf, sums, sum_sq, G_node, sq_node, hist, state, bin_value,
                    order, best, out, GL, rowwise, sort_pos, node_codes, monotonic_cst,
                    n_nodes, n_leaves)
                n_pending = 0
                continue
            if categorical:
                # The split's routing table: the category set's bits, or the threshold.
                if n_cat[f] > 0:
                    for w in range(CAT_WORDS):
                        word = np.uint32(open_float[pick, 6 + K + w])
                        cat_words[split_node, w] = word
                        for j in range(32):
                            c = 32 * w + j
                            if c < MISSING_BIN:
                                lut[c] = (word >> np.uint32(j)) & np.uint32(1)
                    b = 0
                else:
                    for c in range(MISSING_BIN):
                        lut[c] = c <= b
                lut[MISSING_BIN] = dl
                in_local = _on_copy(start, stop, local_range)
                n_left, n_missing = _partition(
                    local if in_local else XT, f, b, dl, lut, start, stop, rows, wn, cn,
                    y_local if in_local and targets_by_row else yn, classify,
                    not sums_by_difference, unit_weights, rows_buf, wn_buf, cn_buf, yn_buf,
                    sums, sum_sq, True, move_targets)
                if n_cat[f] > 0:
                    n_missing = 1  # its missing code also holds unseen categories: kept
            elif sparse:
                n_left, n_missing = partition_sparse(XT, f, b, dl, start, stop, rows, wn, cn,
                                                     yn, classify, not sums_by_difference,
                                                     unit_weights, rows_buf, wn_buf, cn_buf,
                                                     yn_buf, sums, sum_sq, move_targets)
            else:
                in_local = _on_copy(start, stop, local_range)
                n_left, n_missing = _partition(
                    local if in_local else XT, f, b, dl, None, start, stop, rows, wn, cn,
                    y_local if in_local and targets_by_row else yn, classify,
                    not sums_by_difference, unit_weights, rows_buf, wn_buf, cn_buf, yn_buf,
                    sums, sum_sq, count_missing, move_targets)
                if missing_known:
                    # The search said whether a row of the node lacks the feature: the
                    # partition did not count them.
                    n_missing = 1 if has_missing else 0
                if approximate_gains:
                    if approximate:
                        # The partition's left sums are the search's one feature at a
                        # time, bit for bit: the gain it would have found.
                        gain[split_node] = _gain_of_left_sums(
                            f, b, sums[0, 0], sums[0, K], sums[0, K + 1], node_sum,
                            node_weight, stop - start, criterion, min_samples_leaf,
                            min_weight_leaf, monotonic_cst, G_node, hist, best)
            mid = start + n_left
            if n_missing == 0:
                # No row of the node lacks the feature: a missing value met when
                # predicting goes to the child of more rows (right on a tie), as in
                # scikit-learn, rather than to the side the search left it on.
                dl = n_left > stop - mid
            sums[0, K + 1] = mid - start
            sums[1, K + 1] = stop - mid
            base = n_nodes
            n_pending = 2
            _record_split(split_node, f, b, dl, base, feature, split_bin, default_left, left,
                          right, gain)
            n_leaves += 1
        return n_nodes, n_open, n_leaves

    return split_open_nodes


@njit(cache=True, nogil=True)
def _root_rows(rows, weight, labels, Y, classify, move_targets, sums, sum_sq):
    """The root's rows in node order, ``rows``, gathered with their weights, and class
    codes (``classify``) or, with ``move_targets``, targets (empty without: the node loop
    reads them from ``Y`` by row): returns ``(wn, cn, yn, unit_weights,
    integral_weights)``, having added the root's sums (``sums[0]``: K target sums,
    weight, count; ``sum_sq[0]``) in the same pass. ``unit_weights``: every weight is 1
    (then sums are counts); ``integral_weights``: every weight is an integer (bootstrap
    counts: sums are exact whatever their order)."""
    n = rows.shape[0]
    K = sums.shape[1] - 2
    wn = np.empty(n)
    cn = np.empty(n if classify else 0, dtype=labels.dtype)
    yn = np.empty((n if move_targets and not classify else 0, Y.shape[1]))
    unit_weights = True
    integral_weights = True
    total = 0.0
    for i in range(n):
        row = rows[i]
        w = weight[row]
        wn[i] = w
        unit_weights &= w == 1.0
        integral_weights &= np.floor(w) == w
        total += w
        if classify:
            c = labels[row]
            cn[i] = c
            sums[0, c] += w
        else:
            for k in range(K):
                y = Y[row, k]
                if move_targets:
                    yn[i, k] = y
                sums[0, k] += w * y
                sum_sq[0, k] += w * y * y
    sums[0, K] = total
    sums[0, K + 1] = n
    return wn, cn, yn, unit_weights, integral_weights and total < 2.0 ** 53


def _local_rows(n_features, n_samples, max_features, max_leaf_nodes, sparse, by_rows):
    """How many rows a subtree may have to grow on the outer and on the inner copy of its
    codes (see :func:`_localize`; ``_LOCAL_BYTES`` or an ``_OUTER_SHARE``-th of all the
    codes, whichever is more, and ``_NEAR_BYTES`` of them), each 0
    for none: no copies when the codes fit in that cache anyway (unless the search reads
    them a row at a time, ``by_rows``, from a copy of its own), when a copy of every
    feature would cost more than the features a subtree examines (wide data, few features
    per node), for sparse codes, and under best-first growth (which leaves a subtree and
    comes back to it); no outer copy when the inner one holds as many rows."""
    if sparse or max_leaf_nodes > 0:
        return 0, 0
    outer = max(_LOCAL_BYTES, n_features * n_samples // _OUTER_SHARE)
    far, near = (_copy_rows(budget, n_features, n_samples, max_features, by_rows)
                 for budget in (outer, _NEAR_BYTES))
    return (far if far > near else 0), near


def _copy_rows(budget, n_features, n_samples, max_features, by_rows):
    """The rows of a copy of ``budget`` bytes of codes, or 0 for none (see
    :func:`_local_rows`)."""
    if by_rows:
        return min(n_samples, budget // n_features)
    if n_features * n_samples <= 2 * budget:
        return 0
    n_local = budget // n_features
    if n_local < _MIN_LOCAL_ROWS or n_features > 2 * max_features * np.log2(n_local):
        return 0
    return n_local


def _enlarge(a, size):
    """``a`` copied into a longer array (along the first axis)."""
    out = np.empty((size,) + a.shape[1:], dtype=a.dtype)
    out[:a.shape[0]] = a
    return out


# The node loops, bound to their arguments' types once per kinds of a tree's inputs: a loop
# takes eighty, whose check at every call costs as much as growing a small tree.
_BOUND_NODE_LOOPS = BoundKernels()


def _grow(XT, labels, Y, weight, rows, classify, criterion, n_outputs, random_split,
          max_depth, min_samples_split, min_samples_leaf, min_weight_leaf, max_features,
          max_leaf_nodes, min_impurity_decrease, seed, bin_value, monotonic_cst, n_cat,
          cat_params):
    """Grow one tree: the node loop is compiled (:func:`_node_loop`); this sets up
    its arrays and enlarges them when they are full. ``n_cat`` is empty without
    categorical features, else their numbers of categories (0 for numeric features).
    ``XT`` is the codes with features as rows, or a
    :class:`~.sparse_forest.SparseColumns` (then the sparse node loop runs).
    The loop is not called from another compiled function on purpose: numba links a
    callee's code into its caller and optimizes and compiles it again there, which made
    the first fit's compile minutes long."""
    K = Y.shape[1]
    n_rows = rows.shape[0]
    max_nodes = max(2 * n_rows - 1, 1)
    if max_leaf_nodes > 0:
        max_nodes = min(max_nodes, 2 * max_leaf_nodes - 1)
    if 0 < max_depth < 40:
        max_nodes = min(max_nodes, 2 ** (max_depth + 1) - 1)
    # Node arrays for the most nodes the limits allow, left unwritten: the node loop
    # writes every field of a node it makes (the root's links here), and pages no node
    # reaches are never touched, so they take no memory. (Arrays that started small and
    # doubled copied their nodes at every step, into pages the system had to fault in
    # and zero again: a tenth of an extra tree's time.)
    cap = max_nodes
    feature = np.empty(cap, dtype=np.int32)
    split_bin = np.empty(cap, dtype=np.uint8)
    default_left = np.empty(cap, dtype=np.bool_)
    left = np.empty(cap, dtype=np.int32)
    right = np.empty(cap, dtype=np.int32)
    value = np.empty((cap, K))
    gain = np.empty(cap)
    cover = np.empty(cap)
    node_stats = np.empty((cap, 2))  # each node's rows and impurity
    feature[0] = left[0] = right[0] = -1
    split_bin[0] = 0
    default_left[0] = False
    gain[0] = 0.0
    # Open nodes (a stack for depth-first growth, the frontier for best-first growth), one
    # record each (see _node_loop); a stack holds about one node per level.
    open_cap = 64 + _SUBTREE_MAX_ROWS // 2  # and a small subtree's pending nodes
    open_int = np.empty((open_cap, 4), dtype=np.int64)
    categorical = n_cat.shape[0] > 0
    # A categorical split's bitset travels with the search's results and records, and is
    # kept per node (no room at all without categorical features).
    n_words = CAT_WORDS if categorical else 0
    cat_words = np.zeros((cap if categorical else 0, CAT_WORDS), dtype=np.uint32)
    best = np.empty(6 + K + n_words)
    # A record: the candidate split (as ``best``), the node's sums, weight and count, and
    # its bounds under monotonic constraints.
    open_float = np.empty((open_cap, best.shape[0] + K + 4))
    out = np.empty(5 + K + n_words)
    lut = np.zeros(MISSING_BIN + 1, dtype=np.uint8)
    cat_key = np.empty(MISSING_BIN)
    cat_idx = np.empty(MISSING_BIN, dtype=np.int64)

    # The rows' weights and class codes travel with them, in node order, so that every
    # pass over a node reads them sequentially; regression targets are read by row from Y
    # (see _partition), but for the absolute error's search, which reads them in node
    # order: there they travel too.
    sums = np.zeros((2, K + 2))  # left and right child: K target sums, weight, count
    sum_sq = np.zeros((2, K))
    absolute_error = criterion == CRITERIA["absolute_error"]
    targets_by_row = not (absolute_error or classify)  # as the node loop's
    wn, cn, yn, unit_weights, integral_weights = _root_rows(rows, weight, labels, Y,
                                                            classify, absolute_error, sums,
                                                            sum_sq)
    if targets_by_row:
        yn = Y
    rows_buf = np.empty_like(rows)
    wn_buf = np.empty_like(wn)
    cn_buf = np.empty_like(cn)
    yn_buf = np.empty((rows.shape[0] if absolute_error else 0, K))
    # Classification with integer weights (bootstrap counts) sums class weights exactly,
    # so a child's sums are its parent's minus its sibling's, and the partition need not
    # add them up (a pure child must come out exactly pure, or it would be split again).
    sums_by_difference = bool(classify and integral_weights)
    state = np.array([seed], dtype=np.uint64)
    hist = np.zeros((256, K + 2))
    sparse = isinstance(XT, SparseColumns)
    n_features = XT.shape[1] if sparse else XT.shape[0]
    if sparse:
        XT = XT.kernel_input(rows)
    order = np.arange(n_features)
    GL = np.empty(K)
    GR = np.empty(K)
    sort_codes = np.empty(_SORT_SCRATCH, dtype=np.int64)
    sort_pos = np.empty(_SORT_MAX_ROWS, dtype=np.int64)
    # scikit-learn makes a leaf of a node whose improvement (the gain over the total
    # weight) plus epsilon is below min_impurity_decrease: here in the kernel's units.
    # Without a minimum any valid split is taken, as scikit-learn's trees grow until
    # their leaves are pure: a zero gain (an XOR's first split) comes out of the sums
    # with a rounding error of either sign, larger than epsilon at the kernel's scale.
    min_decrease = ((min_impurity_decrease - _EPSILON) * sums[0, K]
                    if min_impurity_decrease > 0.0 else -np.inf)
    G_node = np.empty(K)  # the sums of the node being opened
    sq_node = np.empty(K)
    n_open = 0
    n_nodes = 0  # the first call opens the root
    n_leaves = 1
    # Random regression splits that draw most features of a few dozen read a node's codes
    # a row at a time (see _find_random_split_rowwise), from a copy.
    by_rows = bool(random_split and not sparse and not categorical and not absolute_error
                   and not classify and K == 1
                   and _ROWWISE_FEATURES[0] <= n_features <= _ROWWISE_FEATURES[1]
                   and max_features >= _ROWWISE_MIN_DRAWN * n_features)
    n_far, n_near = _local_rows(n_features, 0 if sparse else XT.shape[1], max_features,
                                max_leaf_nodes, sparse, by_rows)
    n_local = n_far + n_near
    local = np.empty((n_features if n_local else 0, n_local), dtype=np.uint8)
    local_rows = np.empty((n_local if by_rows else 0, n_features), dtype=np.uint8)
    # The subtree copies' targets (classes move with the rows, see _partition).
    y_local = np.empty((n_local if targets_by_row else 0, K))
    # The nodes above the copied subtrees read the codes a row at a time from a copy of
    # them all.
    X_rows = (np.ascontiguousarray(XT.T) if by_rows
              else np.empty((0, n_features), dtype=np.uint8))
    # Also the scratch of _random_split_prefix (none: the search goes one feature at a
    # time), whose last block of four features writes up to three entries past them.
    n_rowwise = n_features + 3 if by_rows or (random_split and _FOUR_AT_A_TIME) else 0
    rowwise = (np.empty(n_rowwise, dtype=np.uint8), np.empty(n_rowwise, dtype=np.uint8),
               np.zeros(n_rowwise, dtype=np.uint8), np.empty(n_rowwise, dtype=np.int64),
               np.empty(n_rowwise), np.empty(n_rowwise), np.empty(n_rowwise, dtype=np.int64),
               np.empty(n_rowwise, dtype=np.uint64))
    local_range = np.array([-1, -1, -1, -1, n_far, n_near, _FUSED_MIN_ROWS,
                            _SUBTREE_MAX_ROWS], dtype=np.int64)
    split_open_nodes = _node_loop(classify, random_split, absolute_error, categorical,
                                  sparse)
    # Scratch of the absolute error's split search (see _mae_open); empty otherwise.
    n_mae = n_rows if absolute_error else 0
    mae_rank = np.empty((n_mae, K), dtype=np.int64)
    mae_sorted = np.empty((n_mae, K))
    mae_key = np.empty(n_mae)
    mae_idx = np.empty(n_mae, dtype=np.int64)
    mae_pos = np.empty(n_mae, dtype=np.int64)
    fen = np.zeros((n_mae + 1, 2))
    mae_bins = np.zeros((MISSING_BIN + 1, 10))
    mae_off = np.zeros(MISSING_BIN + 2, dtype=np.int64)
    mae_sums = np.zeros(2)
    # A node's codes of one feature, in order, for the extra trees' search (see
    # _node_codes), with room for a gather's whole last vector.
    node_codes = np.empty(n_rows + GATHER_WIDTH if random_split and not sparse else 0,
                          dtype=np.uint8)
    # Made here alike for every tree but for these, the tree's inputs.
    given = (XT, rows, wn, cn, yn, bin_value, monotonic_cst, n_cat, cat_params)
    while True:
        args = (
            XT, X_rows, local, local_rows, y_local, rowwise, local_range, rows, wn, cn, yn,
            bool(unit_weights),
            sums_by_difference,
            criterion, n_outputs, max_depth, min_samples_split,
            min_samples_leaf, min_weight_leaf, max_features, max_leaf_nodes, min_decrease,
            feature, split_bin, default_left, left, right, value, gain, cover, node_stats,
            open_int, open_float, rows_buf, wn_buf, cn_buf, yn_buf, sums, sum_sq, G_node,
            sq_node, hist, state, bin_value, order, best, out, GL, GR, sort_codes, sort_pos,
            mae_rank, mae_sorted, mae_key, mae_idx, mae_pos, fen, mae_bins, mae_off, mae_sums,
            monotonic_cst, n_cat, cat_params, cat_words, lut, cat_key, cat_idx, node_codes,
            n_nodes, n_open, n_leaves)
        n_nodes, n_open, n_leaves = _BOUND_NODE_LOOPS(split_open_nodes, args, given)(*args)
        if n_open == 0 or (max_leaf_nodes > 0 and n_leaves >= max_leaf_nodes):
            break
        # Out of room in the open-node stack (the node arrays hold every node the limits
        # allow, and the loop stops at them with no node left open): double it, go on.
        open_cap = 2 * open_int.shape[0]
        open_int = _enlarge(open_int, open_cap)
        open_float = _enlarge(open_float, open_cap)
    return (feature[:n_nodes], split_bin[:n_nodes], default_left[:n_nodes], left[:n_nodes],
            right[:n_nodes], value[:n_nodes], gain[:n_nodes], cover[:n_nodes],
            node_stats[:n_nodes], cat_words[:n_nodes])


def _monotonic_array(monotonic_cst, n_features, n_channels):
    """The kernel's constraint array: int8 of one entry per feature, empty when nothing
    is constrained (all zeros grow the same tree as no constraints, with the plain
    kernel)."""
    if monotonic_cst is None:
        return np.empty(0, dtype=np.int8)
    cst = np.asarray(monotonic_cst)
    if cst.shape != (n_features,) or not np.all(np.isin(cst, (-1, 0, 1))):
        raise ValueError(f"monotonic_cst must hold -1, 0 or 1 for each of the "
                         f"{n_features} features, got {monotonic_cst!r}.")
    if not np.any(cst):
        return np.empty(0, dtype=np.int8)
    if n_channels > 2:
        raise ValueError("monotonic constraints need one regression output or two classes; "
                         f"the targets have {n_channels} channels.")
    return cst.astype(np.int8)


class GrownNodes(NamedTuple):
    """The node arrays of a tree fresh from the node loop (:func:`grow_forest_nodes`):
    views of the kernel's arrays, which are sized for a larger tree (copy what you keep).
    ``node_stats[k]`` is node ``k``'s (rows, impurity); ``cat_start`` and ``cat_bits``
    as in :class:`~.tree.Tree`, None without categorical features."""

    feature: np.ndarray
    split_bin: np.ndarray
    default_left: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    gain: np.ndarray
    cover: np.ndarray
    node_stats: np.ndarray
    cat_start: np.ndarray | None
    cat_bits: np.ndarray | None


def grow_forest_tree(X_binned, Y, weight, rows, edges, n_bins, params, seed, labels=None,
                     bin_value=None):
    """Grow one forest tree: :func:`grow_forest_nodes` (see it for the parameters) as a
    :class:`~.tree.Tree`, its thresholds the bins' ``edges``.

    Returns
    -------
    Tree
    """
    nodes = grow_forest_nodes(X_binned, Y, weight, rows, n_bins, params, seed, labels,
                              bin_value)
    threshold = bin_thresholds(nodes.feature, nodes.split_bin, nodes.left, edges)
    if nodes.cat_start is not None:
        threshold[nodes.cat_start >= 0] = 0.0  # unused at categorical splits
    return Tree(nodes.feature.copy(), threshold, nodes.split_bin.copy(),
                nodes.default_left.copy(), nodes.left.copy(), nodes.right.copy(),
                nodes.value.copy(), nodes.gain.copy(), nodes.cover.copy(), nodes.cat_start,
                nodes.cat_bits, n_node_samples=nodes.node_stats[:, 0].astype(np.int64),
                impurity=nodes.node_stats[:, 1].copy())


def grow_forest_nodes(X_binned, Y, weight, rows, n_bins, params, seed, labels=None,
                      bin_value=None):
    """Grow one forest tree, as the node loop's arrays.

    Parameters
    ----------
    X_binned : ndarray of uint8, shape (n_samples, n_features), or SparseColumns
        Fastest in Fortran order (``np.asfortranarray``); a C-ordered matrix is transposed
        into a copy at every call. Binned sparse input
        (:class:`~.sparse_forest.SparseColumns`) grows the tree from its non-zeros, for
        every criterion but ``"absolute_error"`` and without categorical features.
    Y : ndarray of float64, shape (n_samples, K)
        One-hot classes (classification) or targets (regression).
    weight : ndarray of float64, shape (n_samples,)
        Row weights (bootstrap counts times sample and class weights).
    rows : ndarray of int
        Rows with positive weight (uint32 is used as is, and left in no particular
        state: the kernel reorders it and rewrites parts of it in place).
    n_bins : ndarray of int32
        Unused by the search (the node's own bin range is used) but kept for symmetry
        with the boosting grower.
    params : ForestTreeParams
    seed : int
        Seed of the tree's own random stream.
    labels : ndarray of int, shape (n_samples,), optional
        Class index of each row, when ``Y`` is its one-hot matrix (classification): the
        kernel then adds each row's weight to one class channel instead of K products.
    bin_value : tuple of ndarray, optional
        The bins' values and lookup tables (:func:`bin_values`); needed by
        ``splitter="random"``, which draws thresholds in value space.

    Returns
    -------
    GrownNodes
    """
    if params.criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {sorted(CRITERIA)}, got "
                         f"{params.criterion!r}.")
    if params.splitter not in SPLITTERS:
        raise ValueError(f"splitter must be one of {sorted(SPLITTERS)}, got "
                         f"{params.splitter!r}.")
    Y = np.ascontiguousarray(Y, dtype=np.float64)
    # The kernel reads one feature of many rows at a time, so it wants features as rows:
    # a Fortran-ordered X_binned gives that layout for free (the forests bin into one).
    if isinstance(X_binned, SparseColumns):
        XT = X_binned
        n_features = X_binned.shape[1]
    else:
        XT = X_binned.T if X_binned.flags.f_contiguous else np.ascontiguousarray(X_binned.T)
        n_features = XT.shape[0]
    classify = labels is not None and CRITERIA[params.criterion] < 2
    labels = (np.ascontiguousarray(labels, dtype=np.int32) if classify
              else np.empty(0, dtype=np.int32))
    weight = np.ascontiguousarray(weight, dtype=np.float64)
    random_split = SPLITTERS[params.splitter] == 1
    if random_split and bin_value is None:
        raise ValueError("splitter='random' needs the bins' values (bin_value).")
    if not random_split:
        bin_value = no_threshold_tables()
    # Unsigned row ids index without numba's negative-index wraparound.
    rows = np.asarray(rows).astype(np.uint32, copy=False)
    monotonic_cst = _monotonic_array(params.monotonic_cst, n_features, Y.shape[1])
    n_cat = _categories_array(params.n_categories, n_features)
    if n_cat.shape[0] and XT is X_binned:
        raise ValueError("categorical features need dense codes; bin them densely.")
    if n_cat.shape[0] and CRITERIA[params.criterion] == CRITERIA["absolute_error"]:
        raise ValueError("criterion='absolute_error' cannot split categorical features; "
                         "use another criterion or no categorical features.")
    cat_params = np.array([float(params.max_cat_to_onehot), float(params.cat_smooth)])
    (feature, split_bin, default_left, left, right, value, gain, cover, node_stats,
     cat_words) = _grow(
        XT, labels, Y, weight, rows, classify,
        CRITERIA[params.criterion], int(params.n_outputs) or (1 if classify else Y.shape[1]),
        random_split, int(params.max_depth),
        int(params.min_samples_split), int(params.min_samples_leaf),
        float(params.min_weight_leaf), max(1, int(params.max_features)),
        int(params.max_leaf_nodes), float(params.min_impurity_decrease),
        int(seed) & 0xFFFFFFFFFFFFFFFF, bin_value, monotonic_cst, n_cat, cat_params,
    )
    cat_start = cat_bits = None
    if n_cat.shape[0]:
        cat_start, cat_bits = category_bitsets(feature, left, n_cat, cat_words)
    return GrownNodes(feature, split_bin, default_left, left, right, value, gain, cover,
                      node_stats, cat_start, cat_bits)


def _categories_array(n_categories, n_features):
    """The kernel's categories per feature: int64, empty when no feature is categorical
    (the node loop then compiles no categorical code)."""
    if n_categories is None:
        return np.empty(0, dtype=np.int64)
    n_cat = np.asarray(n_categories, dtype=np.int64)
    if n_cat.shape != (n_features,) or np.any(n_cat < 0) or np.any(n_cat > MISSING_BIN):
        raise ValueError(f"n_categories must hold, for each of the {n_features} features, "
                         f"0 (numeric) or a number of categories up to {MISSING_BIN}; got "
                         f"{n_categories!r}.")
    if not np.any(n_cat):
        return np.empty(0, dtype=np.int64)
    return n_cat


def category_bitsets(feature, left, n_cat, cat_words):
    """A tree's categorical splits as :class:`~.tree.Tree` stores them: ``cat_start``
    (per node, -1 or the first word of its bitset in ``cat_bits``) and ``cat_bits`` (each
    split's ``ceil(n_cat / 32)`` words, in node order), from the kernel's words per node."""
    split = (left != -1) & (n_cat[np.maximum(feature, 0)] > 0)
    n_words = np.where(split, (n_cat[np.maximum(feature, 0)] + 31) // 32, 0)
    cat_start = np.full(left.shape[0], -1, dtype=np.int32)
    ends = np.cumsum(n_words)
    cat_start[split] = (ends - n_words)[split]
    cat_bits = np.concatenate([cat_words[k, :n_words[k]] for k in np.flatnonzero(split)]
                              or [np.empty(0, dtype=np.uint32)]).astype(np.uint32)
    return cat_start, cat_bits


@njit(cache=True, nogil=True)
def cost_complexity_prune(left, right, r_node, ccp_alpha):
    """Minimal cost-complexity pruning (Breiman et al.), as scikit-learn does it.

    ``r_node[i]`` is node ``i``'s weighted impurity as a fraction of the root's weight
    (its cost as a leaf). Repeatedly the internal node of smallest effective alpha
    ``(r_node - r_branch) / (n_leaves - 1)`` is pruned (made a leaf), the first in
    depth-first order (left child first) on ties, until that alpha exceeds ``ccp_alpha``
    (``inf``: prune down to the root, for the whole path).

    Returns ``(alphas, impurities, n_steps, kept, pruned)``: the path (the first entry is
    the unpruned tree at alpha 0; ``impurities`` is the total leaf cost), whether each
    node is still in the tree, and whether it was made a leaf.
    """
    n = left.shape[0]
    parent = np.full(n, -1, dtype=np.int64)
    preorder = np.empty(n, dtype=np.int64)
    stack = np.empty(n, dtype=np.int64)
    top = 0
    stack[0] = 0
    top = 1
    m = 0
    while top > 0:
        top -= 1
        node = stack[top]
        preorder[m] = node
        m += 1
        if left[node] != -1:
            parent[left[node]] = node
            parent[right[node]] = node
            stack[top] = right[node]
            stack[top + 1] = left[node]
            top += 2
    r_branch = np.zeros(n)
    n_leaves = np.zeros(n, dtype=np.int64)
    for j in range(m - 1, -1, -1):
        node = preorder[j]
        if left[node] == -1:
            r_branch[node] = r_node[node]
            n_leaves[node] = 1
        else:
            r_branch[node] = r_branch[left[node]] + r_branch[right[node]]
            n_leaves[node] = n_leaves[left[node]] + n_leaves[right[node]]
    candidate = left != -1
    kept = np.ones(n, dtype=np.bool_)
    pruned = np.zeros(n, dtype=np.bool_)
    n_internal = 0
    for i in range(n):
        n_internal += candidate[i]
    alphas = np.zeros(n_internal + 1)
    impurities = np.zeros(n_internal + 1)
    impurities[0] = r_branch[0]
    steps = 1
    while candidate[0]:
        best = np.inf
        pick = -1
        for j in range(m):
            node = preorder[j]
            if candidate[node]:
                alpha = (r_node[node] - r_branch[node]) / (n_leaves[node] - 1)
                if alpha < best:
                    best = alpha
                    pick = node
        if ccp_alpha < best:
            break
        # The pruned node's descendants leave the tree.
        top = 0
        stack[top] = left[pick]
        stack[top + 1] = right[pick]
        top = 2
        while top > 0:
            top -= 1
            node = stack[top]
            kept[node] = False
            candidate[node] = False
            if left[node] != -1:
                stack[top] = left[node]
                stack[top + 1] = right[node]
                top += 2
        candidate[pick] = False
        pruned[pick] = True
        n_removed = n_leaves[pick] - 1
        r_diff = r_node[pick] - r_branch[pick]
        n_leaves[pick] = 1
        r_branch[pick] = r_node[pick]
        node = parent[pick]
        while node != -1:
            n_leaves[node] -= n_removed
            r_branch[node] += r_diff
            node = parent[node]
        alphas[steps] = best
        impurities[steps] = r_branch[0]
        steps += 1
    return alphas, impurities, steps, kept, pruned


# The sparse node kernels use this module's per-node functions; imported last, when those
# exist. Importing compiles nothing: a dense fit never calls them.
from .sparse_forest import (  # noqa: E402
    SparseColumns,
    _fill_codebuf,
    _gather,
    best_split_sparse,
    partition_sparse,
    random_split_sparse,
)
