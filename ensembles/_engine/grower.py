"""Tree growth: depthwise or best-first (lossguide), with column sampling and gamma pruning.

The grower owns the bookkeeping; the numerics live in numba kernels: histograms
(:mod:`.histogram`), split finding (:mod:`.split`) and the row partition below.

A node's rows are a contiguous range ``start:stop`` of a tree-local copy of the training
data: binned rows, gradient pairs and original row ids are gathered once per tree and then
*moved* at every split (a stable partition), so histograms sweep memory sequentially. The
partition writes a node's children into the other of two buffers (ping-pong by depth), so
every node of depth ``d`` lives in buffer ``d % 2``.
"""

import heapq
from dataclasses import dataclass

import numpy as np
from numba import njit

from .._threads import run_parallel
from .binning import MISSING_BIN
from .histogram import build_histograms, plan_chunks, subtract_histogram
from .split import find_best_split, leaf_weight
from .tree import Tree

# Rows below which a partition is not worth another thread.
_MIN_THREAD_ROWS = 16384
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
def _gather(r0, r1, X_binned, grad, hess, rows, X_local, gh, ids):
    """Copy rows ``rows[r0:r1]`` (binned values, gradient pair, id) to positions r0:r1."""
    n_features = X_binned.shape[1]
    for i in range(r0, r1):
        r = rows[i]
        for f in range(n_features):  # an explicit loop: row-slice copies cost ~2x more
            X_local[i, f] = X_binned[r, f]
        gh[i, 0] = grad[r]
        gh[i, 1] = hess[r]
        ids[i] = r


@njit(cache=True, nogil=True)
def _goes_left(code, split_bin, default_left):
    return default_left if code == MISSING_BIN else code <= split_bin


@njit(cache=True, nogil=True)
def _count_left(c0, c1, X, chunk_start, chunk_stop, chunk_node, features, bins, default_lefts,
                n_left):
    for c in range(c0, c1):
        k = chunk_node[c]
        f, b, dl = features[k], bins[k], default_lefts[k]
        count = 0
        for i in range(chunk_start[c], chunk_stop[c]):
            count += _goes_left(X[i, f], b, dl)
        n_left[c] = count


@njit(cache=True, nogil=True)
def _scatter(c0, c1, X, gh, ids, X_out, gh_out, ids_out, chunk_start, chunk_stop, chunk_node,
             features, bins, default_lefts, left_at, right_at, move_data):
    """Move each chunk's rows to where its left and right rows go (stable order).

    Without ``move_data`` only the row ids move (children that will not be split need
    no binned values or gradients).
    """
    n_features = X.shape[1]
    for c in range(c0, c1):
        k = chunk_node[c]
        f, b, dl = features[k], bins[k], default_lefts[k]
        lo = left_at[c]
        hi = right_at[c]
        for i in range(chunk_start[c], chunk_stop[c]):
            if _goes_left(X[i, f], b, dl):
                j = lo
                lo += 1
            else:
                j = hi
                hi += 1
            ids_out[j] = ids[i]
            if move_data:
                for q in range(n_features):  # explicit loop: row-slice copies cost ~2x more
                    X_out[j, q] = X[i, q]
                gh_out[j, 0] = gh[i, 0]
                gh_out[j, 1] = gh[i, 1]


@njit(cache=True, nogil=True)
def _chunk_destinations(first, n_left, chunk_start, chunk_stop, starts, stops):
    """Where each chunk's left and right rows go, and each node's number of left rows.

    Left rows of a chunk follow the left rows of the node's earlier chunks; right rows
    follow all of the node's left rows and the right rows of its earlier chunks.
    """
    n_nodes = starts.shape[0]
    node_left = np.zeros(n_nodes, dtype=np.int64)
    left_at = np.empty_like(n_left)
    right_at = np.empty_like(n_left)
    for k in range(n_nodes):
        for c in range(first[k], first[k + 1]):
            node_left[k] += n_left[c]
        lo = starts[k]
        hi = starts[k] + node_left[k]
        for c in range(first[k], first[k + 1]):
            left_at[c] = lo
            right_at[c] = hi
            lo += n_left[c]
            hi += chunk_stop[c] - chunk_start[c] - n_left[c]
    return node_left, left_at, right_at


