"""XGBoost oracle for every objective, with sample weights and max_delta_step, and slow
references for what no peer computes the same way.

On features with few distinct values both libraries bin every value exactly, so with the
same parameters the trees must be XGBoost's and the predictions agree to float32
precision (XGBoost accumulates margins in float32).
"""

import numpy as np
import pytest

from ensembles import GradientBoostingClassifier, GradientBoostingRegressor

xgb = pytest.importorskip("xgboost")


def _data(seed=0, n=2000):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 8, size=(n, 5)).astype(float)
    X[rng.random(X.shape) < 0.1] = np.nan
    Z = np.nan_to_num(X, nan=3.0)
    signal = 0.3 * Z[:, 0] - 0.2 * Z[:, 1] + 0.1 * Z[:, 2] * Z[:, 3] / 4
    weight = rng.uniform(0.2, 3.0, size=n)
    return X, signal, weight, rng


def _targets(objective, signal, rng):
    n = signal.size
    if objective in ("count:poisson",):
        return rng.poisson(np.exp(signal)).astype(float)
    if objective in ("reg:gamma", "reg:tweedie"):
        y = rng.gamma(2.0, np.exp(signal) / 2.0)
        if objective == "reg:tweedie":
            y[rng.random(n) < 0.2] = 0.0  # Tweedie's point mass at zero
        return y
    if objective == "binary:logistic":
        return (signal + rng.logistic(size=n) * 0.5 > np.median(signal)).astype(int)
    if objective == "multi:softprob":
        return np.digitize(signal + rng.normal(size=n) * 0.3,
                           np.quantile(signal, [0.33, 0.66]))
    return signal + rng.normal(size=n) * 0.5


OBJECTIVES = ["reg:squarederror", "reg:absoluteerror", "reg:pseudohubererror",
              "reg:quantileerror", "count:poisson", "reg:gamma", "reg:tweedie",
              "binary:logistic", "multi:softprob"]


@pytest.mark.parametrize("max_delta_step", [None, 0.4], ids=["default-mds", "mds-0.4"])
@pytest.mark.parametrize("objective", OBJECTIVES)
def test_every_objective_matches_xgboost_with_weights(objective, max_delta_step):
    X, signal, weight, rng = _data()
    y = _targets(objective, signal, rng)
    params = dict(n_estimators=8, learning_rate=0.3, max_depth=3, reg_lambda=1.2,
                  min_child_weight=0.5, objective=objective)
    if max_delta_step is not None:
        params["max_delta_step"] = max_delta_step
    extra = {}
    if objective == "reg:quantileerror":
        extra = {"quantile_alpha": 0.3}
    if objective == "reg:tweedie":
        extra = {"tweedie_variance_power": 1.3}
    if objective == "reg:pseudohubererror":
        # The starting margins differ by design: a weighted median here, XGBoost's one
        # Newton step from 0 there; everything after the start must agree.
        extra = {"base_score": 0.5}
    classify = objective in ("binary:logistic", "multi:softprob")
    Ours = GradientBoostingClassifier if classify else GradientBoostingRegressor
    Theirs = xgb.XGBClassifier if classify else xgb.XGBRegressor
    ours = Ours(**params, **extra).fit(X, y, sample_weight=weight)
    theirs = Theirs(tree_method="hist", n_jobs=1, max_bin=256, **params, **extra)
    theirs.fit(X, y, sample_weight=weight)
    if classify:
        ours_pred, their_pred = ours.predict_proba(X), theirs.predict_proba(X)
    else:
        ours_pred, their_pred = ours.predict(X), theirs.predict(X)
    scale = np.max(np.abs(their_pred))
    np.testing.assert_allclose(ours_pred, their_pred, rtol=2e-5, atol=2e-5 * scale)


def test_row_subsampling_is_as_accurate_as_xgboosts():
    """Row sampling draws differently from XGBoost, so the trees cannot be compared; the
    test error can. Every row's running prediction must take each new tree, sampled or
    not (updating only the sampled rows multiplied the test RMSE by about 8)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6000, 6))
    y = np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2] + 0.3 * rng.normal(size=6000)
    X_train, y_train, X_test, y_test = X[:4000], y[:4000], X[4000:], y[4000:]
    params = dict(n_estimators=60, learning_rate=0.2, max_depth=4, subsample=0.5)
    rmse = {"ours": [], "xgboost": []}
    for seed in range(3):
        ours = GradientBoostingRegressor(**params, random_state=seed).fit(X_train, y_train)
        theirs = xgb.XGBRegressor(tree_method="hist", n_jobs=1, random_state=seed,
                                  **params).fit(X_train, y_train)
        for name, model in (("ours", ours), ("xgboost", theirs)):
            rmse[name].append(np.sqrt(np.mean((model.predict(X_test) - y_test) ** 2)))
    assert np.mean(rmse["ours"]) <= 1.1 * np.mean(rmse["xgboost"])
