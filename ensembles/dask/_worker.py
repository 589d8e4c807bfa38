"""What runs on the Dask workers during a boosting fit: one *shard* per worker and fit.

A shard holds the worker's training partitions, binned once, with their targets, weights,
raw margins and gradients, in a registry of the worker process keyed by the fit's id, for
the whole fit. The client sends each step (split these nodes, build the histograms of
those) as one small task per worker; a task touches only its own worker's shard and
returns histograms, never rows. Nothing here imports dask: the functions are plain and
are shipped to the workers by the client.

Per tree, the rows that the tree is grown on are kept as the single-node grower keeps
them (:class:`TreeRows`): row ids in two buffers, each node's rows a contiguous range,
moved to the other buffer by a stable partition when the node splits, and the gradient
pairs by row id. A histogram is then one sweep of the engine's own kernel
(:func:`ensembles._engine.histogram.accumulate`) over its node's range, in chunks whose
bounds depend only on the rows (so the sums do not depend on the worker's threads).
"""

import threading

import numpy as np

from .._engine.grower import _goes_left, build_histograms
from .._engine.histogram import CHUNK_ROWS, kernel_layout, n_chunks
from .._engine.jit import njit
from .._engine.tree import predict_binned_add
from .._threads import run_parallel, threads, weighted_sum
from ..boosting.booster import Booster

# The shards of the fits in progress in this worker process, by shard key (the fit's id
# and the worker's address: workers in one process share this registry).
_SHARDS = {}
_LOCK = threading.Lock()


@njit(cache=True, nogil=True)
def _gather(r0, r1, grad, hess, k, rows, gh, ids):
    """List rows ``rows[r0:r1]`` at positions ``r0:r1`` of buffer 0, and store their
    gradient pairs of output ``k`` in ``gh`` (at each row's id)."""
    for i in range(r0, r1):
        r = rows[i]
        gh[r, 0] = grad[r, k]
        gh[r, 1] = hess[r, k]
        ids[0, i] = r


# Columns of a split plan: one row per chunk of a split node's rows.
_C_START, _C_STOP, _C_FEATURE, _C_BIN, _C_DLEFT, _C_LEFT, _C_LO, _C_HI, _C_SRC = range(9)


@njit(cache=True, nogil=True)
def _count_left(c0, c1, X, ids, side, cplan, n_bins):
    """Which side each row of chunks ``c0:c1`` of the split plan goes to (``side``, 1 for
    left, by position) and how many go left: the grower's rule (codes ``<= bin``, and
    missing values when the split sends them left)."""
    for c in range(c0, c1):
        f, b, dl = cplan[c, _C_FEATURE], cplan[c, _C_BIN], cplan[c, _C_DLEFT] != 0
        nb = n_bins[f]
        src = cplan[c, _C_SRC]
        count = 0
        for i in range(cplan[c, _C_START], cplan[c, _C_STOP]):
            left = _goes_left(X[ids[src, i], f], b, dl, nb)
            side[i] = left
            count += left
        cplan[c, _C_LEFT] = count


@njit(cache=True, nogil=True)
def _scatter(c0, c1, ids, side, cplan):
    """Move the row ids of chunks ``c0:c1`` to the other buffer by the side
    :func:`_count_left` found, left rows from ``lo`` and right rows from ``hi`` (a stable
    partition)."""
    for c in range(c0, c1):
        src = cplan[c, _C_SRC]
        dst = 1 - src
        lo, hi = cplan[c, _C_LO], cplan[c, _C_HI]
        for i in range(cplan[c, _C_START], cplan[c, _C_STOP]):
            if side[i]:
                j = lo
                lo += 1
            else:
                j = hi
                hi += 1
            ids[dst, j] = ids[src, i]


@njit(cache=True, nogil=True)
def _reduce_partials(j0, j1, rplan, hists, partials):
    """``hists[target]`` = the sum of partials ``first:first + count``, in their order,
    for rows ``j0:j1`` of ``rplan`` (target, first, count)."""
    for j in range(j0, j1):
        hist = hists[rplan[j, 0]]
        first, count = rplan[j, 1], rplan[j, 2]
        for b in range(hist.shape[0]):
            hist[b, 0] = partials[first, b, 0]
            hist[b, 1] = partials[first, b, 1]
        for p in range(first + 1, first + count):
            for b in range(hist.shape[0]):
                hist[b, 0] += partials[p, b, 0]
                hist[b, 1] += partials[p, b, 1]


