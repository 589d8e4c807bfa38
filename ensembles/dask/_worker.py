"""What runs on the Dask workers during a boosting fit: one *shard* per worker and fit.

A shard holds the worker's training partitions, binned once, with their targets, weights,
raw margins and gradients, in a registry of the worker process keyed by the fit's id, for
the whole fit. The client sends each step (split these nodes, build the histograms of
those) as one small task per worker; a task touches only its own worker's shard and
returns histograms, never rows. Nothing here imports dask: the functions are plain and
are shipped to the workers by the client.

Per tree, the rows of the shard that the tree is grown on are kept in ``order``, each
node's rows a contiguous range of it (a stable partition at every split, so a node's
rows keep their original order, as in the single-node grower). A histogram gathers its
node's binned rows and gradient pairs into a contiguous block and sums them with the
engine's own kernel (:func:`ensembles._engine.histogram.accumulate`).
"""

import threading

import numpy as np
from numba import njit

from .._engine.histogram import CHUNK_ROWS, accumulate, kernel_layout
from .._engine.tree import predict_binned_add
from .._threads import run_parallel, threads
from ..boosting.booster import Booster

# The shards of the fits in progress in this worker process, by fit id.
_SHARDS = {}
_LOCK = threading.Lock()


@njit(cache=True, nogil=True)
def _partition(order, scratch, Xb, n_bins, starts, stops, features, bins, default_left,
               n_left):
    """Stable partition of ``order[starts[j]:stops[j]]`` for every split ``j``: the rows
    whose code is ``<= bins[j]`` (missing values, codes from ``n_bins[f]`` up:
    ``default_left[j]``) first.
    ``n_left[j]`` gets the number of rows sent left."""
    for j in range(starts.shape[0]):
        f, b, dl = features[j], bins[j], default_left[j]
        lo = starts[j]
        n_right = 0
        for i in range(starts[j], stops[j]):
            r = order[i]
            code = Xb[r, f]
            if code <= b or (dl and code >= n_bins[f]):
                order[lo] = r  # lo <= i: never overwrites a row not yet read
                lo += 1
            else:
                scratch[n_right] = r
                n_right += 1
        for i in range(n_right):
            order[lo + i] = scratch[i]
        n_left[j] = lo - starts[j]


@njit(cache=True, nogil=True)
def _build(j0, j1, order, Xb, grad, hess, k, starts, stops, offsets_u, n_bins_u, hists):
    """Histograms ``hists[j]`` of the rows ``order[starts[j]:stops[j]]`` for ``j`` in
    ``j0:j1``: blocks of rows are gathered contiguous, then summed by the engine's
    :func:`accumulate` (in row order, as the single-node grower sums a node)."""
    n_features = Xb.shape[1]
    block = np.empty((CHUNK_ROWS, n_features), dtype=Xb.dtype)
    gh = np.empty((CHUNK_ROWS, 2))
    for j in range(j0, j1):
        hist = hists[j]
        for b in range(hist.shape[0]):
            hist[b, 0] = 0.0
            hist[b, 1] = 0.0
        i = starts[j]
        while i < stops[j]:
            stop = min(stops[j], i + CHUNK_ROWS)
            for q in range(i, stop):
                r = order[q]
                for f in range(n_features):
                    block[q - i, f] = Xb[r, f]
                gh[q - i, 0] = grad[r, k]
                gh[q - i, 1] = hess[r, k]
            accumulate(block, gh, 0, stop - i, offsets_u, n_bins_u, hist)
            i = stop


@njit(cache=True, nogil=True)
def _add_leaves(raw, k, order, starts, stops, values):
    for j in range(starts.shape[0]):
        v = values[j]
        for i in range(starts[j], stops[j]):
            raw[order[i], k] += v


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
        self.orders = []
        self.ranges = []
        self.all_rows = True


def _shard(fit_id):
    try:
        return _SHARDS[fit_id]
    except KeyError:
        raise RuntimeError(f"This worker holds no data of fit {fit_id!r}: it was restarted "
                           f"or the fit was cleaned up.") from None