def partition_nodes(src, dst, starts, stops, features, bins, default_lefts, move_data=True):
    """Stable partition of several nodes from buffers ``src`` into ``dst``.

    ``src`` and ``dst`` are ``(X_local, gh, ids)`` triples; node ``k`` occupies
    ``starts[k]:stops[k]`` in both, its left rows first in ``dst``. Chunks of every node are
    counted, then scattered, in parallel; without ``move_data`` only ids are written.
    Returns the number of left rows of each node.
    """
    first, chunk_start, chunk_stop = plan_chunks(starts, stops)
    n_chunks = chunk_start.size
    chunk_node = np.repeat(np.arange(starts.size), np.diff(first))
    n_left = np.empty(n_chunks, dtype=np.int64)
    weights = chunk_stop - chunk_start
    run_parallel(_count_left, n_chunks, src[0], chunk_start, chunk_stop, chunk_node, features,
                 bins, default_lefts, n_left, weights=weights, min_weight=_MIN_THREAD_ROWS)
    node_left, left_at, right_at = _chunk_destinations(first, n_left, chunk_start, chunk_stop,
                                                       starts, stops)
    run_parallel(_scatter, n_chunks, *src, *dst, chunk_start, chunk_stop, chunk_node, features,
                 bins, default_lefts, left_at, right_at, move_data, weights=weights,
                 min_weight=_MIN_THREAD_ROWS)
    return node_left


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
        self._buffers = None

    def grow(self, grad, hess, rows, feature_mask):
        """Grow a tree on the training rows ``rows`` (an index array).

        ``rows`` is reordered in place so that every leaf's rows are contiguous in it.

        Returns
        -------
        tree : Tree
        leaf_slices : list of (leaf_id, start, stop)
            The training rows of each leaf are ``rows[start:stop]``.
        """
        p = self.params
        m = rows.size
        if self._buffers is None:
            n, n_features = self.X_binned.shape
            self._buffers = [(np.empty((n, n_features), dtype=np.uint8), np.empty((n, 2)),
                              np.empty(n, dtype=rows.dtype)) for _ in range(2)]
        self._local = [tuple(a[:m] for a in buffer) for buffer in self._buffers]
        run_parallel(_gather, m, self.X_binned, grad, hess, rows, *self._local[0],
                     min_items=4096)
        self._level_masks = {}
        self._tree_mask = feature_mask
        hist = build_histograms(self._local[0][0], self._local[0][1],
                                np.array([0], dtype=np.int64), np.array([m], dtype=np.int64))[0]
        G = float(hist[0, :, 0].sum())
        H = float(hist[0, :, 1].sum())
        self.nodes = [_Node(0, m, 0, G, H, hist)]
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
            if node.left == -1:  # hand the final row order back through ``rows``
                ids = self._local[node.depth % 2][2]
                rows[node.start:node.stop] = ids[node.start:node.stop]
        self._local = None
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
        """Split the nodes of ``batch`` (all of one depth); returns their children's ids."""
        nodes = [self.nodes[i] for i in batch]
        depth = nodes[0].depth
        starts = np.array([node.start for node in nodes], dtype=np.int64)
        stops = np.array([node.stop for node in nodes], dtype=np.int64)
        splits = [node.split for node in nodes]
        # Children at the depth limit stay leaves: they need neither histograms nor their
        # rows' data, only their row ids.
        final = 0 < self.params.max_depth <= depth + 1
        n_left = partition_nodes(
            self._local[depth % 2], self._local[(depth + 1) % 2], starts, stops,
            np.array([sp[1] for sp in splits], dtype=np.int64),
            np.array([sp[2] for sp in splits], dtype=np.int64),
            np.array([sp[3] for sp in splits], dtype=np.bool_), move_data=not final,
        )
        children = []
        small_bounds = []
        for node, (gain, _, _, _, GL, HL), k_left in zip(nodes, splits, n_left, strict=True):
            mid = node.start + int(k_left)
            left = _Node(node.start, mid, depth + 1, GL, HL, None)
            right = _Node(mid, node.stop, depth + 1, node.G - GL, node.H - HL, None)
            node.gain = gain
            node.left, node.right = len(self.nodes), len(self.nodes) + 1
            self.nodes += [left, right]
            children += [node.left, node.right]
            # The subtraction trick: build the child with fewer rows, derive the other.
            small = left if mid - node.start <= node.stop - mid else right
            small_bounds.append((small.start, small.stop))
        if final:
            for node in nodes:
                node.hist = None
            return children
        bounds = np.array(small_bounds, dtype=np.int64).reshape(-1, 2)
        X_local, gh, _ = self._local[(depth + 1) % 2]
        hists = build_histograms(X_local, gh, bounds[:, 0].copy(), bounds[:, 1].copy())
        for k, node in enumerate(nodes):
            left, right = self.nodes[node.left], self.nodes[node.right]
            small, large = (left, right) if left.start == bounds[k, 0] else (right, left)
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
