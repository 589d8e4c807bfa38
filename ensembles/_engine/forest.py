"""Growing one tree of a random forest or extra-trees ensemble, entirely in numba.

Forest trees are grown deep (often to single-row leaves), so the per-node work must stay
small and free of Python: one compiled call grows a whole tree. It shares the engine's
binned data, bin edges, flat :class:`~.tree.Tree` arrays and prediction kernels with
boosting; what differs is the split search, which is multi-output and looks only at the
``max_features`` features sampled for each node:

* for each sampled feature, one pass finds the range of bins present in the node, a second
  fills a histogram over that range only (so small deep nodes cost little), and a scan
  evaluates every threshold (``splitter="best"``) or one uniformly drawn threshold
  (``splitter="random"``, extra trees), with missing values tried on both sides;
* the histogram channels are the weighted sums of the K targets (one-hot classes or
  regression outputs), the weight and the row count.

With ``G_k`` the weighted sums of the targets and ``W`` the weight of a node, the weighted
impurity decrease of a split is ``S(L) + S(R) - S(P)`` where ``S = sum_k G_k^2 / W`` for the
Gini index and the squared error, and ``S = sum_k G_k log2(G_k / W)`` for the entropy,
exactly scikit-learn's quantities. Node values are ``G / W`` (class frequencies or means).
"""

from dataclasses import dataclass

import numpy as np
from numba import njit

from .binning import MISSING_BIN
from .tree import Tree

CRITERIA = {"gini": 0, "entropy": 1, "log_loss": 1, "squared_error": 2}
SPLITTERS = {"best": 0, "random": 1}
# scikit-learn treats impurities below this as pure nodes.
_EPSILON = np.finfo(np.float64).eps


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


@njit(cache=True, nogil=True)
def _next_random(state):
    """splitmix64: a small, explicit random stream, so that every tree owns its state."""
    state[0] += np.uint64(0x9E3779B97F4A7C15)
    z = state[0]
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True, nogil=True)
def _randint(state, n):
    """Uniform integer in [0, n)."""
    return np.int64(_next_random(state) % np.uint64(n))


@njit(cache=True, nogil=True)
def _score(G, W, criterion):
    """``S`` of a node from its target sums ``G`` (length K) and weight ``W``."""
    if W <= 0.0:
        return 0.0
    s = 0.0
    if criterion == 1:
        for k in range(G.shape[0]):
            if G[k] > 0.0:
                s += G[k] * np.log2(G[k] / W)
    else:
        for k in range(G.shape[0]):
            s += G[k] * G[k] / W
    return s


@njit(cache=True, nogil=True)
def _impurity(G, W, sum_sq, criterion):
    """Impurity of a node (Gini index, entropy in bits, or variance averaged over outputs)."""
    if W <= 0.0:
        return 0.0
    K = G.shape[0]
    if criterion == 0:
        s = 1.0
        for k in range(K):
            s -= (G[k] / W) ** 2
        return s
    if criterion == 1:
        s = 0.0
        for k in range(K):
            if G[k] > 0.0:
                s -= (G[k] / W) * np.log2(G[k] / W)
        return s
    s = 0.0
    for k in range(K):
        s += sum_sq[k] / W - (G[k] / W) ** 2
    return s / K


@njit(cache=True, nogil=True)
def _node_sums(Y, weight, rows, start, stop, G, sum_sq):
    G[:] = 0.0
    sum_sq[:] = 0.0
    W = 0.0
    for i in range(start, stop):
        r = rows[i]
        w = weight[r]
        W += w
        for k in range(Y.shape[1]):
            G[k] += w * Y[r, k]
            sum_sq[k] += w * Y[r, k] * Y[r, k]
    return W


@njit(cache=True, nogil=True)
def _evaluate_feature(XT, Y, weight, rows, start, stop, f, G, W, n_node, criterion,
                      random_split, min_samples_leaf, min_weight_leaf, hist, state, out):
    """Best split of one feature for one node; writes (gain, bin, default_left) to ``out``.

    ``hist`` must be all zeros on entry and is left all zeros: only the bins the node's
    rows touch are filled, scanned and cleared, so a small node costs little.
    Returns False when the feature is constant in the node (no partition exists).
    """
    if random_split:
        return _evaluate_random_threshold(XT, Y, weight, rows, start, stop, f, G, W, n_node,
                                          criterion, min_samples_leaf, min_weight_leaf, hist,
                                          state, out)
    K = Y.shape[1]
    lo = 255
    hi = -1
    codes = XT[f]
    for i in range(start, stop):
        r = rows[i]
        b = np.int64(codes[r])
        w = weight[r]
        for k in range(K):
            hist[b, k] += w * Y[r, k]
        hist[b, K] += w
        hist[b, K + 1] += 1.0
        if b != MISSING_BIN:
            lo = min(lo, b)
            hi = max(hi, b)
    has_missing = hist[MISSING_BIN, K + 1] > 0.0
    found = False
    if hi >= 0 and (lo < hi or has_missing):
        found = _scan_bins(hist, lo, hi, has_missing, G, W, n_node, criterion,
                           min_samples_leaf, min_weight_leaf, out)
    for b in range(max(lo, 0), hi + 1):
        hist[b, :] = 0.0
    hist[MISSING_BIN, :] = 0.0
    if not found:
        out[0] = -np.inf
    return hi >= 0 and (lo < hi or has_missing)


