"""The boosting loop on arrays: no estimator logic, no input validation.

:class:`Booster` holds the fitted trees and predicts; :func:`train` grows them round by round
from an objective's gradients, evaluates the eval sets and runs the callbacks.
"""

from dataclasses import dataclass, field

import numpy as np

from .._engine.grower import (
    PARALLEL_MIN_ROWS,
    GrowthParams,
    TreeGrower,
    add_leaf_values,
    sample_features,
)
from .._engine.tree import (
    MAX_COMPLETE_DEPTH,
    Tree,
    apply_packed,
    complete_layout,
    pack_trees,
    predict_binned_tree,
    predict_complete,
    predict_packed,
)
from .._threads import current_threads, run_parallel
from .objectives import CallableObjective, weighted_quantile

# Rows per thread below which computing gradients in parallel does not pay.
_GRADIENT_BLOCK_ROWS = 65536


@dataclass
class BoostingParams:
    """Round-level hyper-parameters (tree-level ones live in ``growth``)."""

    n_estimators: int = 100
    subsample: float = 1.0
    colsample_bytree: float = 1.0
    growth: GrowthParams = field(default_factory=GrowthParams)


class Booster:
    """Fitted trees plus the starting margin: everything needed to predict.

    Parameters
    ----------
    base_margin : ndarray of shape (n_outputs,)
        Raw score every prediction starts from.

    Attributes
    ----------
    trees : list of Tree
        ``n_outputs`` trees per round, round-major (tree ``r * n_outputs + k`` of round ``r``
        predicts output ``k``).
    """

    def __init__(self, base_margin):
        self.base_margin = np.asarray(base_margin, dtype=np.float64).reshape(-1)
        self.trees = []
        self._layout = None

    @property
    def n_outputs(self):
        return self.base_margin.size

    @property
    def n_rounds(self):
        return len(self.trees) // self.n_outputs

    def append(self, trees):
        self.trees.extend(trees)
        self._layout = None

    def _make_layout(self, start, stop):
        """Trees ``start:stop`` packed for the kernels, plus their complete-tree layout
        (None when a tree is too deep for it)."""
        trees = self.trees[start:stop]
        packed = pack_trees(trees, [i % self.n_outputs for i in range(start, stop)])
        depth = max((tree.depth for tree in trees), default=0)
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
        return start * self.n_outputs, stop * self.n_outputs

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
        if complete is not None:
            predict_complete(X, *complete, packed["outputs"], start, stop, out)
        else:
            predict_packed(X, packed, start, stop, out)
        return out

    def apply(self, X, iteration_range=None):
        """Leaf ids, shape (n_samples, n_trees) for the trees of ``iteration_range``."""
        start, stop = self._tree_range(iteration_range)
        return apply_packed(X, self.layout()[0], start, stop)

    def to_dict(self):
        return {"base_margin": self.base_margin.tolist(),
                "trees": [tree.to_dict() for tree in self.trees]}

    @classmethod
    def from_dict(cls, data):
        booster = cls(data["base_margin"])
        booster.append([Tree.from_dict(t) for t in data["trees"]])
        return booster


def _refresh_leaves(tree, leaves, rows, residual, weight, alpha, learning_rate):
    """Set each leaf to the weighted ``alpha``-quantile of its rows' residuals.

    Objectives with zero or constant hessians (absolute and quantile error) get poor Newton
    leaf values; the quantile of the residuals is the leaf value that minimizes their loss.
    """
    for leaf, start, stop in leaves.tolist():
        if stop > start:
            idx = rows[start:stop]
            tree.value[leaf, 0] = learning_rate * weighted_quantile(residual[idx], weight[idx],
                                                                    alpha)


def _gradients(objective, y, raw, sample_weight):
    """``objective.gradient`` as (n, K) C arrays, on blocks of rows in parallel for large
    data: the built-in objectives are row-wise and numpy releases the GIL, so the result is
    the same as in one call."""
    n, K = raw.shape
    if (isinstance(objective, CallableObjective) or current_threads() < 2
            or n < 2 * _GRADIENT_BLOCK_ROWS):
        grad, hess = objective.gradient(y, raw, sample_weight)
        return (np.ascontiguousarray(grad, dtype=np.float64).reshape(n, K),
                np.ascontiguousarray(hess, dtype=np.float64).reshape(n, K))
    grad = np.empty((n, K))
    hess = np.empty((n, K))

    def block(a, b):
        w = None if sample_weight is None else sample_weight[a:b]
        g, h = objective.gradient(y[a:b], raw[a:b], w)
        grad[a:b] = np.reshape(g, (b - a, K))
        hess[a:b] = np.reshape(h, (b - a, K))

    run_parallel(block, n, min_items=_GRADIENT_BLOCK_ROWS)
    return grad, hess


