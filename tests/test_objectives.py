"""Tests for ensembles.boosting.objectives: derivatives, starting margins, links, errors."""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.special import logsumexp

from ensembles.boosting.objectives import (
    CallableObjective,
    Objective,
    make_objective,
    weighted_quantile,
)

N = 40


def _rng(seed=0):
    return np.random.default_rng(seed)


# Per-sample losses, written independently from the module under test: l(y, f) for margin f.
def _pinball(alpha):
    return lambda y, f: np.where(y >= f, alpha * (y - f), (1 - alpha) * (f - y))


def _tweedie(rho):
    if rho == 1.0:
        return lambda y, f: np.exp(f) - y * f
    return lambda y, f: -y * np.exp((1 - rho) * f) / (1 - rho) + np.exp((2 - rho) * f) / (2 - rho)


def _pseudo_huber(slope):
    return lambda y, f: slope**2 * (np.sqrt(1 + ((f - y) / slope) ** 2) - 1)


# name, make_objective kwargs, per-sample loss, target generator, smooth (hess testable)
CASES = [
    ("reg:squarederror", {}, lambda y, f: 0.5 * (f - y) ** 2, "real", True),
    ("reg:absoluteerror", {}, lambda y, f: np.abs(f - y), "real", False),
    ("reg:pseudohubererror", {"huber_slope": 1.0}, _pseudo_huber(1.0), "real", True),
    ("reg:pseudohubererror", {"huber_slope": 2.5}, _pseudo_huber(2.5), "real", True),
    ("reg:quantileerror", {"quantile_alpha": 0.2}, _pinball(0.2), "real", False),
    ("reg:quantileerror", {"quantile_alpha": 0.9}, _pinball(0.9), "real", False),
    ("count:poisson", {"max_delta_step": 0.0}, lambda y, f: np.exp(f) - y * f, "count", True),
    ("reg:gamma", {}, lambda y, f: y * np.exp(-f) + f, "positive", True),
    ("reg:tweedie", {"tweedie_variance_power": 1.0}, _tweedie(1.0), "count", True),
    ("reg:tweedie", {"tweedie_variance_power": 1.5}, _tweedie(1.5), "count", True),
    ("reg:tweedie", {"tweedie_variance_power": 1.9}, _tweedie(1.9), "count", True),
    ("binary:logistic", {}, lambda y, f: np.logaddexp(0, f) - y * f, "binary", True),
]
CASE_IDS = [f"{c[0]}-{c[1]}" for c in CASES]


def _target(kind, rng, n=N):
    if kind == "real":
        return rng.normal(size=n) * 2
    if kind == "count":
        return rng.poisson(2.0, size=n).astype(float)
    if kind == "positive":
        return rng.gamma(2.0, 1.5, size=n)
    return (rng.random(n) < 0.4).astype(float)


def _margins(kind, rng, n=N):
    # Log-link margins near log(E[y]) keep the exponentials well scaled.
    return rng.normal(size=n) + (0.7 if kind in ("count", "positive") else 0.0)


