"""Boosting tree growth, compiled whole: depthwise or best-first (lossguide).

One tree is grown by a short sequence of numba kernels over shared state arrays; no Python
runs per node. The sequence is:

1. list the tree's rows in row-index buffer 0, with their gradient pairs (per row id);
2. build the root's histogram, find its best split;
3. repeat on a *batch* of nodes (a whole level for depthwise growth, the node of largest gain
   for lossguide): count each chunk's left rows, place the children, move the row ids into
   the other buffer (a stable partition), build the histogram of each split node's smaller
   child and derive the larger one by subtraction in the parent's slot, then find the
   children's best splits;
4. export the flat tree, each leaf's rows and value.

The work of steps 1 to 3 is cut into items (chunks of rows, split nodes) whose boundaries
depend only on the data, never on the number of threads. A team of threads
(:func:`_team_work`, one thread where more would not pay) runs the whole sequence in one
compiled call, sharing each parallel step's items out. Trees too deep for the team's
histogram pool run it in one call on one thread (:func:`_grow_serial`), or with more threads
and enough rows level by level from Python, each parallel step spread over the engine's
threads (all nodes of a level in one pass). Every order gives the same sums in the same
order, so a model does not depend on ``n_jobs``.

A node's rows are a contiguous range of a row-index buffer: nodes of depth ``d`` live in
buffer ``d % 2``, so splitting moves row ids from one buffer to the other. Only the ids
move: the binned matrix and the gradient pairs are read where they are, at each node's rows
(in increasing order, as partitions are stable), which moves a tenth of the bytes that
moving whole rows did. Deciding which side each row of a split node goes to reads one
feature of rows far apart: it reads a feature-major copy of the matrix (``columns``), whose
column for a feature is a small fraction of the matrix and stays in the CPU's caches.

Column samples (``colsample_bylevel``/``bynode``) are drawn from a counter-based generator
keyed by the tree's seed and the level or node id, so they too are independent of the order
in which threads evaluate nodes.
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .._spin import compare_swap, fetch_add, load_acquire, pause, store_release
from .._threads import current_threads, pool_submissions, run_parallel, submit, weighted_sum
from . import compiled_only
from .histogram import (
    CHUNK_ROWS,
    ROUNDING_KEY,
    accumulate_features,
    float_histogram,
    gather_pair,
    hist_offsets,
    kernel_layout,
    n_chunks,
    part_features,
    quantization_steps,
)
from .jit import BoundKernels, njit
from .split import (
    CAT_ONEHOT,
    CAT_PENALTY,
    CAT_SMOOTH,
    CAT_THRESHOLD,
    CAT_UNIT,
    MIN_SPLIT_GAIN,
    N_CAT_PARAMS,
    _rounded,
    clipped_weight,
    find_best_split,
    leaf_weight,
)
from .tree import Tree

# Columns of the integer node records.
_START, _STOP, _DEPTH, _SLOT, _LEFT, _RIGHT, _FEATURE, _BIN, _DLEFT, _PARENT = range(10)
_N_INT = 10
# Columns of the float node records: sums, the best split, the node's bounds on its
# children's weights (monotone constraints) and its own weight.
_G, _H, _GAIN, _GL, _HL, _LO, _HI, _W = range(8)
_N_FLOAT = 8
# Slots of the counters array (``_MOVE``: whether a child of the batch may split, when the
# sparse grower moves its rows' codes and gradients with their ids).
_NODES, _LEAVES, _OPEN, _BATCH, _FINISHED, _CHUNKS, _FREE, _SLOTS, _MOVE, _SRC = range(10)
_N_COUNTERS = 10
# Float parameters (the last two: the steps of quantized gradients and hessians, set per
# tree) and integer parameters.
_LR, _MCW, _LAMBDA, _ALPHA, _GAMMA, _MDS, _BYLEVEL, _BYNODE, _G_STEP, _H_STEP = range(10)
_MAX_DEPTH, _MAX_LEAVES, _LOSSGUIDE = range(3)


# Below this many rows per tree, a level's parallel steps run from Python (the sparse
# grower's, and trees too large for a team) cost more in thread hand-offs than they save.
PARALLEL_MIN_ROWS = 2 * CHUNK_ROWS
# Below this many rows, more threads in a team cost more than they save: the team is the
# calling thread alone.
TEAM_MIN_ROWS = 1024
# Below this many rows, the trees of a multiclass round grow side by side, each on one
# thread, which beats a team per tree.
TEAM_ROUND_ROWS = CHUNK_ROWS
# Wide data (at least two blocks of features) is grown feature-parallel on few rows: the
# histograms are built, completed and searched by blocks of this many features (a fixed
# size: the trees do not depend on it, nor on the number of threads).
FEATURE_BLOCK = 2048
# A team of threads shares one histogram pool sized for the whole tree: above this many
# histogram rows (16 bytes each) in it, trees grow level by level instead.
_TEAM_MAX_POOL = 1 << 22


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
    # Per feature: 1 increasing, -1 decreasing, 0 free (empty: no constraint).
    monotone_constraints: tuple = ()
    # Groups of feature indices allowed to interact (empty: no constraint).
    interaction_constraints: tuple = ()
    # Column sampling weights per feature (None: uniform), XGBoost's ``feature_weights``.
    feature_weights: np.ndarray = None
    # Categorical splits (see split.py): one-vs-rest up to this many categories,
    # partitions listing at most ``max_cat_threshold`` categories on the left, ratios
    # smoothed by ``cat_smooth``.
    max_cat_to_onehot: int = 4
    max_cat_threshold: int = 32
    cat_smooth: float = 10.0
    # Multiple of the null-gain selection penalty of partitions (0: XGBoost's gains).
    cat_penalty: float = 1.0
    # Quantized gradients (LightGBM's ``use_quantized_grad``): levels of the gradients
    # (0: exact float gradients), and whether leaf values come from the exact sums.
    quantized_bins: int = 0
    renew_leaves: bool = True

    def arrays(self):
        """The parameters as the float and integer arrays the kernels read."""
        floats = np.array([self.learning_rate, self.min_child_weight, self.reg_lambda,
                           self.reg_alpha, self.gamma, self.max_delta_step,
                           self.colsample_bylevel, self.colsample_bynode, 1.0, 1.0],
                          dtype=np.float64)
        ints = np.array([self.max_depth, self.max_leaves, self.grow_policy == "lossguide"],
                        dtype=np.int64)
        return floats, ints

    def cat_arrays(self):
        """The categorical parameters as the float array the split search reads."""
        out = np.empty(N_CAT_PARAMS)
        out[CAT_ONEHOT] = self.max_cat_to_onehot
        out[CAT_THRESHOLD] = self.max_cat_threshold
        out[CAT_SMOOTH] = self.cat_smooth
        out[CAT_PENALTY] = self.cat_penalty
        out[CAT_UNIT] = 1.0
        return out

    def constraint_arrays(self, n_features):
        """``(monotone, groups)``: int8 directions per feature and a boolean
        (n_groups, n_features) membership matrix of the interaction groups, each None
        when there is no such constraint (the kernels then compile without their code)."""
        monotone = groups = None
        if any(self.monotone_constraints):
            monotone = np.zeros(n_features, dtype=np.int8)
            monotone[: len(self.monotone_constraints)] = self.monotone_constraints
        if self.interaction_constraints:
            groups = np.zeros((len(self.interaction_constraints), n_features),
                              dtype=np.bool_)
            for g, group in enumerate(self.interaction_constraints):
                groups[g, list(group)] = True
        return monotone, groups


def sample_features(mask, fraction, rng, weights=None):
    """A random subset of ``fraction`` of the features allowed by ``mask`` (at least one),
    uniform, or drawn without replacement in proportion to ``weights`` (XGBoost's
    ``feature_weights``) when given."""
    if fraction >= 1.0:
        return mask
    allowed = np.flatnonzero(mask)
    k = max(1, int(fraction * allowed.size))
    if weights is None or len(weights) == 0:
        chosen = rng.choice(allowed, size=k, replace=False)
    else:
        # Efraimidis and Spirakis: the k largest of u ** (1 / w), as logarithms.
        with np.errstate(divide="ignore"):
            keys = np.log(rng.random(allowed.size)) / weights[allowed]
        chosen = allowed[np.argsort(-keys, kind="stable")[:k]]
    out = np.zeros_like(mask)
    out[chosen] = True
    return out


# --- column sampling inside the kernels -------------------------------------------------------

@compiled_only
def _mix(x):
    """SplitMix64's finalizer: a well-spread 64-bit hash of ``x``."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@compiled_only
def _sample_mask(parent, fraction, key, out, scratch, weights):
    """``out`` = a subset of ``max(1, int(fraction * m))`` of the ``m`` features allowed by
    ``parent``, keyed by ``key``: uniform (a partial Fisher-Yates shuffle), or in proportion
    to ``weights`` unless None (the largest keys ``log(u) / w``, as
    :func:`sample_features`)."""
    m = 0
    for f in range(parent.shape[0]):
        out[f] = False
        if parent[f]:
            scratch[m] = f
            m += 1
    k = max(1, int(fraction * m))
    if k >= m:
        for f in range(parent.shape[0]):
            out[f] = parent[f]
        return
    if weights is not None:
        keys = np.empty(m)
        for i in range(m):
            f = scratch[i]
            bits = _mix(key ^ (np.uint64(f + 1) * np.uint64(0x9E3779B97F4A7C15)))
            u = np.float64((bits >> np.uint64(11)) + np.uint64(1)) * 2.0 ** -53  # in (0, 1]
            keys[i] = np.log(u) / weights[f] if weights[f] > 0.0 else -np.inf
        # The k largest keys by repeated selection: k is small, and a sort would pull a
        # whole sorting kernel into the first fit's compile.
        for _ in range(k):
            best = -1
            for i in range(m):
                if not out[scratch[i]] and (best < 0 or keys[i] > keys[best]):
                    best = i
            out[scratch[best]] = True
        return
    state = key
    for i in range(k):
        state += np.uint64(0x9E3779B97F4A7C15)
        j = i + np.int64(_mix(state) % np.uint64(m - i))
        scratch[i], scratch[j] = scratch[j], scratch[i]
        out[scratch[i]] = True


