"""Training objectives for the gradient boosting loop.

An objective turns the current raw margins into the first and second derivatives of the
loss (``grad``, ``hess``) that the tree grower fits, maps margins to predictions through its
inverse link (:meth:`Objective.transform`) and supplies a data-driven starting margin.
The names and formulas follow XGBoost, so a model configured with the same objective
optimises the same function.

The booster calls :meth:`Objective.gradient_into` once per round on the whole training set.
Most formulas are a handful of vectorised numpy operations; the logistic and softmax
derivatives run fused kernels around numpy's exp, whose temporaries would otherwise cost
more than the arithmetic (a round of a small fit is short).
"""

import math
from numbers import Real

import numpy as np
from scipy.special import erf as _erf

from .._engine import compiled_only
from .._engine.jit import njit
from .._threads import weighted_sum
from .metrics import parameter_text

__all__ = [
    "CallableObjective",
    "Objective",
    "make_objective",
    "weighted_quantile",
]

_F32_MAX = float(np.finfo(np.float32).max)
_NO_WEIGHTS = np.empty(0)

# Margins are clipped to this bound before exponentiation. It is where float32's exp
# overflows, so XGBoost (which computes in float32) has no finite behaviour beyond it
# either; saturating instead of overflowing keeps gradients and predictions finite.
_MAX_EXP_ARG = 88.0

# Lower bound XGBoost puts on logistic and softmax hessians so that no leaf divides by zero.
_HESS_FLOOR = 1e-16

# Means and class frequencies are kept this far from 0 (and 1) before taking a log or logit
# for the starting margin, so a target that is all zeros or all one class gives a large
# but finite margin.
_START_EPS = 1e-6

# XGBoost's default for count:poisson's max_delta_step (see PoissonObjective).
_POISSON_MAX_DELTA_STEP = 0.7


def _exp(x):
    return np.exp(np.clip(x, -_MAX_EXP_ARG, _MAX_EXP_ARG))


@njit(cache=True, nogil=True)
def _sigmoid_from_exp(x, e, out):
    # e = exp(-|x|) never overflows; the two branches are the same function written so that
    # each divides by a number in [1, 2].
    for i in range(x.size):
        numerator = 1.0 if x[i] >= 0.0 else e[i]  # a select, not a branch
        out[i] = numerator / (1.0 + e[i])


def _sigmoid(x):
    # numpy's vectorized exp, then one fused pass: numpy's temporaries for the rest were a
    # tenth of a boosting round's time.
    x = np.ascontiguousarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    _sigmoid_from_exp(x.reshape(-1), e.reshape(-1), e.reshape(-1))
    return e


@njit(cache=True, nogil=True)
def _negative_abs(x, out):
    for i in range(x.size):
        out[i] = -abs(x[i])


@njit(cache=True, nogil=True)
def _logistic_from_exp(y, x, e, hess, floor):
    """The sigmoid of :func:`_sigmoid_from_exp`, then the logistic loss's derivatives, in
    one pass: ``e`` holds ``exp(-|x|)`` on entry and the gradients on exit."""
    for i in range(x.size):
        numerator = 1.0 if x[i] >= 0.0 else e[i]
        p = numerator / (1.0 + e[i])
        hess[i] = max(p * (1.0 - p), floor)
        e[i] = p - y[i]


def _logistic_grad_hess(y, f, grad, hess):
    """The logistic loss's gradients and hessians at margins ``f`` into ``grad`` and
    ``hess``: numpy's vectorized exp in place, then one fused pass (the gradients are
    within [-1, 1])."""
    _negative_abs(f, grad)
    np.exp(grad, out=grad)
    _logistic_from_exp(y, f, grad, hess, _HESS_FLOOR)


@njit(cache=True, nogil=True)
def _minus_row_max(raw, out):
    """``out = raw - raw.max(axis=1, keepdims=True)``."""
    for i in range(raw.shape[0]):
        top = raw[i, 0]
        for k in range(1, raw.shape[1]):
            top = max(top, raw[i, k])
        for k in range(raw.shape[1]):
            out[i, k] = raw[i, k] - top


@njit(cache=True, nogil=True)
def _softmax_from_exp(y, e, totals, hess, weight, floor):
    """The multinomial loss's derivatives in one pass: ``e`` holds ``exp(f - max f)`` row
    by row on entry (``totals``: its rows' sums) and the gradients on exit. With the class
    probabilities ``p = e / total``, the gradient ``p - [y = k]`` and the hessian
    ``max(2 p (1 - p), floor)``, both times the rows' ``weight`` (empty: unit weights),
    then kept within float32's range."""
    weighted = weight.shape[0] > 0
    for i in range(e.shape[0]):
        label = np.int64(y[i])
        for k in range(e.shape[1]):
            p = e[i, k] / totals[i]
            g = p - 1.0 if k == label else p
            h = max(2.0 * p * (1.0 - p), floor)
            if weighted:
                g = min(max(g * weight[i], -_F32_MAX), _F32_MAX)
                h = min(max(h * weight[i], -_F32_MAX), _F32_MAX)
            e[i, k] = g
            hess[i, k] = h


@njit(cache=True, nogil=True)
def _beyond_float32(a):
    """Whether any value of ``a`` lies outside float32's range (one pass, vectorized)."""
    largest = 0.0
    for v in a.flat:
        largest = max(largest, abs(v))
    return largest > _F32_MAX


def _softmax(x):
    z = np.exp(x - x.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def _as_gradient(a):
    # float64, not XGBoost's float32: a row of weight k must give exactly the histogram
    # sums of k copies of the row (scikit-learn's sample-weight equivalence), which float32
    # rounding of g * w breaks. Values saturate at float32's range to stay far from inf.
    a = np.ascontiguousarray(a, dtype=np.float64)
    if _beyond_float32(a.reshape(-1)):  # rare: skip the copy
        a = np.clip(a, -_F32_MAX, _F32_MAX)
    return a


def _weights(sample_weight, n):
    if sample_weight is None:
        return np.ones(n)
    return np.asarray(sample_weight, dtype=np.float64).reshape(-1)


def _weighted_mean(y, sample_weight):
    w = _weights(sample_weight, y.shape[0])
    total = w.sum()
    if not total > 0:
        raise ValueError(f"sample_weight must have a positive sum, got {total!r}.")
    return weighted_sum(w, y) / total


def weighted_quantile(values, sample_weight, alpha):
    """Return the weighted ``alpha``-quantile of ``values``, as XGBoost computes it.

    With weights, the result is the smallest value ``v`` whose cumulative weight reaches
    ``alpha * sum(weights)`` (the inverted empirical CDF). That value minimises the
    weighted pinball loss at ``alpha`` -- for ``alpha=0.5`` the weighted absolute error --
    so it is the optimal constant for ``reg:absoluteerror`` and ``reg:quantileerror``.
    Without weights (``sample_weight=None``), XGBoost interpolates between the two order
    statistics around position ``alpha * (n + 1)`` (Hyndman and Fan's definition 6, numpy's
    ``method="weibull"``), which lies between the same two minimisers; so does this
    function, so that leaf values and base scores match XGBoost's on unweighted data.

    Parameters
    ----------
    values : array-like of shape (n,)
        Values to summarise.
    sample_weight : array-like of shape (n,) or None
        Non-negative weights; ``None``: no weights (the interpolated quantile).
    alpha : float
        Quantile level in (0, 1).

    Returns
    -------
    float
        The weighted quantile.
    """
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if values.size == 0:
        raise ValueError("values must not be empty to compute a quantile.")
    if sample_weight is None:
        return float(np.quantile(values, alpha, method="weibull"))
    w = _weights(sample_weight, values.size)
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(w[order])
    if not cumulative[-1] > 0:
        raise ValueError(f"sample_weight must have a positive sum, got {cumulative[-1]!r}.")
    index = np.searchsorted(cumulative, alpha * cumulative[-1], side="left")
    return float(values[order[min(index, values.size - 1)]])


def _check_real(name, value, low=None, high=None, low_open=True, high_open=True):
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}.")
    value = float(value)
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if not np.isfinite(value) or too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise ValueError(f"{name} must be in {left}{lo}, {hi}{right}, got {value!r}.")
    return value