@pytest.mark.parametrize(("name", "kwargs", "loss", "kind", "smooth"), CASES, ids=CASE_IDS)
def test_derivatives_match_finite_differences(name, kwargs, loss, kind, smooth):
    rng = _rng(1)
    y, f = _target(kind, rng), _margins(kind, rng)
    obj = make_objective(name, **kwargs)
    grad, hess = obj.gradient(y, f[:, None], None)
    assert grad.dtype == hess.dtype == np.float64
    assert grad.shape == hess.shape == (N, 1)
    assert grad.flags.c_contiguous and hess.flags.c_contiguous

    h = 1e-4
    fd_grad = (loss(y, f + h) - loss(y, f - h)) / (2 * h)
    if smooth:
        np.testing.assert_allclose(grad[:, 0], fd_grad, rtol=1e-4, atol=1e-5)
        k = 1e-3
        fd_hess = (loss(y, f + k) - 2 * loss(y, f) + loss(y, f - k)) / k**2
        np.testing.assert_allclose(hess[:, 0], fd_hess, rtol=1e-3, atol=1e-5)
    else:
        # Piecewise linear losses: compare away from the kink, hessian is the constant 1.
        away = np.abs(f - y) > 10 * h
        assert away.sum() > N // 2
        np.testing.assert_allclose(grad[away, 0], fd_grad[away], rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(hess, 1.0)


def test_poisson_default_hessian_is_inflated_like_xgboost():
    rng = _rng(2)
    y, f = _target("count", rng), _margins("count", rng)
    exact = make_objective("count:poisson", max_delta_step=0.0).gradient(y, f, None)
    default = make_objective("count:poisson").gradient(y, f, None)
    np.testing.assert_array_equal(default[0], exact[0])
    np.testing.assert_allclose(default[1], exact[1] * np.exp(0.7), rtol=1e-6)


def test_softprob_derivatives():
    rng = _rng(3)
    k = 4
    y = rng.integers(0, k, size=N).astype(float)
    raw = rng.normal(size=(N, k)) * 2
    obj = make_objective("multi:softprob", n_classes=k)
    assert obj.n_outputs(k) == k
    grad, hess = obj.gradient(y, raw, None)
    assert grad.shape == hess.shape == (N, k) and grad.dtype == np.float64

    def loss(r):
        return logsumexp(r, axis=1) - r[np.arange(N), y.astype(int)]

    h = 1e-4
    for j in range(k):
        step = np.zeros(k)
        step[j] = h
        fd_grad = (loss(raw + step) - loss(raw - step)) / (2 * h)
        np.testing.assert_allclose(grad[:, j], fd_grad, rtol=1e-4, atol=1e-6)
        step *= 10
        fd_hess = (loss(raw + step) - 2 * loss(raw) + loss(raw - step)) / (10 * h) ** 2
        # XGBoost's diagonal hessian is twice the exact one.
        np.testing.assert_allclose(hess[:, j], 2 * fd_hess, rtol=1e-3, atol=1e-6)


@pytest.mark.parametrize(("name", "kwargs", "loss", "kind", "smooth"), CASES, ids=CASE_IDS)
def test_sample_weight_multiplies_derivatives(name, kwargs, loss, kind, smooth):
    rng = _rng(4)
    y, f = _target(kind, rng), _margins(kind, rng)
    w = rng.uniform(0.1, 3.0, size=N)
    obj = make_objective(name, **kwargs)
    g1, h1 = obj.gradient(y, f[:, None], None)
    gw, hw = obj.gradient(y, f[:, None], w)
    np.testing.assert_allclose(gw, g1 * w[:, None], rtol=1e-6)
    np.testing.assert_allclose(hw, h1 * w[:, None], rtol=1e-6)


@pytest.mark.parametrize(("name", "kwargs", "loss", "kind", "smooth"),
                         CASES + [("binary:logistic", {"scale_pos_weight": 3.0}, None,
                                   "binary", True)],
                         ids=CASE_IDS + ["binary:logistic-scale_pos_weight"])
@pytest.mark.parametrize("weighted", [False, True])
def test_gradient_into_writes_gradient_values(name, kwargs, loss, kind, smooth, weighted):
    # The booster asks for gradients in place, where some objectives run fused kernels:
    # the values must be gradient()'s, bit for bit (models must not depend on the path).
    rng = _rng(11)
    y, f = _target(kind, rng), _margins(kind, rng)
    f[:3] = [-800.0, 800.0, 0.0]  # saturated probabilities and a tie at zero
    w = rng.uniform(0.1, 3.0, size=N) if weighted else None
    obj = make_objective(name, **kwargs)
    grad, hess = obj.gradient(y, f[:, None], w)
    grad_into = np.full((N, 1), np.nan)
    hess_into = np.full((N, 1), np.nan)
    obj.gradient_into(y, f[:, None], w, grad_into, hess_into)
    np.testing.assert_array_equal(grad_into, grad)
    np.testing.assert_array_equal(hess_into, hess)


@pytest.mark.parametrize(("name", "kwargs", "n_outputs"), [
    ("reg:logistic", {}, 1),
    ("binary:logitraw", {}, 1),
    ("binary:hinge", {}, 1),
    ("reg:squaredlogerror", {}, 1),
    ("multi:softprob", {"n_classes": 3}, 3),
])
def test_gradient_into_writes_gradient_values_other_objectives(name, kwargs, n_outputs):
    # Subclasses inherit their parent's fused kernel (reg:logistic and binary:logitraw
    # that of binary:logistic): their values must still be their own gradient()'s.
    rng = _rng(12)
    y = (rng.integers(0, 3, N) if n_outputs > 1 else (rng.random(N) < 0.4)).astype(float)
    raw = rng.normal(size=(N, n_outputs))
    obj = make_objective(name, **kwargs)
    grad, hess = obj.gradient(y, raw, None)
    grad_into = np.full((N, n_outputs), np.nan)
    hess_into = np.full((N, n_outputs), np.nan)
    obj.gradient_into(y, raw, None, grad_into, hess_into)
    np.testing.assert_array_equal(grad_into, grad)
    np.testing.assert_array_equal(hess_into, hess)


@pytest.mark.parametrize("n_classes", [2, 9, 130])
@pytest.mark.parametrize("weighted", [False, True])
def test_softprob_derivatives_are_numpys_formulas_bit_for_bit(n_classes, weighted):
    # A fused kernel computes them from numpy's exp and row sums: numpy's formulas to the
    # last bit, for row sums of a few terms, of blocks of eight, of halves beyond 128
    # terms (the three class counts); huge weights saturate at float32's range.
    rng = _rng(13)
    n = 300
    y = rng.integers(0, n_classes, n).astype(float)
    raw = rng.normal(size=(n, n_classes)) * 4.0
    raw[:2] = 800.0 * np.sign(raw[:2])  # probabilities of exactly 0 and 1
    w = rng.uniform(0.1, 3.0, size=n) if weighted else np.ones(n)
    w[:3] = 1e300 if weighted else 1.0
    z = np.exp(raw - raw.max(axis=1, keepdims=True))
    p = z / z.sum(axis=1, keepdims=True)
    grad = p.copy()
    grad[np.arange(n), y.astype(int)] -= 1.0
    hess = np.maximum(2.0 * p * (1.0 - p), 1e-16)
    limit = float(np.finfo(np.float32).max)
    grad = np.clip(grad * w[:, None], -limit, limit)
    hess = np.clip(hess * w[:, None], -limit, limit)
    obj = make_objective("multi:softprob", n_classes=n_classes)
    got = obj.gradient(y, raw, w if weighted else None)
    np.testing.assert_array_equal(got[0], grad)
    np.testing.assert_array_equal(got[1], hess)
    grad_into = np.full((n, n_classes), np.nan)
    hess_into = np.full((n, n_classes), np.nan)
    obj.gradient_into(y, raw, w if weighted else None, grad_into, hess_into)
    np.testing.assert_array_equal(grad_into, grad)
    np.testing.assert_array_equal(hess_into, hess)


def test_gradient_into_saturates_at_float32_range():
    obj = make_objective("reg:squarederror")
    y = np.array([0.0, 1e300, -1e300])
    grad = np.empty((3, 1))
    hess = np.empty((3, 1))
    obj.gradient_into(y, np.zeros((3, 1)), None, grad, hess)
    limit = float(np.finfo(np.float32).max)
    np.testing.assert_array_equal(grad[:, 0], [0.0, -limit, limit])
    np.testing.assert_array_equal(hess[:, 0], 1.0)


def test_softprob_sample_weight_multiplies():
    rng = _rng(5)
    y = rng.integers(0, 3, size=N).astype(float)
    raw = rng.normal(size=(N, 3))
    w = rng.uniform(0.1, 3.0, size=N)
    obj = make_objective("multi:softprob", n_classes=3)
    g1, h1 = obj.gradient(y, raw, None)
    gw, hw = obj.gradient(y, raw, w)
    np.testing.assert_allclose(gw, g1 * w[:, None], rtol=1e-6)
    np.testing.assert_allclose(hw, h1 * w[:, None], rtol=1e-6)


SMOOTH_START = [c for c in CASES if c[0] not in ("reg:absoluteerror", "reg:quantileerror")]
SMOOTH_START = [c for c in SMOOTH_START if c[0] != "reg:pseudohubererror"]


@pytest.mark.parametrize(
    ("name", "kwargs", "loss", "kind", "smooth"),
    SMOOTH_START,
    ids=[f"{c[0]}-{c[1]}" for c in SMOOTH_START],
)
@pytest.mark.parametrize("weighted", [False, True])
def test_base_margin_minimises_constant_model(name, kwargs, loss, kind, smooth, weighted):
    rng = _rng(6)
    y = _target(kind, rng, n=200)
    w = rng.uniform(0.2, 5.0, size=y.size) if weighted else None
    obj = make_objective(name, **kwargs)
    start = obj.base_margin(y, w)
    assert start.shape == (1,) and start.dtype == np.float64
    weights = np.ones(y.size) if w is None else w
    best = minimize_scalar(
        lambda c: np.dot(weights, loss(y, c)),
        bounds=(-10, 10),
        method="bounded",
        options={"xatol": 1e-9},
    )
    assert start[0] == pytest.approx(best.x, abs=1e-4)


@pytest.mark.parametrize(
    ("name", "kwargs", "alpha"),
    [
        ("reg:absoluteerror", {}, 0.5),
        ("reg:pseudohubererror", {}, 0.5),
        ("reg:quantileerror", {"quantile_alpha": 0.25}, 0.25),
        ("reg:quantileerror", {"quantile_alpha": 0.8}, 0.8),
    ],
)
def test_quantile_starts_and_refresh_level(name, kwargs, alpha):
    rng = _rng(7)
    y = rng.normal(size=101)
    w = rng.uniform(0.2, 5.0, size=y.size)
    obj = make_objective(name, **kwargs)
    assert obj.base_margin(y, w)[0] == weighted_quantile(y, w, alpha)
    expected_refresh = None if name == "reg:pseudohubererror" else alpha
    assert obj.refresh_quantile == expected_refresh


@pytest.mark.parametrize("alpha", [0.1, 0.5, 0.77])
def test_weighted_quantile_minimises_pinball_loss(alpha):
    rng = _rng(8)
    values = rng.normal(size=57)
    w = rng.uniform(0.0, 2.0, size=values.size)
    q = weighted_quantile(values, w, alpha)
    assert q in values
    loss = _pinball(alpha)
    total = np.array([np.dot(w, loss(values, c)) for c in values])
    assert np.dot(w, loss(values, q)) == pytest.approx(total.min(), rel=1e-12)


def test_weighted_quantile_unit_weights_and_errors():
    assert weighted_quantile([3.0, 1.0, 2.0], None, 0.5) == 2.0
    with pytest.raises(ValueError, match="empty"):
        weighted_quantile([], None, 0.5)
    with pytest.raises(ValueError, match="sample_weight"):
        weighted_quantile([1.0, 2.0], [0.0, 0.0], 0.5)


def test_softprob_base_margin_is_centred_log_prior():
    rng = _rng(9)
    y = rng.integers(0, 3, size=300).astype(float)
    w = rng.uniform(0.2, 5.0, size=y.size)
    start = make_objective("multi:softprob", n_classes=3).base_margin(y, w)
    assert start.shape == (3,)
    assert start.sum() == pytest.approx(0.0, abs=1e-12)
    prior = np.bincount(y.astype(int), weights=w) / w.sum()
    probs = np.exp(start) / np.exp(start).sum()
    np.testing.assert_allclose(probs, prior, rtol=1e-12)


def test_base_margin_is_finite_for_degenerate_targets():
    assert np.isfinite(make_objective("count:poisson").base_margin(np.zeros(5), None)).all()
    assert np.isfinite(make_objective("binary:logistic").base_margin(np.ones(5), None)).all()
    assert np.isfinite(make_objective("binary:logistic").base_margin(np.zeros(5), None)).all()
    start = make_objective("multi:softprob", n_classes=3).base_margin(np.zeros(5), None)
    assert np.isfinite(start).all() and start[0] > start[1]


@pytest.mark.parametrize(
    ("name", "scores"),
    [
        ("reg:squarederror", [-3.0, 0.0, 12.5]),
        ("reg:absoluteerror", [-1.0, 4.0]),
        ("reg:quantileerror", [0.3]),
        ("count:poisson", [0.01, 1.0, 40.0]),
        ("reg:gamma", [0.5, 3.0]),
        ("reg:tweedie", [0.2, 7.0]),
        ("binary:logistic", [1e-6, 0.3, 0.5, 0.999]),
        ("survival:cox", [0.5, 2.0]),
        ("survival:aft", [0.1, 30.0]),
    ],
)
def test_margin_from_score_round_trips(name, scores):
    obj = make_objective(name)
    for score in scores:
        margin = obj.margin_from_score(score)
        assert isinstance(margin, float)
        assert obj.transform(np.array([[margin]]))[0] == pytest.approx(score, rel=1e-12)


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("binary:logistic", 0.0),
        ("binary:logistic", 1.0),
        ("binary:logistic", 1.5),
        ("count:poisson", 0.0),
        ("reg:gamma", -1.0),
        ("reg:tweedie", 0.0),
        ("reg:squarederror", float("nan")),
        ("survival:cox", 0.0),
        ("survival:aft", -2.0),
    ],
)
def test_margin_from_score_rejects_out_of_domain(name, bad):
    with pytest.raises(ValueError, match="base_score"):
        make_objective(name).margin_from_score(bad)