@compiled_only
def _node_features(node, depth, tree_mask, seed, fparams, level_mask, node_mask, scratch,
                   weights):
    """Features node ``node`` may split on: the tree's sample, then the level's, then the
    node's."""
    mask = tree_mask
    if fparams[_BYLEVEL] < 1.0:
        key = _mix(seed ^ (np.uint64(depth + 1) * np.uint64(0xD6E8FEB86659FD93)))
        _sample_mask(mask, fparams[_BYLEVEL], key, level_mask, scratch, weights)
        mask = level_mask
    if fparams[_BYNODE] < 1.0:
        key = _mix(seed ^ (np.uint64(node + 1) * np.uint64(0xA0761D6478BD642F)))
        _sample_mask(mask, fparams[_BYNODE], key, node_mask, scratch, weights)
        mask = node_mask
    return mask


@compiled_only
def _interacting_features(node, nodes_i, groups, mask, out, on_path):
    """``mask`` restricted by the interaction constraints (XGBoost's rule): below the
    root, a node may split on the features used on its path and on every feature of the
    groups that hold all of those."""
    n_features = mask.shape[0]
    for f in range(n_features):
        on_path[f] = False
    parent = nodes_i[node, _PARENT]
    while parent >= 0:
        on_path[nodes_i[parent, _FEATURE]] = True
        parent = nodes_i[parent, _PARENT]
    for f in range(n_features):
        out[f] = on_path[f]
    for g in range(groups.shape[0]):
        holds_path = True
        for f in range(n_features):
            if on_path[f] and not groups[g, f]:
                holds_path = False
                break
        if holds_path:
            for f in range(n_features):
                out[f] = out[f] or groups[g, f]
    for f in range(n_features):
        out[f] = out[f] and mask[f]
    return out


# --- node bookkeeping -------------------------------------------------------------------------

@compiled_only
def _can_split(nodes_i, node, iparams):
    max_depth = iparams[_MAX_DEPTH]
    if max_depth > 0 and nodes_i[node, _DEPTH] >= max_depth:
        return False
    return nodes_i[node, _STOP] - nodes_i[node, _START] >= 2


@compiled_only
def _new_node(nodes_i, nodes_f, node, depth):
    nodes_i[node, _DEPTH] = depth
    nodes_i[node, _SLOT] = -1
    nodes_i[node, _LEFT] = -1
    nodes_i[node, _RIGHT] = -1
    nodes_i[node, _FEATURE] = -1
    nodes_i[node, _PARENT] = -1
    nodes_f[node, _GAIN] = 0.0


@compiled_only
def _take_slot(counters, free_slots):
    if counters[_FREE] > 0:
        counters[_FREE] -= 1
        return free_slots[counters[_FREE]]
    counters[_SLOTS] += 1
    return counters[_SLOTS] - 1


@compiled_only
def _release_slot(nodes_i, node, counters, free_slots):
    if nodes_i[node, _SLOT] >= 0:
        free_slots[counters[_FREE]] = nodes_i[node, _SLOT]
        counters[_FREE] += 1
        nodes_i[node, _SLOT] = -1


@njit(cache=True, nogil=True)
def ensure_pool(pool, n_slots):
    """``pool`` with room for at least ``n_slots`` histograms (doubled when too small)."""
    if n_slots <= pool.shape[0]:
        return pool
    bigger = np.empty((max(n_slots, 2 * pool.shape[0]), pool.shape[1], pool.shape[2]),
                      dtype=pool.dtype)
    for s in range(pool.shape[0]):  # loops, not slice assignment: it compiles much faster
        for b in range(pool.shape[1]):
            for c in range(pool.shape[2]):
                bigger[s, b, c] = pool[s, b, c]
    return bigger


# --- the steps ----------------------------------------------------------------------------------

@njit(cache=True, nogil=True)
def _gather(r0, r1, grad, hess, k, rows, gh, ids, fparams, seed):
    """List rows ``rows[r0:r1]`` at positions r0:r1 of row-index buffer 0, and store their
    gradient pairs of output ``k`` in ``gh`` (at each row's id). With quantized gradients
    (``gh`` of one column) the pair is rounded on the way, with the steps in ``fparams``
    and a key from the tree's ``seed`` (see :func:`~.histogram.quantized_pair`)."""
    g_scale = 1.0 / fparams[_G_STEP]
    h_scale = 1.0 / fparams[_H_STEP]
    key = seed ^ ROUNDING_KEY
    for i in range(r0, r1):
        r = rows[i]
        gather_pair(gh, r, grad[r, k], hess[r, k], g_scale, h_scale, key)
        ids[0, i] = r


_part_features = compiled_only(part_features)


@njit(cache=True, nogil=True)
def _build_chunks(i0, i1, n_parts, X, gh, ids, hplan, pool, partials, offsets_u, n_bins_u):
    """Histograms of items ``i0:i1``: item ``i`` is part ``i % n_parts`` of the features
    (``n_parts`` near-equal runs) of chunk ``i // n_parts`` of the plan ``hplan`` (buffer,
    start, stop, target), whose target >= 0 is a pool slot and ``-1 - p`` the partial
    histogram ``p``. The chunk's rows are ``ids[buffer, start:stop]``, rows of the binned
    matrix ``X`` and of the gradient pairs ``gh``. ``offsets_u`` and ``n_bins_u`` are the
    unsigned layout of :func:`~.histogram.kernel_layout`.

    Every histogram row is summed over its chunk's rows in row order whatever
    ``n_parts`` is, so parts only share a level's work out evenly between threads (a
    level of a few large chunks would leave a thread idle)."""
    n_features = n_bins_u.shape[0]
    for i in range(i0, i1):
        c = i // n_parts
        part = i % n_parts
        f0, f1 = _part_features(n_features, part, n_parts)
        target = hplan[c, 3]
        out = pool[target] if target >= 0 else partials[-1 - target]
        # Explicit columns, not a loop over them: the loops over bins then vectorize.
        if out.shape[1] == 2:
            for b in range(offsets_u[f0], offsets_u[f1]):
                out[b, 0] = 0
                out[b, 1] = 0
        else:
            for b in range(offsets_u[f0], offsets_u[f1]):
                out[b, 0] = 0
        buffer = hplan[c, 0]
        accumulate_features(X, gh, ids[buffer], hplan[c, 1], hplan[c, 2], offsets_u,
                            n_bins_u, out, f0, f1)


@compiled_only
def _chunk(start, stop, c, nc):
    """Bounds of chunk ``c`` of the ``nc`` equal chunks of rows ``start:stop``."""
    size = (stop - start + nc - 1) // nc
    return start + c * size, min(stop, start + (c + 1) * size)


@compiled_only
def _add_chunk_plan(hplan, n_plan, buffer, start, stop, slot, n_partials):
    """Append the histogram chunks of rows ``start:stop`` to ``hplan``; a node of one chunk
    is built in its slot directly. Returns the new plan length and partial count."""
    nc = n_chunks(stop - start)
    for c in range(nc):
        hplan[n_plan, 0] = buffer
        hplan[n_plan, 1], hplan[n_plan, 2] = _chunk(start, stop, c, nc)
        hplan[n_plan, 3] = slot if nc == 1 else -1 - (n_partials + c)
        n_plan += 1
    return n_plan, n_partials + (nc if nc > 1 else 0)


@compiled_only
def _reduce_partials(hist, partials, first, count, lo, hi):
    """Histogram rows ``lo:hi`` of ``hist`` = the sum of partials ``first:first + count``
    in their order."""
    if count <= 1:
        return
    pairs = hist.shape[1] == 2  # explicit columns, as in _build_chunks
    for b in range(lo, hi):
        hist[b, 0] = partials[first, b, 0]
        if pairs:
            hist[b, 1] = partials[first, b, 1]
    for p in range(first + 1, first + count):
        if pairs:
            for b in range(lo, hi):
                hist[b, 0] += partials[p, b, 0]
                hist[b, 1] += partials[p, b, 1]
        else:
            for b in range(lo, hi):
                hist[b, 0] += partials[p, b, 0]


@compiled_only
def _complete_pair(j, bplan, nodes_i, pool, partials, lo, hi):
    """Histogram rows ``lo:hi`` of pair ``j`` of ``bplan``: the small node's from its
    partials, the large node's (if any) by subtracting the small one's in its slot."""
    small, large = bplan[j, 0], bplan[j, 1]
    hs = pool[nodes_i[small, _SLOT]]
    _reduce_partials(hs, partials, bplan[j, 2], bplan[j, 3], lo, hi)
    if large >= 0:
        hl = pool[nodes_i[large, _SLOT]]
        if hl.shape[1] == 2:  # explicit columns, as in _build_chunks
            for b in range(lo, hi):
                hl[b, 0] -= hs[b, 0]
                hl[b, 1] -= hs[b, 1]
        else:
            for b in range(lo, hi):
                hl[b, 0] -= hs[b, 0]


@compiled_only
def _open_root(hist, offsets, nodes_f, root, fparams):
    """The root's sums, read off its histogram, its unbounded weight range and weight."""
    G = 0.0
    H = 0.0
    for b in range(offsets[0], offsets[1]):  # every row is in one bin of feature 0
        G += hist[b, 0]
        H += hist[b, 1]
    nodes_f[root, _G] = G
    nodes_f[root, _H] = H
    nodes_f[root, _LO] = -np.inf
    nodes_f[root, _HI] = np.inf
    nodes_f[root, _W] = leaf_weight(G, H, fparams[_LAMBDA], fparams[_ALPHA], fparams[_MDS],
                                    fparams[_MCW])