class Objective:
    """Base class of the boosting objectives.

    Subclasses for single-output objectives implement the loss on 1-D margins through
    ``_grad_hess``, ``_inverse_link``, ``_link``, ``_start`` and ``_check_target``; this
    class handles shapes, weights and dtypes so that every objective honours the same
    contract.

    Attributes
    ----------
    name : str
        XGBoost's name of the objective, e.g. ``"reg:squarederror"``.
    default_metric : str
        Name of the evaluation metric used when the user gives none.
    refresh_quantile : float or None
        When not ``None``, the booster replaces each new leaf value by the weighted
        ``refresh_quantile``-quantile of the residuals ``y - transform(raw)`` of the rows in
        that leaf, because the Newton step of a piecewise linear loss (hessian 1) is not its
        minimiser. An array holds one level per output (several quantiles at once).
    rowwise : bool
        Whether each row's derivatives depend on that row only (not so for
        ``survival:cox``).
    """

    name = ""
    default_metric = "rmse"
    refresh_quantile = None
    # Whether row i's derivatives depend on row i alone, so that the booster may compute
    # them on blocks of rows in parallel (survival:cox's risk sets span all rows).
    rowwise = True

    def n_outputs(self, n_classes):
        """Number of margins per sample (columns of ``raw``).

        Parameters
        ----------
        n_classes : int
            Number of classes of the target (ignored by single-output objectives).

        Returns
        -------
        int
        """
        return 1

    def validate_target(self, y):
        """Raise ``ValueError`` if ``y`` is outside the objective's domain.

        Parameters
        ----------
        y : ndarray of shape (n,)
            Target values (already encoded class indices for classifiers).
        """
        y = np.asarray(y, dtype=np.float64)
        if not np.all(np.isfinite(y)):
            raise ValueError(f"y must be finite for objective {self.name!r}; it holds NaN or inf.")
        self._check_target(y)

    def base_margin(self, y, sample_weight):
        """Starting margin estimated from the data: the best constant model.

        Parameters
        ----------
        y : ndarray of shape (n,)
            Target values.
        sample_weight : ndarray of shape (n,) or None
            Sample weights.

        Returns
        -------
        ndarray of shape (n_outputs,), float64
        """
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        return np.array([self._start(y, sample_weight)], dtype=np.float64)

    def margin_from_score(self, base_score):
        """Convert a user ``base_score`` given in prediction space to a margin.

        Parameters
        ----------
        base_score : float
            Starting prediction, as XGBoost's ``base_score`` (a probability for
            ``binary:logistic``, a mean for the log-link objectives).

        Returns
        -------
        float
        """
        score = _check_real("base_score", base_score)
        return float(self._link(score))

    def gradient(self, y, raw, sample_weight):
        """First and second derivatives of the loss with respect to the margins.

        Parameters
        ----------
        y : ndarray of shape (n,)
            Target values (class indices for ``multi:softprob``).
        raw : ndarray of shape (n, n_outputs)
            Current raw margins.
        sample_weight : ndarray of shape (n,) or None
            Sample weights; they multiply both derivatives.

        Returns
        -------
        grad, hess : ndarray of shape (n, n_outputs), float64, C-contiguous
        """
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        raw = self._margins(raw, y.shape[0])
        grad, hess = self._grad_hess_2d(y, raw)
        if sample_weight is not None:
            w = _weights(sample_weight, y.shape[0])[:, None]
            grad = grad * w
            hess = hess * w
        return _as_gradient(grad), _as_gradient(hess)

    def gradient_into(self, y, raw, sample_weight, grad, hess):
        """:meth:`gradient` written into ``grad`` and ``hess``, as the booster asks for it
        (on blocks of rows, into buffers it keeps from round to round).

        Parameters
        ----------
        y, raw, sample_weight
            As for :meth:`gradient`.
        grad, hess : ndarray of shape (n, n_outputs), float64, C-contiguous
            Written in place.
        """
        if (sample_weight is None and grad.shape[1] == 1
                and self._grad_hess_into(np.asarray(y, dtype=np.float64).reshape(-1),
                                         self._margins(raw, grad.shape[0])[:, 0],
                                         grad[:, 0], hess[:, 0])):
            return
        g, h = self.gradient(y, raw, sample_weight)
        grad[...] = np.reshape(g, grad.shape)
        hess[...] = np.reshape(h, hess.shape)

    def _grad_hess_into(self, y, f, grad, hess):
        """Write :meth:`gradient`'s values for unweighted rows of one output into ``grad``
        and ``hess`` without temporaries, and return True; objectives without such a
        kernel return False (the general path then runs)."""
        return False

    def transform(self, raw):
        """Map raw margins to predictions through the inverse link.

        Parameters
        ----------
        raw : ndarray of shape (n, n_outputs)
            Raw margins.

        Returns
        -------
        ndarray of shape (n,) (single output) or (n, n_outputs)
        """
        raw = np.asarray(raw, dtype=np.float64)
        return self._inverse_link(raw.reshape(raw.shape[0], -1)[:, 0])

    def eval_transform(self, raw):
        """Predictions that metrics score and that a classifier's ``predict_proba`` builds
        on; :meth:`transform` except where that gives no probability (``binary:logitraw``).

        Parameters
        ----------
        raw : ndarray of shape (n, n_outputs)

        Returns
        -------
        ndarray of shape (n,) or (n, n_outputs)
        """
        return self.transform(raw)

    def end_training(self):
        """Drop what was kept between rounds (nothing, except for ``survival:cox``); the
        fitted estimator keeps its objective to predict."""

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r})"

    # -- helpers for subclasses -------------------------------------------------------

    @staticmethod
    def _margins(raw, n):
        raw = np.asarray(raw, dtype=np.float64)
        if raw.ndim == 1:
            raw = raw[:, None]
        if raw.ndim != 2 or raw.shape[0] != n:
            raise ValueError(
                f"raw margins must have shape (n_samples, n_outputs) with n_samples={n}, "
                f"got shape {raw.shape}."
            )
        return raw

    def _grad_hess_2d(self, y, raw):
        grad, hess = self._grad_hess(y, raw[:, 0])
        return grad[:, None], hess[:, None]

    def _check_target(self, y):
        pass

    @staticmethod
    def _link(score):
        return score

    @staticmethod
    def _inverse_link(raw):
        return raw

    def _start(self, y, sample_weight):
        return _weighted_mean(y, sample_weight)


