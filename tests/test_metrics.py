"""Tests for ensembles.boosting.metrics against scikit-learn, scipy and direct formulas."""

import numpy as np
import pytest
from scipy import stats
from sklearn import metrics as skm

from ensembles.boosting.metrics import Metric, make_metric

N = 60


@pytest.fixture(params=[False, True], ids=["unweighted", "weighted"])
def weights(request):
    if not request.param:
        return None
    return np.random.default_rng(100).uniform(0.1, 4.0, size=N)


def _regression(seed=0):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=N) * 3 + 1
    return y, y + rng.normal(size=N)


def _binary(seed=1):
    rng = np.random.default_rng(seed)
    y = (rng.random(N) < 0.45).astype(float)
    p = np.clip(0.3 * y + 0.7 * rng.random(N), 0.01, 0.99)
    return y, p


def _multiclass(seed=2, k=4):
    rng = np.random.default_rng(seed)
    y = np.arange(N) % k  # every class present
    logits = rng.normal(size=(N, k)) + 1.5 * np.eye(k)[y]
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y.astype(float), proba


def test_rmse(weights):
    y, p = _regression()
    expected = np.sqrt(skm.mean_squared_error(y, p, sample_weight=weights))
    assert make_metric("rmse")(y, p, weights) == pytest.approx(expected, rel=1e-12)


def test_mae(weights):
    y, p = _regression()
    expected = skm.mean_absolute_error(y, p, sample_weight=weights)
    assert make_metric("mae")(y, p, weights) == pytest.approx(expected, rel=1e-12)


def test_mape(weights):
    y, p = _regression()
    y = np.where(np.abs(y) < 0.5, 2.0, y)  # sklearn floors |y| at eps; keep away from 0
    expected = skm.mean_absolute_percentage_error(y, p, sample_weight=weights)
    assert make_metric("mape")(y, p, weights) == pytest.approx(expected, rel=1e-12)


def test_mape_zero_target_is_infinite():
    assert make_metric("mape")(np.array([0.0, 1.0]), np.array([1.0, 1.0])) == np.inf


def test_logloss(weights):
    y, p = _binary()
    expected = skm.log_loss(y, p, sample_weight=weights)
    assert make_metric("logloss")(y, p, weights) == pytest.approx(expected, rel=1e-12)


def test_logloss_clips_certain_mistakes():
    value = make_metric("logloss")(np.array([1.0, 0.0]), np.array([0.0, 0.0]))
    assert value == pytest.approx(-np.log(1e-16) / 2)


@pytest.mark.parametrize(("spec", "threshold"), [("error", 0.5), ("error@0.7", 0.7)])
def test_error(weights, spec, threshold):
    y, p = _binary()
    expected = 1 - skm.accuracy_score(y, p > threshold, sample_weight=weights)
    assert make_metric(spec)(y, p, weights) == pytest.approx(expected, rel=1e-12)


def test_error_threshold_is_strict():
    # XGBoost predicts class 1 only when pred > threshold.
    assert make_metric("error")(np.array([1.0]), np.array([0.5])) == 1.0
    assert make_metric("error@0.2")(np.array([0.0]), np.array([0.2])) == 0.0


def test_auc(weights):
    y, p = _binary()
    p = np.round(p, 1)  # plenty of ties across both classes
    assert len(np.unique(p)) < N // 3
    expected = skm.roc_auc_score(y, p, sample_weight=weights)
    metric = make_metric("auc")
    assert metric.higher_is_better
    assert metric(y, p, weights) == pytest.approx(expected, rel=1e-12)


def test_auc_all_tied_is_half():
    assert make_metric("auc")(np.array([0.0, 1, 0, 1]), np.full(4, 0.3)) == pytest.approx(0.5)


def test_auc_single_class_is_nan():
    assert np.isnan(make_metric("auc")(np.ones(5), np.linspace(0, 1, 5)))