@compiled_only
def _split_features(node, nodes_i, tree_mask, seed, fparams, groups, weights, level_mask,
                    node_mask, scratch, allowed, on_path):
    """The features node ``node`` may split on: its column samples, then its interaction
    constraints."""
    mask = _node_features(node, nodes_i[node, _DEPTH], tree_mask, seed, fparams, level_mask,
                          node_mask, scratch, weights)
    if groups is not None:
        if node > 0:
            mask = _interacting_features(node, nodes_i, groups, mask, allowed, on_path)
    return mask


@compiled_only
def _accept(nodes_i, nodes_f, node, gain, f, b, dl, GL, HL, fparams):
    """Make ``node`` a split on the best candidate found, unless it is not worth taking
    (the node then stays a leaf, feature -1)."""
    if f >= 0 and gain > MIN_SPLIT_GAIN and gain >= fparams[_GAMMA]:
        nodes_i[node, _FEATURE] = f
        nodes_i[node, _BIN] = b
        nodes_i[node, _DLEFT] = dl
        nodes_f[node, _GAIN] = gain
        nodes_f[node, _GL] = GL
        nodes_f[node, _HL] = HL


@njit(cache=True, nogil=True)
def _plan_root(m, nodes_i, nodes_f, counters, hplan, bplan):
    """Open the root over rows ``0:m`` of buffer 0 and plan its histogram."""
    zero = np.int64(0)  # not a literal 0: callees then compile once, for int64
    for c in range(counters.shape[0]):
        counters[c] = 0
    _new_node(nodes_i, nodes_f, zero, zero)
    nodes_i[0, _START] = 0
    nodes_i[0, _STOP] = m
    nodes_i[0, _SLOT] = 0
    counters[_NODES] = 1
    counters[_LEAVES] = 1
    counters[_SLOTS] = 1
    n_plan, n_partials = _add_chunk_plan(hplan, zero, zero, zero, m, zero, zero)
    # The root is finished like a split node's children: its histogram completed from the
    # partials (no sibling to subtract), then evaluated.
    bplan[0, 0] = 0
    bplan[0, 1] = -1
    bplan[0, 2] = 0
    bplan[0, 3] = n_partials
    counters[_FINISHED] = 1
    return n_plan


@njit(cache=True, nogil=True)
def _plan_batch(nodes_i, nodes_f, counters, open_ids, batch, cplan, bplan, free_slots,
                iparams):
    """Take in the nodes evaluated last, choose the next nodes to split and plan the
    partition of their rows into chunks. Returns the number of chunks (0: the tree is done).
    """
    n_open = counters[_OPEN]
    for j in range(counters[_FINISHED]):
        a, b = bplan[j, 0], bplan[j, 1]
        if a < 0:
            continue
        for node in (a, b) if b < 0 or a < b else (b, a):  # in id order
            if node < 0:
                continue
            if nodes_i[node, _FEATURE] >= 0:
                open_ids[n_open] = node
                n_open += 1
            else:
                _release_slot(nodes_i, node, counters, free_slots)
    max_leaves = iparams[_MAX_LEAVES]
    budget = max_leaves - counters[_LEAVES] if max_leaves > 0 else n_open
    if budget <= 0 or n_open == 0:
        counters[_OPEN] = n_open
        counters[_BATCH] = 0
        return 0
    if iparams[_LOSSGUIDE]:
        # Largest gain first, the older (smaller id) node on ties; gains compare in
        # float32, as XGBoost stores them (see split._rounded).
        best = 0
        for q in range(1, n_open):
            a, b = open_ids[q], open_ids[best]
            gain_a, gain_b = _rounded(nodes_f[a, _GAIN]), _rounded(nodes_f[b, _GAIN])
            if gain_a > gain_b or (gain_a == gain_b and a < b):
                best = q
        batch[0] = open_ids[best]
        open_ids[best] = open_ids[n_open - 1]
        n_open -= 1
        n_batch = 1
    else:
        # The open nodes are one level, in id order.
        n_batch = min(budget, n_open)
        for j in range(n_batch):
            batch[j] = open_ids[j]
        for q in range(n_batch, n_open):
            open_ids[q - n_batch] = open_ids[q]
        n_open -= n_batch
    counters[_OPEN] = n_open
    counters[_BATCH] = n_batch
    counters[_SRC] = nodes_i[batch[0], _DEPTH] % 2
    n_plan = 0
    for j in range(n_batch):
        node = batch[j]
        depth = nodes_i[node, _DEPTH]
        left = counters[_NODES]
        counters[_NODES] += 2
        _new_node(nodes_i, nodes_f, left, depth + 1)
        _new_node(nodes_i, nodes_f, left + 1, depth + 1)
        nodes_i[node, _LEFT] = left
        nodes_i[node, _RIGHT] = left + 1
        nodes_i[left, _PARENT] = node
        nodes_i[left + 1, _PARENT] = node
        start, stop = nodes_i[node, _START], nodes_i[node, _STOP]
        nc = n_chunks(stop - start)
        for c in range(nc):
            cplan[n_plan, 0] = j
            cplan[n_plan, 1], cplan[n_plan, 2] = _chunk(start, stop, c, nc)
            n_plan += 1
    counters[_CHUNKS] = n_plan
    return n_plan


@compiled_only
def _goes_left(code, split_bin, default_left, n_bins):
    """Codes from ``n_bins`` (the feature's value bins) up are missing values. Without a
    branch: which side a row takes is unpredictable."""
    return (code <= split_bin) | (default_left & (code >= n_bins))


@compiled_only
def _goes_left_cat(code, bits, default_left, n_bins):
    """A categorical split: the category codes whose bit is set in ``bits`` go left."""
    if code >= n_bins:
        return default_left
    return (bits[code >> 5] >> (code & 31)) & 1 != 0


@njit(cache=True, nogil=True)
def _count_left(c0, c1, columns, ids, side, cplan, batch, nodes_i, n_bins, src, is_cat,
                cat_bits):
    """Which side each row of chunks ``c0:c1`` of ``cplan`` goes to (``side``, 1 for
    left, by position), and how many go left (``cplan[c, 3]``). ``columns`` is the binned
    matrix feature by feature. Rows and the feature are indexed unsigned: signed indices
    add code for negative ones to every read."""
    rows = ids[src]
    for c in range(c0, c1):
        node = batch[cplan[c, 0]]
        f = np.uint64(nodes_i[node, _FEATURE])
        b, dl = nodes_i[node, _BIN], nodes_i[node, _DLEFT] != 0
        nb = n_bins[f]
        count = 0
        if is_cat is not None:
            if is_cat[f]:
                bits = cat_bits[node]  # a row for every node when any feature is categorical
                for i in range(cplan[c, 1], cplan[c, 2]):
                    left = _goes_left_cat(columns[f, np.uint64(rows[i])], bits, dl, nb)
                    side[i] = left
                    count += left
                cplan[c, 3] = count
                continue
        for i in range(cplan[c, 1], cplan[c, 2]):
            left = _goes_left(columns[f, np.uint64(rows[i])], b, dl, nb)
            side[i] = left
            count += left
        cplan[c, 3] = count


@compiled_only
def _bound_children(nodes_f, node, left, right, direction, fparams):
    """The children's weights (clipped to the parent's bounds, as XGBoost sets leaf
    values) and bounds: the parent's, cut at the midpoint of the two weights on the side
    the split's monotone ``direction`` demands."""
    lower, upper = nodes_f[node, _LO], nodes_f[node, _HI]
    for child in (left, right):
        nodes_f[child, _W] = clipped_weight(nodes_f[child, _G], nodes_f[child, _H], lower,
                                            upper, fparams[_LAMBDA], fparams[_ALPHA],
                                            fparams[_MDS], fparams[_MCW])
        nodes_f[child, _LO] = lower
        nodes_f[child, _HI] = upper
    mid = (nodes_f[left, _W] + nodes_f[right, _W]) / 2.0
    if direction > 0:
        nodes_f[left, _HI] = mid
        nodes_f[right, _LO] = mid
    elif direction < 0:
        nodes_f[left, _LO] = mid
        nodes_f[right, _HI] = mid


