"""Evaluation metrics for the boosting loop.

Metrics score *transformed* predictions (values, probabilities of class 1, or class
probability matrices) against the targets, with optional sample weights. Names and formulas
follow XGBoost, so logs and early stopping read the same numbers XGBoost would print for the
same predictions.
"""

from numbers import Real

import numpy as np
from scipy.special import gammaln

from .._threads import weighted_sum

__all__ = ["Metric", "make_metric"]

# Probabilities are floored here before a log, as XGBoost does.
_LOG_EPS = 1e-16

# XGBoost floors gamma-nloglik's predicted mean at this value.
_GAMMA_PRED_FLOOR = 1e-6


class Metric:
    """An evaluation metric: ``metric(y, pred, sample_weight=None) -> float``.

    Parameters
    ----------
    name : str
        Name printed in logs and used as key in ``evals_result``.
    higher_is_better : bool, default=False
        Direction of improvement, used by early stopping.

    Notes
    -----
    Built-in metrics validate their inputs: ``y`` of shape (n,), ``pred`` of shape (n,)
    (regression values or probabilities of class 1) or (n, K) (class probabilities for the
    multiclass metrics), and ``sample_weight`` of shape (n,), non-negative with a positive
    sum.
    """

    # Expected number of dimensions of pred: 1, 2, or None for "either" (auc).
    _pred_ndim = 1

    def __init__(self, name, higher_is_better=False):
        self.name = name
        self.higher_is_better = bool(higher_is_better)

    def __call__(self, y, pred, sample_weight=None):
        y, pred, w = _check_inputs(self.name, y, pred, sample_weight, self._pred_ndim)
        return float(self._evaluate(y, pred, w))

    def _evaluate(self, y, pred, w):
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r})"


def _check_inputs(name, y, pred, sample_weight, pred_ndim):
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    pred = np.asarray(pred, dtype=np.float64)
    if pred.ndim == 2 and pred.shape[1] == 1 and pred_ndim != 2:
        pred = pred[:, 0]
    if pred_ndim is not None and pred.ndim != pred_ndim:
        expected = "(n_samples,)" if pred_ndim == 1 else "(n_samples, n_classes)"
        raise ValueError(
            f"metric {name!r} expects predictions of shape {expected}, got shape {pred.shape}."
        )
    if pred.shape[0] != y.shape[0]:
        raise ValueError(
            f"metric {name!r}: y has {y.shape[0]} samples but pred has {pred.shape[0]}."
        )
    if sample_weight is None:
        return y, pred, None
    w = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
    if w.shape[0] != y.shape[0]:
        raise ValueError(f"sample_weight has {w.shape[0]} entries but y has {y.shape[0]} samples.")
    if np.any(w < 0) or not w.sum() > 0:
        raise ValueError("sample_weight must be non-negative with a positive sum.")
    return y, pred, w


def _mean(values, w):
    return np.average(values, weights=w)


def _class_indices(name, y, n_classes):
    labels = y.astype(np.intp)
    if np.any(labels != y) or np.any(labels < 0) or np.any(labels >= n_classes):
        raise ValueError(f"metric {name!r} expects y to hold class indices 0..{n_classes - 1}.")
    return labels


class _RowMetric(Metric):
    """Weighted mean of a per-row loss, optionally passed through ``final``."""

    def __init__(self, name, row_loss, final=None, pred_ndim=1):
        super().__init__(name)
        self._row_loss = row_loss
        self._final = final
        self._pred_ndim = pred_ndim

    def _evaluate(self, y, pred, w):
        value = _mean(self._row_loss(y, pred), w)
        return value if self._final is None else self._final(value)


def _squared_error(y, p):
    return (y - p) ** 2


def _absolute_error(y, p):
    return np.abs(y - p)


def _absolute_percentage_error(y, p):
    # XGBoost divides by y without a floor, so a zero target makes the metric infinite.
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.abs((y - p) / y)


def _xlogy(x, p):
    # 0 * log(anything) is 0, so a certain wrong prediction only costs where its label has mass.
    return np.where(x == 0, 0.0, x * np.log(np.maximum(p, _LOG_EPS)))