class SquaredErrorObjective(Objective):
    r"""``reg:squarederror``: :math:`\frac12 (f - y)^2`, grad :math:`f - y`, hess 1."""

    name = "reg:squarederror"
    default_metric = "rmse"

    def _grad_hess(self, y, f):
        return f - y, np.ones_like(f)

    def _grad_hess_into(self, y, f, grad, hess):
        np.subtract(f, y, out=grad)
        hess.fill(1.0)
        if _beyond_float32(grad):
            np.clip(grad, -_F32_MAX, _F32_MAX, out=grad)
        return True


class AbsoluteErrorObjective(Objective):
    r"""``reg:absoluteerror``: :math:`|f - y|`, grad :math:`\mathrm{sign}(f - y)`, hess 1.

    The hessian is a stand-in that makes a leaf's Newton step a weighted mean of signs;
    the booster then refreshes leaves to the weighted median of residuals
    (``refresh_quantile = 0.5``), as XGBoost does.
    """

    name = "reg:absoluteerror"
    default_metric = "mae"
    refresh_quantile = 0.5

    def _grad_hess(self, y, f):
        return np.sign(f - y), np.ones_like(f)

    def _start(self, y, sample_weight):
        return weighted_quantile(y, sample_weight, 0.5)


class PseudoHuberObjective(Objective):
    r"""``reg:pseudohubererror`` with slope :math:`\delta`.

    Loss :math:`\delta^2 (\sqrt{1 + (z/\delta)^2} - 1)` with :math:`z = f - y`; grad
    :math:`z / \sqrt{1 + (z/\delta)^2}`, hess :math:`(1 + (z/\delta)^2)^{-3/2}` (the exact
    second derivative, as XGBoost 3.x uses).
    """

    name = "reg:pseudohubererror"
    default_metric = "mphe"

    def __init__(self, huber_slope=1.0):
        self.huber_slope = _check_real("huber_slope", huber_slope, low=0.0)

    def _grad_hess(self, y, f):
        z = f - y
        # hypot avoids squaring a large residual.
        root = np.hypot(1.0, z / self.huber_slope)
        return z / root, 1.0 / root**3

    def _start(self, y, sample_weight):
        return weighted_quantile(y, sample_weight, 0.5)


class QuantileObjective(Objective):
    r"""``reg:quantileerror``: pinball loss at level :math:`\alpha`, or at several levels.

    Loss :math:`\alpha (y - f)` when :math:`y \ge f`, else :math:`(1 - \alpha)(f - y)`;
    grad :math:`1 - \alpha` when :math:`f \ge y`, else :math:`-\alpha`; hess 1. Leaves are
    refreshed to the :math:`\alpha`-quantile of the residuals (see
    :func:`weighted_quantile`: weighted, or XGBoost's interpolation without weights).

    With a sequence of levels the model has one output per level (one tree per level and
    round, as XGBoost 2 grows them), each fitted with its own level and started from its
    own weighted quantile of ``y``.
    """

    name = "reg:quantileerror"
    default_metric = "quantile"

    def __init__(self, quantile_alpha=0.5):
        alphas = check_quantile_alpha(quantile_alpha)
        self.quantile_alpha = alphas if isinstance(alphas, tuple) else float(alphas)
        self._alphas = np.atleast_1d(np.asarray(alphas, dtype=np.float64))
        self.refresh_quantile = (self.quantile_alpha if not isinstance(alphas, tuple)
                                 else self._alphas)

    def n_outputs(self, n_classes):
        return self._alphas.size

    def base_margin(self, y, sample_weight):
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        return np.array([weighted_quantile(y, sample_weight, a) for a in self._alphas])

    def _grad_hess_2d(self, y, raw):
        grad = np.where(raw >= y[:, None], 1.0 - self._alphas, -self._alphas)
        return grad, np.ones_like(raw)

    def transform(self, raw):
        raw = np.asarray(raw, dtype=np.float64)
        raw = raw.reshape(raw.shape[0], -1)
        return raw[:, 0].copy() if raw.shape[1] == 1 else raw.copy()


def check_quantile_alpha(quantile_alpha):
    """``quantile_alpha`` as a float in (0, 1), or a tuple of distinct such floats (several
    quantiles at once, one output each in the given order); ValueError or TypeError
    otherwise."""
    if isinstance(quantile_alpha, (list, tuple, np.ndarray)):
        values = np.asarray(quantile_alpha, dtype=object).reshape(-1)
        if values.size == 0:
            raise ValueError("quantile_alpha must hold at least one level, got an empty "
                             "sequence.")
        alphas = tuple(_check_real("quantile_alpha entries", v, low=0.0, high=1.0)
                       for v in values)
        if len(set(alphas)) != len(alphas):
            raise ValueError(f"quantile_alpha levels must be distinct, got {list(alphas)!r}.")
        return alphas
    return _check_real("quantile_alpha", quantile_alpha, low=0.0, high=1.0)


class _ExpLink:
    """The link of the objectives whose prediction is ``exp(margin)``: a ``base_score``
    must be positive (the error calls the objective ``_score_meaning``)."""

    _score_meaning = "a log-link objective"

    @classmethod
    def _link(cls, score):
        if score <= 0:
            raise ValueError(f"base_score must be > 0 for {cls._score_meaning}, got "
                             f"{score!r}.")
        return np.log(score)

    @staticmethod
    def _inverse_link(raw):
        return _exp(raw)


class _LogLinkObjective(_ExpLink, Objective):
    """Shared pieces of the objectives whose prediction is ``exp(margin)``."""

    def _check_target(self, y):
        if np.any(y < 0):
            raise ValueError(f"y must be non-negative for objective {self.name!r}.")

    def _start(self, y, sample_weight):
        # log(mean) is the exact constant minimiser for Poisson, gamma and Tweedie losses.
        return float(np.log(max(_weighted_mean(y, sample_weight), _START_EPS)))