@pytest.mark.parametrize(("name", "meaning"), [
    ("count:poisson", "a log-link objective"), ("reg:gamma", "a log-link objective"),
    ("survival:cox", r"survival:cox \(a hazard ratio\)"),
    ("survival:aft", r"survival:aft \(a time\)"),
])
def test_log_link_objectives_say_what_base_score_is(name, meaning):
    with pytest.raises(ValueError, match=f"base_score must be > 0 for {meaning}, got 0.0"):
        make_objective(name).margin_from_score(0.0)


def test_margin_from_score_rejects_non_numbers():
    with pytest.raises(TypeError, match="base_score"):
        make_objective("reg:squarederror").margin_from_score("0.5")


@pytest.mark.parametrize(
    ("name", "y", "match"),
    [
        ("count:poisson", [1.0, -1.0], "non-negative"),
        ("reg:tweedie", [0.0, -0.5], "non-negative"),
        ("reg:gamma", [1.0, 0.0], "positive"),
        ("binary:logistic", [0.0, 2.0], r"\[0, 1\]"),
        ("binary:logistic", [0.0, -1.0], r"\[0, 1\]"),
        ("reg:squarederror", [1.0, np.nan], "finite"),
        ("reg:absoluteerror", [np.inf, 1.0], "finite"),
    ],
)
def test_validate_target_rejects(name, y, match):
    with pytest.raises(ValueError, match=match):
        make_objective(name).validate_target(np.array(y))