@njit(cache=True, nogil=True)
def _evaluate_random_threshold(XT, Y, weight, rows, start, stop, f, G, W, n_node, criterion,
                               min_samples_leaf, min_weight_leaf, scratch, state, out):
    """Extra trees: one threshold drawn uniformly between the node's smallest and largest
    bin, scored with missing values on either side (the better side is kept).

    Two passes and no histogram: the bin range, then the left side's sums. ``scratch``
    rows 0 and 1 (zeros on entry, zeros on exit) hold the left and missing sums.
    """
    K = Y.shape[1]
    codes = XT[f]
    lo = 255
    hi = -1
    has_missing = False
    for i in range(start, stop):
        b = np.int64(codes[rows[i]])
        if b == MISSING_BIN:
            has_missing = True
        else:
            lo = min(lo, b)
            hi = max(hi, b)
    if hi < 0 or (lo == hi and not has_missing):
        out[0] = -np.inf
        return False
    # With a single present bin the only partition is "present vs missing" (t = hi).
    t = lo + _randint(state, hi - lo) if hi > lo else hi
    left = scratch[0]
    miss = scratch[1]
    for i in range(start, stop):
        r = rows[i]
        b = np.int64(codes[r])
        if b <= t:
            side = left
        elif b == MISSING_BIN:
            side = miss
        else:
            continue
        w = weight[r]
        for k in range(K):
            side[k] += w * Y[r, k]
        side[K] += w
        side[K + 1] += 1.0
    found = False
    GR = np.empty(K)
    GL = np.empty(K)
    for miss_left in range(2 if has_missing else 1):
        wl = left[K] + miss_left * miss[K]
        nl = left[K + 1] + miss_left * miss[K + 1]
        wr = W - wl
        if (nl < min_samples_leaf or n_node - nl < min_samples_leaf or wl < min_weight_leaf
                or wr < min_weight_leaf or wl <= 0.0 or wr <= 0.0):
            continue
        for k in range(K):
            GL[k] = left[k] + miss_left * miss[k]
            GR[k] = G[k] - GL[k]
        gain = _score(GL, wl, criterion) + _score(GR, wr, criterion) - _score(G, W, criterion)
        if not found or _better(gain, out[0]):
            found = True
            out[0] = gain
            out[1] = t
            out[2] = miss_left
    left[:] = 0.0
    miss[:] = 0.0
    if not found:
        out[0] = -np.inf
    return True


@njit(cache=True, nogil=True)
def _better(gain, best):
    """A gain beats the best so far only by more than rounding: weighted rows and repeated
    rows sum in different orders, and must still pick the same split."""
    return gain > best + 1e-9 * abs(best)


@njit(cache=True, nogil=True)
def _scan_bins(hist, lo, hi, has_missing, G, W, n_node, criterion, min_samples_leaf,
               min_weight_leaf, out):
    """Evaluate thresholds ``bin <= t`` over a filled histogram; returns whether any
    threshold satisfies the leaf constraints."""
    K = G.shape[0]
    parent = _score(G, W, criterion)
    # Thresholds t in [lo, hi - 1]; with missing values t = hi too (present values left,
    # missing right).
    last = hi if has_missing else hi - 1
    GL = np.zeros(K)
    GR = np.zeros(K)
    WL = 0.0
    NL = 0.0
    found = False
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
            score_left = 0.0
            if criterion == 1:
                for k in range(K):
                    gl = G[k] - GR[k]
                    if gl > 0.0:
                        score_left += gl * np.log2(gl / wl)
            else:
                for k in range(K):
                    gl = G[k] - GR[k]
                    score_left += gl * gl / wl
            gain = score_left + _score(GR, wr, criterion) - parent
            if not found or _better(gain, out[0]):
                found = True
                out[0] = gain
                out[1] = b
                out[2] = miss_left
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


