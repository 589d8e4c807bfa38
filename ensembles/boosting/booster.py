"""The boosting loop on arrays: no estimator logic, no input validation.

:class:`Booster` holds the fitted trees and predicts; :func:`train` grows them round by round
from an objective's gradients, evaluates the eval sets and runs the callbacks.
"""

from dataclasses import dataclass, field, replace

import numpy as np

from .._compat import spawn_generator
from .._engine import sparse as _sparse
from .._engine.grower import (
    TEAM_ROUND_ROWS,
    GrowthParams,
    TreeGrower,
    sample_features,
)
from .._engine.sparse_grower import SparseCodes, SparseTreeGrower
from .._engine.tree import (
    MAX_COMPLETE_DEPTH,
    Tree,
    apply_packed,
    complete_layout,
    max_depth,
    pack_trees,
    predict_binned_tree,
    predict_complete,
    predict_packed,
)
from .._threads import current_threads, run_parallel, threads
from .objectives import CallableObjective, weighted_quantile

# Rows per thread below which computing gradients in parallel does not pay.
_GRADIENT_BLOCK_ROWS = 65536
# Rows times trees of a multiclass round below which its trees grow one after the other on
# the calling thread: handing trees to another thread costs more than it saves (a round of
# 3 classes on a few hundred rows).
_ROUND_MIN_WORK = 4096


@dataclass
class DartParams:
    """Dropout of XGBoost's ``dart`` booster (see :func:`_dart_drop`)."""

    rate_drop: float = 0.0
    skip_drop: float = 0.0
    one_drop: bool = False
    sample_type: str = "uniform"
    normalize_type: str = "tree"


@dataclass
class BoostingParams:
    """Round-level hyper-parameters (tree-level ones live in ``growth``)."""

    n_estimators: int = 100
    subsample: float = 1.0
    colsample_bytree: float = 1.0
    num_parallel_tree: int = 1
    growth: GrowthParams = field(default_factory=GrowthParams)
    # Dropout of the dart booster; None for gbtree.
    dart: DartParams | None = None