def test_validate_target_accepts_domain():
    make_objective("count:poisson").validate_target(np.array([0.0, 3.0]))
    make_objective("reg:gamma").validate_target(np.array([0.1, 3.0]))
    make_objective("binary:logistic").validate_target(np.array([0.0, 1.0, 0.25]))
    make_objective("multi:softprob", n_classes=3).validate_target(np.array([0.0, 2.0]))


@pytest.mark.parametrize("y", [[0.0, 3.0], [0.0, 1.5], [-1.0, 0.0]])
def test_softprob_validate_target_rejects_bad_classes(y):
    with pytest.raises(ValueError, match="class indices"):
        make_objective("multi:softprob", n_classes=3).validate_target(np.array(y))


@pytest.mark.parametrize(("name", "kwargs", "loss", "kind", "smooth"), CASES, ids=CASE_IDS)
def test_extreme_margins_stay_finite(name, kwargs, loss, kind, smooth):
    rng = _rng(10)
    y = _target(kind, rng, n=6)
    raw = np.array([-1e3, 1e3, -1e3, 1e3, 0.0, 50.0])[:, None]
    obj = make_objective(name, **kwargs)
    grad, hess = obj.gradient(y, raw, np.full(6, 1e3))
    assert np.isfinite(grad).all() and np.isfinite(hess).all()
    assert (hess >= 0).all()
    assert np.isfinite(obj.transform(raw)).all()


