"""The linear booster (XGBoost's ``gblinear``): boosting rounds of coordinate descent.

Each round takes the objective's gradients and hessians at the current margins and makes
one pass of (elastic net regularized) Newton coordinate descent: first the bias, then the
features in the order of the feature selector, the gradients updated after every step
(XGBoost's ``coord_descent``; its ``shotgun`` runs the features' steps in parallel without
locks, which here run one after another so that the model does not depend on the threads).
The step of a weight ``w`` with gradient sum ``G`` and hessian sum ``H`` over the rows
(each times the feature value, and its square) is the soft-thresholded Newton step of
``G w + (H + lambda) w^2 / 2 + alpha |w|``, never crossing zero, times the learning rate;
``alpha`` and ``lambda`` are ``reg_alpha`` and ``reg_lambda`` times the sum of the sample
weights, as in XGBoost. A missing value contributes nothing (as 0).

The model keeps each round's change of the weights and bias, so predictions can use any
range of rounds (early stopping, ``staged_predict``) like the tree boosters.
"""

import numpy as np

from .._engine import compiled_only
from .._engine.jit import njit
from .._engine.sparse import is_sparse

LINEAR_UPDATERS = ("shotgun", "coord_descent")
FEATURE_SELECTORS = ("cyclic", "shuffle", "random", "greedy", "thrifty")
# XGBoost's shotgun takes only these selectors.
SHOTGUN_SELECTORS = ("cyclic", "shuffle")
_SELECTOR_CODE = {name: i for i, name in enumerate(FEATURE_SELECTORS)}
# Below this hessian sum a coordinate is left alone (XGBoost's threshold).
_MIN_HESS = 1e-5


class LinearParams:
    """Hyper-parameters of the linear booster's rounds."""

    def __init__(self, learning_rate=0.5, reg_alpha=0.0, reg_lambda=0.0, updater="shotgun",
                 feature_selector="cyclic", top_k=0):
        self.learning_rate = float(learning_rate)
        self.reg_alpha = float(reg_alpha)
        self.reg_lambda = float(reg_lambda)
        self.updater = updater
        self.feature_selector = feature_selector
        self.top_k = int(top_k)


class LinearBooster:
    """A boosted linear model: per-round changes of the weights and bias.

    Parameters
    ----------
    base_margin : ndarray of shape (n_outputs,)
        Raw score every prediction starts from.
    n_features : int

    Attributes
    ----------
    rounds : list of ndarray of shape (n_features + 1, n_outputs)
        Change of the weights (first ``n_features`` rows) and of the bias (last row) made
        by each round.
    """

    kind = "gblinear"

    def __init__(self, base_margin, n_features):
        self.base_margin = np.asarray(base_margin, dtype=np.float64).reshape(-1)
        self.n_features = int(n_features)
        self.rounds = []
        self.trees = []  # no trees: code that walks trees finds none

    @property
    def n_outputs(self):
        return self.base_margin.size

    @property
    def n_rounds(self):
        return len(self.rounds)

    def copy(self):
        out = LinearBooster(self.base_margin, self.n_features)
        out.rounds = list(self.rounds)
        return out

    def coefficients(self, iteration_range=None):
        """Summed weights and bias of the rounds in ``iteration_range``: an array of shape
        (n_features + 1, n_outputs), the bias last."""
        start, stop = (0, self.n_rounds) if iteration_range is None else iteration_range
        total = np.zeros((self.n_features + 1, self.n_outputs))
        for delta in self.rounds[start:stop]:
            total += delta
        return total

    def predict_raw(self, X, iteration_range=None, out=None, include_base=True):
        """Raw margins, shape (n_samples, n_outputs), of the rounds in ``iteration_range``."""
        if out is None:
            out = np.zeros((X.shape[0], self.n_outputs))
            if include_base:
                out += self.base_margin
        coef = self.coefficients(iteration_range)
        out += np.asarray(_dense(X) @ coef[:-1]) + coef[-1]
        return out

    def contributions(self, X, iteration_range=None):
        """Per-feature margin contributions ``w * x`` and the bias (with the base margin)
        last: shape (n_samples, n_outputs, n_features + 1)."""
        coef = self.coefficients(iteration_range)
        Xd = _dense(X)
        out = np.empty((Xd.shape[0], self.n_outputs, self.n_features + 1))
        if is_sparse(Xd):
            # Zero entries contribute zero: only the stored ones are written.
            out[:, :, :-1] = 0.0
            coo = Xd.tocoo()
            out[coo.row, :, coo.col] = coo.data[:, None] * coef[:-1][coo.col]
        else:
            out[:, :, :-1] = Xd[:, None, :] * coef[:-1].T[None, :, :]
        out[:, :, -1] = coef[-1] + self.base_margin
        return out

    def apply(self, X, iteration_range=None):
        raise ValueError("booster='gblinear' has no trees, so no leaf indices (apply, "
                         "pred_leaf); they exist for booster='gbtree' or 'dart'.")

    def to_dict(self):
        return {"base_margin": self.base_margin.tolist(), "n_features": self.n_features,
                "linear_rounds": [delta.tolist() for delta in self.rounds]}

    @classmethod
    def from_dict(cls, data):
        booster = cls(data["base_margin"], data["n_features"])
        booster.rounds = [np.asarray(d, dtype=np.float64) for d in data["linear_rounds"]]
        return booster