class Booster:
    """Fitted trees plus the starting margin: everything needed to predict.

    Parameters
    ----------
    base_margin : ndarray of shape (n_outputs,)
        Raw score every prediction starts from.
    num_parallel_tree : int, default=1
        Trees per output and round (a boosted random forest when above 1).

    Attributes
    ----------
    trees : list of Tree
        ``n_outputs * num_parallel_tree`` trees per round, round-major; within a round the
        ``num_parallel_tree`` trees of output 0 come first, then those of output 1
        (XGBoost's order).
    tree_weights : ndarray of float64 or None
        The weight of every tree in predictions (the ``dart`` booster's); None means all 1.
    """

    kind = "gbtree"

    def __init__(self, base_margin, num_parallel_tree=1):
        self.base_margin = np.asarray(base_margin, dtype=np.float64).reshape(-1)
        self.num_parallel_tree = int(num_parallel_tree)
        self.trees = []
        self.tree_weights = None
        self._layout = None

    @property
    def n_outputs(self):
        return self.base_margin.size

    @property
    def trees_per_round(self):
        return self.n_outputs * self.num_parallel_tree

    @property
    def n_rounds(self):
        return len(self.trees) // self.trees_per_round

    def output_of(self, i):
        """The output that tree ``i`` adds to (elementwise for an array of indices)."""
        return (i % self.trees_per_round) // self.num_parallel_tree

    def append(self, trees, weights=None):
        if self.tree_weights is not None or weights is not None:
            old = np.ones(len(self.trees)) if self.tree_weights is None else self.tree_weights
            new = np.ones(len(trees)) if weights is None else np.asarray(weights, dtype=float)
            self.tree_weights = np.concatenate([old, new])
        self.trees.extend(trees)
        self._layout = None

    def copy(self):
        """A booster holding the same trees and weights (for continued training)."""
        out = Booster(self.base_margin, self.num_parallel_tree)
        out.append(list(self.trees), None if self.tree_weights is None
                   else self.tree_weights.copy())
        return out

    def set_tree_weights(self, weights):
        self.tree_weights = np.asarray(weights, dtype=np.float64)
        self._layout = None

    def weighted_trees(self, start=0, stop=None):
        """Trees ``start:stop`` with their weights applied to the node values (the trees
        themselves when unweighted)."""
        trees = self.trees[start:stop]
        if self.tree_weights is None:
            return trees
        weights = self.tree_weights[start:start + len(trees)]
        return [t if w == 1.0 else _scaled(t, w) for t, w in zip(trees, weights, strict=True)]

    def _make_layout(self, start, stop):
        """Trees ``start:stop`` packed for the kernels, plus their complete-tree layout
        (None when a tree is too deep for it)."""
        trees = self.weighted_trees(start, stop)
        packed = pack_trees(trees, self.output_of(np.arange(start, start + len(trees))))
        depth = max_depth(packed["left"], packed["right"], packed["offsets"])
        # The complete layout holds thresholds only: categorical splits take the walk.
        complete = (complete_layout(packed, depth)
                    if depth <= MAX_COMPLETE_DEPTH and not packed["categorical"] else None)
        return packed, complete

    def layout(self):
        """:meth:`_make_layout` of all trees (cached)."""
        if self._layout is None:
            self._layout = self._make_layout(0, len(self.trees))
        return self._layout

    def _tree_range(self, iteration_range):
        start, stop = (0, self.n_rounds) if iteration_range is None else iteration_range
        return start * self.trees_per_round, stop * self.trees_per_round

    def predict_raw(self, X, iteration_range=None, out=None, include_base=True):
        """Raw margins, shape (n_samples, n_outputs), of the rounds in ``iteration_range``."""
        if out is None:
            out = np.zeros((X.shape[0], self.n_outputs))
            if include_base:
                out += self.base_margin
        start, stop = self._tree_range(iteration_range)
        if stop <= start:
            return out
        if self._layout is None and stop - start < len(self.trees):
            # While training, eval sets ask for the newest trees only: lay out just those
            # rather than the whole ensemble every round.
            packed, complete = self._make_layout(start, stop)
            start, stop = 0, stop - start
        else:
            packed, complete = self.layout()
        if _sparse.is_sparse(X):
            # Canonical CSR (the estimators' validation makes it so): walked in place.
            _sparse.predict_packed(X, packed, start, stop, out)
        elif complete is not None:
            predict_complete(X, *complete, packed["outputs"], start, stop, out)
        else:
            predict_packed(X, packed, start, stop, out)
        return out

    def apply(self, X, iteration_range=None):
        """Leaf ids, shape (n_samples, n_trees) for the trees of ``iteration_range``."""
        start, stop = self._tree_range(iteration_range)
        if _sparse.is_sparse(X):
            return _sparse.apply_packed(X, self.layout()[0], start, stop)
        return apply_packed(X, self.layout()[0], start, stop)

    def add_trees(self, X, indices, scales, out):
        """Add trees ``indices`` (times ``scales``, on top of their weights) to the raw
        margins ``out``."""
        if len(indices) == 0:
            return
        trees = [_scaled(self.trees[i], s * (1.0 if self.tree_weights is None
                                             else self.tree_weights[i]))
                 for i, s in zip(indices, scales, strict=True)]
        packed = pack_trees(trees, self.output_of(np.asarray(indices)))
        (_sparse.predict_packed if _sparse.is_sparse(X) else predict_packed)(
            X, packed, 0, len(trees), out)

    def to_dict(self):
        out = {"base_margin": self.base_margin.tolist(),
               "num_parallel_tree": self.num_parallel_tree,
               "trees": [tree.to_dict() for tree in self.trees]}
        if self.tree_weights is not None:
            out["tree_weights"] = self.tree_weights.tolist()
        return out

    @classmethod
    def from_dict(cls, data):
        booster = cls(data["base_margin"], data.get("num_parallel_tree", 1))
        booster.append([Tree.from_dict(t) for t in data["trees"]], data.get("tree_weights"))
        return booster