def test_extreme_margins_stay_finite_softprob():
    raw = np.array([[-1e3, 0.0, 1e3], [1e3, 1e3, -1e3]])
    obj = make_objective("multi:softprob", n_classes=3)
    grad, hess = obj.gradient(np.array([0.0, 2.0]), raw, None)
    assert np.isfinite(grad).all() and np.isfinite(hess).all() and (hess > 0).all()
    probs = obj.transform(raw)
    assert np.isfinite(probs).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)


def test_transform_links():
    raw = np.array([[-2.0], [0.0], [3.0]])
    np.testing.assert_allclose(make_objective("reg:squarederror").transform(raw), raw[:, 0])
    np.testing.assert_allclose(make_objective("reg:gamma").transform(raw), np.exp(raw[:, 0]))
    np.testing.assert_allclose(
        make_objective("binary:logistic").transform(raw), 1 / (1 + np.exp(-raw[:, 0]))
    )
    raw3 = np.array([[0.0, 1.0, 2.0]])
    expected = np.exp(raw3) / np.exp(raw3).sum()
    np.testing.assert_allclose(
        make_objective("multi:softprob", n_classes=3).transform(raw3), expected
    )


def test_names_and_default_metrics():
    expected = {
        "reg:squarederror": "rmse",
        "reg:absoluteerror": "mae",
        "reg:pseudohubererror": "mphe",
        "reg:quantileerror": "quantile",
        "count:poisson": "poisson-nloglik",
        "reg:gamma": "gamma-nloglik",
        "binary:logistic": "logloss",
        "multi:softprob": "mlogloss",
    }
    for name, metric in expected.items():
        obj = make_objective(name, n_classes=3)
        assert isinstance(obj, Objective)
        assert obj.name == name and obj.default_metric == metric
    tweedie = make_objective("reg:tweedie", tweedie_variance_power=1.2)
    assert tweedie.default_metric == "tweedie-nloglik@1.2"
    assert make_objective("reg:squarederror").n_outputs(5) == 1
    obj = make_objective("reg:gamma")
    assert make_objective(obj) is obj


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"objective": "reg:pseudohubererror", "huber_slope": 0.0}, "huber_slope"),
        ({"objective": "reg:pseudohubererror", "huber_slope": -1.0}, "huber_slope"),
        ({"objective": "reg:quantileerror", "quantile_alpha": 0.0}, "quantile_alpha"),
        ({"objective": "reg:quantileerror", "quantile_alpha": 1.0}, "quantile_alpha"),
        ({"objective": "reg:tweedie", "tweedie_variance_power": 0.99}, "tweedie_variance_power"),
        ({"objective": "reg:tweedie", "tweedie_variance_power": 2.0}, "tweedie_variance_power"),
        ({"objective": "count:poisson", "max_delta_step": -0.1}, "max_delta_step"),
        ({"objective": "multi:softprob", "n_classes": 1}, "n_classes"),
    ],
)
def test_parameter_range_errors(kwargs, param):
    with pytest.raises(ValueError, match=param):
        make_objective(**kwargs)