class PoissonObjective(_LogLinkObjective):
    r"""``count:poisson``: loss :math:`e^f - y f`, grad :math:`e^f - y`.

    The hessian is :math:`e^{f + m}` with ``m = max_delta_step``: XGBoost inflates it by
    :math:`e^{0.7}` by default to damp the first, large steps. XGBoost also clips every
    leaf value to 0.7 by default for this objective (tree ``max_delta_step``); that clip is
    the booster's job, not this class's. Passing ``max_delta_step=0`` gives the exact
    hessian :math:`e^f`.
    """

    name = "count:poisson"
    default_metric = "poisson-nloglik"

    def __init__(self, max_delta_step=None):
        if max_delta_step is None:
            max_delta_step = _POISSON_MAX_DELTA_STEP
        self.max_delta_step = _check_real(
            "max_delta_step", max_delta_step, low=0.0, low_open=False
        )

    def _grad_hess(self, y, f):
        mu = _exp(f)
        return mu - y, mu * np.exp(self.max_delta_step)


class GammaObjective(_LogLinkObjective):
    r"""``reg:gamma`` (log link): loss :math:`y e^{-f} + f`, grad :math:`1 - y e^{-f}`,
    hess :math:`y e^{-f}`."""

    name = "reg:gamma"
    default_metric = "gamma-nloglik"

    def _check_target(self, y):
        if np.any(y <= 0):
            raise ValueError(f"y must be strictly positive for objective {self.name!r}.")

    def _grad_hess(self, y, f):
        scaled = y * _exp(-f)
        return 1.0 - scaled, scaled


class TweedieObjective(_LogLinkObjective):
    r"""``reg:tweedie`` with variance power :math:`\rho \in [1, 2)`.

    Loss :math:`-y e^{(1-\rho) f} / (1-\rho) + e^{(2-\rho) f} / (2-\rho)`; grad
    :math:`-y e^{(1-\rho) f} + e^{(2-\rho) f}`, hess
    :math:`-(1-\rho) y e^{(1-\rho) f} + (2-\rho) e^{(2-\rho) f}`.
    """

    name = "reg:tweedie"

    def __init__(self, tweedie_variance_power=1.5):
        self.tweedie_variance_power = _check_real(
            "tweedie_variance_power", tweedie_variance_power, low=1.0, high=2.0, low_open=False
        )
        self.default_metric = f"tweedie-nloglik@{parameter_text(self.tweedie_variance_power)}"

    def _grad_hess(self, y, f):
        rho = self.tweedie_variance_power
        a = y * _exp((1.0 - rho) * f)
        b = _exp((2.0 - rho) * f)
        return b - a, (rho - 1.0) * a + (2.0 - rho) * b


class LogisticObjective(Objective):
    r"""``binary:logistic``: log loss of :math:`p = \sigma(f)`; grad :math:`p - y`,
    hess :math:`\max(p (1 - p), 10^{-16})`.

    Labels may be any value in [0, 1] (soft labels), as in XGBoost. ``scale_pos_weight``
    multiplies the weight of the rows labelled exactly 1 (both derivatives), as XGBoost
    does; the starting margin is the logit of the mean label under those weights, the
    best constant of the weighted loss.
    """

    name = "binary:logistic"
    default_metric = "logloss"

    def __init__(self, scale_pos_weight=1.0):
        self.scale_pos_weight = _check_real("scale_pos_weight", scale_pos_weight, low=0.0)

    def _check_target(self, y):
        if np.any((y < 0) | (y > 1)):
            raise ValueError(f"y must be in [0, 1] for objective {self.name!r}.")

    def _positive_scale(self, y):
        """Per-row factor of scale_pos_weight, or None when it is 1."""
        if self.scale_pos_weight == 1.0:
            return None
        return np.where(y == 1.0, self.scale_pos_weight, 1.0)

    @staticmethod
    def _link(score):
        if not 0 < score < 1:
            raise ValueError(
                f"base_score must be in (0, 1) for a logistic objective, got {score!r}."
            )
        return np.log(score) - np.log1p(-score)

    @staticmethod
    def _inverse_link(raw):
        return _sigmoid(raw)

    def _grad_hess_into(self, y, f, grad, hess):
        if self.scale_pos_weight != 1.0:
            return False
        _logistic_grad_hess(y, f, grad, hess)
        return True

    def _grad_hess(self, y, f):
        f = np.asarray(f, dtype=np.float64)
        grad = np.empty_like(f)
        hess = np.empty_like(f)
        _logistic_grad_hess(y, f, grad, hess)
        scale = self._positive_scale(y)
        if scale is not None:
            grad *= scale
            hess *= scale
        return grad, hess

    def _start(self, y, sample_weight):
        scale = self._positive_scale(y)
        if scale is not None:
            sample_weight = _weights(sample_weight, y.shape[0]) * scale
        p = min(max(_weighted_mean(y, sample_weight), _START_EPS), 1.0 - _START_EPS)
        return float(np.log(p) - np.log1p(-p))


class RegLogisticObjective(LogisticObjective):
    r"""``reg:logistic``: the logistic loss for a target in [0, 1] (a regression of
    probabilities); predictions are :math:`\sigma(f)`, the default metric is ``rmse``."""

    name = "reg:logistic"
    default_metric = "rmse"


class LogitRawObjective(LogisticObjective):
    r"""``binary:logitraw``: trained as ``binary:logistic``, but predictions are the raw
    margins (log-odds) and ``base_score`` is given as a margin.

    Metrics score the probabilities :math:`\sigma(f)` (XGBoost scores the raw margins,
    so its ``logloss`` for this objective is not a log loss).
    """

    name = "binary:logitraw"

    @staticmethod
    def _link(score):
        return score

    @staticmethod
    def _inverse_link(raw):
        return raw.copy()

    def eval_transform(self, raw):
        raw = np.asarray(raw, dtype=np.float64)
        return _sigmoid(raw.reshape(raw.shape[0], -1)[:, 0])


# The smallest positive normal float32: XGBoost's hinge hessian where the loss is flat.
_F32_TINY = float(np.finfo(np.float32).tiny)


class HingeObjective(Objective):
    r"""``binary:hinge``: :math:`\max(0, 1 - s f)` with :math:`s = 2y - 1`.

    grad :math:`-s` and hess 1 where :math:`s f < 1`, else grad 0 and a hessian of the
    smallest normal float32 (XGBoost's); predictions are the labels :math:`[f > 0]`. The
    starting margin is XGBoost's: its Newton step from 0 is :math:`2\bar y - 1`, read as
    a prediction, so 1 when the weighted mean label exceeds 1/2 and 0 otherwise.
    """

    name = "binary:hinge"
    default_metric = "error"

    def _check_target(self, y):
        if np.any((y != 0) & (y != 1)):
            raise ValueError(f"y must hold 0 and 1 for objective {self.name!r}.")

    def _grad_hess(self, y, f):
        s = 2.0 * y - 1.0
        active = s * f < 1.0
        return np.where(active, -s, 0.0), np.where(active, 1.0, _F32_TINY)

    @staticmethod
    def _inverse_link(raw):
        return (raw > 0.0).astype(np.float64)

    def _start(self, y, sample_weight):
        return 1.0 if _weighted_mean(y, sample_weight) > 0.5 else 0.0