def test_auc_multiclass_is_prevalence_weighted_ovr(weights):
    y, proba = _multiclass()
    # Coarse probabilities create ties; the last column keeps the rows summing to 1.
    proba[:, :-1] = np.round(proba[:, :-1], 1)
    proba[:, -1] = 1 - proba[:, :-1].sum(axis=1)
    expected = skm.roc_auc_score(
        y, proba, multi_class="ovr", average="weighted", sample_weight=weights
    )
    assert make_metric("auc")(y, proba, weights) == pytest.approx(expected, rel=1e-12)


def test_mlogloss(weights):
    y, proba = _multiclass()
    expected = skm.log_loss(y, proba, sample_weight=weights, labels=[0, 1, 2, 3])
    assert make_metric("mlogloss")(y, proba, weights) == pytest.approx(expected, rel=1e-12)


def test_merror(weights):
    y, proba = _multiclass()
    expected = 1 - skm.accuracy_score(y, proba.argmax(axis=1), sample_weight=weights)
    value = make_metric("merror")(y, proba, weights)
    assert 0 < value < 1
    assert value == pytest.approx(expected, rel=1e-12)


def _counts(seed=3):
    rng = np.random.default_rng(seed)
    mu = rng.uniform(0.2, 5.0, size=N)
    return rng.poisson(mu).astype(float), mu * rng.uniform(0.7, 1.3, size=N)


def test_poisson_nloglik(weights):
    y, mu = _counts()
    expected = -np.average(stats.poisson.logpmf(y, mu), weights=weights)
    assert make_metric("poisson-nloglik")(y, mu, weights) == pytest.approx(expected, rel=1e-10)


def test_gamma_nloglik(weights):
    rng = np.random.default_rng(4)
    mu = rng.uniform(0.5, 4.0, size=N)
    y = rng.gamma(2.0, mu / 2.0)
    # XGBoost fixes the dispersion at 1: a gamma with shape 1 (exponential) and mean mu.
    expected = -np.average(stats.gamma.logpdf(y, a=1.0, scale=mu), weights=weights)
    direct = np.average(y / mu + np.log(mu), weights=weights)
    value = make_metric("gamma-nloglik")(y, mu, weights)
    assert value == pytest.approx(expected, rel=1e-10)
    assert value == pytest.approx(direct, rel=1e-12)


@pytest.mark.parametrize(
    ("spec", "kwargs", "rho", "name"),
    [
        ("tweedie-nloglik", {}, 1.5, "tweedie-nloglik@1.5"),
        ("tweedie-nloglik", {"tweedie_variance_power": 1.3}, 1.3, "tweedie-nloglik@1.3"),
        ("tweedie-nloglik@1.2", {"tweedie_variance_power": 1.7}, 1.2, "tweedie-nloglik@1.2"),
        # Named with every digit: a name rounded to "@2" read back as a power out of range.
        ("tweedie-nloglik", {"tweedie_variance_power": 1.999999}, 1.999999,
         "tweedie-nloglik@1.999999"),
    ],
)
def test_tweedie_nloglik(weights, spec, kwargs, rho, name):
    y, mu = _counts()
    metric = make_metric(spec, **kwargs)
    assert metric.name == name and not metric.higher_is_better
    row = -y * mu ** (1 - rho) / (1 - rho) + mu ** (2 - rho) / (2 - rho)
    expected = np.average(row, weights=weights)
    assert metric(y, mu, weights) == pytest.approx(expected, rel=1e-12)


def test_a_tweedie_power_near_two_fits_with_its_default_metric():
    from ensembles import GradientBoostingRegressor

    y, _ = _counts()
    X = np.arange(len(y), dtype=np.float64).reshape(-1, 1)
    model = GradientBoostingRegressor(n_estimators=2, objective="reg:tweedie",
                                      tweedie_variance_power=1.999999)
    model.fit(X, y, eval_set=[(X, y)])
    assert list(model.evals_result_["validation_0"]) == ["tweedie-nloglik@1.999999"]


def test_tweedie_power_one_is_poisson_up_to_a_constant():
    y, mu = _counts()
    tweedie = make_metric("tweedie-nloglik@1")
    poisson = make_metric("poisson-nloglik")
    gaps = [tweedie(y, m) - poisson(y, m) for m in (mu, 2 * mu, mu + 1)]
    assert np.isfinite(gaps).all()
    np.testing.assert_allclose(gaps, gaps[0], rtol=1e-10)