def test_parameter_type_errors():
    with pytest.raises(TypeError, match="huber_slope"):
        make_objective("reg:pseudohubererror", huber_slope="1")
    with pytest.raises(TypeError, match="objective"):
        make_objective(3)


def test_unknown_objective_lists_names():
    with pytest.raises(ValueError, match="reg:squarederror") as info:
        make_objective("reg:linear")
    assert "multi:softprob" in str(info.value) and "reg:linear" in str(info.value)


# -- callable objectives --------------------------------------------------------------


def _squared(y_true, y_pred):
    return y_pred - y_true, np.ones_like(y_pred)


def test_callable_regression_objective():
    rng = _rng(11)
    y, raw = rng.normal(size=N), rng.normal(size=(N, 1))
    w = rng.uniform(0.5, 2.0, size=N)
    obj = make_objective(_squared)
    assert isinstance(obj, CallableObjective)
    assert obj.name == "_squared" and obj.default_metric == "rmse"
    assert obj.refresh_quantile is None and obj.n_outputs(1) == 1
    grad, hess = obj.gradient(y, raw, w)
    assert grad.dtype == np.float64 and grad.shape == (N, 1) and grad.flags.c_contiguous
    np.testing.assert_allclose(grad[:, 0], (raw[:, 0] - y) * w, rtol=1e-6)
    np.testing.assert_allclose(hess[:, 0], w, rtol=1e-6)
    np.testing.assert_array_equal(obj.base_margin(y, w), [0.0])
    assert obj.margin_from_score(2.5) == 2.5
    np.testing.assert_array_equal(obj.transform(raw), raw[:, 0])