def _grow_round(grower, grad, hess, rows, tree_mask, seeds):
    """The trees of one round, one per output: ``[(tree, rows, leaves), ...]``.

    On small data each tree is grown whole on one thread, so the trees of a multiclass round
    are grown side by side instead; on larger data each tree's levels use all threads.
    """
    K = grad.shape[1]
    if K > 1 and rows.size < PARALLEL_MIN_ROWS and current_threads() > 1:
        out = [None] * K

        def grow_outputs(k0, k1):
            for k in range(k0, k1):
                out[k] = grower.grow(grad, hess, k, rows, tree_mask, seeds[k], workspace=k)

        run_parallel(grow_outputs, K)
        return out
    return [grower.grow(grad, hess, k, rows, tree_mask, seeds[k]) for k in range(K)]


@dataclass
class EvalSet:
    """One evaluation data set, its running raw margins and name."""

    name: str
    X: np.ndarray
    y: np.ndarray
    sample_weight: np.ndarray | None
    raw: np.ndarray = None


def train(model, booster, X, X_binned, bin_mapper, y, sample_weight, objective, params,
          random_state, evals=(), metrics=(), callbacks=()):
    """Grow ``params.n_estimators`` rounds of trees into ``booster``.

    Parameters
    ----------
    model : object
        Passed to the callbacks: the staging copy of the estimator that the fit publishes
        when it succeeds (see ``ensembles._fitstate``).
    booster : Booster
        Holds the starting margin; may already hold trees (training continues from them).
    X : ndarray (n_samples, n_features)
        Raw training features (needed only to predict existing trees).
    X_binned : ndarray of uint8
        ``bin_mapper.transform(X)``.
    y, sample_weight : ndarray
        Encoded target and weights (weights may be None).
    objective : Objective
    params : BoostingParams
    random_state : numpy.random.Generator
    evals : sequence of EvalSet
    metrics : sequence of Metric
    callbacks : sequence of TrainingCallback

    Returns
    -------
    evals_log : dict
    """
    n_samples, n_features = X_binned.shape
    K = booster.n_outputs
    rng = random_state
    raw = booster.predict_raw(X) if booster.trees else np.tile(booster.base_margin,
                                                               (n_samples, 1))
    for ev in evals:
        ev.raw = booster.predict_raw(ev.X)
    weight = sample_weight
    if weight is None and objective.refresh_quantile is not None:
        weight = np.ones(n_samples)
    grower = TreeGrower(X_binned, bin_mapper.edges_, bin_mapper.n_bins_, params.growth,
                        getattr(bin_mapper, "categorical_", None))
    all_features = np.ones(n_features, dtype=np.bool_)
    evals_log = {ev.name: {m.name: [] for m in metrics} for ev in evals}
    for cb in callbacks:
        cb.before_training(model)
    for _ in range(params.n_estimators):
        iteration = booster.n_rounds
        grad, hess = _gradients(objective, y, raw, sample_weight)
        if params.subsample < 1.0:
            rows_all = np.flatnonzero(rng.random(n_samples) < params.subsample).astype(np.int32)
        else:
            rows_all = np.arange(n_samples, dtype=np.int32)
        tree_mask = sample_features(all_features, params.colsample_bytree, rng,
                                    params.growth.feature_weights)
        seeds = rng.integers(0, 2**63, size=K)
        new_trees = []
        grown = _grow_round(grower, grad, hess, rows_all, tree_mask, seeds)
        for k, (tree, rows, leaves) in enumerate(grown):
            if objective.refresh_quantile is not None:
                residual = y - objective.transform(raw[:, k:k + 1]).reshape(-1)
                _refresh_leaves(tree, leaves, rows, residual, weight,
                                objective.refresh_quantile, params.growth.learning_rate)
            if rows.size == n_samples:
                add_leaf_values(raw, k, rows, leaves, tree.value)
            else:
                # Rows left out of the sample still move with the ensemble.
                predict_binned_tree(X_binned, bin_mapper.n_bins_, tree, 1.0, raw, k)
            new_trees.append(tree)
        booster.append(new_trees)
        model.n_iterations_ = booster.n_rounds
        for ev in evals:
            booster.predict_raw(ev.X, (iteration, iteration + 1), out=ev.raw)
            pred = objective.transform(ev.raw)
            for m in metrics:
                evals_log[ev.name][m.name].append(float(m(ev.y, pred, ev.sample_weight)))
        stop = False
        for cb in callbacks:
            stop = bool(cb.after_iteration(model, iteration, evals_log)) or stop
        if stop:
            break
    for cb in callbacks:
        cb.after_training(model)
    return evals_log
