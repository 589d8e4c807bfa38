"""The client's half of data-parallel tree growth: node bookkeeping and split finding.

The workers hold the rows; the client holds, per tree, the node records and the summed
histograms of the nodes still open, and decides every split with the engine's own
:func:`~ensembles._engine.split.find_best_split`, :func:`~ensembles._engine.split.leaf_weight`
and column sampler. Nodes are numbered, batched (a level, or the node of largest gain) and
exported exactly as :mod:`ensembles._engine.grower` does, so a tree grown here on the
summed histograms is the single-node tree, float summation order aside.
"""

import numpy as np

from .._engine.grower import _node_features
from .._engine.jit import njit
from .._engine.split import MIN_SPLIT_GAIN, find_best_split, leaf_weight
from .._engine.tree import Tree

_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _rounded(gain):
    """``gain`` as the grower compares gains: in float32 where float32 holds it."""
    return float(np.float32(gain)) if gain < _FLOAT32_MAX else gain


@njit(cache=True, nogil=True)
def _features_of(node, depth, tree_mask, seed, fparams, weights):
    """The features node ``node`` may split on: the grower's column sampler, called with
    the same node id, depth and tree seed."""
    n = tree_mask.shape[0]
    level_mask = np.empty(n, np.bool_)
    node_mask = np.empty(n, np.bool_)
    scratch = np.empty(n, np.int64)
    mask = _node_features(np.int64(node), np.int64(depth), tree_mask, seed, fparams,
                          level_mask, node_mask, scratch, weights)
    return mask.copy()