def test_callable_receives_one_dimensional_margins_and_copies():
    seen = {}

    def spy(y_true, y_pred):
        seen["shape"] = y_pred.shape
        y_pred[:] = 1e9  # must not leak into the caller's margins
        return np.zeros_like(y_pred), np.ones_like(y_pred)

    raw = np.zeros((5, 1))
    make_objective(spy).gradient(np.zeros(5), raw, None)
    assert seen["shape"] == (5,)
    assert (raw == 0).all()


def test_callable_binary_classification():
    def logistic(y_true, y_pred):
        p = 1 / (1 + np.exp(-y_pred))
        return p - y_true, p * (1 - p)

    obj = make_objective(logistic, n_classes=2)
    assert obj.n_outputs(2) == 1 and obj.default_metric == "logloss"
    raw = np.array([[-1.0], [0.0], [2.0]])
    np.testing.assert_allclose(obj.transform(raw), 1 / (1 + np.exp(-raw[:, 0])))
    assert obj.transform(np.array([[obj.margin_from_score(0.8)]]))[0] == pytest.approx(0.8)
    with pytest.raises(ValueError, match="base_score"):
        obj.margin_from_score(1.2)


def test_callable_multiclass():
    k = 3

    def softmax_obj(y_true, y_pred):
        assert y_pred.shape == (4, k)
        p = np.exp(y_pred) / np.exp(y_pred).sum(axis=1, keepdims=True)
        onehot = np.eye(k)[y_true.astype(int)]
        return p - onehot, p * (1 - p)

    obj = make_objective(softmax_obj, n_classes=k)
    assert obj.n_outputs(k) == k and obj.default_metric == "mlogloss"
    np.testing.assert_array_equal(obj.base_margin(np.array([0.0, 1, 2, 2]), None), np.zeros(k))
    raw = _rng(12).normal(size=(4, k))
    grad, hess = obj.gradient(np.array([0.0, 1, 2, 2]), raw, None)
    assert grad.shape == (4, k)
    reference = make_objective("multi:softprob", n_classes=k).gradient(
        np.array([0.0, 1, 2, 2]), raw, None
    )
    np.testing.assert_allclose(grad, reference[0], rtol=1e-6)
    np.testing.assert_allclose(obj.transform(raw).sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="class indices"):
        obj.validate_target(np.array([0.0, 3.0]))