def _logloss(y, p):
    return -(_xlogy(y, p) + _xlogy(1.0 - y, 1.0 - p))


def _poisson_nloglik(y, p):
    p = np.maximum(p, _LOG_EPS)
    return gammaln(y + 1.0) + p - y * np.log(p)


def _gamma_nloglik(y, p):
    # Gamma log-likelihood with unit dispersion; the terms constant in p cancel.
    p = np.maximum(p, _GAMMA_PRED_FLOOR)
    return y / p + np.log(p)


def _tweedie_nloglik(rho):
    if rho == 1.0:
        # Limit of the formula below as rho -> 1, after dropping the diverging term
        # -y / (1 - rho) that does not depend on p: the Poisson loss p - y log p.
        def loss(y, p):
            return p - _xlogy(y, p)

        return loss

    def loss(y, p):
        # The floor keeps a zero prediction from producing 0 * inf.
        p = np.maximum(p, _LOG_EPS)
        return -y * p ** (1.0 - rho) / (1.0 - rho) + p ** (2.0 - rho) / (2.0 - rho)

    return loss


def _pseudo_huber(slope):
    def loss(y, p):
        return slope**2 * (np.hypot(1.0, (p - y) / slope) - 1.0)

    return loss


def _pinball(alpha):
    alphas = np.atleast_1d(np.asarray(alpha, dtype=np.float64))

    def loss(y, p):
        # Several levels: one prediction column each, averaged over the levels (XGBoost's).
        diff = y[:, None] - p.reshape(p.shape[0], -1)
        return np.where(diff >= 0, alphas * diff, (alphas - 1.0) * diff).mean(axis=1)

    return loss


def _error(threshold):
    def loss(y, p):
        # Written for labels in [0, 1] so that soft labels count fractionally, like XGBoost.
        return np.where(p > threshold, 1.0 - y, y)

    return loss


class _MultiLogLoss(Metric):
    _pred_ndim = 2

    def __init__(self):
        super().__init__("mlogloss")

    def _evaluate(self, y, pred, w):
        labels = _class_indices(self.name, y, pred.shape[1])
        prob = pred[np.arange(labels.shape[0]), labels]
        return _mean(-np.log(np.maximum(prob, _LOG_EPS)), w)


class _MultiError(Metric):
    _pred_ndim = 2

    def __init__(self):
        super().__init__("merror")

    def _evaluate(self, y, pred, w):
        labels = _class_indices(self.name, y, pred.shape[1])
        return _mean((np.argmax(pred, axis=1) != labels).astype(np.float64), w)


def _binary_auc(positive, score, w):
    """Weighted ROC AUC; tied scores form one diagonal step of the ROC curve.

    Returns ``nan`` when the positives or negatives have zero total weight.
    """
    # One ROC point per distinct score, visited from the highest score down.
    unique, inverse = np.unique(score, return_inverse=True)
    tp = np.bincount(inverse, weights=w * positive, minlength=unique.size)[::-1]
    fp = np.bincount(inverse, weights=w * (1.0 - positive), minlength=unique.size)[::-1]
    tpr = np.concatenate(([0.0], np.cumsum(tp)))
    fpr = np.concatenate(([0.0], np.cumsum(fp)))
    total = tpr[-1] * fpr[-1]
    if not total > 0:
        return np.nan
    # Trapezoids between consecutive points; ties give a diagonal, which is what averaging
    # over all orderings of the tied samples (sklearn's convention) amounts to.
    area = np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0)
    return min(area / total, 1.0)