class SquaredLogErrorObjective(Objective):
    r"""``reg:squaredlogerror``: :math:`\frac12 (\log(1 + f) - \log(1 + y))^2`.

    grad :math:`(\log(1 + f) - \log(1 + y)) / (1 + f)`, hess
    :math:`\max((1 - \log(1 + f) + \log(1 + y)) / (1 + f)^2, 10^{-6})`, with :math:`f`
    kept above :math:`-1 + 10^{-6}` (XGBoost's guards). The prediction is the margin; the
    start is the best constant, :math:`\exp(\overline{\log(1 + y)}) - 1`. Labels must be
    above -1.
    """

    name = "reg:squaredlogerror"
    default_metric = "rmsle"

    def _check_target(self, y):
        if np.any(y <= -1):
            raise ValueError(f"y must be greater than -1 for objective {self.name!r} "
                             f"(log(1 + y) must exist).")

    def _grad_hess(self, y, f):
        f = np.maximum(f, -1.0 + 1e-6)
        diff = np.log1p(f) - np.log1p(y)
        return diff / (f + 1.0), np.maximum((1.0 - diff) / (f + 1.0) ** 2, 1e-6)

    def _start(self, y, sample_weight):
        return float(np.expm1(_weighted_mean(np.log1p(y), sample_weight)))


def _check_class_labels(y, n_classes, name):
    if np.any(y < 0) or np.any(y != np.round(y)):
        raise ValueError(
            f"y must hold class indices 0..n_classes-1 for objective {name!r}; "
            "it holds negative or non-integer values."
        )
    if n_classes is not None and y.size and y.max() >= n_classes:
        raise ValueError(
            f"y must hold class indices 0..{n_classes - 1} for objective {name!r}, "
            f"found {int(y.max())}."
        )


def _class_priors_margin(y, sample_weight, n_classes):
    w = _weights(sample_weight, y.shape[0])
    counts = np.bincount(y.astype(np.intp), weights=w, minlength=n_classes)
    if not counts.sum() > 0:
        raise ValueError(f"sample_weight must have a positive sum, got {counts.sum()!r}.")
    log_priors = np.log(np.maximum(counts / counts.sum(), _START_EPS))
    # Softmax ignores a common shift; centring keeps the margins symmetric around zero.
    return log_priors - log_priors.mean()


class SoftprobObjective(Objective):
    r"""``multi:softprob``: multinomial log loss of :math:`p = \mathrm{softmax}(f)`.

    One margin per class; grad :math:`p_k - [y = k]`, hess
    :math:`\max(2 p_k (1 - p_k), 10^{-16})` (XGBoost's diagonal bound, twice the exact
    diagonal of the Hessian).
    """

    name = "multi:softprob"
    default_metric = "mlogloss"

    def __init__(self, n_classes=None):
        if n_classes is not None and (
            isinstance(n_classes, bool)
            or not isinstance(n_classes, (int, np.integer))
            or n_classes < 2
        ):
            raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}.")
        self.n_classes = None if n_classes is None else int(n_classes)

    def n_outputs(self, n_classes):
        return int(n_classes)

    def _check_target(self, y):
        _check_class_labels(y, self.n_classes, self.name)

    def base_margin(self, y, sample_weight):
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        n_classes = self.n_classes if self.n_classes is not None else int(y.max()) + 1
        return _class_priors_margin(y, sample_weight, n_classes)

    def gradient(self, y, raw, sample_weight):
        n = np.asarray(y).size
        shape = (n, self._margins(raw, n).shape[1])
        grad, hess = np.empty(shape), np.empty(shape)
        self.gradient_into(y, raw, sample_weight, grad, hess)
        return grad, hess

    def gradient_into(self, y, raw, sample_weight, grad, hess):
        # Four calls whatever the classes, not numpy's dozen temporaries: on small data
        # they were a fifth of a round's time. numpy's vectorized exp and its row sums
        # (its pairwise summation, which a loop would have to copy) run in between.
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        raw = np.ascontiguousarray(self._margins(raw, y.shape[0]))
        _minus_row_max(raw, grad)
        np.exp(grad, out=grad)
        weight = (_NO_WEIGHTS if sample_weight is None
                  else np.ascontiguousarray(_weights(sample_weight, y.shape[0])))
        _softmax_from_exp(y, grad, grad.sum(axis=1), hess, weight, _HESS_FLOOR)

    def transform(self, raw):
        return _softmax(np.asarray(raw, dtype=np.float64))


class SoftmaxObjective(SoftprobObjective):
    """``multi:softmax``: trained as ``multi:softprob``; XGBoost's booster then predicts
    the class index, which a classifier's ``predict`` returns anyway, and
    ``predict_proba`` gives the softmax of the margins (as XGBClassifier's does)."""

    name = "multi:softmax"


class CoxObjective(_ExpLink, Objective):
    r"""``survival:cox``: negative partial log-likelihood of proportional hazards.

    A label :math:`y > 0` is an observed event at time :math:`y`; :math:`y < 0` is a
    time :math:`-y` censored (still alive then). With rows in increasing order of
    :math:`|y|` (stable, so ties keep the row order), hazard ratios
    :math:`e_i = e^{f_i}` and risk sums :math:`R_i = \sum_{|y_j| \ge |y_i|} e_j`
    (Breslow's ties), let :math:`r_i` and :math:`s_i` be the running sums of
    :math:`1 / R_k` and :math:`1 / R_k^2` over the events :math:`k` up to row :math:`i`;
    then grad :math:`e_i r_i - [y_i > 0]` and hess :math:`e_i r_i - e_i^2 s_i`, XGBoost's
    formulas. Sample weights multiply a row's derivatives only (not the risk sums).
    Predictions are hazard ratios :math:`e^f`; shifting every margin by a constant
    changes nothing in the loss, so the starting margin is 0.
    """

    name = "survival:cox"
    default_metric = "cox-nloglik"
    _score_meaning = "survival:cox (a hazard ratio)"
    rowwise = False

    def _check_target(self, y):
        if not np.any(y > 0):
            raise ValueError("survival:cox needs at least one observed event (a positive "
                             "label); negative labels are censored times.")

    _time_order = None

    def _order(self, y):
        """The stable order of |y|, where each row's tie group starts, and the events;
        kept for the next round (the labels do not change during training)."""
        cached = self._time_order
        if cached is None or cached[0].shape != y.shape or not np.array_equal(cached[0], y):
            order = np.argsort(np.abs(y), kind="stable")
            t = np.abs(y)[order]
            cached = (y.copy(), order, np.searchsorted(t, t, side="left"),
                      (y[order] > 0).astype(np.float64))
            self._time_order = cached
        return cached[1:]

    def end_training(self):
        self._time_order = None

    def _grad_hess(self, y, f):
        order, first, event = self._order(y)
        e = _exp(f[order])
        # Risk sum of a row: all rows from the first of its tie group on.
        suffix = np.cumsum(e[::-1])[::-1]
        risk = suffix[first]
        r = np.cumsum(event / risk)
        s = np.cumsum(event / risk**2)
        grad = np.empty_like(f)
        hess = np.empty_like(f)
        grad[order] = e * r - event
        hess[order] = e * r - e * e * s
        return grad, hess

    def _start(self, y, sample_weight):
        return 0.0