@pytest.mark.parametrize("alpha", [0.1, 0.5, 0.9])
def test_quantile(weights, alpha):
    y, p = _regression()
    expected = skm.mean_pinball_loss(y, p, alpha=alpha, sample_weight=weights)
    value = make_metric("quantile", quantile_alpha=alpha)(y, p, weights)
    assert value == pytest.approx(expected, rel=1e-12)


def test_mphe(weights):
    y, p = _regression()
    slope = 2.0
    row = slope**2 * (np.sqrt(1 + ((p - y) / slope) ** 2) - 1)
    expected = np.average(row, weights=weights)
    value = make_metric("mphe", huber_slope=slope)(y, p, weights)
    assert value == pytest.approx(expected, rel=1e-12)


def test_zero_weights_drop_rows():
    y, p = _regression()
    w = np.ones(N)
    w[::2] = 0.0
    value = make_metric("rmse")(y, p, w)
    assert value == pytest.approx(make_metric("rmse")(y[1::2], p[1::2]), rel=1e-12)


@pytest.mark.parametrize(
    ("spec", "name", "higher"),
    [
        ("rmse", "rmse", False),
        ("error@0.7", "error@0.7", False),
        ("error@0.5", "error", False),
        ("error@0.25", "error@0.25", False),
        ("auc", "auc", True),
        ("mlogloss", "mlogloss", False),
        ("tweedie-nloglik@1.2", "tweedie-nloglik@1.2", False),
    ],
)
def test_names(spec, name, higher):
    metric = make_metric(spec)
    assert isinstance(metric, Metric)
    assert metric.name == name and metric.higher_is_better is higher


def test_metric_instances_pass_through():
    metric = make_metric("mae")
    assert make_metric(metric) is metric


def test_callable_metric():
    calls = []

    def weighted_max_error(y_true, y_pred, sample_weight=None):
        calls.append(sample_weight)
        return np.max(np.abs(y_true - y_pred))

    metric = make_metric(weighted_max_error)
    assert metric.name == "weighted_max_error" and metric.higher_is_better is False
    y, p = _regression()
    assert metric(y, p) == pytest.approx(np.max(np.abs(y - p)))
    w = np.ones(N)
    metric(y, p, w)
    assert calls[0] is None and calls[1] is w


def test_callable_metric_higher_is_better_and_two_arguments():
    def r2(y_true, y_pred):
        return skm.r2_score(y_true, y_pred)

    r2.higher_is_better = True
    metric = make_metric(r2)
    assert metric.higher_is_better is True
    y, p = _regression()
    assert metric(y, p) == pytest.approx(skm.r2_score(y, p))


def test_callable_metric_must_return_a_number():
    metric = make_metric(lambda y, p: "bad")
    with pytest.raises(TypeError, match="must return a number"):
        metric(np.zeros(2), np.zeros(2))


@pytest.mark.parametrize("spec", ["rsme", "error@", "error@abc", "logloss@2", "ndcg@abc",
                                  "map@0", "pre@"])
def test_unknown_or_malformed_names(spec):
    with pytest.raises(ValueError, match="eval_metric") as info:
        make_metric(spec)
    assert spec in str(info.value)


def test_unknown_name_lists_accepted_names():
    with pytest.raises(ValueError, match="rmse") as info:
        make_metric("nope")
    for name in ("logloss", "auc", "mlogloss", "poisson-nloglik", "quantile", "ndcg", "map"):
        assert name in str(info.value)


@pytest.mark.parametrize(
    ("spec", "kwargs", "param"),
    [
        ("tweedie-nloglik@2", {}, "rho"),
        ("tweedie-nloglik@0.5", {}, "rho"),
        ("tweedie-nloglik", {"tweedie_variance_power": 2.5}, "tweedie_variance_power"),
        ("quantile", {"quantile_alpha": 1.0}, "quantile_alpha"),
        ("mphe", {"huber_slope": 0.0}, "huber_slope"),
    ],
)
def test_parameter_errors(spec, kwargs, param):
    with pytest.raises(ValueError, match=param):
        make_metric(spec, **kwargs)