class _AUC(Metric):
    _pred_ndim = None

    def __init__(self):
        super().__init__("auc", higher_is_better=True)

    def _evaluate(self, y, pred, w):
        w = np.ones(y.shape[0]) if w is None else w
        if pred.ndim == 1:
            return _binary_auc(y, pred, w)
        if pred.ndim != 2:
            raise ValueError(f"metric 'auc' expects 1-D or 2-D predictions, got {pred.shape}.")
        # Multiclass: one-vs-rest AUC of each class, averaged with weights equal to the
        # class's total sample weight (XGBoost's definition). Classes absent from y are
        # skipped.
        labels = _class_indices(self.name, y, pred.shape[1])
        total, weight_sum = 0.0, 0.0
        for k in range(pred.shape[1]):
            positive = (labels == k).astype(np.float64)
            auc = _binary_auc(positive, pred[:, k], w)
            if not np.isnan(auc):
                prevalence = weighted_sum(w, positive)
                total += auc * prevalence
                weight_sum += prevalence
        return total / weight_sum if weight_sum > 0 else np.nan


def _binary_aucpr(positive, score, w):
    """Weighted area under the precision-recall curve, XGBoost's way: points at every
    distinct score (highest first), precision interpolated between them as the
    true/false-positive counts change linearly (Davis and Goadrich), so tied scores are
    one step. ``nan`` when the positives or negatives have zero total weight."""
    total_pos = weighted_sum(w, positive)
    total_neg = weighted_sum(w, 1.0 - positive)
    if not (total_pos > 0 and total_neg > 0):
        return np.nan
    unique, inverse = np.unique(score, return_inverse=True)
    tp = np.cumsum(np.bincount(inverse, weights=w * positive, minlength=unique.size)[::-1])
    fp = np.cumsum(np.bincount(inverse, weights=w * (1.0 - positive),
                               minlength=unique.size)[::-1])
    tp_prev = np.concatenate(([0.0], tp[:-1]))
    fp_prev = np.concatenate(([0.0], fp[:-1]))
    recall, recall_prev = tp / total_pos, tp_prev / total_pos
    flat = tp == tp_prev
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(flat, 0.0, (fp - fp_prev) / np.where(flat, 1.0, tp - tp_prev))
        a = np.where(flat, 1.0, 1.0 + h)
        b = np.where(flat, 0.0, (fp_prev - h * tp_prev) / total_pos)
        curved = (recall - recall_prev
                  - b / a * (np.log(a * recall + b) - np.log(a * recall_prev + b))) / a
    area = np.where(b != 0.0, curved, (recall - recall_prev) / a)
    return float(np.sum(area))


class _AUCPR(Metric):
    _pred_ndim = None

    def __init__(self):
        super().__init__("aucpr", higher_is_better=True)

    def _evaluate(self, y, pred, w):
        w = np.ones(y.shape[0]) if w is None else w
        if pred.ndim == 1:
            return _binary_aucpr(y, pred, w)
        if pred.ndim != 2:
            raise ValueError(f"metric 'aucpr' expects 1-D or 2-D predictions, got "
                             f"{pred.shape}.")
        # Multiclass: the plain mean of the one-vs-rest areas of the classes present
        # (XGBoost's average for this metric).
        labels = _class_indices(self.name, y, pred.shape[1])
        areas = [_binary_aucpr((labels == k).astype(np.float64), pred[:, k], w)
                 for k in range(pred.shape[1])]
        areas = [a for a in areas if not np.isnan(a)]
        return float(np.mean(areas)) if areas else np.nan


def _squared_log_error(y, p):
    return (np.log1p(p) - np.log1p(y)) ** 2


class _CoxNLogLik(Metric):
    """``cox-nloglik``: negative partial log-likelihood per event, from the hazard ratios
    (predictions), Breslow's ties; unweighted, as in XGBoost."""

    def __init__(self):
        super().__init__("cox-nloglik")

    def _evaluate(self, y, pred, w):
        time = np.abs(y)
        order = np.argsort(time, kind="stable")
        t, e = time[order], pred[order]
        event = y[order] > 0
        if not event.any():
            return np.nan
        risk = np.cumsum(e[::-1])[::-1][np.searchsorted(t, t, side="left")]
        with np.errstate(divide="ignore"):
            loss = -(np.log(e[event]) - np.log(risk[event]))
        return float(loss.sum() / event.sum())