@njit(cache=True, nogil=True)
def _add_leaf_values(q0, q1, raw, k, ids, lplan, values):
    """``raw[row, k] += values[q]`` for the rows of leaves ``q0:q1`` of ``lplan``
    (buffer, start, stop)."""
    for q in range(q0, q1):
        v = values[q]
        buffer = lplan[q, 0]
        for i in range(lplan[q, 1], lplan[q, 2]):
            raw[ids[buffer, i], k] += v


@njit(cache=True, nogil=True)
def _add_split_values(c0, c1, raw, k, X, ids, cplan, n_bins, values):
    """A split into two leaves, applied to the margins in one pass: each row of chunks
    ``c0:c1`` of the split plan gets ``values[c, 0]`` if it goes left, else
    ``values[c, 1]`` (no rows move)."""
    for c in range(c0, c1):
        f, b, dl = cplan[c, _C_FEATURE], cplan[c, _C_BIN], cplan[c, _C_DLEFT] != 0
        nb = n_bins[f]
        src = cplan[c, _C_SRC]
        v_left, v_right = values[c, 0], values[c, 1]
        for i in range(cplan[c, _C_START], cplan[c, _C_STOP]):
            r = ids[src, i]
            raw[r, k] += v_left if _goes_left(X[r, f], b, dl, nb) else v_right


def _chunks(start, stop):
    """``(start, stop)`` of the chunks of a node's rows: :func:`n_chunks` equal chunks, as
    the single-node grower cuts them, independent of the number of threads."""
    nc = n_chunks(stop - start)
    size = (stop - start + nc - 1) // nc
    return [(start + c * size, min(stop, start + (c + 1) * size)) for c in range(nc)]


class TreeRows:
    """The rows one tree is grown on, as the single-node grower keeps them: two buffers
    of row ids, every node's rows a contiguous range of buffer ``depth % 2``, moved to the
    other buffer (a stable partition) when the node splits, and the gradient pairs by row
    id. A histogram is then one sweep over its node's range."""

    def __init__(self, X, n_rows):
        self.X = X
        self.gh = np.empty((X.shape[0], 2))
        self.ids = np.empty((2, n_rows), dtype=np.int32)
        self.side = np.empty(n_rows, dtype=np.uint8)  # by position, set per split
        self.nodes = {}  # open node -> (buffer, start, stop)
        self.partials = np.empty((0, 0, 2))

    def start(self, grad, hess, k, rows):
        """List the tree's rows in buffer 0 (the root), with their gradient pairs."""
        m = rows.shape[0]
        run_parallel(_gather, m, grad, hess, k, rows, self.gh, self.ids, min_items=4096)
        self.nodes = {0: (0, 0, m)}

    def split_plan(self, splits):
        """The chunk plan of ``splits`` (rows ``(node, feature, bin, default_left, left,
        right)``) over their nodes' rows, which leave :attr:`nodes`: ``(cplan, owner,
        ranges)``, ``owner[c]`` the split of chunk ``c`` and ``ranges[j]`` split ``j``'s
        node (buffer, start, stop)."""
        ranges = [self.nodes.pop(int(q)) for q in splits[:, 0]]
        rows, owner = [], []
        for j, ((buffer, start, stop), split) in enumerate(zip(ranges, splits,
                                                               strict=True)):
            for a, b in _chunks(start, stop):
                rows.append((a, b, split[1], split[2], split[3], 0, 0, 0, buffer))
                owner.append(j)
        cplan = np.array(rows, dtype=np.int64).reshape(-1, 9)
        return cplan, np.array(owner, dtype=np.int64), ranges

    def split(self, splits, n_bins):
        """Apply ``splits``: partition each node's rows into its children's ranges (the
        left child first), in the other buffer."""
        cplan, owner, ranges = self.split_plan(splits)
        weights = cplan[:, _C_STOP] - cplan[:, _C_START]
        run_parallel(_count_left, cplan.shape[0], self.X, self.ids, self.side, cplan, n_bins,
                     weights=weights, min_weight=CHUNK_ROWS)
        n_left = np.bincount(owner, weights=cplan[:, _C_LEFT],
                             minlength=len(ranges)).astype(np.int64)
        lo = np.array([start for _, start, _ in ranges], dtype=np.int64)
        hi = lo + n_left
        for c in range(cplan.shape[0]):
            j = owner[c]
            cplan[c, _C_LO] = lo[j]
            cplan[c, _C_HI] = hi[j]
            lo[j] += cplan[c, _C_LEFT]
            hi[j] += cplan[c, _C_STOP] - cplan[c, _C_START] - cplan[c, _C_LEFT]
        for j, ((buffer, start, stop), split) in enumerate(zip(ranges, splits,
                                                               strict=True)):
            middle = start + int(n_left[j])
            self.nodes[int(split[4])] = (1 - buffer, start, middle)
            self.nodes[int(split[5])] = (1 - buffer, middle, stop)
        run_parallel(_scatter, cplan.shape[0], self.ids, self.side, cplan, weights=weights,
                     min_weight=CHUNK_ROWS)

    def build(self, nodes, offsets_u, n_bins_u, hists):
        """The histograms of ``nodes`` into ``hists`` (one per node), chunk by chunk;
        a node of several chunks is the sum of their partials in chunk order."""
        hplan, rplan = [], []
        n_partials = 0
        for j, node in enumerate(nodes):
            buffer, start, stop = self.nodes[int(node)]
            chunks = _chunks(start, stop)
            if len(chunks) == 1:
                hplan.append((buffer, start, stop, j))
                continue
            rplan.append((j, n_partials, len(chunks)))
            for a, b in chunks:
                hplan.append((buffer, a, b, -1 - n_partials))
                n_partials += 1
        if self.partials.shape[0] < n_partials or self.partials.shape[1] != hists.shape[1]:
            self.partials = np.empty((n_partials, hists.shape[1], 2))
        hplan = np.array(hplan, dtype=np.int64).reshape(-1, 4)
        build_histograms(hplan, self.X, self.gh, self.ids, hists, self.partials, offsets_u,
                         n_bins_u)
        if rplan:
            run_parallel(_reduce_partials, len(rplan), np.array(rplan, dtype=np.int64),
                         hists, self.partials)

    def add_leaves(self, raw, k, tree, last, n_bins):
        """Add tree ``k``'s leaf values to the margins ``raw[:, k]`` of its rows: a leaf
        whose rows are a range of a buffer through the range; ``last``, splits that
        were never applied (they make only leaves), in one pass over their nodes' rows.
        """
        value = tree.value[:, 0]
        if last is not None and len(last):
            cplan, owner, _ = self.split_plan(last)
            values = np.column_stack([value[last[owner, 4]], value[last[owner, 5]]])
            run_parallel(_add_split_values, cplan.shape[0], raw, k, self.X, self.ids,
                         cplan, n_bins, values,
                         weights=cplan[:, _C_STOP] - cplan[:, _C_START],
                         min_weight=CHUNK_ROWS)
        leaves = [q for q in self.nodes if tree.left[q] == -1]
        if leaves:
            lplan = np.array([self.nodes[q] for q in leaves], dtype=np.int64)
            run_parallel(_add_leaf_values, len(leaves), raw, k, self.ids, lplan,
                         value[leaves].copy(), weights=lplan[:, 2] - lplan[:, 1],
                         min_weight=CHUNK_ROWS)
        self.nodes = {}