def _scaled(tree, factor):
    """``tree`` with its node values times ``factor`` (the other arrays shared)."""
    out = object.__new__(Tree)
    out.__dict__.update(tree.__dict__)
    out.value = tree.value * factor
    return out


def _dart_drop(n_trees, weights, dart, rng):
    """Indices of the trees a dart round drops, as XGBoost draws them: each tree with
    probability ``rate_drop`` (``"uniform"``) or ``rate_drop * n_trees * weight / sum of
    weights`` (``"weighted"``); with ``one_drop`` at least one; none at all with
    probability ``skip_drop``."""
    if n_trees == 0 or (dart.rate_drop == 0.0 and not dart.one_drop
                        and dart.skip_drop == 0.0):
        return np.empty(0, dtype=np.int64)  # no dropout: no draws, gbtree's model exactly
    if dart.skip_drop > 0.0 and rng.random() < dart.skip_drop:
        return np.empty(0, dtype=np.int64)
    if dart.sample_type == "weighted":
        p = dart.rate_drop * n_trees * weights / weights.sum()
    else:
        p = np.full(n_trees, dart.rate_drop)
    drop = np.flatnonzero(rng.random(n_trees) < p)
    if dart.one_drop and drop.size == 0:
        if dart.sample_type == "weighted":
            drop = np.array([rng.choice(n_trees, p=weights / weights.sum())])
        else:
            drop = np.array([rng.integers(n_trees)])
    return drop.astype(np.int64)


def _dart_normalize(weights, drop, n_new, dart, learning_rate):
    """Rescale the dropped trees and weigh the new ones (XGBoost's normalization):
    ``"tree"``: dropped trees times ``k / (k + eta)``, new trees ``1 / (k + eta)``;
    ``"forest"``: both ``1 / (1 + eta)``; nothing dropped: new trees 1. Returns the new
    weights and the factor applied to the dropped trees."""
    k = drop.size
    if k == 0:
        return np.concatenate([weights, np.ones(n_new)]), 1.0
    if dart.normalize_type == "forest":
        factor = 1.0 / (1.0 + learning_rate)
        new = factor
    else:
        factor = k / (k + learning_rate)
        new = 1.0 / (k + learning_rate)
    weights = weights.copy()
    weights[drop] *= factor
    return np.concatenate([weights, np.full(n_new, new)]), factor


def _refresh_leaves(tree, leaves, rows, residual, weight, alpha, learning_rate):
    """Set each leaf to the (weighted, when ``weight`` is not None) ``alpha``-quantile of
    its rows' residuals.

    Objectives with zero or constant hessians (absolute and quantile error) get poor Newton
    leaf values; the quantile of the residuals is the leaf value that minimizes their loss.
    """
    for leaf, start, stop in leaves.tolist():
        if stop > start:
            idx = rows[start:stop]
            tree.value[leaf, 0] = learning_rate * weighted_quantile(
                residual[idx], None if weight is None else weight[idx], alpha)


def _gradients(objective, y, raw, sample_weight, out=None):
    """``objective.gradient`` as (n, K) C arrays (``out``, a pair of them, when given), on
    blocks of rows in parallel for large data: the built-in objectives are row-wise and
    release the GIL, so the result is the same as in one call."""
    n, K = raw.shape
    grad, hess = (np.empty((n, K)), np.empty((n, K))) if out is None else out
    if (isinstance(objective, CallableObjective) or not objective.rowwise
            or current_threads() < 2 or n < 2 * _GRADIENT_BLOCK_ROWS):
        objective.gradient_into(y, raw, sample_weight, grad, hess)
        return grad, hess

    def block(a, b):
        w = None if sample_weight is None else sample_weight[a:b]
        objective.gradient_into(y[a:b], raw[a:b], w, grad[a:b], hess[a:b])

    run_parallel(block, n, min_items=_GRADIENT_BLOCK_ROWS)
    return grad, hess