class _SurvivalMetric(Metric):
    """A metric of interval labels: ``y`` of shape (n, 2) holds (lower, upper) bounds
    of the event time, or (n,) observed times; ``pred`` is the predicted time."""

    def __init__(self, name, row_value, higher_is_better=False):
        super().__init__(name, higher_is_better)
        self._row_value = row_value

    def __call__(self, y, pred, sample_weight=None):
        from .objectives import AFTObjective

        lower, upper = AFTObjective.bounds(y)
        _, pred, w = _check_inputs(self.name, lower, pred, sample_weight, 1)
        return float(_mean(self._row_value(np.c_[lower, upper], pred), w))


def _aft_nloglik(distribution, scale):
    from .objectives import AFTObjective

    objective = AFTObjective(distribution, scale)

    def value(bounds, pred):
        with np.errstate(divide="ignore"):
            return objective.loss(bounds, np.log(pred))

    return value


def _interval_accuracy(bounds, pred):
    return ((pred >= bounds[:, 0]) & (pred <= bounds[:, 1])).astype(np.float64)


class _CallableMetric(Metric):
    """A user function ``metric(y_true, y_pred, sample_weight=None) -> float``."""

    def __init__(self, func):
        name = getattr(func, "__name__", type(func).__name__)
        super().__init__(name, getattr(func, "higher_is_better", False) is True)
        self.func = func

    def __call__(self, y, pred, sample_weight=None):
        # Only pass sample_weight when there is one, so two-argument functions work too.
        if sample_weight is None:
            value = self.func(y, pred)
        else:
            value = self.func(y, pred, sample_weight=sample_weight)
        try:
            return float(value)
        except (TypeError, ValueError):
            raise TypeError(
                f"eval_metric {self.name!r} must return a number, got {type(value).__name__}."
            ) from None


_NAMES = (
    "rmse",
    "mae",
    "mape",
    "mphe",
    "logloss",
    "error",
    "error@<threshold>",
    "auc",
    "mlogloss",
    "merror",
    "poisson-nloglik",
    "gamma-nloglik",
    "tweedie-nloglik",
    "tweedie-nloglik@<rho>",
    "quantile",
    "aucpr",
    "rmsle",
    "cox-nloglik",
    "aft-nloglik",
    "interval-regression-accuracy",
    "ndcg[@<k>]",
    "map[@<k>]",
    "pre[@<k>]",
)


def _parse_parameter(spec, text):
    try:
        return float(text)
    except ValueError:
        raise ValueError(
            f"eval_metric {spec!r}: cannot parse {text!r} after '@' as a number."
        ) from None