class Shard:
    """One worker's part of the training data of a fit, and its per-tree row ranges."""

    def __init__(self, Xb, y, weight, raw, part_ids, part_sizes, n_threads, offsets_u,
                 n_bins_u):
        self.Xb = Xb
        self.y = y
        self.weight = weight
        self.raw = raw
        self.part_ids = part_ids
        self.part_sizes = part_sizes
        self.n_threads = n_threads
        self.offsets_u = offsets_u
        self.n_bins_u = n_bins_u
        self.evals = []
        self.grad = self.hess = None
        self.objective = None  # a ranking objective's share of the groups (see load)
        self.trees = []  # per output, the rows of the tree being grown (TreeRows)
        self.all_rows = True


def _shard(shard_key):
    try:
        return _SHARDS[shard_key]
    except KeyError:
        raise RuntimeError(f"This worker holds no data of fit {shard_key!r}: it was restarted "
                           f"or the fit was cleaned up.") from None


def _as_float_rows(part, name):
    X = np.ascontiguousarray(np.asarray(part, dtype=np.float64))
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    if np.isinf(X).any():
        raise ValueError(f"{name} contains infinity; only finite values and NaN (missing) "
                         f"are accepted.")
    return X


def sample_rows(shard_key, parts, rows):
    """The rows for the bin edges: of every partition ``(X, weight)``, its rows of
    positive weight, or those of them at the positions ``rows[i]`` (None: all)."""
    out = []
    for (X, w), picked in zip(parts, rows, strict=True):
        X = _as_float_rows(X, "X")
        if w is not None:
            X = X[np.asarray(w, dtype=np.float64).reshape(-1) > 0]
        out.append(X if picked is None else X[picked])
    return out


