"""Tree growth: depthwise or best-first (lossguide), with column sampling and gamma pruning.

The grower owns the bookkeeping; the numerics live in numba kernels: histograms
(:mod:`.histogram`), split finding (:mod:`.split`) and the row partition below. A node's rows
are a contiguous slice of one index array that is partitioned in place at every split, so
the rows of any node (and of every leaf, at the end) are always ``rows[start:stop]``.
"""

import heapq
from dataclasses import dataclass

import numpy as np
from numba import njit

from .binning import MISSING_BIN
from .histogram import build_histogram, build_histograms, subtract_histogram
from .split import find_best_split, leaf_weight
from .tree import Tree

# XGBoost treats splits whose gain is below this as no split at all.
MIN_SPLIT_GAIN = 1e-6


@dataclass
class GrowthParams:
    """Hyper-parameters of one tree, in XGBoost's vocabulary."""

    max_depth: int = 6
    max_leaves: int = 0
    grow_policy: str = "depthwise"
    learning_rate: float = 0.3
    min_child_weight: float = 1.0
    reg_lambda: float = 1.0
    reg_alpha: float = 0.0
    gamma: float = 0.0
    max_delta_step: float = 0.0
    colsample_bylevel: float = 1.0
    colsample_bynode: float = 1.0


@njit(cache=True, nogil=True)
def partition_rows(rows, start, stop, X_binned, feature, split_bin, default_left, buffer):
    """Stable in-place partition of ``rows[start:stop]``: rows going left come first.

    Returns the number of rows that went left.
    """
    n_left = 0
    n_right = 0
    for i in range(start, stop):
        r = rows[i]
        b = X_binned[r, feature]
        go_left = default_left if b == MISSING_BIN else b <= split_bin
        if go_left:
            rows[start + n_left] = r  # never overtakes i, so nothing unread is overwritten
            n_left += 1
        else:
            buffer[n_right] = r
            n_right += 1
    rows[start + n_left:stop] = buffer[:n_right]
    return n_left


def sample_features(mask, fraction, rng):
    """A random subset of ``fraction`` of the features allowed by ``mask`` (at least one)."""
    if fraction >= 1.0:
        return mask
    allowed = np.flatnonzero(mask)
    k = max(1, int(fraction * allowed.size))
    chosen = rng.choice(allowed, size=k, replace=False)
    out = np.zeros_like(mask)
    out[chosen] = True
    return out


class _Node:
    __slots__ = ("start", "stop", "depth", "G", "H", "hist", "split", "left", "right", "gain")

    def __init__(self, start, stop, depth, G, H, hist):
        self.start, self.stop, self.depth = start, stop, depth
        self.G, self.H, self.hist = G, H, hist
        self.split = None
        self.left = self.right = -1
        self.gain = 0.0