AFT_DISTRIBUTIONS = ("normal", "logistic", "extreme")
# XGBoost's bounds on the AFT derivatives and the smallest denominator it divides by.
_AFT_GRAD_BOUND = 15.0
_AFT_HESS_MIN = 1e-16
_AFT_HESS_MAX = 15.0
_AFT_EPS = 1e-12


def _aft_density(distribution, z):
    """pdf, cdf, pdf' and pdf'' of the standard ``distribution`` at ``z``."""
    if distribution == "normal":
        pdf = np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)
        cdf = 0.5 * (1.0 + _erf(z / np.sqrt(2.0)))
        return pdf, cdf, -z * pdf, (z * z - 1.0) * pdf
    with np.errstate(over="ignore", invalid="ignore"):
        w = np.exp(z)
        if distribution == "logistic":
            pdf = np.where(np.isinf(w * w), 0.0, w / (1.0 + w) ** 2)
            cdf = np.where(np.isinf(w), 1.0, w / (1.0 + w))
            d1 = np.where(np.isinf(w), 0.0, pdf * (1.0 - w) / (1.0 + w))
            d2 = np.where(np.isinf(w * w), 0.0, pdf * (w * w - 4.0 * w + 1.0) / (1.0 + w) ** 2)
            return pdf, cdf, d1, d2
        # extreme: the minimum-extreme-value (Gumbel) law of log T.
        pdf = np.where(np.isinf(w), 0.0, w * np.exp(-w))
        cdf = -np.expm1(-w)
        d1 = np.where(np.isinf(w), 0.0, (1.0 - w) * pdf)
        d2 = np.where(np.isinf(w * w), 0.0, (w * w - 3.0 * w + 1.0) * pdf)
        return pdf, cdf, d1, d2


# Values XGBoost substitutes when a derivative's denominator underflows (the margin far
# out), as (constant, multiple of 1 / sigma) for the gradient and (constant, multiple of
# 1 / sigma^2) for the hessian, indexed [distribution, censoring, side]: distributions
# normal, logistic, extreme; censoring uncensored, right, left, interval; side 0 when
# z > 0 (an interval: either end's z), else 1.
_AFT_GRAD_LIMITS = np.array([
    [[(-15, 0), (15, 0)], [(-15, 0), (0, 0)], [(0, 0), (15, 0)], [(-15, 0), (15, 0)]],
    [[(0, -1), (0, 1)], [(0, -1), (0, 0)], [(0, 0), (0, 1)], [(0, -1), (0, 1)]],
    [[(-15, 0), (0, 1)], [(-15, 0), (0, 0)], [(0, 0), (0, 1)], [(-15, 0), (0, 1)]],
], dtype=np.float64)
_AFT_HESS_LIMITS = np.array([
    [[(0, 1), (0, 1)], [(0, 1), (1e-16, 0)], [(1e-16, 0), (0, 1)], [(0, 1), (0, 1)]],
    [[(1e-16, 0), (1e-16, 0)]] * 4,
    [[(15, 0), (1e-16, 0)], [(15, 0), (1e-16, 0)], [(1e-16, 0), (1e-16, 0)],
     [(15, 0), (1e-16, 0)]],
], dtype=np.float64)
_SQRT_2PI = float(np.sqrt(2.0 * np.pi))
_SQRT_2 = float(np.sqrt(2.0))


@compiled_only
def _aft_law(dist, z):
    """pdf, cdf, pdf' and pdf'' of the standard law ``dist`` (0 normal, 1 logistic,
    2 extreme) at ``z``, with XGBoost's values where exp(z) overflows."""
    if dist == 0:
        pdf = math.exp(-0.5 * z * z) / _SQRT_2PI
        return pdf, 0.5 * (1.0 + math.erf(z / _SQRT_2)), -z * pdf, (z * z - 1.0) * pdf
    w = math.exp(z)
    huge = math.isinf(w) or math.isinf(w * w)
    if dist == 1:
        pdf = 0.0 if huge else w / ((1.0 + w) * (1.0 + w))
        cdf = 1.0 if math.isinf(w) else w / (1.0 + w)
        d1 = 0.0 if math.isinf(w) else pdf * (1.0 - w) / (1.0 + w)
        d2 = 0.0 if huge else pdf * (w * w - 4.0 * w + 1.0) / ((1.0 + w) * (1.0 + w))
        return pdf, cdf, d1, d2
    # extreme: the minimum extreme value (Gumbel) law of log T
    pdf = 0.0 if math.isinf(w) else w * math.exp(-w)
    cdf = -math.expm1(-w)
    d1 = 0.0 if math.isinf(w) else (1.0 - w) * pdf
    d2 = 0.0 if huge else (w * w - 3.0 * w + 1.0) * pdf
    return pdf, cdf, d1, d2


@njit(cache=True, nogil=True)
def _aft_grad_hess(lower, upper, f, sigma, dist, grad_limits, hess_limits, grad, hess):
    """AFT derivatives of every row into ``grad`` and ``hess`` (XGBoost's formulas,
    bounds and limits)."""
    for i in range(f.size):
        lo, up = lower[i], upper[i]
        if lo == up:
            censor = 0
            z = (math.log(lo) - f[i]) / sigma
            pdf, cdf, d1, d2 = _aft_law(dist, z)
            g_num, g_den = d1, sigma * pdf
            h_num = -(pdf * d2 - d1 * d1)
            h_den = sigma * sigma * pdf * pdf
            positive = z > 0.0
        else:
            censor = 3
            z_u = 0.0
            z_l = 0.0
            pdf_u, cdf_u, d1_u = 0.0, 1.0, 0.0
            pdf_l, cdf_l, d1_l = 0.0, 0.0, 0.0
            if math.isinf(up):
                censor = 1
            else:
                z_u = (math.log(up) - f[i]) / sigma
                pdf_u, cdf_u, d1_u, _ = _aft_law(dist, z_u)
            if lo <= 0.0:
                censor = 2
            else:
                z_l = (math.log(lo) - f[i]) / sigma
                pdf_l, cdf_l, d1_l, _ = _aft_law(dist, z_l)
            cdf_diff = cdf_u - cdf_l
            pdf_diff = pdf_u - pdf_l
            g_num, g_den = pdf_diff, sigma * cdf_diff
            h_num = -(cdf_diff * (d1_u - d1_l) - pdf_diff * pdf_diff)
            h_den = g_den * g_den
            positive = z_u > 0.0 or z_l > 0.0
        side = 0 if positive else 1
        g = g_num / g_den if g_den != 0.0 else math.copysign(math.inf, g_num) \
            if g_num != 0.0 else math.nan
        if g_den < _AFT_EPS and not math.isfinite(g):
            g = grad_limits[dist, censor, side, 0] + grad_limits[dist, censor, side, 1] / sigma
        h = h_num / h_den if h_den != 0.0 else math.copysign(math.inf, h_num) \
            if h_num != 0.0 else math.nan
        if h_den < _AFT_EPS and not math.isfinite(h):
            h = (hess_limits[dist, censor, side, 0]
                 + hess_limits[dist, censor, side, 1] / (sigma * sigma))
        grad[i] = min(max(g, -_AFT_GRAD_BOUND), _AFT_GRAD_BOUND)
        hess[i] = min(max(h, _AFT_HESS_MIN), _AFT_HESS_MAX)