def _as_float_rows(part, name):
    X = np.ascontiguousarray(np.asarray(part, dtype=np.float64))
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    if np.isinf(X).any():
        raise ValueError(f"{name} contains infinity; only finite values and NaN (missing) "
                         f"are accepted.")
    return X


def sample_rows(fit_id, parts, rows):
    """The rows for the bin edges: of every partition ``(X, weight)``, its rows of
    positive weight, or those of them at the positions ``rows[i]`` (None: all)."""
    out = []
    for (X, w), picked in zip(parts, rows, strict=True):
        X = _as_float_rows(X, "X")
        if w is not None:
            X = X[np.asarray(w, dtype=np.float64).reshape(-1) > 0]
        out.append(X if picked is None else X[picked])
    return out


def load(fit_id, parts, part_ids, edges, n_bins, n_outputs, base_margin, objective, classes,
         n_threads, groups=None):
    """Bin this worker's partitions and keep them in the registry under ``fit_id``.

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
        _SHARDS[fit_id] = shard
    w = np.ones(y.shape[0]) if weight is None else weight
    stats = {
        "n_rows": int(y.shape[0]),
        "weight_sum": float(w.sum()),
        "weighted_y_sum": float(np.dot(w, y)),
        "y_abs_max": float(np.abs(y).max()) if y.size else 0.0,
        "weight_max": float(w.max()) if w.size else 0.0,
        "class_counts": (np.bincount(y.astype(np.intp), weights=w, minlength=n_outputs)
                         if classes is not None else None),
    }
    return stats


def targets(fit_id):
    """This shard's encoded targets and weights (objectives whose start is no mean)."""
    shard = _shard(fit_id)
    return shard.y, shard.weight


def load_eval(fit_id, parts, part_ids, base_margin):
    """Keep the raw features of this worker's partitions of one eval set (in the shard,
    with their running margins). Returns the number of eval sets held."""
    shard = _shard(fit_id)
    X = [_as_float_rows(p, "eval_set X") for p in parts]
    n_features = shard.Xb.shape[1]
    X = np.concatenate(X) if X else np.empty((0, n_features))
    raw = np.tile(np.asarray(base_margin, dtype=np.float64), (X.shape[0], 1))
    shard.evals.append((list(part_ids), [p.shape[0] for p in parts] if parts else [], X, raw))
    return len(shard.evals)


def _finish_round(shard, trees, ranges_by_tree):
    """Add the round's trees to the training and eval margins."""
    for k, tree in enumerate(trees):
        leaves = ranges_by_tree[k]
        if leaves is not None and shard.all_rows:
            starts, stops, values = leaves
            _add_leaves(shard.raw, k, shard.orders[k], starts, stops, values)
        elif shard.Xb.shape[0]:
            predict_binned_add(shard.Xb, shard.n_bins, tree.feature, tree.split_bin,
                               tree.default_left, tree.left, tree.right, tree.value, 1.0,
                               shard.raw, k)
    if shard.evals:
        booster = Booster(np.zeros(len(trees)))
        booster.append(trees)
        for _, _, X, raw in shard.evals:
            if X.shape[0]:
                booster.predict_raw(X, out=raw)


def round_step(fit_id, trees, routed, objective, subsample, sample_key, base_margin=None):
    """End a round (its ``trees`` added to the margins; None at the first round) and, when
    ``objective`` is given, start the next: gradients, each tree's rows, root histograms.
    ``base_margin`` (first round only) sets the training and eval margins. With ``routed``
    the trees' last splits were never applied to ``order`` (they made only leaves, and the
    client skipped that step): the rows are routed through the trees instead.

    Returns ``(eval_margins, root_hists)``: this worker's eval set margins (one array per
    eval set, partitions in order) and the root histograms, shape (K, n_hist_bins, 2).
    """
    shard = _shard(fit_id)
    with threads(shard.n_threads):
        if base_margin is not None:
            shard.raw[:] = base_margin
            for _, _, _, raw in shard.evals:
                raw[:] = base_margin
        if trees is not None:
            leaves = [None if routed else _leaf_ranges(shard, k, tree)
                      for k, tree in enumerate(trees)]
            _finish_round(shard, trees, leaves)
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
        shard.orders = [rows.copy() for _ in range(K)]
        shard.ranges = [{0: (0, rows.size)} for _ in range(K)]
        hists = np.empty((K, int(shard.offsets_u[-1]), 2))
        for k in range(K):
            _build(0, 1, shard.orders[k], shard.Xb, shard.grad, shard.hess, k,
                   np.array([0]), np.array([rows.size]), shard.offsets_u, shard.n_bins_u,
                   hists[k:k + 1])
    return evals, hists