def _grow_round(grower, grad, hess, rows, tree_mask, seeds):
    """The trees of one round, one per output: ``[(tree, rows, leaves), ...]``.

    Below ``TEAM_ROUND_ROWS`` rows the trees of a multiclass round are grown side by side,
    each whole on one thread (unless the round is too small to share, see
    ``_ROUND_MIN_WORK``); otherwise one after the other, each by all threads. Side by
    side, the trees the threads cannot share evenly (5 classes on 2 threads: the fifth)
    are grown after the others, each by all threads, rather than one thread growing one
    more tree while the others wait.
    """
    K = grad.shape[1]
    n_threads = current_threads()
    if (K > 1 and _ROUND_MIN_WORK <= rows.size * K and rows.size < TEAM_ROUND_ROWS
            and n_threads > 1):
        out = [None] * K

        def grow_outputs(k0, k1):
            with threads(1):  # each tree whole on this thread
                for k in range(k0, k1):
                    out[k] = grower.grow(grad, hess, k, rows, tree_mask, seeds[k],
                                         workspace=k)

        side_by_side = K - K % n_threads if K > n_threads else K
        run_parallel(grow_outputs, side_by_side)
        for k in range(side_by_side, K):
            out[k] = grower.grow(grad, hess, k, rows, tree_mask, seeds[k])
        return out
    return [grower.grow(grad, hess, k, rows, tree_mask, seeds[k]) for k in range(K)]


@dataclass
class EvalSet:
    """One evaluation data set, its running raw margins and name (``base_margin``: its
    rows' own starting margins, shape (n, n_outputs), or None for the booster's)."""

    name: str
    X: np.ndarray
    y: np.ndarray
    sample_weight: np.ndarray | None
    raw: np.ndarray = None
    base_margin: np.ndarray | None = None
    # Query groups of a ranking eval set (see ensembles.boosting.ranking), else None.
    group_ptr: np.ndarray | None = None

    def evaluate(self, metric, pred):
        """``metric`` of ``pred`` on this set (ranking metrics also get the groups)."""
        if getattr(metric, "needs_groups", False):
            return metric(self.y, pred, self.sample_weight, group_ptr=self.group_ptr)
        return metric(self.y, pred, self.sample_weight)


def _add_tree(X, X_binned, n_bins, tree, scale, out, col):
    """Add ``tree``'s values (times ``scale``) to ``out[:, col]`` for the training rows:
    routed on their codes, or, for sparse codes, on the raw CSR rows (the same routes:
    code ``<= b`` is ``x <= edges[f, b]``)."""
    if isinstance(X_binned, SparseCodes):
        _sparse.predict_raw(X, tree.feature, tree.threshold, tree.default_left, tree.left,
                            tree.right, scale * tree.value, _ONE_TREE,
                            np.array([col], dtype=np.int64), 0, 1, out)
    else:
        predict_binned_tree(X_binned, n_bins, tree, scale, out, col)


_ONE_TREE = np.zeros(1, dtype=np.int64)


def _add_tree_rows(X, X_binned, n_bins, tree, out, col, rows):
    """:func:`_add_tree` for the training rows ``rows`` only (the same additions: the
    rows' values are routed into zeros, then added). On the calling thread: the rows a
    subsample leaves out are few, and work for the thread pool would send a standing
    team's members away between two trees (see ``grower._team_work``)."""
    values = np.zeros((rows.size, 1))
    sparse = isinstance(X_binned, SparseCodes)
    with threads(1):
        _add_tree(X[rows] if sparse else None, X_binned if sparse else X_binned[rows],
                  n_bins, tree, 1.0, values, 0)
    out[rows, col] += values[:, 0]


def _start_margins(booster, X, base_margin):
    """Raw margins of the booster's trees so far, from ``base_margin`` (n, n_outputs) when
    given, else from the booster's own starting margin."""
    if base_margin is None:
        if booster.trees:
            return booster.predict_raw(X)
        return np.tile(booster.base_margin, (X.shape[0], 1))
    out = np.array(base_margin, dtype=np.float64)
    return booster.predict_raw(X, out=out) if booster.trees else out