class AFTObjective(_ExpLink, Objective):
    r"""``survival:aft``: accelerated failure time, :math:`\log T = f + \sigma Z`.

    Each label is an interval :math:`[l, u]` of the event time: :math:`l = u`
    observed, :math:`u = \infty` right-censored, :math:`l = 0` left-censored; the
    targets are passed as an array of shape (n, 2). The loss is
    :math:`-\log(\mathrm{pdf}(z) / (\sigma y))` for an observed time
    (:math:`z = (\log y - f) / \sigma`) and :math:`-\log(F(z_u) - F(z_l))` for an
    interval, with :math:`Z` standard ``normal``, ``logistic`` or ``extreme`` (minimum
    Gumbel) and :math:`\sigma` = ``aft_loss_distribution_scale``. Derivatives, their
    bounds (:math:`|g| \le 15`, :math:`10^{-16} \le h \le 15`) and their limits where
    the probability underflows are XGBoost's. Predictions are times :math:`e^f`.
    """

    name = "survival:aft"
    default_metric = "aft-nloglik"
    _score_meaning = "survival:aft (a time)"

    def __init__(self, aft_loss_distribution="normal", aft_loss_distribution_scale=1.0):
        if aft_loss_distribution not in AFT_DISTRIBUTIONS:
            raise ValueError(f"aft_loss_distribution must be one of {AFT_DISTRIBUTIONS}, got "
                             f"{aft_loss_distribution!r}.")
        self.distribution = aft_loss_distribution
        self.sigma = _check_real("aft_loss_distribution_scale", aft_loss_distribution_scale,
                                 low=0.0)
        # The derivatives divide by the scale's square, which must be a normal float.
        square = self.sigma * self.sigma
        if not (0.0 < square < math.inf and 1.0 / square < math.inf):
            raise ValueError(f"aft_loss_distribution_scale must be between about 1e-154 and "
                             f"1e154 (its square a finite, nonzero float), got "
                             f"{aft_loss_distribution_scale!r}.")

    @staticmethod
    def bounds(y):
        """(lower, upper) of targets given as (n, 2) bounds or as (n,) observed times."""
        y = np.asarray(y, dtype=np.float64)
        if y.ndim == 2:
            return y[:, 0], y[:, 1]
        y = y.reshape(-1)
        return y, y

    def validate_target(self, y):
        lower, upper = self.bounds(y)
        if np.any(np.isnan(lower) | np.isnan(upper)) or np.any(np.isinf(lower)):
            raise ValueError("survival:aft lower bounds must be finite and the upper bounds "
                             "not NaN (+inf marks a right-censored time).")
        if np.any(lower < 0) or np.any(upper < lower) or np.any(upper <= 0):
            raise ValueError("survival:aft needs 0 <= y_lower_bound <= y_upper_bound and "
                             "y_upper_bound > 0 for every row.")

    def loss(self, y, f):
        """Per-row AFT loss at margins ``f`` (shape (n,))."""
        lower, upper = self.bounds(y)
        sigma = self.sigma
        with np.errstate(divide="ignore", invalid="ignore"):
            log_l, log_u = np.log(lower), np.log(upper)
            uncensored = lower == upper
            z = (log_l - f) / sigma
            pdf = _aft_density(self.distribution, z)[0]
            cost_u = -np.log(np.maximum(pdf / (sigma * lower), _AFT_EPS))
            cdf_u = np.where(np.isinf(upper), 1.0,
                             _aft_density(self.distribution, (log_u - f) / sigma)[1])
            cdf_l = np.where(lower <= 0, 0.0, _aft_density(self.distribution, z)[1])
            cost_c = -np.log(np.maximum(cdf_u - cdf_l, _AFT_EPS))
        return np.where(uncensored, cost_u, cost_c)

    def gradient(self, y, raw, sample_weight):
        lower, upper = self.bounds(y)
        f = self._margins(raw, lower.shape[0])[:, 0]
        grad, hess = self._grad_hess_bounds(lower, upper, f)
        if sample_weight is not None:
            w = _weights(sample_weight, f.shape[0])
            grad, hess = grad * w, hess * w
        return _as_gradient(grad[:, None]), _as_gradient(hess[:, None])

    def _grad_hess_bounds(self, lower, upper, f):
        grad = np.empty(f.shape[0])
        hess = np.empty(f.shape[0])
        _aft_grad_hess(np.ascontiguousarray(lower, dtype=np.float64),
                       np.ascontiguousarray(upper, dtype=np.float64),
                       np.ascontiguousarray(f, dtype=np.float64), self.sigma,
                       AFT_DISTRIBUTIONS.index(self.distribution), _AFT_GRAD_LIMITS,
                       _AFT_HESS_LIMITS, grad, hess)
        return grad, hess

    def base_margin(self, y, sample_weight):
        # The best constant margin: Newton steps on the total loss from the mean log of a
        # representative time per row (the observed time, or a finite end of its interval).
        lower, upper = self.bounds(y)
        w = _weights(sample_weight, lower.shape[0])
        anchor = np.where(np.isinf(upper), lower, np.where(lower <= 0, upper,
                                                           np.sqrt(lower * upper)))
        anchor = np.maximum(anchor, np.finfo(np.float64).tiny)
        f = weighted_sum(w, np.log(anchor)) / w.sum()
        for _ in range(50):
            g, h = self._grad_hess_bounds(lower, upper, np.full(lower.shape[0], f))
            step = float(np.clip(-weighted_sum(w, g) / weighted_sum(w, h), -1.0, 1.0))
            f += step
            if abs(step) < 1e-10:
                break
        return np.array([f])


