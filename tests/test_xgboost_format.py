"""save_model(format="xgboost"): XGBoost loads the file and predicts what we predict."""

import io
import json

import numpy as np
import pytest

from ensembles import GradientBoostingClassifier, GradientBoostingRegressor
from ensembles.boosting._xgboost_format import split_conditions

xgb = pytest.importorskip("xgboost")


def _data(n=1500, seed=0, missing=0.1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    X_test = rng.normal(size=(400, 5))
    for A in (X, X_test):
        A[rng.random(A.shape) < missing] = np.nan
    signal = np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 1]) * np.nan_to_num(X[:, 2])
    return X, X_test, signal, rng


def _regression_target(objective, signal, rng):
    rate = np.exp(0.3 * np.clip(signal, -3, 3))
    if objective in ("count:poisson", "reg:tweedie"):
        return rng.poisson(rate).astype(float)
    if objective == "reg:gamma":
        return rate * rng.gamma(2.0, 0.5, size=signal.size)
    return signal + rng.normal(size=signal.size)


@pytest.mark.parametrize("objective", [
    "reg:squarederror", "reg:absoluteerror", "reg:pseudohubererror", "reg:quantileerror",
    "count:poisson", "reg:gamma", "reg:tweedie",
])
def test_regression_objectives_predict_the_same_in_xgboost(objective, tmp_path):
    X, X_test, signal, rng = _data()
    y = _regression_target(objective, signal, rng)
    model = GradientBoostingRegressor(n_estimators=25, objective=objective,
                                      quantile_alpha=0.3).fit(X, y)
    path = tmp_path / "model.json"
    model.save_model(path, format="xgboost")
    booster = xgb.Booster(model_file=str(path))
    dtest = xgb.DMatrix(X_test, missing=np.nan)
    np.testing.assert_allclose(booster.predict(dtest), model.predict(X_test), rtol=1e-6,
                               atol=1e-6)
    np.testing.assert_allclose(booster.predict(dtest, output_margin=True),
                               model.predict(X_test, output_margin=True), rtol=1e-6,
                               atol=1e-6)


def test_training_rows_in_float64_predict_the_same_in_xgboost(tmp_path):
    """XGBoost reads float64 input as float32. Quantile edges lie halfway between data
    values, so no training value sits on a threshold where that rounding could flip it."""
    X, _, signal, rng = _data(n=3000, missing=0.0)
    y = signal + rng.normal(size=signal.size)
    model = GradientBoostingRegressor(n_estimators=30).fit(X, y)
    path = tmp_path / "model.json"
    model.save_model(path, format="xgboost")
    booster = xgb.Booster(model_file=str(path))
    np.testing.assert_allclose(booster.predict(xgb.DMatrix(X)), model.predict(X), rtol=1e-5,
                               atol=1e-5)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_classifiers_predict_the_same_in_xgboost(n_classes, tmp_path):
    X, X_test, signal, rng = _data(seed=1)
    y = np.digitize(signal, [0.0] if n_classes == 2 else [-1.0, 1.0])
    labels = np.array(["low", "mid", "high"])[y]
    model = GradientBoostingClassifier(n_estimators=15, max_depth=4).fit(X, labels)
    path = tmp_path / "model.json"
    model.save_model(path, format="xgboost")
    booster = xgb.Booster(model_file=str(path))
    dtest = xgb.DMatrix(X_test, missing=np.nan)
    proba = model.predict_proba(X_test)
    theirs = booster.predict(dtest)
    np.testing.assert_allclose(theirs, proba[:, 1] if n_classes == 2 else proba, atol=1e-6)
    # XGBoost's scikit-learn wrapper too (its classes are the label codes).
    clf = xgb.XGBClassifier()
    clf.load_model(str(path))
    np.testing.assert_allclose(clf.predict_proba(X_test), proba, atol=1e-6)
    np.testing.assert_array_equal(model.classes_[clf.predict(X_test)], model.predict(X_test))
    # XGBoost's own TreeSHAP on the file equals ours: the same trees, so the same values.
    np.testing.assert_allclose(booster.predict(dtest, pred_contribs=True),
                               model.predict_contribs(X_test), rtol=1e-5, atol=1e-5)