def train(model, booster, X, X_binned, bin_mapper, y, sample_weight, objective, params,
          random_state, evals=(), metrics=(), callbacks=(), base_margin=None):
    """Grow ``params.n_estimators`` rounds of trees into ``booster``.

    Parameters
    ----------
    model : object
        Passed to the callbacks: the staging copy of the estimator that the fit publishes
        when it succeeds (see ``ensembles._fitstate``).
    booster : Booster
        Holds the starting margin; may already hold trees (training continues from them).
    X : ndarray (n_samples, n_features) or canonical CSR matrix
        Raw training features (needed only to predict existing trees).
    X_binned : ndarray of uint8 or uint16, or SparseCodes
        ``bin_mapper.transform(X)``, or for a sparse ``X`` possibly
        :func:`~ensembles._engine.sparse_grower.sparse_codes` (no dense code matrix).
    y, sample_weight : ndarray
        Encoded target and weights (weights may be None).
    objective : Objective
    params : BoostingParams
    random_state : numpy.random.Generator
    evals : sequence of EvalSet
    metrics : sequence of Metric
    callbacks : sequence of TrainingCallback
    base_margin : ndarray of shape (n_samples, n_outputs), optional
        Per-row starting margins of the training rows (XGBoost's ``base_margin``), in place
        of the booster's ``base_margin``.

    Returns
    -------
    evals_log : dict
    """
    n_samples, n_features = X_binned.shape
    K = booster.n_outputs
    rng = random_state
    raw = _start_margins(booster, X, base_margin)
    for ev in evals:
        ev.raw = _start_margins(booster, ev.X, ev.base_margin)
    refresh = objective.refresh_quantile
    P = params.num_parallel_tree
    # XGBoost grows the parallel trees of a round with learning_rate / num_parallel_tree,
    # so that the round as a whole moves by learning_rate.
    growth = replace(params.growth, learning_rate=params.growth.learning_rate / P)
    if isinstance(X_binned, SparseCodes):
        grower = SparseTreeGrower(X_binned, bin_mapper.edges_, bin_mapper.n_bins_, growth)
    else:
        grower = TreeGrower(X_binned, bin_mapper.edges_, bin_mapper.n_bins_, growth,
                            getattr(bin_mapper, "categorical_", None))
    all_features = np.ones(n_features, dtype=np.bool_)
    evals_log = {ev.name: {m.name: [] for m in metrics} for ev in evals}
    dart = params.dart
    if dart is not None:
        if booster.tree_weights is None:
            booster.set_tree_weights(np.ones(len(booster.trees)))
        # The dropout draws from its own stream (spawning leaves rng's unmoved): without
        # dropout, the rows and columns sampled are gbtree's.
        drop_rng = spawn_generator(rng)
    for cb in callbacks:
        cb.before_training(model)
    # Kept from round to round: the growers read them and keep no reference.
    gradient_buffers = (np.empty(raw.shape), np.empty(raw.shape))
    every_row = np.arange(n_samples, dtype=np.int32)
    try:
        for _ in range(params.n_estimators):
            iteration = booster.n_rounds
            raw_grad = raw
            if dart is not None:
                # Gradients at the margins without the dropped trees.
                drop = _dart_drop(len(booster.trees), booster.tree_weights, dart, drop_rng)
                dropped = np.zeros_like(raw)
                for i in drop:
                    _add_tree(X, X_binned, bin_mapper.n_bins_, booster.trees[i],
                              booster.tree_weights[i], dropped, booster.output_of(i))
                raw_grad = raw - dropped if drop.size else raw
            grad, hess = _gradients(objective, y, raw_grad, sample_weight, gradient_buffers)
            if refresh is not None:
                # Residuals at the start of the round: the parallel trees of an output all
                # refresh against them.
                residuals = [y - objective.transform(raw_grad[:, k:k + 1]).reshape(-1)
                             for k in range(K)]
            # The new trees' margins go to raw directly, or aside to be weighed (dart).
            target = raw if dart is None else np.zeros_like(raw)
            grown_by_output = [[] for _ in range(K)]
            for _p in range(P):
                if params.subsample < 1.0:
                    in_sample = rng.random(n_samples) < params.subsample
                    rows_all = np.flatnonzero(in_sample).astype(np.int32)
                    left_out = np.flatnonzero(~in_sample)
                else:
                    rows_all = every_row
                    left_out = every_row[:0]
                tree_mask = sample_features(all_features, params.colsample_bytree, rng,
                                            growth.feature_weights)
                seeds = _tree_seeds(rng, K)
                grown = _grow_round(grower, grad, hess, rows_all, tree_mask, seeds)
                for k, (tree, rows, leaves) in enumerate(grown):
                    if refresh is not None:
                        alpha = refresh[k] if np.ndim(refresh) else refresh
                        _refresh_leaves(tree, leaves, rows, residuals[k], sample_weight, alpha,
                                        growth.learning_rate)
                    grower.add_leaf_values(target, k, rows, leaves, tree.value)
                    if left_out.size:
                        # Rows left out of the sample still move with the ensemble.
                        _add_tree_rows(X, X_binned, bin_mapper.n_bins_, tree, target, k,
                                       left_out)
                    grown_by_output[k].append(tree)
            new_trees = [tree for trees in grown_by_output for tree in trees]
            _check_diverged(new_trees, iteration, params.growth.learning_rate)
            if dart is None:
                booster.append(new_trees)
            else:
                weights, factor = _dart_normalize(booster.tree_weights, drop, len(new_trees), dart,
                                                  params.growth.learning_rate)
                raw += weights[-1] * target
                if drop.size:
                    raw -= (1.0 - factor) * dropped
                booster.append(new_trees)
                booster.set_tree_weights(weights)
                for ev in evals:
                    booster.add_trees(ev.X, drop, np.full(drop.size, 1.0 - 1.0 / factor), ev.raw)
            if _end_round(model, booster, iteration, objective, evals, metrics, evals_log,
                          callbacks):
                break
    finally:
        grower.close()  # its threads, if a team stands between trees
    if not np.all(np.isfinite(raw)):
        _diverged(booster.n_rounds - 1, params.growth.learning_rate)
    for cb in callbacks:
        cb.after_training(model)
    return evals_log