def parameter_text(value):
    """A metric parameter as its name shows it (``tweedie-nloglik@1.5``): the shortest text
    that reads back as the same number, so that a name parses back to its metric."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _check_tweedie_power(value, what):
    if isinstance(value, bool) or not isinstance(value, Real) or not 1.0 <= value < 2.0:
        raise ValueError(f"{what} must be in [1, 2), got {value!r}.")
    return float(value)


def make_metric(spec, *, quantile_alpha=0.5, tweedie_variance_power=1.5, huber_slope=1.0,
                aft_loss_distribution="normal", aft_loss_distribution_scale=1.0):
    """Build a :class:`Metric` from an XGBoost metric name or a callable.

    Parameters
    ----------
    spec : str, callable or Metric
        A metric name: ``rmse``, ``mae``, ``mape``, ``mphe`` (pseudo-Huber), ``logloss``,
        ``error`` or ``error@t`` (threshold ``t`` on the probability, default 0.5), ``auc``
        (binary, or one-vs-rest weighted by class prevalence for (n, K) predictions),
        ``mlogloss``, ``merror``, ``poisson-nloglik``, ``gamma-nloglik``,
        ``tweedie-nloglik`` or ``tweedie-nloglik@rho``, ``quantile`` (pinball loss,
        averaged over the levels when there are several), ``aucpr`` (area under the
        precision-recall curve, XGBoost's interpolation), ``rmsle`` (root mean squared
        log error), ``cox-nloglik`` (Cox partial likelihood per event), ``aft-nloglik``
        (AFT loss), ``interval-regression-accuracy`` (share of predicted times inside
        their label intervals), ``ndcg``, ``map``, ``pre`` with an optional ``@k``
        (ranking metrics, see :class:`~ensembles.boosting.ranking.RankingMetric`; all rows
        one query unless the eval set has query groups);
        a function ``spec(y_true, y_pred, sample_weight=None) -> float``, named after its
        ``__name__`` and minimised unless it has an attribute ``higher_is_better = True``;
        or a :class:`Metric`, returned unchanged.
    quantile_alpha : float, default=0.5
        Quantile level of ``quantile``, in (0, 1).
    tweedie_variance_power : float, default=1.5
        Power of ``tweedie-nloglik`` when the name carries none, in [1, 2).
    huber_slope : float, default=1.0
        Slope of ``mphe``, > 0.
    aft_loss_distribution, aft_loss_distribution_scale : str, float
        Distribution and scale of ``aft-nloglik``.

    Returns
    -------
    Metric
    """
    if isinstance(spec, Metric):
        return spec
    if not isinstance(spec, str):
        if callable(spec):
            return _CallableMetric(spec)
        raise TypeError(
            f"eval_metric must be a string, a callable or a Metric, got {type(spec).__name__}."
        )

    base, at, param = spec.partition("@")
    if base.rstrip("-") in ("ndcg", "map", "pre"):
        from .ranking import make_ranking_metric

        return make_ranking_metric(spec)
    simple = {
        "rmse": lambda: _RowMetric("rmse", _squared_error, final=np.sqrt),
        "mae": lambda: _RowMetric("mae", _absolute_error),
        "mape": lambda: _RowMetric("mape", _absolute_percentage_error),
        "logloss": lambda: _RowMetric("logloss", _logloss),
        "auc": _AUC,
        "mlogloss": _MultiLogLoss,
        "merror": _MultiError,
        "poisson-nloglik": lambda: _RowMetric("poisson-nloglik", _poisson_nloglik),
        "gamma-nloglik": lambda: _RowMetric("gamma-nloglik", _gamma_nloglik),
        "aucpr": _AUCPR,
        "rmsle": lambda: _RowMetric("rmsle", _squared_log_error, final=np.sqrt),
        "cox-nloglik": _CoxNLogLik,
        "aft-nloglik": lambda: _SurvivalMetric(
            "aft-nloglik", _aft_nloglik(aft_loss_distribution, aft_loss_distribution_scale)),
        "interval-regression-accuracy": lambda: _SurvivalMetric(
            "interval-regression-accuracy", _interval_accuracy, higher_is_better=True),
    }
    if base in simple and not at:
        return simple[base]()
    if base == "error":
        threshold = _parse_parameter(spec, param) if at else 0.5
        name = "error" if threshold == 0.5 else f"error@{parameter_text(threshold)}"
        return _RowMetric(name, _error(threshold))
    if base == "tweedie-nloglik":
        if at:
            rho = _check_tweedie_power(_parse_parameter(spec, param), f"eval_metric {spec!r} rho")
        else:
            rho = _check_tweedie_power(tweedie_variance_power, "tweedie_variance_power")
        return _RowMetric(f"tweedie-nloglik@{parameter_text(rho)}", _tweedie_nloglik(rho))
    if base == "quantile" and not at:
        from .objectives import check_quantile_alpha

        alpha = check_quantile_alpha(quantile_alpha)
        # Several levels: one column each (or one column for a one-level list).
        return _RowMetric("quantile", _pinball(alpha),
                          pred_ndim=None if isinstance(alpha, tuple) else 1)
    if base == "mphe" and not at:
        if (
            isinstance(huber_slope, bool)
            or not isinstance(huber_slope, Real)
            or not (huber_slope > 0 and np.isfinite(huber_slope))
        ):
            raise ValueError(f"huber_slope must be > 0, got {huber_slope!r}.")
        return _RowMetric("mphe", _pseudo_huber(float(huber_slope)))
    raise ValueError(f"eval_metric must be one of {list(_NAMES)} or a callable, got {spec!r}.")