class TreeBuilder:
    """One tree grown on summed histograms (see the module notes).

    The steps are :meth:`set_root` (the root's histogram), then :meth:`plan` (the next
    batch's splits and the histograms to build, None once the tree is done) and
    :meth:`receive` (those histograms) until :meth:`plan` returns None; :meth:`export`
    gives the :class:`~ensembles._engine.tree.Tree`.
    """

    def __init__(self, growth, edges, offsets, n_bins, tree_mask, seed):
        self.p = growth
        self.fparams, _ = growth.arrays()
        self.edges = edges
        self.offsets = offsets
        self.n_bins = n_bins
        self.tree_mask = tree_mask
        self.seed = np.uint64(seed)
        self.sampled = growth.colsample_bylevel < 1.0 or growth.colsample_bynode < 1.0
        self.weights = (None if growth.feature_weights is None
                        else np.ascontiguousarray(growth.feature_weights, dtype=np.float64))
        self.cat_params = growth.cat_arrays()
        self.cat_out = np.zeros(1, dtype=np.uint32)
        self.depth, self.G, self.H = [], [], []
        self.gain, self.feature, self.bin, self.dleft = [], [], [], []
        self.left, self.right, self.GL, self.HL = [], [], [], []
        self.hist = {}
        self.open = []
        self.finished = []
        self.n_leaves = 1
        self.pending = []

    def _new(self, depth, G, H):
        for lst, v in ((self.depth, depth), (self.G, G), (self.H, H), (self.gain, 0.0),
                       (self.feature, -1), (self.bin, 0), (self.dleft, False),
                       (self.left, -1), (self.right, -1), (self.GL, 0.0), (self.HL, 0.0)):
            lst.append(v)
        return len(self.depth) - 1

    def _can_split(self, node):
        # The grower also asks for two rows; a node of fewer rows (or of no hessian) finds
        # no split with both children of positive hessian, so H > 0 decides the same.
        max_depth = self.p.max_depth
        if max_depth > 0 and self.depth[node] >= max_depth:
            return False
        return self.H[node] > 0.0

    def _evaluate(self, node):
        if not self._can_split(node):
            return
        p = self.p
        mask = self.tree_mask
        if self.sampled:
            mask = _features_of(node, self.depth[node], self.tree_mask, self.seed,
                                self.fparams, self.weights)
        gain, f, b, dl, GL, HL = find_best_split(
            self.hist[node], self.offsets, self.n_bins, mask, self.G[node], self.H[node],
            p.reg_lambda, p.reg_alpha, p.max_delta_step, p.min_child_weight,
            # No monotone constraints or categorical features on Dask (the estimator
            # refuses them).
            None, -np.inf, np.inf, None, self.cat_params, self.cat_out)
        if f >= 0 and gain > MIN_SPLIT_GAIN and gain >= p.gamma:
            self.feature[node] = int(f)
            self.bin[node] = int(b)
            self.dleft[node] = bool(dl)
            self.gain[node] = float(gain)
            self.GL[node] = float(GL)
            self.HL[node] = float(HL)

    def set_root(self, hist):
        first, stop = int(self.offsets[0]), int(self.offsets[1])
        # Sequential sums over feature 0's rows, as the grower reads the root's sums.
        G = float(np.cumsum(hist[first:stop, 0])[-1]) if stop > first else 0.0
        H = float(np.cumsum(hist[first:stop, 1])[-1]) if stop > first else 0.0
        self._new(0, G, H)
        self.hist[0] = hist
        self._evaluate(0)
        self.finished = [(0, -1)]

    def plan(self):
        """The next batch: ``(splits, builds)`` with ``splits`` an int64 array of rows
        (node, feature, bin, default_left, left, right) and ``builds`` the nodes whose
        histograms the workers must sum; None when the tree is complete."""
        for a, b in self.finished:
            for node in sorted(n for n in (a, b) if n >= 0):
                if self.feature[node] >= 0:
                    self.open.append(node)
                else:
                    self.hist.pop(node, None)
        self.finished = []
        max_leaves = self.p.max_leaves
        budget = max_leaves - self.n_leaves if max_leaves > 0 else len(self.open)
        if budget <= 0 or not self.open:
            self.hist.clear()
            return None
        if self.p.grow_policy == "lossguide":
            best = 0
            for q in range(1, len(self.open)):
                a, b = self.open[q], self.open[best]
                # float32 comparison, as the grower (and XGBoost) break ties
                gain_a, gain_b = _rounded(self.gain[a]), _rounded(self.gain[b])
                if gain_a > gain_b or (gain_a == gain_b and a < b):
                    best = q
            batch = [self.open[best]]
            self.open[best] = self.open[-1]
            self.open.pop()
        else:
            n_batch = min(budget, len(self.open))
            batch = self.open[:n_batch]
            self.open = self.open[n_batch:]
        splits = np.empty((len(batch), 6), dtype=np.int64)
        for j, node in enumerate(batch):
            depth = self.depth[node]
            G, H, GL, HL = self.G[node], self.H[node], self.GL[node], self.HL[node]
            left = self._new(depth + 1, GL, HL)
            right = self._new(depth + 1, G - GL, H - HL)
            self.left[node], self.right[node] = left, right
            splits[j] = (node, self.feature[node], self.bin[node], self.dleft[node], left,
                         right)
        self.n_leaves += len(batch)
        builds = []
        self.pending = []
        for node in batch:
            left, right = self.left[node], self.right[node]
            if not (self._can_split(left) or self._can_split(right)):
                self.hist.pop(node, None)
                continue
            # The subtraction trick: the workers sum the lighter child, the other is the
            # parent's histogram minus it (the grower picks by rows; the hessian is what
            # the client knows before the rows move, and only rounding depends on it).
            small, large = ((left, right) if self.H[left] <= self.H[right]
                            else (right, left))
            builds.append(small)
            self.pending.append((node, small, large))
        return splits, builds

    def plan_is_last(self):
        """Whether the last :meth:`plan` ends the tree: no histogram to build (its
        children are leaves) and no open node left."""
        return not self.pending and not self.open

    def receive(self, hists):
        """Take the summed histograms of the nodes of the last :meth:`plan`'s builds."""
        for (parent, small, large), hs in zip(self.pending, hists, strict=True):
            hl = self.hist.pop(parent)
            hl -= hs
            self.hist[small] = hs
            self.hist[large] = hl
            for node in sorted((small, large)):
                self._evaluate(node)
            self.finished.append((small, large))
        self.pending = []

    def export(self):
        n = len(self.depth)
        p = self.p
        feature = np.full(n, -1, dtype=np.int32)
        threshold = np.zeros(n)
        split_bin = np.zeros(n, dtype=np.int32)
        default_left = np.zeros(n, dtype=np.bool_)
        left = np.asarray(self.left, dtype=np.int32)
        right = np.asarray(self.right, dtype=np.int32)
        value = np.zeros((n, 1))
        gain = np.zeros(n)
        cover = np.asarray(self.H, dtype=np.float64)
        for k in range(n):
            if left[k] == -1:
                value[k, 0] = p.learning_rate * leaf_weight(
                    self.G[k], self.H[k], p.reg_lambda, p.reg_alpha, p.max_delta_step,
                    p.min_child_weight)
            else:
                f = self.feature[k]
                feature[k] = f
                split_bin[k] = self.bin[k]
                # Bin -1: only missing values go left (see the grower's export).
                threshold[k] = self.edges[f, self.bin[k]] if self.bin[k] >= 0 else -np.inf
                default_left[k] = self.dleft[k]
                gain[k] = self.gain[k]
        return Tree(feature, threshold, split_bin, default_left, left, right, value, gain,
                    cover)