def load(shard_key, parts, part_ids, edges, n_bins, n_outputs, base_margin, objective, classes,
         n_threads, groups=None):
    """Bin this worker's partitions and keep them in the registry under ``shard_key``.

    ``parts`` are ``(X, y, weight)`` blocks (weight may be None). Ranking gives
    ``groups``: per partition, the sizes of its query groups and the index of its first
    group in the whole training set, and ``objective`` is then split to this worker's
    groups (with the whole set's normalization ``groups[1]``). Returns statistics for the
    client's checks and starting margin: rows, weight sum, weighted target sum, largest
    ``|y|``, largest weight, and the weighted class counts (classification).
    """
    from .._engine.binning import BinMapper

    mapper = BinMapper()
    mapper.edges_ = edges
    mapper.n_bins_ = n_bins
    Xs, ys, ws, sizes = [], [], [], []
    for X, y, w in parts:
        X = _as_float_rows(X, "X")
        y = np.asarray(y).reshape(-1)
        if classes is not None:
            unknown = np.setdiff1d(np.unique(y), classes)
            if unknown.size:
                raise ValueError(f"y has labels not seen when the classes were listed: "
                                 f"{unknown.tolist()!r}.")
            y = np.searchsorted(classes, y).astype(np.float64)
        else:
            y = np.asarray(y, dtype=np.float64)
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"A partition of X has {X.shape[0]} rows but its y has "
                             f"{y.shape[0]}; X and y need the same row chunks.")
        Xs.append(X)
        ys.append(y)
        ws.append(None if w is None else np.asarray(w, dtype=np.float64).reshape(-1))
        sizes.append(X.shape[0])
    n_features = edges.shape[0]
    X = np.concatenate(Xs) if Xs else np.empty((0, n_features))
    y = np.concatenate(ys) if ys else np.empty(0)
    weight = None
    if any(w is not None for w in ws):
        weight = np.concatenate([np.ones(s) if w is None else w
                                 for w, s in zip(ws, sizes, strict=True)])
        if (weight < 0).any() or not np.isfinite(weight).all():
            raise ValueError("sample_weight must be finite and non-negative.")
    if objective is not None and y.size:
        objective.validate_target(y)
    with threads(n_threads):
        Xb = mapper.transform(X) if X.shape[0] else np.empty((0, n_features), np.uint8)
    raw = np.tile(np.asarray(base_margin, dtype=np.float64), (X.shape[0], 1))
    offsets_u, n_bins_u = kernel_layout(n_bins)
    shard = Shard(Xb, y, weight, raw, list(part_ids), sizes, n_threads, offsets_u, n_bins_u)
    shard.n_bins = np.ascontiguousarray(n_bins, dtype=np.int32)
    if groups is not None:
        by_part, w_norm = groups
        group_sizes = [np.asarray(g, dtype=np.int64) for g, _ in by_part]
        group_ptr = np.concatenate([[0], np.cumsum(np.concatenate(group_sizes)
                                                   if group_sizes else [])])
        ids = [first + np.arange(g.size) for g, (_, first) in zip(group_sizes, by_part,
                                                                   strict=True)]
        shard.objective = objective.for_shard(
            group_ptr, np.concatenate(ids) if ids else np.empty(0, np.int64), w_norm)
    with _LOCK:
        _SHARDS[shard_key] = shard
    w = np.ones(y.shape[0]) if weight is None else weight
    stats = {
        "n_rows": int(y.shape[0]),
        "weight_sum": float(w.sum()),
        "weighted_y_sum": weighted_sum(w, y),
        "y_abs_max": float(np.abs(y).max()) if y.size else 0.0,
        "weight_max": float(w.max()) if w.size else 0.0,
        "class_counts": (np.bincount(y.astype(np.intp), weights=w, minlength=n_outputs)
                         if classes is not None else None),
    }
    return stats


def targets(shard_key):
    """This shard's encoded targets and weights (objectives whose start is no mean)."""
    shard = _shard(shard_key)
    return shard.y, shard.weight


def load_eval(shard_key, parts, part_ids, base_margin):
    """Keep the raw features of this worker's partitions of one eval set (in the shard,
    with their running margins). Returns the number of eval sets held."""
    shard = _shard(shard_key)
    X = [_as_float_rows(p, "eval_set X") for p in parts]
    n_features = shard.Xb.shape[1]
    X = np.concatenate(X) if X else np.empty((0, n_features))
    raw = np.tile(np.asarray(base_margin, dtype=np.float64), (X.shape[0], 1))
    shard.evals.append((list(part_ids), [p.shape[0] for p in parts] if parts else [], X, raw))
    return len(shard.evals)