def _dense(X):
    """``X`` with missing values as 0 (they contribute nothing to a linear model); a
    sparse ``X`` stays sparse (its stored NaN set to 0)."""
    if is_sparse(X):
        if np.isnan(X.data).any():
            X = X.copy()
            X.data = np.where(np.isnan(X.data), 0.0, X.data)
        return X
    X = np.asarray(X, dtype=np.float64)
    return np.where(np.isnan(X), 0.0, X) if np.isnan(X).any() else X


@compiled_only
def _coordinate_delta(sum_grad, sum_hess, w, alpha, lam):
    if sum_hess < _MIN_HESS:
        return 0.0
    g = sum_grad + lam * w
    h = sum_hess + lam
    if w - g / h >= 0:
        return max(-(g + alpha) / h, -w)
    return min(-(g - alpha) / h, -w)


# ``csc`` is None for dense features (``Xf``), else the (indptr, indices, data) arrays of
# a CSC matrix and ``Xf`` unused: numba prunes the other branch, so neither input
# compiles the other's loops. Zeros add nothing to the sums, so both give the same sums.
@compiled_only
def _feature_sums(Xf, csc, f, grad, hess, k):
    sg = 0.0
    sh = 0.0
    if csc is None:
        for i in range(Xf.shape[0]):
            h = hess[i, k]
            if h < 0.0:
                continue
            v = Xf[i, f]
            sg += grad[i, k] * v
            sh += h * v * v
    else:
        indptr, indices, data = csc
        for j in range(indptr[f], indptr[f + 1]):
            i = indices[j]
            h = hess[i, k]
            if h < 0.0:
                continue
            v = data[j]
            sg += grad[i, k] * v
            sh += h * v * v
    return sg, sh


@compiled_only
def _update_feature(Xf, csc, f, grad, hess, k, weight, lr, alpha, lam):
    sg, sh = _feature_sums(Xf, csc, f, grad, hess, k)
    dw = lr * _coordinate_delta(sg, sh, weight[f, k], alpha, lam)
    if dw == 0.0:
        return
    weight[f, k] += dw
    if csc is None:
        for i in range(Xf.shape[0]):
            h = hess[i, k]
            if h >= 0.0:
                grad[i, k] += h * Xf[i, f] * dw
    else:
        indptr, indices, data = csc
        for j in range(indptr[f], indptr[f + 1]):
            i = indices[j]
            h = hess[i, k]
            if h >= 0.0:
                grad[i, k] += h * data[j] * dw


@njit(cache=True, nogil=True)
def _linear_round(Xf, csc, grad, hess, weight, bias, lr, alpha, lam, selector, order,
                  top_k):
    """One round of coordinate descent on ``weight`` (F, K) and ``bias`` (K,), in place;
    ``grad`` is updated along (it is the caller's scratch copy)."""
    n, K = grad.shape
    F = weight.shape[0]
    for k in range(K):
        sg = 0.0
        sh = 0.0
        for i in range(n):
            if hess[i, k] >= 0.0:
                sg += grad[i, k]
                sh += hess[i, k]
        db = -sg / sh if sh != 0.0 else 0.0
        if not np.isfinite(db):
            db = 0.0
        db *= lr
        bias[k] += db
        if db != 0.0:
            for i in range(n):
                if hess[i, k] >= 0.0:
                    grad[i, k] += hess[i, k] * db
    limit = F if top_k <= 0 else top_k
    if selector == 4:  # thrifty: rank features once by the size of their own step
        ranked = np.empty((K, F), dtype=np.int64)
        for k in range(K):
            size = np.empty(F)
            for f in range(F):
                sg, sh = _feature_sums(Xf, csc, f, grad, hess, k)
                size[f] = -abs(_coordinate_delta(sg, sh, weight[f, k], alpha, lam))
            ranked[k] = np.argsort(size, kind="mergesort")
    for k in range(K):
        for step in range(F):
            if selector <= 2:  # cyclic, shuffle, random: the precomputed order
                f = order[k, step]
            else:
                # greedy and thrifty stop after top_k features, and (as XGBoost's) one
                # short of all of them
                if step >= limit or step + 1 == F:
                    break
                if selector == 4:
                    f = ranked[k, step]
                else:
                    f = 0
                    best = 0.0
                    for c in range(F):
                        sg, sh = _feature_sums(Xf, csc, c, grad, hess, k)
                        d = abs(_coordinate_delta(sg, sh, weight[c, k], alpha, lam))
                        if d > best:
                            best = d
                            f = c
            _update_feature(Xf, csc, f, grad, hess, k, weight, lr, alpha, lam)