@njit(cache=True, nogil=True)
def _find_split(XT, Y, weight, rows, start, stop, G, W, criterion, random_split,
                min_samples_leaf, min_weight_leaf, max_features, hist, state, order, best):
    """Best split over randomly ordered features: at least ``max_features`` of them are
    examined, and more while no valid split has been found (scikit-learn's rule).

    Writes (gain, feature, bin, default_left) to ``best``; feature -1 if none.
    """
    n_features = XT.shape[0]
    n_node = stop - start
    for i in range(n_features):
        order[i] = i
    best[0] = -np.inf
    best[1] = -1.0
    out = np.empty(3)
    visited = 0
    for i in range(n_features):
        if visited >= max_features and best[1] >= 0:
            break
        j = i + _randint(state, n_features - i)
        f = order[j]
        order[j] = order[i]
        order[i] = f
        visited += 1
        if not _evaluate_feature(XT, Y, weight, rows, start, stop, f, G, W, n_node,
                                 criterion, random_split, min_samples_leaf, min_weight_leaf,
                                 hist, state, out):
            continue
        if out[0] > -np.inf and (best[1] < 0 or _better(out[0], best[0])):
            best[0] = out[0]
            best[1] = f
            best[2] = out[1]
            best[3] = out[2]


@njit(cache=True, nogil=True)
def _partition(rows, start, stop, XT, f, split_bin, default_left, buffer):
    n_left = 0
    n_right = 0
    codes = XT[f]
    for i in range(start, stop):
        r = rows[i]
        b = codes[r]
        go_left = default_left if b == MISSING_BIN else b <= split_bin
        if go_left:
            rows[start + n_left] = r
            n_left += 1
        else:
            buffer[n_right] = r
            n_right += 1
    rows[start + n_left:stop] = buffer[:n_right]
    return n_left


@njit(cache=True, nogil=True)
def _open_node(node, XT, Y, weight, rows, node_start, node_stop, node_depth, value,
               cover, cand, open_nodes, n_open, criterion, random_split, max_depth,
               min_samples_split, min_samples_leaf, min_weight_leaf, max_features,
               min_decrease, hist, state, order, G, sum_sq, best):
    """Set a new node's value and cover; if it may split and a split qualifies, record the
    candidate and add the node to the open list. Returns the new number of open nodes."""
    start, stop = node_start[node], node_stop[node]
    W = _node_sums(Y, weight, rows, start, stop, G, sum_sq)
    for k in range(Y.shape[1]):
        value[node, k] = G[k] / W if W > 0.0 else 0.0
    cover[node] = W
    n_node = stop - start
    if ((max_depth > 0 and node_depth[node] >= max_depth) or n_node < min_samples_split
            or n_node < 2 * min_samples_leaf or W < 2.0 * min_weight_leaf
            or _impurity(G, W, sum_sq, criterion) <= _EPSILON):
        return n_open
    _find_split(XT, Y, weight, rows, start, stop, G, W, criterion, random_split,
                min_samples_leaf, min_weight_leaf, max_features, hist, state, order, best)
    if best[1] < 0:
        return n_open
    if criterion == 2:
        best[0] /= Y.shape[1]  # scikit-learn averages the squared error over outputs
    if best[0] + _EPSILON < min_decrease:
        return n_open
    cand[node, :] = best
    open_nodes[n_open] = node
    return n_open + 1