@njit(cache=True, nogil=True)
def _place(nodes_i, nodes_f, counters, batch, cplan, hplan, bplan, free_slots, fparams,
           iparams, monotone):
    """Where each chunk's rows go, the children's ranges and sums, and the histogram plan
    of the children. Returns the number of histogram chunks."""
    c = 0
    n_chunks_total = counters[_CHUNKS]
    for j in range(counters[_BATCH]):
        node = batch[j]
        first = c
        n_left = 0
        while c < n_chunks_total and cplan[c, 0] == j:
            n_left += cplan[c, 3]
            c += 1
        start, stop = nodes_i[node, _START], nodes_i[node, _STOP]
        lo, hi = start, start + n_left
        for q in range(first, c):
            cplan[q, 4] = lo
            cplan[q, 5] = hi
            lo += cplan[q, 3]
            hi += cplan[q, 2] - cplan[q, 1] - cplan[q, 3]
        left, right = nodes_i[node, _LEFT], nodes_i[node, _RIGHT]
        nodes_i[left, _START] = start
        nodes_i[left, _STOP] = start + n_left
        nodes_i[right, _START] = start + n_left
        nodes_i[right, _STOP] = stop
        nodes_f[left, _G] = nodes_f[node, _GL]
        nodes_f[left, _H] = nodes_f[node, _HL]
        nodes_f[right, _G] = nodes_f[node, _G] - nodes_f[node, _GL]
        nodes_f[right, _H] = nodes_f[node, _H] - nodes_f[node, _HL]
        if monotone is not None:
            _bound_children(nodes_f, node, left, right, monotone[nodes_i[node, _FEATURE]],
                            fparams)
        else:
            for child in (left, right):
                nodes_f[child, _W] = leaf_weight(nodes_f[child, _G], nodes_f[child, _H],
                                                 fparams[_LAMBDA], fparams[_ALPHA],
                                                 fparams[_MDS], fparams[_MCW])
                nodes_f[child, _LO] = -np.inf
                nodes_f[child, _HI] = np.inf
    counters[_LEAVES] += counters[_BATCH]
    # Typed int64 from the start, as in _plan_root: literal zeros compile
    # _add_chunk_plan a second time.
    n_plan = np.int64(0)
    n_partials = np.int64(0)
    move = False
    dst = 1 - counters[_SRC]
    for j in range(counters[_BATCH]):
        node = batch[j]
        left, right = nodes_i[node, _LEFT], nodes_i[node, _RIGHT]
        if not (_can_split(nodes_i, left, iparams) or _can_split(nodes_i, right, iparams)):
            _release_slot(nodes_i, node, counters, free_slots)
            bplan[j, 0] = -1
            continue
        move = True
        # The subtraction trick: build the child with fewer rows, derive the other from
        # the parent's histogram in the parent's slot.
        n_left = nodes_i[left, _STOP] - nodes_i[left, _START]
        n_right = nodes_i[right, _STOP] - nodes_i[right, _START]
        small, large = (left, right) if n_left <= n_right else (right, left)
        nodes_i[large, _SLOT] = nodes_i[node, _SLOT]
        nodes_i[node, _SLOT] = -1
        slot = _take_slot(counters, free_slots)
        nodes_i[small, _SLOT] = slot
        bplan[j, 0] = small
        bplan[j, 1] = large
        bplan[j, 2] = n_partials
        n_plan, n_partials = _add_chunk_plan(hplan, n_plan, dst, nodes_i[small, _START],
                                             nodes_i[small, _STOP], slot, n_partials)
        bplan[j, 3] = n_partials - bplan[j, 2]
    counters[_MOVE] = move
    counters[_FINISHED] = counters[_BATCH]
    return n_plan


@njit(cache=True, nogil=True)
def _scatter(c0, c1, ids, side, cplan, src):
    """Move each chunk's row ids to the side :func:`_count_left` found (a stable
    partition: left rows from ``cplan[c, 4]``, right rows from ``cplan[c, 5]``)."""
    dst = 1 - src
    one = np.int64(1)
    for c in range(c0, c1):
        lo = cplan[c, 4]
        hi = cplan[c, 5]
        for i in range(cplan[c, 1], cplan[c, 2]):
            left = np.int64(side[i])
            # Branch-free: the side a row takes is unpredictable.
            j = lo if left else hi
            lo += left
            hi += one - left
            ids[dst, j] = ids[src, i]


@njit(cache=True, nogil=True)
def _finish(j0, j1, bplan, nodes_i, nodes_f, pool, partials, offsets, n_bins, tree_mask, seed,
            fparams, iparams, monotone, groups, feature_weights, is_cat, cat_params,
            cat_bits):
    """For rows ``j0:j1`` of ``bplan`` (small node, large node, first partial, partials):
    complete the small node's histogram, derive the large one's by subtraction in its slot,
    and find both nodes' best splits. The root comes alone (large node -1); its sums are
    read off its histogram."""
    n_features = n_bins.shape[0]
    level_mask = np.empty(n_features, np.bool_)
    node_mask = np.empty(n_features, np.bool_)
    scratch = np.empty(n_features, np.int64)
    allowed = np.empty(n_features, np.bool_)
    on_path = np.empty(n_features, np.bool_)
    n_rows = pool.shape[1]
    # Quantized histograms are searched as float sums, unpacked here; float histograms
    # need no buffer. (Contiguous either way: a view of another array here compiled the
    # split search's scan a second time, for that layout.)
    unpacked = np.empty((n_rows if pool.shape[2] == 1 else 0, 2))
    steps = fparams[_G_STEP:]
    for j in range(j0, j1):
        small, large = bplan[j, 0], bplan[j, 1]
        if small < 0:
            continue
        _complete_pair(j, bplan, nodes_i, pool, partials, 0, n_rows)
        if large < 0:
            _open_root(float_histogram(pool[nodes_i[small, _SLOT]], steps, unpacked, 0,
                                       n_rows), offsets, nodes_f, small, fparams)
        for node in (small, large) if large < 0 or small < large else (large, small):
            if node < 0 or not _can_split(nodes_i, node, iparams):
                continue
            mask = _split_features(node, nodes_i, tree_mask, seed, fparams, groups,
                                   feature_weights, level_mask, node_mask, scratch, allowed,
                                   on_path)
            hist = float_histogram(pool[nodes_i[node, _SLOT]], steps, unpacked, 0, n_rows)
            gain, f, b, dl, GL, HL = find_best_split(
                hist, offsets, n_bins, mask, nodes_f[node, _G],
                nodes_f[node, _H], fparams[_LAMBDA], fparams[_ALPHA], fparams[_MDS],
                fparams[_MCW], monotone, nodes_f[node, _LO], nodes_f[node, _HI], is_cat,
                cat_params, cat_bits[min(node, cat_bits.shape[0] - 1)])
            _accept(nodes_i, nodes_f, node, gain, f, b, dl, GL, HL, fparams)


# --- a team of threads growing one tree -------------------------------------------------
# The leader (the calling thread) runs the serial steps and publishes each parallel step as
# a *phase*; every member, the leader included, claims the phase's items one at a time and
# counts them done. All of it happens in compiled code, through atomic counters, so the
# hand-offs between the steps of a tree cost no thread wake-up and no GIL. A member that
# arrives late (its pool worker was busy) finds fewer items or none: the leader never
# waits for members, only for the items they claimed, so teams cannot deadlock.

# Fields of a team's sync array (int64), each in a cache line of its own: the claim word
# (phase << 40 | items << 20 | next item), items done, the phase's kind, abort, stop (the
# members of a standing team are sent away), the most pool submissions the team expects;
# then, written by the leader between trees, the last phase, the tree's output and seed,
# whether the team stands between trees, and the tree's rows (the first of ``rows``).
_CLAIM, _DONE, _KIND, _ABORT, _SEND_AWAY, _EXPECTED = 0, 8, 16, 24, 32, 40
_LAST_PHASE, _TREE_OUTPUT, _TREE_SEED, _STANDING, _TREE_ROWS = 48, 49, 50, 51, 52
_SYNC_SIZE = 56
_ITEM_BITS = 20
_ITEM_MASK = (1 << _ITEM_BITS) - 1
_END = (1 << 23) - 1  # the phase that ends the tree (or a member's part in a team)
_PHASE_MASK = (1 << 22) - 1  # phases count on from tree to tree, wrapping below _END
# Polls of a standing team's member between trees before it leaves (a few milliseconds:
# a round's Python between two trees, its gradients, the margins of rows a subsample left
# out, takes about one on 10^4 rows).
_IDLE_POLLS = 150_000
# Kinds of parallel step.
_GATHER, _BUILD, _FINISH, _COUNT, _SCATTER = range(5)
# Rows per gathering item (more on huge data, to keep items below 2**20).
_GATHER_ROWS = 4096