@pytest.mark.parametrize(
    ("func", "match"),
    [
        (lambda y, p: (p - y,), "tuple"),
        (lambda y, p: np.stack([p - y, np.ones_like(p)]), "tuple"),
        (lambda y, p: ((p - y)[:-1], np.ones_like(p)), "shape"),
        (lambda y, p: (p - y, np.ones((p.shape[0], 2))), "shape"),
        (lambda y, p: (np.full_like(p, np.nan), np.ones_like(p)), "NaN or inf"),
        (lambda y, p: (p - y, np.full_like(p, np.inf)), "NaN or inf"),
    ],
)
def test_callable_output_validation(func, match):
    obj = make_objective(func)
    with pytest.raises(ValueError, match="objective") as info:
        obj.gradient(np.zeros(4), np.zeros((4, 1)), None)
    assert info.match(match)


def test_callable_accepts_column_vectors():
    obj = make_objective(lambda y, p: ((p - y)[:, None], np.ones((p.size, 1))))
    grad, _ = obj.gradient(np.ones(3), np.zeros((3, 1)), None)
    np.testing.assert_array_equal(grad[:, 0], -1.0)


def test_gradient_rejects_mismatched_margins():
    with pytest.raises(ValueError, match="raw margins"):
        make_objective("reg:squarederror").gradient(np.zeros(4), np.zeros((3, 1)), None)


# -- oracle: the Newton step of one leaf equals XGBoost's -----------------------------


@pytest.mark.parametrize(
    ("name", "kwargs", "xgb_params", "kind"),
    [
        ("reg:squarederror", {}, {}, "real"),
        ("reg:pseudohubererror", {"huber_slope": 1.5}, {"huber_slope": 1.5}, "real"),
        ("count:poisson", {"max_delta_step": 0.0}, {"max_delta_step": 0.0}, "count"),
        ("count:poisson", {}, {}, "count"),
        ("reg:gamma", {}, {}, "positive"),
        ("reg:tweedie", {"tweedie_variance_power": 1.3}, {"tweedie_variance_power": 1.3}, "count"),
        ("binary:logistic", {}, {}, "binary"),
    ],
)
def test_single_leaf_step_matches_xgboost(name, kwargs, xgb_params, kind):
    xgb = pytest.importorskip("xgboost")
    rng = _rng(13)
    y, f = _target(kind, rng), _margins(kind, rng)
    w = rng.uniform(0.5, 2.0, size=N)
    grad, hess = make_objective(name, **kwargs).gradient(y, f[:, None], w)
    expected = -grad.astype(np.float64).sum() / hess.astype(np.float64).sum()
    if name == "count:poisson" and not xgb_params:
        # Unset max_delta_step: XGBoost also clips the leaf at 0.7 (the booster's job).
        expected = np.clip(expected, -0.7, 0.7)
    # A constant feature allows no split, so XGBoost grows a single leaf: -G / H.
    dtrain = xgb.DMatrix(np.zeros((N, 1)), label=y, weight=w, base_margin=f)
    params = {"objective": name, "eta": 1.0, "lambda": 0.0, "max_depth": 1}
    params.update(min_child_weight=0.0, nthread=1, **xgb_params)
    booster = xgb.train(params, dtrain, num_boost_round=1)
    leaf = booster.predict(dtrain, output_margin=True)[0] - f[0]
    assert leaf == pytest.approx(expected, rel=1e-4, abs=1e-5)


def test_softprob_single_leaf_step_matches_xgboost():
    xgb = pytest.importorskip("xgboost")
    rng = _rng(14)
    k = 3
    y = rng.integers(0, k, size=N).astype(float)
    raw = rng.normal(size=(N, k))
    grad, hess = make_objective("multi:softprob", n_classes=k).gradient(y, raw, None)
    expected = -grad.astype(np.float64).sum(axis=0) / hess.astype(np.float64).sum(axis=0)
    dtrain = xgb.DMatrix(np.zeros((N, 1)), label=y, base_margin=raw)
    params = {"objective": "multi:softprob", "num_class": k, "eta": 1.0, "lambda": 0.0}
    params.update(max_depth=1, min_child_weight=0.0, nthread=1)
    booster = xgb.train(params, dtrain, num_boost_round=1)
    out = booster.predict(dtrain, output_margin=True)
    np.testing.assert_allclose(out[0] - raw[0], expected, rtol=1e-4, atol=1e-5)