def _finish_round(shard, trees, last):
    """Add the round's trees to the training and eval margins (``last``: per tree, the
    splits into leaves that were never applied, or None)."""
    for k, tree in enumerate(trees):
        if shard.all_rows and k < len(shard.trees):
            shard.trees[k].add_leaves(shard.raw, k, tree, None if last is None else last[k],
                                      shard.n_bins)
        elif shard.Xb.shape[0]:
            # A row sample: the rows left out get the trees' values too.
            predict_binned_add(shard.Xb, shard.n_bins, tree.feature, tree.split_bin,
                               tree.default_left, tree.left, tree.right, tree.value, 1.0,
                               shard.raw, k)
    if shard.evals:
        booster = Booster(np.zeros(len(trees)))
        booster.append(trees)
        for _, _, X, raw in shard.evals:
            if X.shape[0]:
                booster.predict_raw(X, out=raw)


def round_step(shard_key, trees, last, objective, subsample, sample_key, base_margin=None):
    """End a round (its ``trees`` added to the margins; None at the first round) and, when
    ``objective`` is given, start the next: gradients, each tree's rows, root histograms.
    ``base_margin`` (first round only) sets the training and eval margins. ``last`` holds,
    per tree, the splits of its last batch when the client never sent them (they made
    only leaves): they are applied here, to the margins only.

    Returns ``(eval_margins, root_hists)``: this worker's eval set margins (one array per
    eval set, partitions in order) and the root histograms, shape (K, n_hist_bins, 2).
    """
    shard = _shard(shard_key)
    with threads(shard.n_threads):
        if base_margin is not None:
            shard.raw[:] = base_margin
            for _, _, _, raw in shard.evals:
                raw[:] = base_margin
        if trees is not None:
            _finish_round(shard, trees, last)
        evals = [(part_ids, sizes, raw.copy()) for part_ids, sizes, _, raw in shard.evals]
        if objective is None:
            return evals, None
        n, K = shard.raw.shape
        if shard.objective is not None:
            # This worker's groups, with the seed the client drew for the round.
            shard.objective.round_seed = objective.round_seed
            objective = shard.objective
        if n:
            grad, hess = objective.gradient(shard.y, shard.raw, shard.weight)
            shard.grad = np.ascontiguousarray(grad, dtype=np.float64).reshape(n, K)
            shard.hess = np.ascontiguousarray(hess, dtype=np.float64).reshape(n, K)
        else:
            shard.grad = shard.hess = np.empty((0, K))
        if subsample < 1.0:
            keep = [np.random.default_rng([sample_key, p]).random(size) < subsample
                    for p, size in zip(shard.part_ids, shard.part_sizes, strict=True)]
            rows = (np.flatnonzero(np.concatenate(keep)).astype(np.int32) if keep
                    else np.empty(0, np.int32))
            shard.all_rows = False
        else:
            rows = np.arange(n, dtype=np.int32)
            shard.all_rows = True
        while len(shard.trees) < K:
            # Allocated once per fit and output, reused every round.
            shard.trees.append(TreeRows(shard.Xb, n))
        hists = np.empty((K, int(shard.offsets_u[-1]), 2))
        for k in range(K):
            shard.trees[k].start(shard.grad, shard.hess, k, rows)
            shard.trees[k].build([0], shard.offsets_u, shard.n_bins_u, hists[k:k + 1])
    return evals, hists


def grow_step(shard_key, ops):
    """Split nodes and build histograms: ``ops`` holds, per tree ``k``, its splits (an int
    array of rows ``(node, feature, bin, default_left, left, right)``) and the nodes
    whose histograms to build. Returns the histograms in the order of ``ops``, shape
    (n_builds, n_hist_bins, 2)."""
    shard = _shard(shard_key)
    with threads(shard.n_threads):
        n_hist = int(shard.offsets_u[-1])
        hists = np.empty((sum(len(build) for _, _, build in ops), n_hist, 2))
        j = 0
        for k, splits, build in ops:
            rows = shard.trees[k]
            if len(splits):
                rows.split(splits, shard.n_bins)
            if len(build):
                rows.build(build, shard.offsets_u, shard.n_bins_u, hists[j:j + len(build)])
                j += len(build)
    return hists


class Endpoint:
    """A Dask actor through which the client calls this module's steps on one worker:
    an actor call goes from the client to the worker and back, without the scheduler's
    two hops of a task, which is most of a step's time on small histograms."""

    def call(self, function, *args):
        return function(*args)


def drop(shard_key):
    """Forget the fit's shard (at the end of a fit, or after a failure)."""
    with _LOCK:
        return _SHARDS.pop(shard_key, None) is not None


def held_fits():
    """Keys of the shards this worker holds (for tests and diagnostics)."""
    with _LOCK:
        return sorted(_SHARDS)