@njit(cache=True, nogil=True)
def _grow(XT, Y, weight, rows, criterion, random_split, max_depth, min_samples_split,
          min_samples_leaf, min_weight_leaf, max_features, max_leaf_nodes,
          min_impurity_decrease, seed):
    K = Y.shape[1]
    n_rows = rows.shape[0]
    cap = max(2 * n_rows - 1, 1)
    if max_leaf_nodes > 0:
        cap = min(cap, 2 * max_leaf_nodes - 1)
    if 0 < max_depth < 40:
        cap = min(cap, 2 ** (max_depth + 1) - 1)
    feature = np.full(cap, -1, dtype=np.int32)
    split_bin = np.zeros(cap, dtype=np.uint8)
    default_left = np.zeros(cap, dtype=np.bool_)
    left = np.full(cap, -1, dtype=np.int32)
    right = np.full(cap, -1, dtype=np.int32)
    value = np.zeros((cap, K))
    gain = np.zeros(cap)
    cover = np.zeros(cap)
    node_start = np.zeros(cap, dtype=np.int64)
    node_stop = np.zeros(cap, dtype=np.int64)
    node_depth = np.zeros(cap, dtype=np.int64)
    cand = np.full((cap, 4), -1.0)  # gain, feature, bin, default_left of each open node
    # Open nodes: a stack (depth-first growth) or the frontier (best-first growth).
    open_nodes = np.empty(cap, dtype=np.int64)
    state = np.array([np.uint64(seed)], dtype=np.uint64)
    hist = np.zeros((256, K + 2))
    order = np.empty(XT.shape[0], dtype=np.int64)
    buffer = np.empty_like(rows)
    G = np.zeros(K)
    sum_sq = np.zeros(K)
    best = np.empty(4)

    min_decrease = min_impurity_decrease * _node_sums(Y, weight, rows, 0, n_rows, G, sum_sq)
    node_stop[0] = n_rows
    n_open = _open_node(0, XT, Y, weight, rows, node_start, node_stop, node_depth,
                        value, cover, cand, open_nodes, 0, criterion, random_split, max_depth,
                        min_samples_split, min_samples_leaf, min_weight_leaf, max_features,
                        min_decrease, hist, state, order, G, sum_sq, best)
    n_nodes = 1
    n_leaves = 1
    while n_open > 0 and not (max_leaf_nodes > 0 and n_leaves >= max_leaf_nodes):
        if max_leaf_nodes > 0:
            pick = 0
            for i in range(1, n_open):
                if cand[open_nodes[i], 0] > cand[open_nodes[pick], 0]:
                    pick = i
        else:
            pick = n_open - 1
        parent = open_nodes[pick]
        open_nodes[pick] = open_nodes[n_open - 1]
        n_open -= 1
        f = np.int64(cand[parent, 1])
        b = np.int64(cand[parent, 2])
        dl = cand[parent, 3] > 0.5
        start, stop = node_start[parent], node_stop[parent]
        mid = start + _partition(rows, start, stop, XT, f, b, dl, buffer)
        feature[parent] = f
        split_bin[parent] = b
        default_left[parent] = dl
        gain[parent] = cand[parent, 0]
        left[parent] = n_nodes
        right[parent] = n_nodes + 1
        node_start[n_nodes], node_stop[n_nodes] = start, mid
        node_start[n_nodes + 1], node_stop[n_nodes + 1] = mid, stop
        node_depth[n_nodes] = node_depth[n_nodes + 1] = node_depth[parent] + 1
        # Right child first, so that a depth-first stack grows the left subtree first.
        for child in (n_nodes + 1, n_nodes):
            n_open = _open_node(child, XT, Y, weight, rows, node_start, node_stop,
                                node_depth, value, cover, cand, open_nodes, n_open, criterion,
                                random_split, max_depth, min_samples_split, min_samples_leaf,
                                min_weight_leaf, max_features, min_decrease, hist, state,
                                order, G, sum_sq, best)
        n_nodes += 2
        n_leaves += 1
    return (feature[:n_nodes], split_bin[:n_nodes], default_left[:n_nodes], left[:n_nodes],
            right[:n_nodes], value[:n_nodes], gain[:n_nodes], cover[:n_nodes])


def grow_forest_tree(X_binned, Y, weight, rows, edges, n_bins, params, seed):
    """Grow one forest tree.

    Parameters
    ----------
    X_binned : ndarray of uint8, shape (n_samples, n_features)
        Fastest in Fortran order (``np.asfortranarray``); a C-ordered matrix is transposed
        into a copy at every call.
    Y : ndarray of float64, shape (n_samples, K)
        One-hot classes (classification) or targets (regression).
    weight : ndarray of float64, shape (n_samples,)
        Row weights (bootstrap counts times sample and class weights).
    rows : ndarray of int32
        Rows with positive weight; reordered in place.
    edges : ndarray of shape (n_features, 255)
        Bin edges (thresholds of the splits).
    n_bins : ndarray of int32
        Unused by the search (the node's own bin range is used) but kept for symmetry
        with the boosting grower.
    params : ForestTreeParams
    seed : int
        Seed of the tree's own random stream.

    Returns
    -------
    Tree
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
    XT = X_binned.T if X_binned.flags.f_contiguous else np.ascontiguousarray(X_binned.T)
    feature, split_bin, default_left, left, right, value, gain, cover = _grow(
        XT, Y, np.ascontiguousarray(weight, dtype=np.float64), rows,
        CRITERIA[params.criterion], SPLITTERS[params.splitter] == 1, int(params.max_depth),
        int(params.min_samples_split), int(params.min_samples_leaf),
        float(params.min_weight_leaf), max(1, int(params.max_features)),
        int(params.max_leaf_nodes), float(params.min_impurity_decrease),
        int(seed) & 0xFFFFFFFFFFFFFFFF,
    )
    internal = left != -1
    threshold = np.zeros(len(left))
    threshold[internal] = edges[feature[internal], split_bin[internal]]
    # Copies: the kernel's arrays are sized for the largest possible tree.
    return Tree(feature.copy(), threshold, split_bin.copy(), default_left.copy(), left.copy(),
                right.copy(), value.copy(), gain.copy(), cover.copy())