def _tree_seeds(rng, n):
    """``rng.integers(0, 2**63, size=n)``, the seeds of a round's trees. From numpy's
    default bit generator, whose words the bounded draw takes whole, the same numbers
    (each word's top 63 bits, for a range of 2**63) and the same state after, drawn a
    word at a time as Python ints: a fraction of the bounded draw's steps."""
    if type(rng.bit_generator) is np.random.PCG64:
        draw = rng.bit_generator.random_raw
        return [draw() >> 1 for _ in range(n)]
    return rng.integers(0, 2**63, size=n)


def _check_diverged(trees, iteration, learning_rate):
    """Refuse a round whose trees' values are not finite: the margins overflowed, and
    every later round would only spread the NaN."""
    if not np.isfinite(np.concatenate([tree.value for tree in trees])).all():
        _diverged(iteration, learning_rate)


def _diverged(iteration, learning_rate):
    raise ValueError(
        f"Training diverged: the margins overflowed by round {iteration}, so the model "
        f"would predict NaN or infinity. Lower learning_rate (now {learning_rate!r}), or "
        f"check base_score, base_margin and the objective's parameters.")


def _end_round(model, booster, iteration, objective, evals, metrics, evals_log, callbacks):
    """After round ``iteration``: move the eval sets' margins, log the metrics, run the
    callbacks. Returns whether a callback stops training."""
    model.n_iterations_ = booster.n_rounds
    for ev in evals:
        booster.predict_raw(ev.X, (iteration, iteration + 1), out=ev.raw)
        pred = objective.eval_transform(ev.raw)
        for m in metrics:
            evals_log[ev.name][m.name].append(float(ev.evaluate(m, pred)))
    stop = False
    for cb in callbacks:
        stop = bool(cb.after_iteration(model, iteration, evals_log)) or stop
    return stop