def test_bad_spec_type():
    with pytest.raises(TypeError, match="eval_metric"):
        make_metric(1.5)


def test_input_validation():
    y, p = _regression()
    with pytest.raises(ValueError, match="samples"):
        make_metric("rmse")(y, p[:-1])
    with pytest.raises(ValueError, match="sample_weight"):
        make_metric("rmse")(y, p, np.ones(N - 1))
    with pytest.raises(ValueError, match="sample_weight"):
        make_metric("rmse")(y, p, np.zeros(N))
    with pytest.raises(ValueError, match="sample_weight"):
        make_metric("rmse")(y, p, -np.ones(N))
    with pytest.raises(ValueError, match="shape"):
        make_metric("logloss")(y, np.ones((N, 3)))
    with pytest.raises(ValueError, match="shape"):
        make_metric("mlogloss")(y, p)
    with pytest.raises(ValueError, match="class indices"):
        make_metric("merror")(np.full(3, 5.0), np.full((3, 2), 0.5))


def test_column_vector_predictions_accepted():
    y, p = _regression()
    assert make_metric("mae")(y, p[:, None]) == pytest.approx(make_metric("mae")(y, p))


@pytest.mark.parametrize(
    ("objective", "spec", "params", "target"),
    [
        ("reg:squarederror", "rmse", {}, "real"),
        ("reg:squarederror", "mae", {}, "real"),
        ("reg:pseudohubererror", "mphe", {"huber_slope": 1.5}, "real"),
        ("reg:quantileerror", "quantile", {"quantile_alpha": 0.3}, "real"),
        ("count:poisson", "poisson-nloglik", {}, "count"),
        ("reg:gamma", "gamma-nloglik", {}, "positive"),
        ("reg:tweedie", "tweedie-nloglik@1.4", {"tweedie_variance_power": 1.4}, "count"),
        ("binary:logistic", "logloss", {}, "binary"),
        ("binary:logistic", "error@0.3", {}, "binary"),
        ("binary:logistic", "auc", {}, "binary"),
        ("multi:softprob", "mlogloss", {"num_class": 3}, "multiclass"),
        ("multi:softprob", "merror", {"num_class": 3}, "multiclass"),
        ("multi:softprob", "auc", {"num_class": 3}, "multiclass"),
    ],
)
def test_matches_xgboost_evaluation(objective, spec, params, target):
    xgb = pytest.importorskip("xgboost")
    rng = np.random.default_rng(5)
    X = rng.normal(size=(N, 3))
    signal = X[:, 0] + 0.5 * X[:, 1]
    y = {
        "real": signal + rng.normal(size=N),
        "count": rng.poisson(np.exp(0.5 * signal)).astype(float),
        "positive": rng.gamma(2.0, np.exp(0.3 * signal)),
        "binary": (signal + rng.normal(size=N) > 0).astype(float),
        "multiclass": np.digitize(signal + rng.normal(size=N), [-0.5, 0.5]).astype(float),
    }[target]
    w = rng.uniform(0.2, 3.0, size=N)
    dtrain = xgb.DMatrix(X, label=y, weight=w)
    log = {}
    booster = xgb.train(
        {"objective": objective, "eval_metric": spec, "max_depth": 2, "nthread": 1, **params},
        dtrain,
        num_boost_round=3,
        evals=[(dtrain, "train")],
        evals_result=log,
        verbose_eval=False,
    )
    ((xgb_name, history),) = log["train"].items()
    metric_kwargs = {k: v for k, v in params.items() if k != "num_class"}
    metric = make_metric(spec, **metric_kwargs)
    assert metric.name == xgb_name
    pred = booster.predict(dtrain).astype(np.float64)
    assert metric(y, pred, w) == pytest.approx(history[-1], rel=2e-5, abs=1e-6)