def _leaf_ranges(shard, k, tree):
    """(starts, stops, values) of the leaves of tree ``k`` in ``orders[k]``."""
    ranges = shard.ranges[k]
    leaves = np.flatnonzero(tree.left == -1)
    starts = np.array([ranges.get(int(q), (0, 0))[0] for q in leaves], dtype=np.int64)
    stops = np.array([ranges.get(int(q), (0, 0))[1] for q in leaves], dtype=np.int64)
    return starts, stops, tree.value[leaves, 0].copy()


def grow_step(fit_id, ops):
    """Split nodes and build histograms: ``ops`` holds, per tree ``k``, its splits (an int
    array of rows ``(node, feature, bin, default_left, left, right)``) and the nodes
    whose histograms to build. Returns the histograms in the order of ``ops``, shape
    (n_builds, n_hist_bins, 2)."""
    shard = _shard(fit_id)
    with threads(shard.n_threads):
        n_hist = int(shard.offsets_u[-1])
        builds = []
        for k, splits, build in ops:
            order = shard.orders[k]
            ranges = shard.ranges[k]
            if len(splits):
                nodes = splits[:, 0]
                starts = np.array([ranges[int(q)][0] for q in nodes], dtype=np.int64)
                stops = np.array([ranges[int(q)][1] for q in nodes], dtype=np.int64)
                n_left = np.empty(len(nodes), dtype=np.int64)
                scratch = np.empty(max(int((stops - starts).max()), 1), dtype=np.int32)
                _partition(order, scratch, shard.Xb, shard.n_bins, starts, stops,
                           splits[:, 1].astype(np.int64), splits[:, 2].astype(np.int64),
                           splits[:, 3].astype(np.bool_), n_left)
                for q, s, e, nl, left, right in zip(nodes.tolist(), starts.tolist(),
                                                    stops.tolist(), n_left.tolist(),
                                                    splits[:, 4].tolist(),
                                                    splits[:, 5].tolist(), strict=True):
                    del ranges[q]
                    ranges[left] = (s, s + nl)
                    ranges[right] = (s + nl, e)
            for node in build:
                builds.append((k, ranges[int(node)]))
        hists = np.empty((len(builds), n_hist, 2))
        # One build per tree at a time: the kernel reads one gradient column.
        j = 0
        while j < len(builds):
            k = builds[j][0]
            stop = j
            while stop < len(builds) and builds[stop][0] == k:
                stop += 1
            starts = np.array([b[1][0] for b in builds[j:stop]], dtype=np.int64)
            stops = np.array([b[1][1] for b in builds[j:stop]], dtype=np.int64)
            run_parallel(_build, stop - j, shard.orders[k], shard.Xb, shard.grad, shard.hess,
                         k, starts, stops, shard.offsets_u, shard.n_bins_u, hists[j:stop],
                         weights=(stops - starts).astype(np.float64), min_weight=CHUNK_ROWS)
            j = stop
    return hists


class Endpoint:
    """A Dask actor through which the client calls this module's steps on one worker:
    an actor call goes from the client to the worker and back, without the scheduler's
    two hops of a task, which is most of a step's time on small histograms."""

    def call(self, function, *args):
        return function(*args)


def drop(fit_id):
    """Forget the fit's shard (at the end of a fit, or after a failure)."""
    with _LOCK:
        return _SHARDS.pop(fit_id, None) is not None


def held_fits():
    """Ids of the fits whose shards this worker holds (for tests and diagnostics)."""
    with _LOCK:
        return sorted(_SHARDS)