class CallableObjective(Objective):
    """A user function ``objective(y_true, y_pred) -> (grad, hess)``.

    ``y_pred`` holds the raw margins, shape ``(n,)`` for one output and ``(n, K)`` for
    multiclass; the returned arrays must have that shape (``(n, 1)`` is accepted for one
    output) and be finite. Sample weights are multiplied in afterwards, so the function
    returns unweighted derivatives. As in XGBoost's scikit-learn wrapper, a classification
    objective (``n_classes`` given) predicts with the sigmoid (binary) or softmax
    (multiclass); a regression objective predicts the margin itself.

    Parameters
    ----------
    func : callable
        The user objective.
    n_classes : int or None, default=None
        Number of classes when used by a classifier, ``None`` for regression.
    """

    def __init__(self, func, n_classes=None):
        if n_classes is not None and (
            isinstance(n_classes, bool)
            or not isinstance(n_classes, (int, np.integer))
            or n_classes < 2
        ):
            raise ValueError(f"n_classes must be an integer >= 2 or None, got {n_classes!r}.")
        self.func = func
        self.n_classes = None if n_classes is None else int(n_classes)
        self.name = getattr(func, "__name__", type(func).__name__)
        if self.n_classes is None:
            self.default_metric = "rmse"
        elif self.n_classes == 2:
            self.default_metric = "logloss"
        else:
            self.default_metric = "mlogloss"

    @property
    def _multiclass(self):
        return self.n_classes is not None and self.n_classes > 2

    def n_outputs(self, n_classes):
        if self.n_classes is None:
            return 1
        return int(n_classes) if n_classes > 2 else 1

    def _check_target(self, y):
        if self.n_classes is not None:
            _check_class_labels(y, self.n_classes, self.name)

    def base_margin(self, y, sample_weight):
        return np.zeros(self.n_classes if self._multiclass else 1)

    def margin_from_score(self, base_score):
        score = _check_real("base_score", base_score)
        if self.n_classes == 2:
            return float(LogisticObjective._link(score))
        return score

    def _grad_hess_2d(self, y, raw):
        n, k = raw.shape
        # Copies, so that a function which writes into its inputs cannot corrupt ours.
        y_pred = raw[:, 0].copy() if k == 1 else raw.copy()
        result = self.func(y.copy(), y_pred)
        if not isinstance(result, tuple) or len(result) != 2:
            raise ValueError(
                f"objective must return a tuple (grad, hess), got {type(result).__name__}."
            )
        expected = (n,) if k == 1 else (n, k)
        out = []
        for label, values in zip(("grad", "hess"), result, strict=True):
            values = np.asarray(values, dtype=np.float64)
            if values.shape not in (expected, (n, k)):
                raise ValueError(
                    f"objective returned {label} of shape {values.shape}; expected "
                    f"{expected} to match y_pred."
                )
            if not np.all(np.isfinite(values)):
                raise ValueError(f"objective returned {label} with NaN or inf values.")
            out.append(values.reshape(n, k))
        return out[0], out[1]

    def transform(self, raw):
        raw = np.asarray(raw, dtype=np.float64)
        if self._multiclass:
            return _softmax(raw)
        raw = raw.reshape(raw.shape[0], -1)[:, 0]
        return _sigmoid(raw) if self.n_classes == 2 else raw


_NAMED = {
    "reg:squarederror": lambda p: SquaredErrorObjective(),
    "reg:absoluteerror": lambda p: AbsoluteErrorObjective(),
    "reg:pseudohubererror": lambda p: PseudoHuberObjective(p["huber_slope"]),
    "reg:quantileerror": lambda p: QuantileObjective(p["quantile_alpha"]),
    "reg:squaredlogerror": lambda p: SquaredLogErrorObjective(),
    "reg:logistic": lambda p: RegLogisticObjective(p["scale_pos_weight"]),
    "count:poisson": lambda p: PoissonObjective(p["max_delta_step"]),
    "reg:gamma": lambda p: GammaObjective(),
    "reg:tweedie": lambda p: TweedieObjective(p["tweedie_variance_power"]),
    "survival:cox": lambda p: CoxObjective(),
    "survival:aft": lambda p: AFTObjective(p["aft_loss_distribution"],
                                           p["aft_loss_distribution_scale"]),
    "binary:logistic": lambda p: LogisticObjective(p["scale_pos_weight"]),
    "binary:logitraw": lambda p: LogitRawObjective(p["scale_pos_weight"]),
    "binary:hinge": lambda p: HingeObjective(),
    "multi:softprob": lambda p: SoftprobObjective(p["n_classes"]),
    "multi:softmax": lambda p: SoftmaxObjective(p["n_classes"]),
}

# Objectives whose loss reads scale_pos_weight (XGBoost's logistic family).
SCALE_POS_WEIGHT_OBJECTIVES = ("binary:logistic", "binary:logitraw", "reg:logistic")


def make_objective(
    objective,
    *,
    huber_slope=1.0,
    quantile_alpha=0.5,
    tweedie_variance_power=1.5,
    n_classes=None,
    max_delta_step=None,
    scale_pos_weight=1.0,
    aft_loss_distribution="normal",
    aft_loss_distribution_scale=1.0,
):
    """Build an :class:`Objective` from an XGBoost name or a callable.

    Parameters
    ----------
    objective : str, callable or Objective
        One of ``reg:squarederror``, ``reg:absoluteerror``, ``reg:pseudohubererror``,
        ``reg:quantileerror``, ``reg:squaredlogerror``, ``reg:logistic``,
        ``count:poisson``, ``reg:gamma``, ``reg:tweedie``, ``survival:cox``,
        ``survival:aft``, ``binary:logistic``, ``binary:logitraw``, ``binary:hinge``,
        ``multi:softprob``, ``multi:softmax``; a function
        ``objective(y_true, y_pred) -> (grad, hess)`` (see :class:`CallableObjective`); or
        an :class:`Objective`, returned unchanged.
    huber_slope : float, default=1.0
        Slope of ``reg:pseudohubererror``, > 0.
    quantile_alpha : float or sequence of float, default=0.5
        Quantile level(s) of ``reg:quantileerror``, in (0, 1); several give one output
        per level.
    tweedie_variance_power : float, default=1.5
        Variance power of ``reg:tweedie``, in [1, 2).
    n_classes : int or None, default=None
        Number of classes for ``multi:softprob`` and for callables used by a classifier.
    max_delta_step : float or None, default=None
        Hessian inflation of ``count:poisson`` (``None`` means XGBoost's default 0.7);
        ignored by the other objectives.
    scale_pos_weight : float, default=1.0
        Weight factor of the positive rows of the logistic objectives.
    aft_loss_distribution : {"normal", "logistic", "extreme"}, default="normal"
        Noise distribution of ``survival:aft``.
    aft_loss_distribution_scale : float, default=1.0
        Scale (sigma) of that distribution, > 0.

    Returns
    -------
    Objective
    """
    if isinstance(objective, Objective):
        return objective
    params = {
        "huber_slope": huber_slope,
        "quantile_alpha": quantile_alpha,
        "tweedie_variance_power": tweedie_variance_power,
        "n_classes": n_classes,
        "max_delta_step": max_delta_step,
        "scale_pos_weight": scale_pos_weight,
        "aft_loss_distribution": aft_loss_distribution,
        "aft_loss_distribution_scale": aft_loss_distribution_scale,
    }
    if isinstance(objective, str):
        if objective not in _NAMED:
            raise ValueError(
                f"objective must be one of {sorted(_NAMED)} or a callable, got {objective!r}."
            )
        return _NAMED[objective](params)
    if callable(objective):
        return CallableObjective(objective, n_classes=n_classes)
    raise TypeError(
        f"objective must be a string, a callable or an Objective, got {type(objective).__name__}."
    )