def test_feature_names_file_objects_and_best_iteration(tmp_path):
    pd = pytest.importorskip("pandas")
    X, X_test, signal, rng = _data(seed=2)
    columns = ["a", "b", "c", "d", "e"]
    frame, frame_test = pd.DataFrame(X, columns=columns), pd.DataFrame(X_test, columns=columns)
    y = signal + rng.normal(size=signal.size)
    model = GradientBoostingRegressor(n_estimators=300, learning_rate=0.5,
                                      early_stopping_rounds=3)
    model.fit(frame[:1000], y[:1000], eval_set=[(frame[1000:], y[1000:])])
    assert model.best_iteration < model.n_iterations_ - 1
    buffer = io.StringIO()
    model.save_model(buffer, format="xgboost")
    raw = io.BytesIO()
    model.save_model(raw, format="xgboost")
    assert raw.getvalue().decode("utf-8") == buffer.getvalue()
    path = tmp_path / "model.json"
    path.write_text(buffer.getvalue())

    booster = xgb.Booster(model_file=str(path))
    assert booster.feature_names == columns
    assert int(booster.attr("best_iteration")) == model.best_iteration
    dtest = xgb.DMatrix(frame_test)
    stop = model.best_iteration + 1
    np.testing.assert_allclose(booster.predict(dtest, iteration_range=(0, stop)),
                               model.predict(frame_test), rtol=1e-6, atol=1e-6)
    reg = xgb.XGBRegressor()
    reg.load_model(str(path))
    assert reg.best_iteration == model.best_iteration
    np.testing.assert_allclose(reg.predict(frame_test), model.predict(frame_test), rtol=1e-6,
                               atol=1e-6)


def test_split_conditions_give_the_same_decisions_on_float32_values():
    rng = np.random.default_rng(3)
    thresholds = np.concatenate([rng.normal(size=500) * 10.0 ** rng.integers(-5, 6, 500),
                                 [0.0, -0.0, 1.5, 2.0, 1e-40, -1e-40]])
    conditions = split_conditions(thresholds)
    assert conditions.dtype == np.float32
    for t, c in zip(thresholds, conditions, strict=True):
        # Float32 values around the threshold: x <= t exactly when x < c.
        center = np.float32(t)
        around = [center]
        for _ in range(3):
            around = [np.nextafter(around[0], np.float32(-np.inf)), *around,
                      np.nextafter(around[-1], np.float32(np.inf))]
        for x in around:
            assert (float(x) <= t) == (x < c), (t, x, c)
    assert split_conditions([np.inf])[0] == np.finfo(np.float32).max


def test_the_file_is_xgboost_json_and_bad_requests_fail(tmp_path):
    X, _, signal, rng = _data(n=300)
    model = GradientBoostingRegressor(n_estimators=3, max_depth=2).fit(X, signal)
    path = tmp_path / "model.json"
    model.save_model(path, format="xgboost")
    doc = json.loads(path.read_text())
    learner = doc["learner"]
    assert learner["gradient_booster"]["name"] == "gbtree"
    assert learner["objective"]["name"] == "reg:squarederror"
    trees = learner["gradient_booster"]["model"]["trees"]
    assert len(trees) == 3
    assert trees[0]["tree_param"]["num_nodes"] == str(model._booster.trees[0].n_nodes)
    with pytest.raises(ValueError, match="format must be 'ensembles' or 'xgboost'"):
        model.save_model(path, format="onnx")

    def squared(y_true, y_pred):
        return y_pred - y_true, np.ones_like(y_true)

    custom = GradientBoostingRegressor(n_estimators=2, objective=squared).fit(X, signal)
    with pytest.raises(ValueError, match="callable objective"):
        custom.save_model(path, format="xgboost")