def linear_round(Xf, grad, hess, coef, params, sum_weight, rng):
    """One boosting round of the linear booster.

    Parameters
    ----------
    Xf : ndarray (n_samples, n_features), Fortran order, or scipy CSC matrix; missing
        values as 0
    grad, hess : ndarray (n_samples, n_outputs)
        The objective's derivatives (weighted); ``grad`` is consumed.
    coef : ndarray (n_features + 1, n_outputs)
        Current weights and bias (last row); updated in place.
    params : LinearParams
    sum_weight : float
        Sum of the sample weights (scales the penalties, as in XGBoost).
    rng : numpy.random.Generator
        Draws the orders of the shuffle and random selectors.

    Returns
    -------
    ndarray (n_features + 1, n_outputs)
        The round's change of ``coef``.
    """
    F = Xf.shape[1]
    K = grad.shape[1]
    csc = None
    if is_sparse(Xf):
        csc = (Xf.indptr, Xf.indices, Xf.data)
        Xf = np.empty((Xf.shape[0], 0))
    selector = _SELECTOR_CODE[params.feature_selector]
    if selector == 0:
        order = np.tile(np.arange(F, dtype=np.int64), (K, 1))
    elif selector == 1:  # one shuffle per round, shared by the outputs
        order = np.tile(rng.permutation(F).astype(np.int64), (K, 1))
    elif selector == 2:
        order = rng.integers(0, F, size=(K, F)).astype(np.int64)
    else:
        order = np.zeros((K, F), dtype=np.int64)
    before = coef.copy()
    weight = np.ascontiguousarray(coef[:-1])
    bias = coef[-1].copy()
    _linear_round(Xf, csc, grad, np.ascontiguousarray(hess), weight, bias, params.learning_rate,
                  params.reg_alpha * sum_weight, params.reg_lambda * sum_weight, selector,
                  order, params.top_k)
    coef[:-1] = weight
    coef[-1] = bias
    return coef - before


def train_linear(model, booster, X, y, sample_weight, objective, params, n_estimators,
                 random_state, evals=(), metrics=(), callbacks=()):
    """Run ``n_estimators`` rounds of the linear booster into ``booster``.

    The counterpart of :func:`ensembles.boosting.booster.train` for ``gblinear``: same
    arguments (no binning), same evaluation log and callbacks.
    """
    from .booster import _end_round, _gradients

    Xf = _dense(X)
    # Coordinate descent reads one feature of all rows at a time: Fortran order, or CSC.
    Xf = Xf.tocsc() if is_sparse(Xf) else np.asfortranarray(Xf)
    n = Xf.shape[0]
    raw = booster.predict_raw(X)
    for ev in evals:
        ev.raw = booster.predict_raw(ev.X)
    coef = booster.coefficients()
    sum_weight = float(n if sample_weight is None else np.sum(sample_weight))
    evals_log = {ev.name: {m.name: [] for m in metrics} for ev in evals}
    for cb in callbacks:
        cb.before_training(model)
    for _ in range(n_estimators):
        iteration = booster.n_rounds
        grad, hess = _gradients(objective, y, raw, sample_weight)
        delta = linear_round(Xf, grad.copy(), hess, coef, params, sum_weight, random_state)
        booster.rounds.append(delta)
        raw += np.asarray(Xf @ delta[:-1]) + delta[-1]
        if _end_round(model, booster, iteration, objective, evals, metrics, evals_log,
                      callbacks):
            break
    for cb in callbacks:
        cb.after_training(model)
    return evals_log