class TreeGrower:
    """Grow one tree on binned data from per-row gradients and hessians.

    Parameters
    ----------
    X_binned : ndarray of uint8, shape (n_samples, n_features)
    edges : ndarray of float64, shape (n_features, 255)
        Bin edges from :class:`~ensembles._engine.binning.BinMapper` (thresholds of splits).
    n_bins : ndarray of int32, shape (n_features,)
    params : GrowthParams
    rng : numpy.random.Generator
        Source of the column samples.
    """

    def __init__(self, X_binned, edges, n_bins, params, rng):
        self.X_binned = X_binned
        self.edges = edges
        self.n_bins = n_bins
        self.params = params
        self.rng = rng

    def grow(self, grad, hess, rows, feature_mask):
        """Grow a tree on ``rows`` (an index array, partitioned in place).

        Returns
        -------
        tree : Tree
        leaf_slices : list of (leaf_id, start, stop)
            The training rows of each leaf are ``rows[start:stop]``.
        """
        p = self.params
        self._grad, self._hess, self._rows = grad, hess, rows
        self._buffer = np.empty_like(rows)
        self._level_masks = {}
        self._tree_mask = feature_mask
        hist = build_histogram(self.X_binned, grad, hess, rows)
        G = float(hist[0, :, 0].sum())
        H = float(hist[0, :, 1].sum())
        self.nodes = [_Node(0, rows.size, 0, G, H, hist)]
        self._evaluate(0)
        n_leaves = 1
        lossguide = p.grow_policy == "lossguide"
        # Candidates ordered by (depth, id) grow level by level; by (-gain, id) best-first.
        # Depthwise growth expands a whole level per batch, so its histograms are built in
        # one parallel kernel call.
        queue = []
        self._push(queue, 0, lossguide)
        while queue:
            budget = p.max_leaves - n_leaves if p.max_leaves > 0 else len(queue)
            if budget <= 0:
                break
            batch = [heapq.heappop(queue)[-1]]
            while (not lossguide and queue and len(batch) < budget
                   and queue[0][0] == self.nodes[batch[0]].depth):
                batch.append(heapq.heappop(queue)[-1])
            n_leaves += len(batch)
            for child in self._split(batch):
                self._evaluate(child)
                self._push(queue, child, lossguide)
        for node in self.nodes:
            node.hist = None
        self._prune(0)
        return self._export()

    def _push(self, queue, node_id, lossguide):
        node = self.nodes[node_id]
        if node.split is None:
            return
        key = -node.split[0] if lossguide else node.depth
        heapq.heappush(queue, (key, node_id))

    def _feature_mask(self, depth):
        p = self.params
        mask = self._level_masks.get(depth)
        if mask is None:
            mask = sample_features(self._tree_mask, p.colsample_bylevel, self.rng)
            self._level_masks[depth] = mask
        return sample_features(mask, p.colsample_bynode, self.rng)

    def _evaluate(self, node_id):
        """Find the node's best split, or leave it a leaf when none is allowed or useful."""
        p = self.params
        node = self.nodes[node_id]
        if (p.max_depth > 0 and node.depth >= p.max_depth) or node.stop - node.start < 2:
            return
        mask = self._feature_mask(node.depth)
        split = find_best_split(node.hist, self.n_bins, mask, node.G, node.H, p.reg_lambda,
                                p.reg_alpha, p.max_delta_step, p.min_child_weight)
        if split[1] >= 0 and split[0] > MIN_SPLIT_GAIN:
            node.split = split

    def _split(self, batch):
        """Split the nodes of ``batch``; returns the ids of their children in order."""
        small_bounds = []
        children = []
        for node_id in batch:
            node = self.nodes[node_id]
            gain, feature, bin_, default_left, GL, HL = node.split
            n_left = partition_rows(self._rows, node.start, node.stop, self.X_binned, feature,
                                    bin_, default_left, self._buffer)
            mid = node.start + n_left
            left = _Node(node.start, mid, node.depth + 1, GL, HL, None)
            right = _Node(mid, node.stop, node.depth + 1, node.G - GL, node.H - HL, None)
            node.gain = gain
            node.left, node.right = len(self.nodes), len(self.nodes) + 1
            self.nodes += [left, right]
            children += [node.left, node.right]
            # The subtraction trick: build the child with fewer rows, derive the other.
            small = left if n_left <= node.stop - mid else right
            small_bounds.append((small.start, small.stop))
        bounds = np.array(small_bounds, dtype=np.int64).reshape(-1, 2)
        hists = build_histograms(self.X_binned, self._grad, self._hess, self._rows,
                                 bounds[:, 0].copy(), bounds[:, 1].copy())
        for k, node_id in enumerate(batch):
            node = self.nodes[node_id]
            left, right = self.nodes[node.left], self.nodes[node.right]
            small, large = (left, right) if left.start == bounds[k, 0] and (
                left.stop == bounds[k, 1]) else (right, left)
            small.hist = hists[k]
            large.hist = subtract_histogram(node.hist, small.hist)
            node.hist = None
        return children

    def _prune(self, node_id):
        """Collapse, bottom-up, splits whose gain is below ``gamma`` (XGBoost's pruner)."""
        node = self.nodes[node_id]
        if node.left == -1:
            return
        self._prune(node.left)
        self._prune(node.right)
        both_leaves = self.nodes[node.left].left == -1 and self.nodes[node.right].left == -1
        if both_leaves and node.gain < self.params.gamma:
            node.left = node.right = -1
            node.split = None
            node.gain = 0.0

    def _export(self):
        """Renumber the surviving nodes breadth-first and build the flat tree."""
        p = self.params
        order = [0]
        new_id = {0: 0}
        for old in order:
            node = self.nodes[old]
            if node.left != -1:
                for child in (node.left, node.right):
                    new_id[child] = len(order)
                    order.append(child)
        n = len(order)
        feature = np.full(n, -1, dtype=np.int32)
        threshold = np.zeros(n)
        split_bin = np.zeros(n, dtype=np.uint8)
        default_left = np.zeros(n, dtype=np.bool_)
        left = np.full(n, -1, dtype=np.int32)
        right = np.full(n, -1, dtype=np.int32)
        value = np.zeros(n)
        gain = np.zeros(n)
        cover = np.zeros(n)
        leaf_slices = []
        for i, old in enumerate(order):
            node = self.nodes[old]
            cover[i] = node.H
            if node.left == -1:
                value[i] = p.learning_rate * leaf_weight(node.G, node.H, p.reg_lambda,
                                                         p.reg_alpha, p.max_delta_step)
                leaf_slices.append((i, node.start, node.stop))
                continue
            _, f, b, dl, _, _ = node.split
            feature[i], split_bin[i], default_left[i] = f, b, dl
            threshold[i] = self.edges[f, b]
            left[i], right[i] = new_id[node.left], new_id[node.right]
            gain[i] = node.gain
        tree = Tree(feature, threshold, split_bin, default_left, left, right, value, gain, cover)
        return tree, leaf_slices