@compiled_only
def _gather_rows(m):
    return max(_GATHER_ROWS, -(-m // _ITEM_MASK))


@njit(cache=True, nogil=True)
def _team_work(lead, sync, n_parts, data, state, params, submitted):
    """One member's part of growing one tree as a team, or for a member of a standing
    team, of growing the trees the leader grows until it leaves.

    Every member claims items of the current phase and runs them. The leader (``lead``)
    also runs the steps of :func:`_grow_serial` between phases: once a phase's items are
    all done, it runs the serial step that follows and publishes the next phase. It
    returns False if another member failed (its error reaches the caller). The others
    return when the tree ends (or a member fails), or in a standing team (``_STANDING``)
    once idle between trees for ``_IDLE_POLLS`` polls, sent away (``_SEND_AWAY``), or
    when the thread pool has more tasks than the team expects (``submitted[0]``): its
    threads are wanted.

    The tree's rows are the first ``sync[_TREE_ROWS]`` of ``rows``. A standing team's
    members stay in this loop from one tree to the next of the same arrays, reading each
    tree's output, seed and row count from ``sync``, so that a tree costs no
    hand-off through Python (whose lock a thread takes tens of microseconds to get back,
    more than a small tree's steps): at a tree's end the leader publishes a phase of no
    items rather than the end, and phases count on from tree to tree.

    Both roles, every phase and the dispatch of its items to the steps share one loop:
    numba optimizes each compiled function again with all the code it calls, so every
    helper between this loop and the steps (functions to claim items, to lead a phase and
    to run an item, as there were) had added as much compile time as the steps
    themselves.
    """
    X_binned, columns, grad, hess, k, rows = data
    (gh, ids, side, nodes_i, nodes_f, counters, open_ids, batch, cplan, hplan, bplan,
     free_slots, pool, partials) = state
    (offsets_u, n_bins_u, offsets, n_bins, tree_mask, seed, fparams, iparams, monotone,
     groups, feature_weights, is_cat, cat_params, cat_bits) = params
    m = sync[_TREE_ROWS]
    if lead:
        sync[_TREE_OUTPUT] = k
        sync[_TREE_SEED] = np.int64(seed)
    idle = 0
    # The leader's sequence of phases, each followed by its serial step: gather, build,
    # finish, then count, scatter, build, finish per batch until no node is left to split.
    # Kinds are int64, not literals, so that every branch types them alike.
    kind = np.int64(_GATHER)
    size = _gather_rows(m)
    n_items = (m + size - 1) // size
    phase = sync[_LAST_PHASE]
    n_plan = n_chunk = np.int64(0)
    published = False
    while True:
        word = load_acquire(sync, _CLAIM)
        i = word & _ITEM_MASK
        if i < (word >> _ITEM_BITS) & _ITEM_MASK:
            if compare_swap(sync, _CLAIM, word, word + 1):
                # Item i of the phase's parallel step (of the leader's current tree).
                step = sync[_KIND]
                if not lead:
                    k = sync[_TREE_OUTPUT]
                    seed = np.uint64(sync[_TREE_SEED])
                    m = sync[_TREE_ROWS]
                    size = _gather_rows(m)
                idle = 0
                if step == _GATHER:
                    _gather(i * size, min((i + 1) * size, m), grad, hess, k, rows, gh, ids,
                            fparams, seed)
                elif step == _BUILD:
                    _build_chunks(i, i + 1, n_parts, X_binned, gh, ids, hplan, pool,
                                  partials, offsets_u, n_bins_u)
                elif step == _FINISH:
                    _finish(i, i + 1, bplan, nodes_i, nodes_f, pool, partials, offsets,
                            n_bins, tree_mask, seed, fparams, iparams, monotone, groups,
                            feature_weights, is_cat, cat_params, cat_bits)
                elif step == _COUNT:
                    _count_left(i, i + 1, columns, ids, side, cplan, batch, nodes_i, n_bins,
                                counters[_SRC], is_cat, cat_bits)
                else:
                    _scatter(i, i + 1, ids, side, cplan, counters[_SRC])
                fetch_add(sync, _DONE, 1)
            continue
        if load_acquire(sync, _ABORT) != 0:
            break
        if not lead:
            if word >> 40 == _END:
                break
            # Polls between trees (in the leader's phase of no items) count, not the waits
            # for other members' items.
            idle = idle + 1 if (word >> _ITEM_BITS) & _ITEM_MASK == 0 else 0
            if sync[_STANDING] != 0 and (
                    idle > _IDLE_POLLS or load_acquire(sync, _SEND_AWAY) != 0
                    or load_acquire(submitted, 0) > load_acquire(sync, _EXPECTED)):
                break
            pause()
            continue
        if published:
            # Every item is claimed: wait for them to be done, reading only the count (the
            # claim word's cache line is left to the members), then run the serial step.
            while load_acquire(sync, _DONE) < n_items and load_acquire(sync, _ABORT) == 0:
                pause()
            if load_acquire(sync, _ABORT) != 0:
                break
            if kind == _GATHER:
                n_plan = _plan_root(m, nodes_i, nodes_f, counters, hplan, bplan)
                kind, n_items = np.int64(_BUILD), n_plan * n_parts
            elif kind == _BUILD:
                kind, n_items = np.int64(_FINISH), counters[_FINISHED]
            elif kind == _FINISH:
                n_chunk = _plan_batch(nodes_i, nodes_f, counters, open_ids, batch, cplan,
                                      bplan, free_slots, iparams)
                if n_chunk == 0:
                    break
                kind, n_items = np.int64(_COUNT), n_chunk
            elif kind == _COUNT:
                n_plan = _place(nodes_i, nodes_f, counters, batch, cplan, hplan, bplan,
                                free_slots, fparams, iparams, monotone)
                if counters[_SLOTS] > pool.shape[0]:
                    store_release(sync, _ABORT, 1)
                    raise RuntimeError("the team's histogram pool is too small")
                kind, n_items = np.int64(_SCATTER), n_chunk
            else:
                kind, n_items = np.int64(_BUILD), n_plan * n_parts
        # Publish the next phase (one of no items is done at once).
        phase = (phase + 1) & _PHASE_MASK
        sync[_KIND] = kind
        sync[_DONE] = 0
        store_release(sync, _CLAIM, (phase << 40) | (n_items << _ITEM_BITS))
        published = True
    if lead:
        # A standing team waits for the next tree in a phase of no items.
        phase = (phase + 1) & _PHASE_MASK
        sync[_LAST_PHASE] = phase
        store_release(sync, _CLAIM, (phase if sync[_STANDING] != 0 else np.int64(_END)) << 40)
    return load_acquire(sync, _ABORT) == 0


def _team_member(work, i, sync, n_parts, data, state, params, submitted):
    """Member ``i`` of a team (0 leads); returns what :func:`_team_work` (``work``: it,
    or its function bound to these arguments' types) returns. A failure marks the team
    aborted, so that no other member waits for it."""
    try:
        return work(i == 0, sync, n_parts, data, state, params, submitted)
    except BaseException:
        sync[_ABORT] = 1
        raise


# --- feature-parallel steps (wide data on few rows) ----------------------------------------

@compiled_only
def _block_features(q, block, n_features):
    """Features of block ``q`` (blocks of ``block`` features)."""
    return q * block, min(n_features, (q + 1) * block)


@njit(cache=True, nogil=True)
def _complete_blocks(q0, q1, block, bplan, n_pairs, nodes_i, pool, partials, offsets):
    """:func:`_complete_pair` for every pair of ``bplan``, on the histogram rows of
    feature blocks ``q0:q1``."""
    for q in range(q0, q1):
        f0, f1 = _block_features(q, block, offsets.shape[0] - 1)
        for j in range(n_pairs):
            if bplan[j, 0] >= 0:
                _complete_pair(j, bplan, nodes_i, pool, partials, offsets[f0], offsets[f1])


@njit(cache=True, nogil=True)
def _open_level(bplan, n_pairs, nodes_i, nodes_f, pool, offsets, tree_mask, seed, fparams,
                iparams, groups, feature_weights, masks, nodes):
    """The serial part of :func:`_finish` for every pair of ``bplan`` (whose histograms
    are complete): the root's sums, and the nodes to search with their features (rows of
    ``masks``, node ids in ``nodes``). Returns how many."""
    n_features = offsets.shape[0] - 1
    level_mask = np.empty(n_features, np.bool_)
    node_mask = np.empty(n_features, np.bool_)
    scratch = np.empty(n_features, np.int64)
    allowed = np.empty(n_features, np.bool_)
    on_path = np.empty(n_features, np.bool_)
    n_search = 0
    for j in range(n_pairs):
        small, large = bplan[j, 0], bplan[j, 1]
        if small < 0:
            continue
        if large < 0:
            n_rows = offsets[1]  # the root's sums are read off feature 0
            unpacked = np.empty((n_rows if pool.shape[2] == 1 else 0, 2))
            _open_root(float_histogram(pool[nodes_i[small, _SLOT]], fparams[_G_STEP:],
                                       unpacked, 0, n_rows), offsets, nodes_f, small,
                       fparams)
        for node in (small, large):
            if node < 0 or not _can_split(nodes_i, node, iparams):
                continue
            mask = _split_features(node, nodes_i, tree_mask, seed, fparams, groups,
                                   feature_weights, level_mask, node_mask, scratch, allowed,
                                   on_path)
            for f in range(n_features):
                masks[n_search, f] = mask[f]
            nodes[n_search] = node
            n_search += 1
    return n_search


@njit(cache=True, nogil=True)
def _search_blocks(q0, q1, block, nodes, n_search, masks, nodes_i, nodes_f, pool, offsets,
                   n_bins, fparams, monotone, cat_params, cat_bits, found_f, found_i):
    """Each node's best split among the features of blocks ``q0:q1``, one block at a
    time: ``found_f[s, q]`` gets (gain, G_left, H_left), ``found_i[s, q]`` (feature,
    bin, default_left)."""
    unpacked = np.empty((pool.shape[1] if pool.shape[2] == 1 else 0, 2))
    for q in range(q0, q1):
        f0, f1 = _block_features(q, block, n_bins.shape[0])
        for s in range(n_search):
            node = nodes[s]
            hist = float_histogram(pool[nodes_i[node, _SLOT]], fparams[_G_STEP:], unpacked,
                                   offsets[f0], offsets[f1])
            # A block's features seen as a model of their own: offsets stay absolute.
            if monotone is not None:
                gain, f, b, dl, GL, HL = find_best_split(
                    hist, offsets[f0:f1 + 1], n_bins[f0:f1], masks[s, f0:f1],
                    nodes_f[node, _G], nodes_f[node, _H], fparams[_LAMBDA], fparams[_ALPHA],
                    fparams[_MDS], fparams[_MCW], monotone[f0:f1], nodes_f[node, _LO],
                    nodes_f[node, _HI], None, cat_params, cat_bits[0])
            else:
                gain, f, b, dl, GL, HL = find_best_split(
                    hist, offsets[f0:f1 + 1], n_bins[f0:f1], masks[s, f0:f1],
                    nodes_f[node, _G], nodes_f[node, _H], fparams[_LAMBDA], fparams[_ALPHA],
                    fparams[_MDS], fparams[_MCW], None, nodes_f[node, _LO],
                    nodes_f[node, _HI], None, cat_params, cat_bits[0])
            found_f[s, q, 0] = gain
            found_f[s, q, 1] = GL
            found_f[s, q, 2] = HL
            found_i[s, q, 0] = f + f0 if f >= 0 else -1
            found_i[s, q, 1] = b
            found_i[s, q, 2] = dl


@njit(cache=True, nogil=True)
def _take_best(nodes, n_search, found_f, found_i, nodes_i, nodes_f, fparams):
    """Each node's best split over the blocks: the first block with the largest gain (as
    float32, as :func:`~.split.find_best_split` compares them), which is the split one
    search over all features finds."""
    for s in range(n_search):
        best = 0.0
        q_best = -1
        for q in range(found_f.shape[1]):
            if found_i[s, q, 0] >= 0:
                key = _rounded(found_f[s, q, 0])
                if key > best:
                    best = key
                    q_best = q
        if q_best >= 0:
            _accept(nodes_i, nodes_f, nodes[s], found_f[s, q_best, 0], found_i[s, q_best, 0],
                    found_i[s, q_best, 1], found_i[s, q_best, 2] != 0, found_f[s, q_best, 1],
                    found_f[s, q_best, 2], fparams)


@njit(cache=True, nogil=True)
def _grow_serial(X_binned, columns, grad, hess, k, rows, gh, ids, side, nodes_i, nodes_f,
                 counters, open_ids, batch, cplan, hplan, bplan, free_slots, pool, partials,
                 offsets_u, n_bins_u, offsets, n_bins, tree_mask, seed, fparams, iparams, monotone,
                 groups, feature_weights, is_cat, cat_params, cat_bits):
    """Grow one tree in one call (the steps of :meth:`TreeGrower.grow`, on one thread).
    Returns the histogram pool, enlarged if the tree needed more slots."""
    m = np.int64(rows.shape[0])
    zero = np.int64(0)  # not a literal 0: the steps compile once, for int64, as from Python
    _gather(zero, m, grad, hess, k, rows, gh, ids, fparams, seed)
    n_plan = _plan_root(m, nodes_i, nodes_f, counters, hplan, bplan)
    _build_chunks(zero, n_plan, np.int64(1), X_binned, gh, ids, hplan, pool, partials,
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
        _count_left(zero, n_chunk, columns, ids, side, cplan, batch, nodes_i, n_bins, src,
                    is_cat, cat_bits)
        n_plan = _place(nodes_i, nodes_f, counters, batch, cplan, hplan, bplan, free_slots,
                        fparams, iparams, monotone)
        pool = ensure_pool(pool, counters[_SLOTS])
        _scatter(zero, n_chunk, ids, side, cplan, src)
        _build_chunks(zero, n_plan, np.int64(1), X_binned, gh, ids, hplan, pool, partials,
                      offsets_u, n_bins_u)
        _finish(zero, counters[_FINISHED], bplan, nodes_i, nodes_f, pool, partials, offsets,
                n_bins, tree_mask, seed, fparams, iparams, monotone, groups,
                feature_weights, is_cat, cat_params, cat_bits)


@njit(cache=True, nogil=True)
def _export(nodes_i, nodes_f, n_nodes, edges, ids, fparams, feature, threshold, split_bin,
            default_left, left, right, value, gain, cover, rows_out, leaves, n_bins, is_cat,
            cat_bits, cat_start, cat_words):
    """Fill the flat tree arrays (nodes in creation order: children after parents), each
    leaf's rows in ``rows_out`` and ``leaves`` (node, start, stop), and the bitsets of
    categorical splits (``cat_start``, ``cat_words``). Returns the leaf count and the
    number of words written."""
    n_leaves = 0
    n_words = 0
    for k in range(n_nodes):
        cover[k] = nodes_f[k, _H]
        cat_start[k] = -1
        if nodes_i[k, _LEFT] == -1:
            feature[k] = -1
            threshold[k] = 0.0
            split_bin[k] = 0
            default_left[k] = False
            left[k] = -1
            right[k] = -1
            gain[k] = 0.0
            value[k, 0] = fparams[_LR] * nodes_f[k, _W]
            buffer = nodes_i[k, _DEPTH] % 2
            start, stop = nodes_i[k, _START], nodes_i[k, _STOP]
            for i in range(start, stop):
                rows_out[i] = ids[buffer, i]
            leaves[n_leaves, 0] = k
            leaves[n_leaves, 1] = start
            leaves[n_leaves, 2] = stop
            n_leaves += 1
        else:
            f = nodes_i[k, _FEATURE]
            feature[k] = f
            b = nodes_i[k, _BIN]
            split_bin[k] = b
            # Bin -1: only the missing values go left, no value is <= the threshold.
            threshold[k] = edges[f, b] if b >= 0 else -np.inf
            if is_cat is not None:
                if is_cat[f]:
                    threshold[k] = 0.0
                    cat_start[k] = n_words
                    for w in range((n_bins[f] + 31) // 32):
                        cat_words[n_words] = cat_bits[k, w]
                        n_words += 1
            default_left[k] = nodes_i[k, _DLEFT] != 0
            left[k] = nodes_i[k, _LEFT]
            right[k] = nodes_i[k, _RIGHT]
            gain[k] = nodes_f[k, _GAIN]
            value[k, 0] = 0.0
    return n_leaves, n_words


@njit(cache=True, nogil=True)
def _renew_leaves(q0, q1, grad, hess, k, rows, leaves, nodes_f, fparams, value):
    """Values of leaves ``q0:q1`` of ``leaves`` (node, start, stop) from the exact sums of
    gradient column ``k`` over their rows ``rows[start:stop]``, within each leaf's
    monotone bounds: a tree grown on quantized gradients keeps its splits, and its leaves
    move the margins by the weights the exact loss asks for."""
    for q in range(q0, q1):
        node = leaves[q, 0]
        G = 0.0
        H = 0.0
        for i in range(leaves[q, 1], leaves[q, 2]):
            r = rows[i]
            G += grad[r, k]
            H += hess[r, k]
        value[node, 0] = fparams[_LR] * clipped_weight(
            G, H, nodes_f[node, _LO], nodes_f[node, _HI], fparams[_LAMBDA], fparams[_ALPHA],
            fparams[_MDS], fparams[_MCW])


@njit(cache=True, nogil=True)
def _add_leaf_values(q0, q1, raw, col, rows, leaves, value):
    for q in range(q0, q1):
        v = value[leaves[q, 0], 0]
        for i in range(leaves[q, 1], leaves[q, 2]):
            raw[rows[i], col] += v


def add_leaf_values(raw, col, rows, leaves, value, bound=None):
    """``raw[rows[start:stop], col] += value[leaf]`` for every (leaf, start, stop) of
    ``leaves``: the new tree's contribution to the training margins (leaves on the
    engine's threads; their rows are disjoint). ``bound``: see
    :meth:`TreeGrower.add_leaf_values`."""
    if rows.shape[0] < 2 * CHUNK_ROWS:  # one thread (run_parallel's rule), without its cost
        args = (0, leaves.shape[0], raw, col, rows, leaves, value)
        kernel = _add_leaf_values if bound is None else bound(_add_leaf_values, args,
                                                               (raw, value))
        kernel(*args)
        return
    run_parallel(_add_leaf_values, leaves.shape[0], raw, col, rows, leaves, value,
                 weights=leaves[:, 2] - leaves[:, 1], min_weight=CHUNK_ROWS)


def build_histograms(hplan, X, gh, ids, pool, partials, offsets_u, n_bins_u, n_parts=None):
    """Run :func:`_build_chunks` on the plan ``hplan`` over the threads, each chunk cut
    into ``n_parts`` feature parts (the sums do not depend on the cut). By default, with
    enough rows, as many parts as threads, so that a few large chunks still share out
    evenly; wide data passes its feature blocks, which are worth threads on any rows."""
    rows = hplan[:, 2] - hplan[:, 1]
    # Below a quarter chunk of rows per thread, a hand-off costs more than it saves.
    min_rows = 0 if n_parts is not None else CHUNK_ROWS // 4
    if n_parts is None:
        n_parts = min(current_threads(), len(n_bins_u), int(rows.sum()) // min_rows)
    n_parts = max(n_parts, 1)
    run_parallel(_build_chunks, len(hplan) * n_parts, np.int64(n_parts), X, gh, ids, hplan,
                 pool, partials, offsets_u, n_bins_u,
                 weights=np.repeat(rows / n_parts, n_parts), min_weight=min_rows)


class _Workspace:
    """The buffers one tree is grown in (reused from tree to tree)."""

    def __init__(self, n_rows, n_samples, n_hist_bins, max_nodes, n_words=0, packed=False):
        # Gradient pairs by row id (of the ``n_samples`` rows of the binned matrix), as
        # two floats, or quantized as one packed int64 (and histograms alike: see
        # :func:`~.histogram.quantize`).
        sums = (1, np.int64) if packed else (2, np.float64)
        self.gh = np.empty((n_samples, sums[0]), dtype=sums[1])
        self.ids = np.empty((2, n_rows), dtype=np.int32)
        # The side each row goes to in a split (by position in its buffer).
        self.side = np.empty(n_rows, dtype=np.uint8)
        self.nodes_i = np.empty((max_nodes, _N_INT), dtype=np.int64)
        self.nodes_f = np.empty((max_nodes, _N_FLOAT))
        self.counters = np.zeros(_N_COUNTERS, dtype=np.int64)
        max_batch = (max_nodes + 1) // 2
        self.open_ids = np.empty(max_batch, dtype=np.int64)
        self.batch = np.empty(max_batch, dtype=np.int64)
        max_chunks = max_batch + n_rows // CHUNK_ROWS + 1
        self.cplan = np.empty((max_chunks, 6), dtype=np.int64)
        self.hplan = np.empty((max_chunks, 4), dtype=np.int64)
        self.bplan = np.empty((max_batch, 4), dtype=np.int64)
        self.free_slots = np.empty(max_nodes, dtype=np.int64)
        self.pool = np.empty((min(4, max_nodes), n_hist_bins, sums[0]), dtype=sums[1])
        # Only nodes of two chunks or more (32,768+ rows) use partial histograms.
        self.partials = np.empty((n_rows // CHUNK_ROWS, n_hist_bins, sums[0]),
                                 dtype=sums[1])
        # Each node's left-category bitset, when it splits on a categorical feature.
        self.cat_bits = np.zeros((max_nodes if n_words else 1, max(n_words, 1)),
                                 dtype=np.uint32)


def max_nodes(n_rows, params):
    """An upper bound on a tree's node count: every leaf holds at least one row."""
    bound = 2 * max(n_rows, 1) - 1
    if params.max_leaves > 0:
        bound = min(bound, 2 * params.max_leaves - 1)
    if 0 < params.max_depth < 30:
        bound = min(bound, 2 ** (params.max_depth + 1) - 1)
    return bound


# What a team of one thread reads as the thread pool's submissions (never compared).
_NO_SUBMISSIONS = np.zeros(1, dtype=np.int64)
# The bitsets of a tree without categorical splits (of size 0: shared, never written).
_NO_WORDS = np.empty(0, dtype=np.uint32)


class _StandingTeam:
    """The members of a team that stay on between trees grown from the same arrays (see
    :func:`_team_work`): one leader, the calling thread, and ``n_threads - 1`` members on
    the thread pool, started again when they have left."""

    def __init__(self, n_threads, arrays, n_samples, n_features):
        self.n_threads = n_threads
        self.arrays = arrays  # kept: no other array can take an id while they live
        self.sync = np.zeros(_SYNC_SIZE, dtype=np.int64)
        self.sync[_STANDING] = 1
        self.tasks = []
        # The trees' rows (the first sync[_TREE_ROWS]) and column samples.
        self.rows = np.empty(n_samples, dtype=np.int32)
        self.mask = np.empty(n_features, dtype=np.bool_)
        self.rows_from = None  # the rows array last copied (not changed in place by callers)

    def take(self, rows, feature_mask):
        """The team's copies of a tree's ``rows`` and ``feature_mask``."""
        if rows is not self.rows_from:
            self.rows[:rows.shape[0]] = rows
            self.rows_from = rows
        self.mask[:] = feature_mask
        return self.rows, self.mask

    def serves(self, n_threads, arrays):
        """Whether a tree of ``n_threads`` threads on ``arrays`` can use this team."""
        return n_threads == self.n_threads and len(arrays) == len(self.arrays) and all(
            a is b for a, b in zip(arrays, self.arrays, strict=True))

    def grow(self, work, m, data, state, params):
        """Grow one tree on the first ``m`` of the team's rows, leading the members
        (started first where some have left); ``work`` as :func:`_team_member` takes it."""
        sync = self.sync
        sync[_TREE_ROWS] = m
        submissions = pool_submissions()
        self.tasks = [task for task in self.tasks if not task.done()]
        missing = self.n_threads - 1 - len(self.tasks)
        if missing > 0:
            # Raised first: a member leaves when the pool has more tasks than expected.
            sync[_EXPECTED] = submissions[0] + missing
            n_parts = np.int64(self.n_threads)
            self.tasks += [submit(_team_member, work, len(self.tasks) + 1 + i, sync,
                                  n_parts, data, state, params, submissions)
                           for i in range(missing)]
        if not _team_member(work, 0, sync, np.int64(self.n_threads), data, state, params,
                            submissions):
            self.close()  # raises the member's error

    def close(self):
        """Send the members away and wait until they have left (or never started)."""
        self.sync[_SEND_AWAY] = 1
        tasks, self.tasks = self.tasks, []  # each waited for once
        for task in tasks:
            if not task.cancel():
                task.wait()
        for task in tasks:
            task.raise_error()


class TreeGrower:
    """Grow boosting trees on binned data from per-row gradients and hessians.

    Parameters
    ----------
    X_binned : ndarray of uint8 or uint16, shape (n_samples, n_features)
        Codes from :class:`~ensembles._engine.binning.BinMapper`; codes from ``n_bins[f]``
        up are missing values.
    edges : ndarray of float64, shape (n_features, n_edges)
        Bin edges from :class:`~ensembles._engine.binning.BinMapper` (thresholds of splits).
    n_bins : ndarray of int32, shape (n_features,)
    params : GrowthParams
    categorical : ndarray of bool, shape (n_features,), optional
        Features whose bins are category codes.
    feature_block : int, default=FEATURE_BLOCK
        Features per block of the feature-parallel levels, used with threads when there
        are at least two blocks and no categorical feature (the trees are the same
        whatever the block size).
    """

    def __init__(self, X_binned, edges, n_bins, params, categorical=None,
                 feature_block=FEATURE_BLOCK):
        self.X_binned = X_binned
        self.edges = edges
        self.n_bins = np.ascontiguousarray(n_bins, dtype=np.int32)
        n_parts = self._build_parts()
        self.offsets = hist_offsets(self.n_bins, n_parts)
        self.offsets_u, self.n_bins_u = kernel_layout(self.n_bins, n_parts)
        self.params = params
        self.fparams, self.iparams = params.arrays()
        # Optional inputs are None, not empty or all-false arrays, when unused: the kernels
        # then compile without their code (see :func:`~.split.find_best_split`).
        self.monotone, self.groups = params.constraint_arrays(len(self.n_bins))
        self.feature_weights = (None if params.feature_weights is None else
                                np.ascontiguousarray(params.feature_weights, dtype=np.float64))
        self.is_cat = (None if categorical is None or not np.any(categorical)
                       else np.ascontiguousarray(categorical, dtype=np.bool_))
        self.cat_params = params.cat_arrays()
        # Words of the widest categorical feature's bitset (one row per node).
        self.n_words = (0 if self.is_cat is None else
                        (int(self.n_bins[self.is_cat].max(initial=0)) + 31) // 32)
        # Feature-parallel levels: when the rows are too few to share out, a wide table's
        # histograms are still worth building and searching on several threads.
        self.feature_block = int(feature_block)
        self.n_blocks = -(-len(self.n_bins) // self.feature_block)
        self.wide = self.n_blocks >= 2 and self.is_cat is None
        self._workspaces = {}
        self._team = None  # the standing team of the last team-grown tree
        # The team loop and the export, bound once: the check of a call's dozens of
        # arguments costs as much as growing a small tree.
        self._bound = BoundKernels()

    def _build_parts(self):
        """How many parts of the features a team's histogram builds share out (one per
        thread: see :func:`_build_chunks`), whose rows the layout keeps apart."""
        return current_threads()

    @cached_property
    def columns(self):
        """The binned matrix feature by feature, which splits read (see the module's
        docstring); made on first use."""
        return np.ascontiguousarray(self.X_binned.T)

    def _workspace(self, key, n_rows):
        ws = self._workspaces.get(key)
        if ws is None or ws.ids.shape[1] < n_rows:
            ws = _Workspace(n_rows, self.X_binned.shape[0], int(self.offsets[-1]),
                            max_nodes(n_rows, self.params), self.n_words,
                            packed=self.params.quantized_bins > 0)
            self._workspaces[key] = ws
        return ws

    def grow(self, grad, hess, k, rows, feature_mask, seed, workspace=0):
        """Grow one tree for output ``k`` on the training rows ``rows`` (an int32 array).

        Parameters
        ----------
        grad, hess : ndarray of shape (n_samples, n_outputs)
        k : int
            Column of ``grad`` and ``hess`` to fit.
        rows : ndarray of int32
        feature_mask : ndarray of bool, shape (n_features,)
            Features the tree may split on (its ``colsample_bytree`` sample).
        seed : int
            Key of the tree's level and node column samples (and of the rounding of
            quantized gradients).
        workspace : hashable
            Buffers to grow in: trees grown at the same time need different ones.

        Returns
        -------
        tree : Tree
        rows_out : ndarray of int32
            ``rows`` reordered so that every leaf's rows are contiguous.
        leaves : ndarray of int64, shape (n_leaves, 3)
            (leaf node, start, stop): the leaf's rows are ``rows_out[start:stop]``.
        """
        seed = np.uint64(seed)
        cat_params = self.cat_params
        if self.n_words and cat_params[CAT_PENALTY] > 0.0:
            # The gradients' variance per unit of hessian, for the partitions' penalty
            # (a copy: the trees of a round may grow side by side).
            full = rows.shape[0] == grad.shape[0]
            g = grad[:, k] if full else grad[rows, k]
            h = hess[:, k] if full else hess[rows, k]
            cat_params = cat_params.copy()
            h_sum = float(h.sum())
            cat_params[CAT_UNIT] = weighted_sum(g, g) / h_sum if h_sum > 0 else 0.0
        if not self.params.quantized_bins:
            return self._grow(grad, hess, k, rows, feature_mask, seed, workspace,
                              self.fparams, cat_params)
        fparams = self.fparams.copy()
        fparams[_G_STEP], fparams[_H_STEP] = quantization_steps(
            grad, hess, k, self.params.quantized_bins)
        q_grad, q_hess, q_k = self._rounded_gradients(grad, hess, k, fparams, seed)
        tree, rows_out, leaves = self._grow(q_grad, q_hess, q_k, rows, feature_mask, seed,
                                            workspace, fparams, cat_params)
        if self.params.renew_leaves:
            run_parallel(_renew_leaves, leaves.shape[0], grad, hess, k, rows_out, leaves,
                         self._workspaces[workspace].nodes_f, fparams, tree.value,
                         weights=leaves[:, 2] - leaves[:, 1], min_weight=CHUNK_ROWS)
        return tree, rows_out, leaves

    def _rounded_gradients(self, grad, hess, k, fparams, seed):
        """The gradient arrays and column the kernels grow a quantized tree on: the exact
        ones, rounded as the rows are gathered."""
        return grad, hess, k

    def _grow(self, grad, hess, k, rows, feature_mask, seed, workspace, fparams, cat_params):
        """:meth:`grow` on the gradient arrays the kernels read."""
        m = rows.shape[0]
        ws = self._workspace(workspace, m)
        args = (self.offsets, self.n_bins, feature_mask, seed, fparams, self.iparams,
                self.monotone, self.groups, self.feature_weights, self.is_cat,
                cat_params, ws.cat_bits)
        n_threads = current_threads()
        one_thread = n_threads <= 1 or (m < TEAM_MIN_ROWS and not self.wide)
        # The histograms a tree may hold at once (one per possible leaf): a team shares
        # a pool for the whole tree, unless that is too large (deep or unbounded trees
        # grow level by level, or on one thread).
        n_slots = (max_nodes(m, self.params) + 1) // 2 + 1
        if (one_thread or not self.wide) and n_slots * ws.pool.shape[1] <= _TEAM_MAX_POOL:
            # A team of one thread where more would not pay: every tree whose histograms
            # fit then runs one compiled path (the serial one compiles only for very deep
            # trees), so a first fit compiles it once, whatever the rows and threads.
            self._grow_team(ws, grad, hess, k, rows, args, n_slots,
                            1 if one_thread else n_threads)
        elif one_thread or (m < PARALLEL_MIN_ROWS and not self.wide):
            ws.pool = _grow_serial(self.X_binned, self.columns, grad, hess, k, rows, ws.gh,
                                   ws.ids, ws.side, ws.nodes_i, ws.nodes_f, ws.counters,
                                   ws.open_ids, ws.batch, ws.cplan, ws.hplan, ws.bplan,
                                   ws.free_slots, ws.pool, ws.partials, self.offsets_u,
                                   self.n_bins_u, *args)
        else:
            self._grow_levels(ws, grad, hess, k, rows, args)
        return self._export(ws, m, fparams)

    def _grow_team(self, ws, grad, hess, k, rows, args, n_slots, n_threads):
        """Grow the tree on a team of ``n_threads`` threads (see :func:`_team_work`); the
        histogram pool is sized for the whole tree (``n_slots``) first, as the members
        share it."""
        if n_slots > ws.pool.shape[0]:
            ws.pool = ensure_pool(ws.pool, n_slots)
        state = (ws.gh, ws.ids, ws.side, ws.nodes_i, ws.nodes_f, ws.counters, ws.open_ids,
                 ws.batch, ws.cplan, ws.hplan, ws.bplan, ws.free_slots, ws.pool, ws.partials)
        given = (grad, hess, rows, args[2])  # args[2]: the tree's column sample
        if n_threads == 1:  # no pool hand-off
            sync = np.zeros(_SYNC_SIZE, dtype=np.int64)
            sync[_TREE_ROWS] = rows.shape[0]
            call = (True, sync, np.int64(1),
                    (self.X_binned, self.columns, grad, hess, np.int64(k), rows), state,
                    (self.offsets_u, self.n_bins_u) + args, _NO_SUBMISSIONS)
            _team_member(self._bound(_team_work, call, given), 0, *call[1:])
            return
        # The arrays a standing team's members were given, but for the tree's rows and
        # column sample, which it copies into arrays of its own (subsample and
        # colsample_bytree draw new ones every round); the tree's output, seed and row
        # count reach the members through the sync array.
        offsets, n_bins, feature_mask, seed, *rest = args
        arrays = ((self.X_binned, self.columns, grad, hess) + state
                  + (self.offsets_u, self.n_bins_u, offsets, n_bins, *rest))
        team = self._team
        if team is None or not team.serves(n_threads, arrays):
            self.close()
            team = self._team = _StandingTeam(n_threads, arrays, self.X_binned.shape[0],
                                              feature_mask.shape[0])
        team_rows, team_mask = team.take(rows, feature_mask)
        data = (self.X_binned, self.columns, grad, hess, np.int64(k), team_rows)
        params = (self.offsets_u, self.n_bins_u, offsets, n_bins, team_mask, seed, *rest)
        work = self._bound(_team_work, (True, team.sync, np.int64(n_threads), data, state,
                                        params, pool_submissions()), given)
        try:
            team.grow(work, rows.shape[0], data, state, params)
        except BaseException:
            self.close()
            raise

    def add_leaf_values(self, raw, col, rows, leaves, value):
        """:func:`add_leaf_values` for a tree this grower grew (``rows`` and ``leaves`` as
        :meth:`grow` returned them, which have the same kinds tree after tree): the kernel
        is bound once per kinds of ``raw`` and ``value``."""
        add_leaf_values(raw, col, rows, leaves, value, self._bound)

    def close(self):
        """Send a standing team's members away (they leave by themselves when idle, or
        when the thread pool's workers are wanted; this frees them at once) and raise a
        member's error, if any."""
        team, self._team = self._team, None
        if team is not None:
            team.close()

    def _grow_levels(self, ws, grad, hess, k, rows, args):
        """:func:`_grow_serial`'s steps with each parallel one spread over the threads."""
        m = rows.shape[0]
        run_parallel(_gather, m, grad, hess, k, rows, ws.gh, ws.ids, args[4], args[3],
                     min_items=4096)
        n_plan = _plan_root(m, ws.nodes_i, ws.nodes_f, ws.counters, ws.hplan, ws.bplan)
        self._build(ws, n_plan)
        self._finish_level(ws, args)
        while True:
            n_chunk = _plan_batch(ws.nodes_i, ws.nodes_f, ws.counters, ws.open_ids, ws.batch,
                                  ws.cplan, ws.bplan, ws.free_slots, self.iparams)
            if n_chunk == 0:
                return
            src = int(ws.counters[_SRC])
            weights = ws.cplan[:n_chunk, 2] - ws.cplan[:n_chunk, 1]
            # Counting reads one byte per row: a thread pays only on several chunks' rows.
            run_parallel(_count_left, n_chunk, self.columns, ws.ids, ws.side, ws.cplan,
                         ws.batch, ws.nodes_i, self.n_bins, src, self.is_cat, ws.cat_bits,
                         weights=weights, min_weight=4 * CHUNK_ROWS)
            n_plan = _place(ws.nodes_i, ws.nodes_f, ws.counters, ws.batch, ws.cplan, ws.hplan,
                            ws.bplan, ws.free_slots, self.fparams, self.iparams,
                            self.monotone)
            ws.pool = ensure_pool(ws.pool, ws.counters[_SLOTS])
            run_parallel(_scatter, n_chunk, ws.ids, ws.side, ws.cplan, src, weights=weights,
                         min_weight=CHUNK_ROWS)
            self._build(ws, n_plan)
            self._finish_level(ws, args)

    def _build(self, ws, n_plan):
        build_histograms(ws.hplan[:n_plan], self.X_binned, ws.gh, ws.ids, ws.pool, ws.partials,
                         self.offsets_u, self.n_bins_u,
                         n_parts=self.n_blocks if self.wide else None)

    def _finish_level(self, ws, args):
        """Complete the histograms of the nodes just built and find their best splits:
        pairs of nodes on the threads, or on wide data feature blocks, whose best splits
        are then compared (the same splits either way)."""
        n_pairs = int(ws.counters[_FINISHED])
        if not self.wide:
            run_parallel(_finish, n_pairs, ws.bplan, ws.nodes_i, ws.nodes_f, ws.pool,
                         ws.partials, *args)
            return
        (offsets, n_bins, tree_mask, seed, fparams, iparams, monotone, groups,
         feature_weights, _, cat_params, cat_bits) = args
        run_parallel(_complete_blocks, self.n_blocks, self.feature_block, ws.bplan, n_pairs,
                     ws.nodes_i, ws.pool, ws.partials, offsets)
        masks = np.empty((2 * n_pairs, len(n_bins)), dtype=np.bool_)
        nodes = np.empty(2 * n_pairs, dtype=np.int64)
        n_search = _open_level(ws.bplan, n_pairs, ws.nodes_i, ws.nodes_f, ws.pool, offsets,
                               tree_mask, seed, fparams, iparams, groups, feature_weights,
                               masks, nodes)
        found_f = np.empty((n_search, self.n_blocks, 3))
        found_i = np.empty((n_search, self.n_blocks, 3), dtype=np.int64)
        run_parallel(_search_blocks, self.n_blocks, self.feature_block, nodes, n_search,
                     masks, ws.nodes_i, ws.nodes_f, ws.pool, offsets, n_bins, fparams,
                     monotone, cat_params, cat_bits, found_f, found_i)
        _take_best(nodes, n_search, found_f, found_i, ws.nodes_i, ws.nodes_f, fparams)

    def _export(self, ws, m, fparams):
        n = int(ws.counters[_NODES])
        # The node arrays of one dtype are rows of one block: each allocation costs about
        # as much as the export's kernel on a small tree.
        ints = np.empty((5, n), dtype=np.int32)
        floats = np.empty((4, n))
        feature, split_bin, left, right, cat_start = ints
        threshold, gain, cover, values = floats
        value = values.reshape(n, 1)
        default_left = np.empty(n, dtype=np.bool_)
        rows_out = np.empty(m, dtype=np.int32)
        leaves = np.empty(((n + 1) // 2, 3), dtype=np.int64)
        cat_words = (np.empty(((n - 1) // 2 * self.n_words), dtype=np.uint32) if self.n_words
                     else _NO_WORDS)
        call = (ws.nodes_i, ws.nodes_f, n, self.edges, ws.ids, fparams, feature, threshold,
                split_bin, default_left, left, right, value, gain, cover, rows_out, leaves,
                self.n_bins, self.is_cat, ws.cat_bits, cat_start, cat_words)
        n_leaves, n_words = self._bound(_export, call, ())(*call)
        tree = Tree.of_arrays(feature, threshold, split_bin, default_left, left, right, value,
                              gain, cover, cat_start,
                              cat_words[:n_words].copy() if n_words else _NO_WORDS)
        return tree, rows_out, leaves[:n_leaves]
