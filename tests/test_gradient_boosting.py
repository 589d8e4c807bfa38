"""Public API of GradientBoostingRegressor and GradientBoostingClassifier.

The scikit-learn estimator checks and the XGBoost oracle tests live elsewhere; this file
checks the behaviour a user relies on: objectives, base scores, evaluation, prediction
helpers, inspection, persistence, input validation and determinism. Data are small and
models have few trees so the whole file runs in seconds once numba's cache is warm.
"""

import json
import pickle
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification
from sklearn.metrics import log_loss, mean_absolute_error, mean_squared_error, roc_auc_score

from ensembles import GradientBoostingClassifier, GradientBoostingRegressor
from ensembles.boosting.booster import _tree_seeds
from ensembles.boosting.metrics import make_metric

SMALL = {"n_estimators": 8, "max_depth": 3}


def _regression(n=300, n_features=4, seed=0, noise=0.3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    y = 2.0 * X[:, 0] + np.sin(2 * X[:, 1]) + noise * rng.normal(size=n)
    return X, y


def _classification(n=300, n_classes=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    score = X[:, 0] + 0.5 * X[:, 1] + 0.5 * rng.normal(size=n)
    edges = np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1])
    return X, np.searchsorted(edges, score)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# --------------------------------------------------------------------------- objectives
def _positive_target(kind, X, rng):
    mu = np.exp(0.8 * X[:, 0] - 0.4 * X[:, 1])
    if kind == "count":
        return rng.poisson(mu).astype(float)
    if kind == "gamma":
        return rng.gamma(2.0, mu / 2.0)
    # Compound Poisson-gamma: exact zeros plus a continuous positive part, Tweedie's home.
    counts = rng.poisson(mu)
    return np.array([rng.gamma(2.0, 0.5, size=c).sum() for c in counts])


OBJECTIVE_CASES = [
    ("reg:squarederror", "real"),
    ("reg:absoluteerror", "real"),
    ("reg:pseudohubererror", "real"),
    ("reg:quantileerror", "real"),
    ("count:poisson", "count"),
    ("reg:gamma", "gamma"),
    ("reg:tweedie", "tweedie"),
]


@pytest.mark.parametrize(("objective", "kind"), OBJECTIVE_CASES)
def test_every_regression_objective_reduces_its_loss(objective, kind):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 3))
    y = 3.0 * X[:, 0] + rng.normal(size=400) if kind == "real" else _positive_target(kind, X, rng)
    # The conditional mean (= median for the symmetric noise) is the best achievable model.
    truth = 3.0 * X[:, 0] if kind == "real" else np.exp(0.8 * X[:, 0] - 0.4 * X[:, 1])
    model = GradientBoostingRegressor(objective=objective, n_estimators=20, max_depth=3,
                                      learning_rate=0.3).fit(X, y)
    metric = make_metric(model._objective.default_metric)
    base_pred = model.predict(X, iteration_range=(1, 1))
    pred = model.predict(X)
    assert np.all(np.isfinite(pred))
    if kind != "real":
        assert np.all(pred > 0)
    # The fitted model must close most of the gap between its constant start and the truth.
    start, fitted, best = metric(y, base_pred), metric(y, pred), metric(y, truth)
    assert start - fitted > 0.7 * (start - best)


@pytest.mark.parametrize("alpha", [0.1, 0.5, 0.9])
def test_quantile_objective_coverage_is_near_alpha(alpha):
    rng = np.random.default_rng(7)
    X = rng.uniform(-2, 2, size=(3000, 2))
    # Heteroscedastic noise: a constant offset from the mean would not give the coverage.
    y = X[:, 0] + (0.5 + 0.5 * np.abs(X[:, 1])) * rng.normal(size=3000)
    model = GradientBoostingRegressor(objective="reg:quantileerror", quantile_alpha=alpha,
                                      n_estimators=30, max_depth=2, learning_rate=0.3)
    model.fit(X[:2000], y[:2000])
    for rows in (slice(None, 2000), slice(2000, None)):
        coverage = np.mean(y[rows] <= model.predict(X[rows]))
        assert abs(coverage - alpha) < 0.05


def test_absolute_error_leaves_are_group_medians():
    rng = np.random.default_rng(1)
    group = np.repeat([0.0, 1.0], 201)  # odd group sizes: unique group medians
    # Skewed noise: the median and the mean of each group are far apart.
    y = 5.0 * group + rng.exponential(3.0, size=group.size)
    X = group[:, None]
    base = GradientBoostingRegressor(objective="reg:absoluteerror", n_estimators=1)
    base.fit(X, y)
    # With an even number of rows any value between the two middle ones is a median.
    middle = np.sort(y)[[y.size // 2 - 1, y.size // 2]]
    assert middle[0] <= base.predict(X, iteration_range=(1, 1))[0] <= middle[1]
    model = GradientBoostingRegressor(objective="reg:absoluteerror", n_estimators=1,
                                      max_depth=1, learning_rate=1.0, reg_lambda=0.0).fit(X, y)
    pred = model.predict(np.array([[0.0], [1.0]]))
    medians = [np.median(y[group == g]) for g in (0, 1)]
    means = [np.mean(y[group == g]) for g in (0, 1)]
    np.testing.assert_allclose(pred, medians, rtol=1e-9)
    assert np.all(np.abs(pred - np.array(means)) > 0.5)


def test_callable_objective_equals_builtin_squared_error():
    X, y = _regression()

    def squared_error(y_true, y_pred):
        return y_pred - y_true, np.ones_like(y_pred)

    params = {**SMALL, "base_score": 0.5}
    builtin = GradientBoostingRegressor(**params).fit(X, y)
    custom = GradientBoostingRegressor(objective=squared_error, **params).fit(X, y)
    np.testing.assert_allclose(custom.predict(X), builtin.predict(X), rtol=1e-12, atol=1e-12)


def test_callable_objective_equals_builtin_logistic():
    X, y = _classification()

    def logistic(y_true, margin):
        p = 1.0 / (1.0 + np.exp(-margin))
        return p - y_true, p * (1.0 - p)

    params = {**SMALL, "base_score": 0.5}
    builtin = GradientBoostingClassifier(**params).fit(X, y)
    custom = GradientBoostingClassifier(objective=logistic, **params).fit(X, y)
    np.testing.assert_allclose(custom.predict_proba(X), builtin.predict_proba(X),
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(custom.predict(X), builtin.predict(X))


@pytest.mark.parametrize(
    ("estimator", "objective", "base_score", "target"),
    [
        (GradientBoostingRegressor, None, 3.25, "real"),
        (GradientBoostingRegressor, "count:poisson", 2.5, "count"),
        (GradientBoostingClassifier, None, 0.2, "binary"),
    ],
)
def test_given_base_score_is_the_starting_prediction(estimator, objective, base_score, target):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = {"real": 10 + X[:, 0], "count": rng.poisson(6.0, size=200).astype(float),
         "binary": (X[:, 0] > 0).astype(int)}[target]
    # Far from the data's own estimate, so an ignored base_score shows.
    model = estimator(objective=objective, base_score=base_score, n_estimators=1,
                      learning_rate=1e-8).fit(X, y)
    pred = model.predict_proba(X)[:, 1] if target == "binary" else model.predict(X)
    np.testing.assert_allclose(pred, base_score, rtol=1e-6)


def test_base_score_is_estimated_when_not_given():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y_reg = 4.0 + rng.normal(size=200)
    w = rng.uniform(0.1, 2.0, size=200)
    reg = GradientBoostingRegressor(n_estimators=1).fit(X, y_reg, sample_weight=w)
    np.testing.assert_allclose(reg.predict(X, iteration_range=(1, 1)),
                               np.average(y_reg, weights=w), rtol=1e-12)

    y_bin = (rng.random(200) < 0.3).astype(int)
    clf = GradientBoostingClassifier(n_estimators=1).fit(X, y_bin)
    np.testing.assert_allclose(clf.predict(X, output_margin=True, iteration_range=(1, 1)),
                               np.log(y_bin.mean() / (1 - y_bin.mean())), rtol=1e-9)

    y_multi = rng.choice(3, size=200, p=[0.2, 0.3, 0.5])
    multi = GradientBoostingClassifier(n_estimators=1).fit(X, y_multi)
    np.testing.assert_allclose(multi.predict_proba(X[:1], iteration_range=(1, 1))[0],
                               np.bincount(y_multi) / 200, rtol=1e-9)

    y_count = rng.poisson(3.0, size=200).astype(float)
    pois = GradientBoostingRegressor(objective="count:poisson", n_estimators=1).fit(X, y_count)
    np.testing.assert_allclose(pois.predict(X, iteration_range=(1, 1)), y_count.mean(),
                               rtol=1e-12)


# --------------------------------------------------------------------------- evaluation
def test_evals_result_equals_metrics_recomputed_on_staged_predictions():
    X, y = _regression(n=400)
    X_tr, y_tr, X_a, y_a, X_b, y_b = X[:200], y[:200], X[200:300], y[200:300], X[300:], y[300:]
    w_b = np.random.default_rng(1).uniform(0.5, 2.0, size=100)

    def max_error(y_true, y_pred, sample_weight=None):
        return float(np.max(np.abs(y_true - y_pred)))

    model = GradientBoostingRegressor(n_estimators=6, max_depth=3,
                                      eval_metric=["rmse", "mae", max_error])
    model.fit(X_tr, y_tr, eval_set=[(X_a, y_a), (X_b, y_b)],
              sample_weight_eval_set=[None, w_b])
    result = model.evals_result()
    assert list(result) == ["validation_0", "validation_1"]
    assert list(result["validation_0"]) == ["rmse", "mae", "max_error"]
    for name, X_ev, y_ev, w in (("validation_0", X_a, y_a, None),
                                ("validation_1", X_b, y_b, w_b)):
        stages = _stages(model.staged_predict(X_ev))
        assert all(len(v) == len(stages) == 6 for v in result[name].values())
        expected_rmse = [np.sqrt(mean_squared_error(y_ev, p, sample_weight=w)) for p in stages]
        expected_mae = [mean_absolute_error(y_ev, p, sample_weight=w) for p in stages]
        expected_max = [np.max(np.abs(y_ev - p)) for p in stages]
        np.testing.assert_allclose(result[name]["rmse"], expected_rmse, rtol=1e-9)
        np.testing.assert_allclose(result[name]["mae"], expected_mae, rtol=1e-9)
        np.testing.assert_allclose(result[name]["max_error"], expected_max, rtol=1e-9)
    # The weights must matter: the unweighted rmse of the second set differs.
    unweighted = np.sqrt(mean_squared_error(y_b, model.predict(X_b)))
    assert abs(result["validation_1"]["rmse"][-1] - unweighted) > 1e-6


def test_classifier_eval_metrics_match_sklearn():
    X, y = _classification(n=400)
    labels = np.array(["neg", "pos"])[y]
    model = GradientBoostingClassifier(n_estimators=5, max_depth=2,
                                       eval_metric=["logloss", "auc", "error"])
    model.fit(X[:250], labels[:250], eval_set=[(X[250:], labels[250:])])
    log = model.evals_result()["validation_0"]
    y_val = y[250:]
    probas = [p[:, 1] for p in model.staged_predict_proba(X[250:])]
    np.testing.assert_allclose(log["logloss"], [log_loss(y_val, p) for p in probas], rtol=1e-9)
    np.testing.assert_allclose(log["auc"], [roc_auc_score(y_val, p) for p in probas],
                               rtol=1e-9)
    np.testing.assert_allclose(log["error"], [np.mean((p > 0.5) != y_val) for p in probas],
                               atol=1e-12)


def test_default_metric_follows_the_objective():
    X, y = _classification(n=200, n_classes=3)
    multi = GradientBoostingClassifier(n_estimators=2, max_depth=2).fit(X, y, eval_set=[(X, y)])
    assert list(multi.evals_result()["validation_0"]) == ["mlogloss"]
    reg = GradientBoostingRegressor(objective="reg:gamma", n_estimators=2)
    reg.fit(X, np.exp(X[:, 0]), eval_set=[(X, np.exp(X[:, 0]))])
    assert list(reg.evals_result()["validation_0"]) == ["gamma-nloglik"]
    no_eval = GradientBoostingRegressor(n_estimators=2).fit(X, X[:, 0])
    assert no_eval.evals_result() == {}


# --------------------------------------------------------------------------- prediction
def _stages(generator):
    """Copies of the staged outputs, robust to a generator that reuses one buffer."""
    return [np.array(stage, copy=True) for stage in generator]


def test_staged_predict_yields_independent_arrays():
    X, y = _regression(n=100)
    model = GradientBoostingRegressor(n_estimators=3, max_depth=2).fit(X, y)
    stages = list(model.staged_predict(X))
    np.testing.assert_array_equal(stages[0], model.predict(X, iteration_range=(0, 1)))
    assert not np.array_equal(stages[0], stages[-1])


def test_output_margin_is_the_raw_score():
    X, y = _classification(n=200)
    binary = GradientBoostingClassifier(**SMALL).fit(X, y)
    margin = binary.predict(X, output_margin=True)
    assert margin.shape == (200,)
    np.testing.assert_allclose(_sigmoid(margin), binary.predict_proba(X)[:, 1], rtol=1e-12)

    X3, y3 = _classification(n=200, n_classes=3)
    multi = GradientBoostingClassifier(**SMALL).fit(X3, y3)
    margin3 = multi.predict(X3, output_margin=True)
    assert margin3.shape == (200, 3)
    np.testing.assert_allclose(_softmax(margin3), multi.predict_proba(X3), rtol=1e-10)

    counts = np.random.default_rng(0).poisson(np.exp(X[:, 0])).astype(float)
    pois = GradientBoostingRegressor(objective="count:poisson", **SMALL).fit(X, counts)
    np.testing.assert_allclose(np.exp(pois.predict(X, output_margin=True)), pois.predict(X),
                               rtol=1e-12)


def test_iteration_range_is_additive_and_matches_stages():
    X, y = _regression()
    model = GradientBoostingRegressor(n_estimators=6, max_depth=3).fit(X, y)
    base = model.predict(X, iteration_range=(1, 1))  # an empty range: no tree
    assert np.all(base == base[0])
    stages = _stages(model.staged_predict(X))
    for k in range(1, 7):
        prefix = model.predict(X, iteration_range=(0, k))
        np.testing.assert_allclose(prefix, stages[k - 1], rtol=1e-12)
    # A stop of 0 is XGBoost's default range (its iteration_range=(0, 0)): every round.
    np.testing.assert_array_equal(model.predict(X, iteration_range=(0, 0)), model.predict(X))
    # Rounds 2..5 on their own (plus the base) add up with rounds 0..2 to the whole model.
    whole = model.predict(X)
    head = model.predict(X, iteration_range=(0, 2))
    tail = model.predict(X, iteration_range=(2, 6))
    np.testing.assert_allclose(head + tail - base, whole, rtol=1e-10, atol=1e-12)
    assert not np.allclose(tail, whole)
    for bad in [(0, 7), (3, 2), (-1, 2)]:
        with pytest.raises(ValueError, match="iteration_range"):
            model.predict(X, iteration_range=bad)
    for bad in [5, (0,), (0, 1, 2), ("a", "b"), (None, None), (0.5, 2), (False, True)]:
        with pytest.raises(TypeError, match="iteration_range must be a pair of integers"):
            model.predict(X, iteration_range=bad)


def test_iteration_range_stop_zero_uses_the_best_rounds_as_xgboost_does():
    X, y = _regression()
    model = GradientBoostingRegressor(n_estimators=40, max_depth=3, early_stopping_rounds=2,
                                      learning_rate=0.8).fit(
        X[:150], y[:150], eval_set=[(X[150:], y[150:])])
    assert model.best_iteration + 1 < model.n_iterations_
    best = model.predict(X)
    np.testing.assert_array_equal(model.predict(X, iteration_range=(0, 0)), best)
    np.testing.assert_array_equal(
        model.predict(X, iteration_range=(0, model.best_iteration + 1)), best)


def test_staged_predictions_end_at_predict():
    X, y = _regression()
    reg = GradientBoostingRegressor(**SMALL).fit(X, y)
    stages = _stages(reg.staged_predict(X))
    assert len(stages) == reg.n_iterations_ == 8
    np.testing.assert_array_equal(stages[-1], reg.predict(X))
    np.testing.assert_array_equal(stages[0], reg.predict(X, iteration_range=(0, 1)))

    X3, y3 = _classification(n=200, n_classes=3)
    clf = GradientBoostingClassifier(**SMALL).fit(X3, np.array(["a", "b", "c"])[y3])
    probas = _stages(clf.staged_predict_proba(X3))
    labels = _stages(clf.staged_predict(X3))
    assert len(probas) == len(labels) == 8
    np.testing.assert_allclose(probas[-1], clf.predict_proba(X3), rtol=1e-12)
    np.testing.assert_array_equal(labels[-1], clf.predict(X3))
    assert labels[-1].dtype == clf.classes_.dtype


def test_apply_shape_and_leaf_consistency():
    X, y = _regression(n=200)
    reg = GradientBoostingRegressor(n_estimators=4, max_depth=2).fit(X, y)
    leaves = reg.apply(X)
    assert leaves.shape == (200, 4)
    for t in range(4):
        # depth 2 -> at most four leaves per tree
        assert np.unique(leaves[:, t]).size <= 4
    # Rows that land in the same leaf of every tree get the same prediction.
    pred = reg.predict(X)
    _, group = np.unique(leaves, axis=0, return_inverse=True)
    for g in np.unique(group):
        assert np.ptp(pred[group.ravel() == g]) == 0.0
    # ... and a one-tree model's prediction is a function of its leaf alone.
    first = reg.predict(X, iteration_range=(0, 1))
    for leaf in np.unique(leaves[:, 0]):
        assert np.ptp(first[leaves[:, 0] == leaf]) == 0.0
    np.testing.assert_array_equal(reg.apply(X, iteration_range=(1, 3)), leaves[:, 1:3])

    X3, y3 = _classification(n=150, n_classes=3)
    clf = GradientBoostingClassifier(n_estimators=3, max_depth=2).fit(X3, y3)
    assert clf.apply(X3).shape == (150, 9)


def _tree_stats(model, tmp_path):
    """Per-feature split counts, gains and covers read from the saved JSON trees."""
    path = tmp_path / "model.json"
    model.save_model(path)
    doc = json.loads(path.read_text())
    n = model.n_features_in_
    weight, gain, cover = np.zeros(n), np.zeros(n), np.zeros(n)
    for tree in doc["booster"]["trees"]:
        for node, left in enumerate(tree["left"]):
            if left != -1:
                f = tree["feature"][node]
                weight[f] += 1
                gain[f] += tree["gain"][node]
                cover[f] += tree["cover"][node]
    return weight, gain, cover


def test_feature_importances_for_every_type(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    X[:, 3] = 1.0  # constant: can never be split
    y = 3 * X[:, 0] + X[:, 1] + 0.1 * rng.normal(size=300)
    model = GradientBoostingRegressor(n_estimators=10, max_depth=3).fit(X, y)
    weight, gain, cover = _tree_stats(model, tmp_path)
    assert weight.sum() > 0
    per_split = np.divide(gain, weight, out=np.zeros(4), where=weight > 0)
    cover_per_split = np.divide(cover, weight, out=np.zeros(4), where=weight > 0)
    expected = {"weight": weight, "total_gain": gain, "total_cover": cover,
                "gain": per_split, "cover": cover_per_split}
    for kind, raw in expected.items():
        imp = model.set_params(importance_type=kind).feature_importances_
        assert imp.shape == (4,)
        assert np.all(imp >= 0)
        assert imp.sum() == pytest.approx(1.0)
        np.testing.assert_allclose(imp, raw / raw.sum(), rtol=1e-9)
        assert imp[3] == 0.0


def test_noise_feature_gets_almost_no_importance():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 2))
    y = 4 * X[:, 0] + 0.05 * rng.normal(size=500)
    model = GradientBoostingRegressor(n_estimators=10, max_depth=2,
                                      importance_type="total_gain").fit(X, y)
    assert model.feature_importances_[1] < 0.01
    assert model.feature_importances_[0] > 0.99


def test_feature_names_from_dataframe():
    pd = pytest.importorskip("pandas")
    X, y = _regression(n=150, n_features=3)
    df = pd.DataFrame(X, columns=["age", "income", "height"])
    model = GradientBoostingRegressor(**SMALL).fit(df, y)
    assert model.n_features_in_ == 3
    np.testing.assert_array_equal(model.feature_names_in_, ["age", "income", "height"])
    with pytest.warns(UserWarning, match="feature names"):
        np.testing.assert_array_equal(model.predict(df), model.predict(X))
    with pytest.raises(ValueError, match="feature names"):
        model.predict(df.rename(columns={"age": "years"}))
    plain = GradientBoostingRegressor(**SMALL).fit(X, y)
    assert plain.n_features_in_ == 3
    assert not hasattr(plain, "feature_names_in_")


def test_pandas_missing_values_are_missing():
    pd = pytest.importorskip("pandas")
    X, y = _regression(n=150, n_features=3)
    X[::7, 1] = np.nan
    df = pd.DataFrame(X, columns=["a", "b", "c"]).astype("Float64")  # NaN becomes pd.NA
    assert df["b"].isna().sum() == np.isnan(X[:, 1]).sum()
    from_frame = GradientBoostingRegressor(**SMALL).fit(df, y)
    from_array = GradientBoostingRegressor(**SMALL).fit(X, y)
    np.testing.assert_array_equal(from_frame.predict(df), from_array.predict(X))


@pytest.mark.parametrize(
    "labels",
    [np.array(["cat", "dog", "emu"]), np.array([-3, 10, 42]), np.array([1.0, 3.0, 8.0])],
    ids=["str", "sparse-int", "integral-float"],
)
def test_classes_of_any_label_type(labels):
    X, y = _classification(n=300, n_classes=3)
    model = GradientBoostingClassifier(n_estimators=10, max_depth=3).fit(X, labels[y])
    np.testing.assert_array_equal(model.classes_, labels)
    assert model.n_classes_ == 3
    pred = model.predict(X)
    assert pred.dtype == labels.dtype
    assert set(pred) <= set(labels)
    assert np.mean(pred == labels[y]) > 0.8
    proba = model.predict_proba(X)
    np.testing.assert_array_equal(labels[np.argmax(proba, axis=1)], pred)


@pytest.mark.parametrize("n_classes", [2, 3, 5])
def test_predict_proba_rows_are_distributions(n_classes):
    X, y = _classification(n=300, n_classes=n_classes)
    proba = GradientBoostingClassifier(**SMALL).fit(X, y).predict_proba(X)
    assert proba.shape == (300, n_classes)
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)


@pytest.mark.parametrize(
    "dtype",
    [np.int8, np.int16, np.int32, np.int64, np.uint8, np.float32, np.float64, np.bool_],
)
def test_numeric_input_dtypes_give_the_same_model(dtype):
    rng = np.random.default_rng(0)
    lo = 0 if dtype in (np.uint8, np.bool_) else -5
    hi = 2 if dtype is np.bool_ else 6
    X = rng.integers(lo, hi, size=(200, 3))
    y = X[:, 0] * 1.5 + (X[:, 1] > X[:, 2]) + 0.1 * rng.normal(size=200)
    X_typed = X.astype(dtype)
    reference = GradientBoostingRegressor(**SMALL).fit(X.astype(np.float64), y)
    model = GradientBoostingRegressor(**SMALL).fit(X_typed, y)
    np.testing.assert_array_equal(model.predict(X_typed), reference.predict(X))
    np.testing.assert_array_equal(model.predict(X.astype(np.float64)), reference.predict(X))


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_equals_dense(fmt):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5)) * (rng.random((200, 5)) < 0.3)
    y = X[:, 0] - 2 * X[:, 1] + 0.1 * rng.normal(size=200)
    X_sparse = sp.csr_matrix(X) if fmt == "csr" else sp.csc_matrix(X)
    dense = GradientBoostingRegressor(**SMALL).fit(X, y)
    sparse = GradientBoostingRegressor(**SMALL).fit(X_sparse, y)
    np.testing.assert_array_equal(sparse.predict(X_sparse), dense.predict(X))
    np.testing.assert_array_equal(sparse.predict(X), dense.predict(X))

    yc = (y > 0).astype(int)
    clf_dense = GradientBoostingClassifier(**SMALL).fit(X, yc)
    clf_sparse = GradientBoostingClassifier(**SMALL).fit(X_sparse, yc)
    np.testing.assert_array_equal(clf_sparse.predict_proba(X_sparse), clf_dense.predict_proba(X))


# --------------------------------------------------------------------------- sample weights
@pytest.mark.parametrize("objective", ["reg:squarederror", "reg:absoluteerror", "binary"])
def test_integer_weights_equal_repeated_rows(objective):
    rng = np.random.default_rng(0)
    # Few distinct feature values: one bin per value, so repeating rows cannot move the bins.
    X = rng.integers(0, 20, size=(200, 3)).astype(float)
    y = X[:, 0] + rng.normal(size=200)
    w = rng.integers(0, 3, size=200)  # zero weights drop rows
    if objective == "binary":
        make, y, params = GradientBoostingClassifier, (y > 10).astype(int), {}
    else:
        make, params = GradientBoostingRegressor, {"objective": objective}
    weighted = make(n_estimators=5, max_depth=3, **params).fit(X, y, sample_weight=w)
    # The repeated rows with unit weights, not none: absolute error refreshes leaves with
    # XGBoost's quantiles, the weighted one given weights and an interpolated one without.
    repeated = make(n_estimators=5, max_depth=3, **params).fit(
        np.repeat(X, w, axis=0), np.repeat(y, w), sample_weight=np.ones(w.sum()))
    np.testing.assert_allclose(weighted.predict(X, output_margin=True),
                               repeated.predict(X, output_margin=True), rtol=1e-10, atol=1e-12)
    unweighted = make(n_estimators=5, max_depth=3, **params).fit(X, y)
    assert not np.allclose(weighted.predict(X, output_margin=True),
                           unweighted.predict(X, output_margin=True))


# --------------------------------------------------------------------------- continued fit
@pytest.mark.parametrize("kind", ["regressor", "binary", "multiclass"])
def test_continued_training_equals_one_longer_fit(kind):
    if kind == "regressor":
        X, y = _regression(n=250)
        make = GradientBoostingRegressor
    else:
        X, y = _classification(n=250, n_classes=2 if kind == "binary" else 3)
        make = GradientBoostingClassifier
    first = make(n_estimators=4, max_depth=3).fit(X, y)
    first_pred = first.predict(X, output_margin=True)
    resumed = make(n_estimators=3, max_depth=3).fit(X, y, xgb_model=first)
    whole = make(n_estimators=7, max_depth=3).fit(X, y)
    assert resumed.n_iterations_ == 7
    np.testing.assert_allclose(resumed.predict(X, output_margin=True),
                               whole.predict(X, output_margin=True), rtol=1e-12, atol=1e-12)
    # The model continued from is left untouched.
    assert first.n_iterations_ == 4
    np.testing.assert_array_equal(first.predict(X, output_margin=True), first_pred)


def test_continued_training_rejects_an_incompatible_model():
    X, y = _regression(n=100)
    reg = GradientBoostingRegressor(n_estimators=2).fit(X, y)
    with pytest.raises(TypeError, match="xgb_model"):
        GradientBoostingClassifier(n_estimators=2).fit(X, (y > 0).astype(int), xgb_model=reg)
    with pytest.raises(ValueError, match="features"):
        GradientBoostingRegressor(n_estimators=2).fit(X[:, :3], y, xgb_model=reg)


@pytest.mark.parametrize(("before", "after"), [(2, 3), (3, 2)])
def test_continued_training_rejects_another_number_of_classes(before, after):
    X, y = _classification(n=150, n_classes=3)
    previous = GradientBoostingClassifier(n_estimators=2).fit(X, np.minimum(y, before - 1))
    with pytest.raises(ValueError, match="xgb_model"):
        GradientBoostingClassifier(n_estimators=2).fit(X, np.minimum(y, after - 1),
                                                       xgb_model=previous)


def test_continued_training_rejects_other_classes_and_columns():
    """Both were accepted: the trees' outputs (or splits) then meant other classes (or
    columns) than the new fit's."""
    pd = pytest.importorskip("pandas")
    X, y = _classification(n=150)
    previous = GradientBoostingClassifier(n_estimators=2).fit(X, np.where(y, "x", "y"))
    with pytest.raises(ValueError, match=r"fitted on the classes \['x', 'y'\], y has"):
        GradientBoostingClassifier(n_estimators=2).fit(X, np.where(y, "a", "b"),
                                                       xgb_model=previous)
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    previous = GradientBoostingRegressor(n_estimators=2).fit(frame, X[:, 0])
    with pytest.raises(ValueError, match="continued training needs the same columns"):
        GradientBoostingRegressor(n_estimators=2).fit(frame[frame.columns[::-1]], X[:, 0],
                                                      xgb_model=previous)
    again = GradientBoostingRegressor(n_estimators=2).fit(frame, X[:, 0], xgb_model=previous)
    assert again.n_iterations_ == 4


# --------------------------------------------------------------------------- persistence
def _fitted_models():
    """Fitted models of every kind that must survive a round trip, with their test X."""
    X, y = _regression(n=200)
    X_nan = X.copy()
    X_nan[np.random.default_rng(0).random(X.shape) < 0.15] = np.nan
    Xc, yc = _classification(n=200)
    X3, y3 = _classification(n=200, n_classes=3)
    labels = np.array(["setosa", "versicolor", "virginica"])[y3]
    early = GradientBoostingRegressor(n_estimators=60, max_depth=4, learning_rate=0.8,
                                      early_stopping_rounds=3)
    early.fit(X[:120], y[:120], eval_set=[(X[120:], y[120:])])
    return {
        "regressor": (GradientBoostingRegressor(**SMALL).fit(X, y), X),
        "binary": (GradientBoostingClassifier(**SMALL).fit(Xc, yc), Xc),
        "multiclass-str": (GradientBoostingClassifier(**SMALL).fit(X3, labels), X3),
        "nan": (GradientBoostingRegressor(**SMALL).fit(X_nan, y), X_nan),
        "early-stopped": (early, X),
        "poisson": (GradientBoostingRegressor(objective="count:poisson", **SMALL)
                    .fit(X, np.floor(np.abs(y))), X),
    }


@pytest.fixture(scope="module")
def fitted_models():
    return _fitted_models()


def _outputs(model, X):
    out = [model.predict(X), model.predict(X, output_margin=True)]
    if hasattr(model, "predict_proba"):
        out.append(model.predict_proba(X))
    return out


MODEL_KINDS = ["regressor", "binary", "multiclass-str", "nan", "early-stopped", "poisson"]


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_pickle_and_joblib_round_trips(kind, fitted_models, tmp_path):
    model, X = fitted_models[kind]
    restored = [pickle.loads(pickle.dumps(model))]
    joblib.dump(model, tmp_path / "model.joblib")
    restored.append(joblib.load(tmp_path / "model.joblib"))
    for other in restored:
        for a, b in zip(_outputs(model, X), _outputs(other, X), strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_save_and_load_give_bit_identical_predictions(kind, fitted_models, tmp_path):
    model, X = fitted_models[kind]
    path = tmp_path / "model.json"
    model.save_model(path)
    loaded = type(model)().load_model(path)
    for a, b in zip(_outputs(model, X), _outputs(loaded, X), strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    assert loaded.n_iterations_ == model.n_iterations_
    assert loaded.get_params() == model.get_params()
    if hasattr(model, "classes_"):
        np.testing.assert_array_equal(loaded.classes_, model.classes_)
        assert loaded.classes_.dtype == model.classes_.dtype
    if kind == "early-stopped":
        assert model.n_iterations_ > model.best_iteration + 1
        assert loaded.best_iteration == model.best_iteration
        assert loaded.best_score == model.best_score
        np.testing.assert_array_equal(
            loaded.predict(X), model.predict(X, iteration_range=(0, model.best_iteration + 1)))


def test_save_and_load_keep_feature_names(tmp_path):
    pd = pytest.importorskip("pandas")
    X, y = _regression(n=120, n_features=2)
    df = pd.DataFrame(X, columns=["a", "b"])
    model = GradientBoostingRegressor(**SMALL).fit(df, y)
    model.save_model(tmp_path / "m.json")
    loaded = GradientBoostingRegressor().load_model(tmp_path / "m.json")
    np.testing.assert_array_equal(loaded.feature_names_in_, ["a", "b"])
    np.testing.assert_array_equal(loaded.predict(df), model.predict(df))


def test_load_model_into_a_fitted_estimator_replaces_it(fitted_models, tmp_path):
    model, X = fitted_models["regressor"]
    model.save_model(tmp_path / "m.json")
    other = GradientBoostingRegressor(n_estimators=3, max_depth=1).fit(X, -X[:, 0])
    other.load_model(tmp_path / "m.json")
    np.testing.assert_array_equal(other.predict(X), model.predict(X))
    assert other.max_depth == model.max_depth


def test_save_model_refuses_a_callable_objective(tmp_path):
    X, y = _regression(n=100)

    def squared(y_true, y_pred):
        return y_pred - y_true, np.ones_like(y_pred)

    model = GradientBoostingRegressor(objective=squared, n_estimators=2).fit(X, y)
    with pytest.raises(ValueError, match="callable"):
        model.save_model(tmp_path / "m.json")


def _set(path_keys, value):
    def edit(doc):
        target = doc
        for key in path_keys[:-1]:
            target = target[key]
        target[path_keys[-1]] = value
    return edit


def _first_split(doc):
    """Index of the first internal node of tree 0."""
    return next(i for i, left in enumerate(doc["booster"]["trees"][0]["left"]) if left != -1)


def _tamper_child_out_of_range(doc):
    tree = doc["booster"]["trees"][0]
    tree["left"][_first_split(doc)] = len(tree["left"]) + 10


def _tamper_child_cycle(doc):
    tree = doc["booster"]["trees"][0]
    # Point a deeper split back at the root.
    node = [i for i, left in enumerate(tree["left"]) if left != -1][1]
    tree["right"][node] = 0


def _tamper_self_loop(doc):
    tree = doc["booster"]["trees"][0]
    tree["left"][0] = 0


def _tamper_feature(value):
    def edit(doc):
        doc["booster"]["trees"][0]["feature"][_first_split(doc)] = value
    return edit


def _tamper_leaf(value):
    def edit(doc):
        tree = doc["booster"]["trees"][0]
        leaf = tree["left"].index(-1)
        tree["value"][leaf] = [value]
    return edit


def _drop_tree(doc):
    doc["booster"]["trees"].pop()


def _negative_child(doc):
    tree = doc["booster"]["trees"][0]
    tree["right"][_first_split(doc)] = -7


def _shorter_array(doc):
    doc["booster"]["trees"][0]["threshold"].pop()


def _string_threshold(doc):
    tree = doc["booster"]["trees"][0]
    tree["threshold"][_first_split(doc)] = "0.5; import os"


TAMPERINGS = {
    "wrong-format": (_set(["format"], "xgboost"), "format"),
    "wrong-version": (_set(["version"], 99), "version"),
    "missing-version": (lambda doc: doc.pop("version"), "version"),
    "wrong-estimator": (_set(["estimator"], "GradientBoostingClassifier"), "Classifier"),
    "child-out-of-range": (_tamper_child_out_of_range, "child"),
    "child-cycle": (_tamper_child_cycle, "child"),
    "child-self-loop": (_tamper_self_loop, "child"),
    "negative-child": (_negative_child, "not a valid"),
    "feature-too-large": (_tamper_feature(4), "feature"),
    "feature-negative": (_tamper_feature(-2), "feature"),
    "too-few-trees": (_drop_tree, "trees"),
    "nan-leaf": (_tamper_leaf(float("nan")), "leaf"),
    "inf-leaf": (_tamper_leaf(float("inf")), "leaf"),
    "ragged-tree": (_shorter_array, "lengths"),
    "string-threshold": (_string_threshold, "not a valid"),
    "bad-param": (_set(["params", "max_depth"], -4), "max_depth"),
    "unknown-param": (_set(["params", "exec"], "rm -rf"), "exec"),
    "bad-objective": (_set(["params", "objective"], "os.system"), "objective"),
    "n-features": (_set(["n_features_in"], 0), "not a valid"),
    "base-margin": (_set(["booster", "base_margin"], []), "base_margin"),
    "not-an-object": (lambda doc: doc.clear(), "format"),
}


@pytest.mark.parametrize("case", list(TAMPERINGS))
def test_load_model_rejects_a_tampered_file(case, fitted_models, tmp_path):
    model, X = fitted_models["regressor"]
    path = tmp_path / "m.json"
    model.save_model(path)
    doc = json.loads(path.read_text())
    edit, message = TAMPERINGS[case]
    edit(doc)
    # json.dumps writes NaN and Infinity as JavaScript literals, which json.loads accepts.
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match=message):
        GradientBoostingRegressor().load_model(path)


def test_a_rejected_load_leaves_the_estimator_unchanged(fitted_models, tmp_path):
    model, X = fitted_models["regressor"]
    path = tmp_path / "m.json"
    model.save_model(path)
    doc = json.loads(path.read_text())
    doc["params"]["objective"] = "os.system"
    path.write_text(json.dumps(doc))
    target = GradientBoostingRegressor(**SMALL).fit(X, X[:, 0])
    params, before = target.get_params(), target.predict(X)
    with pytest.raises(ValueError, match="objective"):
        target.load_model(path)
    np.testing.assert_array_equal(target.predict(X), before)
    assert target.get_params() == params


def test_load_model_rejects_the_other_estimator_kind(fitted_models, tmp_path):
    clf, _ = fitted_models["binary"]
    clf.save_model(tmp_path / "clf.json")
    with pytest.raises(ValueError, match="GradientBoostingClassifier"):
        GradientBoostingRegressor().load_model(tmp_path / "clf.json")


@pytest.mark.parametrize(
    "content", ["", "{not json", "[1, 2, 3]", "null", '{"format": 3}', "\x00\x01binary"]
)
def test_load_model_rejects_text_that_is_not_a_model(content, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ValueError, match="not a valid ensembles model"):
        GradientBoostingClassifier().load_model(path)


def test_load_model_of_a_missing_file_raises_value_error(tmp_path):
    with pytest.raises(ValueError, match="Cannot read"):
        GradientBoostingRegressor().load_model(tmp_path / "absent.json")


def test_load_model_never_crashes_on_random_structural_edits(fitted_models, tmp_path):
    """Random edits of the tree arrays either fail cleanly or give a usable model."""
    model, X = fitted_models["multiclass-str"]
    path = tmp_path / "m.json"
    model.save_model(path)
    original = json.loads(path.read_text())
    rng = np.random.default_rng(0)
    rejected = 0
    for _ in range(150):
        doc = json.loads(json.dumps(original))
        tree = doc["booster"]["trees"][int(rng.integers(len(doc["booster"]["trees"])))]
        field = str(rng.choice(["left", "right", "feature", "default_left", "split_bin"]))
        node = int(rng.integers(len(tree[field])))
        tree[field][node] = int(rng.integers(-3, len(tree["left"]) + 3))
        path.write_text(json.dumps(doc))
        try:
            loaded = GradientBoostingClassifier().load_model(path)
        except ValueError:
            rejected += 1
            continue
        proba = loaded.predict_proba(X)
        assert np.all(np.isfinite(proba))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    # Most edits of child or feature indices break the tree and must have been caught.
    assert rejected > 30


# --------------------------------------------------------------------------- bad input
def test_non_finite_targets_are_rejected():
    X, y = _regression(n=50)
    for bad in (np.nan, np.inf, -np.inf):
        y_bad = y.copy()
        y_bad[3] = bad
        with pytest.raises(ValueError, match="y"):
            GradientBoostingRegressor(n_estimators=2).fit(X, y_bad)
    y_cls = (y > 0).astype(float)
    y_cls[0] = np.nan
    with pytest.raises(ValueError):
        GradientBoostingClassifier(n_estimators=2).fit(X, y_cls)


@pytest.mark.parametrize("estimator", [GradientBoostingRegressor, GradientBoostingClassifier])
def test_bad_feature_matrices_are_rejected(estimator):
    X, y = _regression(n=60)
    y = (y > 0).astype(int)
    X_inf = X.copy()
    X_inf[5, 1] = np.inf
    with pytest.raises(ValueError, match="(?i)infinity"):
        estimator(n_estimators=2).fit(X_inf, y)
    with pytest.raises(ValueError, match="(?i)sample"):
        estimator(n_estimators=2).fit(np.empty((0, 4)), np.empty(0))
    with pytest.raises(ValueError, match="(?i)feature"):
        estimator(n_estimators=2).fit(np.empty((60, 0)), y)
    model = estimator(n_estimators=2).fit(X, y)
    with pytest.raises(ValueError, match="(?i)infinity"):
        model.predict(X_inf)
    with pytest.raises(ValueError, match="4 features"):
        model.predict(X[:, :3])
    with pytest.raises(ValueError, match="(?i)sample"):
        model.predict(np.empty((0, 4)))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        estimator(n_estimators=2).fit(X, y[:-1])


def test_single_class_is_rejected():
    X, _ = _regression(n=40)
    with pytest.raises(ValueError, match="at least 2 classes"):
        GradientBoostingClassifier(n_estimators=2).fit(X, np.full(40, "only"))


def test_continuous_labels_are_rejected_by_the_classifier():
    X, y = _regression(n=40)
    with pytest.raises(ValueError, match="(?i)continuous"):
        GradientBoostingClassifier(n_estimators=2).fit(X, y)


def test_predicting_before_fit_raises_not_fitted():
    from sklearn.exceptions import NotFittedError

    X, _ = _regression(n=10)
    for model in (GradientBoostingRegressor(), GradientBoostingClassifier()):
        with pytest.raises(NotFittedError):
            model.predict(X)
    with pytest.raises(NotFittedError):
        GradientBoostingClassifier().predict_proba(X)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (lambda n: np.r_[-1.0, np.ones(n - 1)], "(?i)negative"),
        (lambda n: np.r_[np.nan, np.ones(n - 1)], "(?i)nan"),
        (lambda n: np.r_[np.inf, np.ones(n - 1)], "(?i)infinity"),
        (lambda n: np.zeros(n), "non-zero|positive"),
        (lambda n: np.ones(n - 1), "(?i)shape|samples"),
    ],
    ids=["negative", "nan", "inf", "all-zero", "wrong-length"],
)
def test_bad_sample_weights_are_rejected(weights, message):
    X, y = _regression(n=50)
    with pytest.raises(ValueError, match=message):
        GradientBoostingRegressor(n_estimators=2).fit(X, y, sample_weight=weights(50))


def test_targets_outside_the_objective_domain_are_rejected():
    X, y = _regression(n=50)
    with pytest.raises(ValueError, match="non-negative"):
        GradientBoostingRegressor(objective="count:poisson", n_estimators=2).fit(X, y)
    with pytest.raises(ValueError, match="positive"):
        GradientBoostingRegressor(objective="reg:gamma", n_estimators=2).fit(X, np.abs(y) * 0)
    with pytest.raises(ValueError, match="base_score"):
        GradientBoostingRegressor(objective="reg:gamma", base_score=-1.0,
                                  n_estimators=2).fit(X, np.abs(y) + 1)
    with pytest.raises(ValueError, match="base_score"):
        GradientBoostingClassifier(base_score=1.5, n_estimators=2).fit(X, y > 0)


def test_unknown_objectives_and_metrics_are_rejected():
    X, y = _regression(n=50)
    yc = (y > 0).astype(int)
    with pytest.raises(ValueError, match="reg:squarederr"):
        GradientBoostingRegressor(objective="reg:squarederr").fit(X, y)
    with pytest.raises(ValueError, match="not a regression objective"):
        GradientBoostingRegressor(objective="binary:logistic").fit(X, y)
    with pytest.raises(ValueError, match="not a classification objective"):
        GradientBoostingClassifier(objective="reg:squarederror").fit(X, yc)
    with pytest.raises(ValueError, match="multi:softprob"):
        GradientBoostingClassifier(objective="multi:softprob").fit(X, yc)
    with pytest.raises(ValueError, match="eval_metric"):
        GradientBoostingRegressor(eval_metric="r2").fit(X, y, eval_set=[(X, y)])
    with pytest.raises(ValueError, match="eval_metric"):
        GradientBoostingRegressor(eval_metric=["rmse", "bogus"]).fit(X, y, eval_set=[(X, y)])
    with pytest.raises(ValueError, match="objective"):
        GradientBoostingRegressor(objective=42).fit(X, y)


def test_a_callable_objective_with_bad_output_is_rejected():
    X, y = _regression(n=50)

    def wrong_shape(y_true, y_pred):
        return y_pred[:-1] - y_true[:-1], np.ones(len(y_pred) - 1)

    def not_finite(y_true, y_pred):
        return np.full_like(y_pred, np.nan), np.ones_like(y_pred)

    def not_a_pair(y_true, y_pred):
        return y_pred - y_true

    for func, message in ((wrong_shape, "shape"), (not_finite, "NaN"), (not_a_pair, "tuple")):
        with pytest.raises(ValueError, match=message):
            GradientBoostingRegressor(objective=func, n_estimators=2).fit(X, y)


@pytest.mark.parametrize("missing", [False, True])
def test_max_bin_256_separates_256_values(missing):
    """XGBoost's max_bin counts value bins: 256 distinct values get one bin each (with
    NaN on top), so a target alternating along them is fitted exactly; 255 bins cannot."""
    x = np.tile(np.arange(256.0), 3)
    y = x % 2
    if missing:
        x, y = np.r_[x, np.nan, np.nan], np.r_[y, 5.0, 5.0]
    params = dict(n_estimators=1, learning_rate=1.0, reg_lambda=0.0, min_child_weight=0.0,
                  grow_policy="lossguide", max_depth=0, max_leaves=300, base_score=0.0)
    exact = GradientBoostingRegressor(max_bin=256, **params).fit(x[:, None], y)
    np.testing.assert_allclose(exact.predict(x[:, None]), y, atol=1e-6)
    coarse = GradientBoostingRegressor(max_bin=255, **params).fit(x[:, None], y)
    assert np.abs(coarse.predict(x[:, None]) - y).max() > 0.4


@pytest.mark.parametrize("max_bin", [300, 2000])
def test_more_than_256_bins_fit_save_and_load(max_bin, tmp_path):
    rng = np.random.default_rng(9)
    X = rng.normal(size=(3000, 4))
    X[rng.random(X.shape) < 0.05] = np.nan
    y = np.sin(3 * np.nan_to_num(X[:, 0])) + 0.1 * rng.normal(size=3000)
    model = GradientBoostingRegressor(n_estimators=20, max_bin=max_bin).fit(X, y)
    assert model._bin_mapper.n_bins_.max() > 256
    coarse = GradientBoostingRegressor(n_estimators=20, max_bin=16).fit(X, y)
    assert model.score(X, y) > coarse.score(X, y)
    path = tmp_path / "model.json"
    model.save_model(path)
    loaded = GradientBoostingRegressor().load_model(path)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    # Training continues from the loaded bins.
    more = GradientBoostingRegressor(n_estimators=5, max_bin=max_bin).fit(X, y,
                                                                         xgb_model=loaded)
    assert more.n_iterations_ == 25


OUT_OF_RANGE = [
    ("n_estimators", 0), ("n_estimators", 2.5), ("learning_rate", 0.0),
    ("learning_rate", -0.1), ("max_depth", -1), ("max_leaves", -2),
    ("grow_policy", "breadthfirst"), ("min_child_weight", -1.0), ("reg_lambda", -0.5),
    ("reg_alpha", -1.0), ("gamma", -0.1), ("max_delta_step", -1.0), ("subsample", 0.0),
    ("subsample", 1.5), ("colsample_bytree", 0.0), ("colsample_bylevel", 1.01),
    ("colsample_bynode", -0.2), ("max_bin", 1), ("max_bin", 65536), ("base_score", "high"),
    ("early_stopping_rounds", 0), ("huber_slope", 0.0), ("quantile_alpha", 1.0),
    ("quantile_alpha", 0.0), ("tweedie_variance_power", 2.0),
    ("tweedie_variance_power", 0.9), ("importance_type", "split"), ("n_jobs", "all"),
    ("n_jobs", 0), ("random_state", "seed"), ("callbacks", "print"),
    ("eval_metric", 3), ("objective", 1.5),
]


@pytest.mark.parametrize(("param", "value"), OUT_OF_RANGE)
def test_out_of_range_parameters_name_the_parameter(param, value):
    X, y = _regression(n=40)
    with pytest.raises(ValueError, match=param):
        GradientBoostingRegressor(**{"n_estimators": 2, param: value}).fit(X, y)


def test_unlimited_depth_needs_lossguide():
    X, y = _regression(n=40)
    with pytest.raises(ValueError, match="max_depth=0"):
        GradientBoostingRegressor(max_depth=0, n_estimators=2).fit(X, y)
    model = GradientBoostingRegressor(max_depth=0, max_leaves=4, grow_policy="lossguide",
                                      n_estimators=2).fit(X, y)
    assert model.apply(X).max() >= 0
    # The linear booster grows no trees: the depth means nothing to it.
    linear = GradientBoostingRegressor(booster="gblinear", max_depth=0, n_estimators=3)
    reference = GradientBoostingRegressor(booster="gblinear", n_estimators=3)
    np.testing.assert_array_equal(linear.fit(X, y).predict(X), reference.fit(X, y).predict(X))


def test_bad_eval_sets_are_rejected():
    X, y = _regression(n=60)
    reg = GradientBoostingRegressor(n_estimators=2)
    for bad in ((X, y), [(X,)], [X], [(X, y, y)], "validation"):
        with pytest.raises(TypeError, match="list of \\(X, y\\) pairs"):
            reg.fit(X, y, eval_set=bad)
    with pytest.raises(ValueError, match="sample_weight_eval_set"):
        reg.fit(X, y, sample_weight_eval_set=[np.ones(60)])
    with pytest.raises(ValueError, match="sample_weight_eval_set has 2 entries but eval_set "
                                         "has 1"):
        reg.fit(X, y, eval_set=[(X, y)], sample_weight_eval_set=[None, None])
    with pytest.raises(ValueError, match="base_margin_eval_set has 2 entries but eval_set "
                                         "has 1"):
        reg.fit(X, y, eval_set=[(X, y)], base_margin_eval_set=[None, None])
    for bad_weight in (-np.ones(60), np.ones(59), np.full(60, np.nan)):
        with pytest.raises(ValueError, match=r"sample_weight_eval_set\[1\]: "):
            reg.fit(X, y, eval_set=[(X, y), (X, y)],
                    sample_weight_eval_set=[None, bad_weight])
    with pytest.raises(ValueError, match="rows"):
        reg.fit(X, y, eval_set=[(X, y[:-1])])
    with pytest.raises(ValueError, match="4 features"):
        reg.fit(X, y, eval_set=[(X[:, :2], y)])
    yc = (y > 0).astype(int)
    with pytest.raises(ValueError, match="not seen"):
        GradientBoostingClassifier(n_estimators=2).fit(X, yc, eval_set=[(X, yc + 5)])
    with pytest.raises(ValueError, match="eval_set"):
        GradientBoostingRegressor(n_estimators=2, early_stopping_rounds=2).fit(X, y)


# --------------------------------------------------------------------------- determinism
SAMPLED = {"n_estimators": 6, "max_depth": 4, "subsample": 0.7, "colsample_bytree": 0.8,
           "colsample_bylevel": 0.8, "colsample_bynode": 0.8, "random_state": 11}


@pytest.mark.parametrize("estimator", [GradientBoostingRegressor, GradientBoostingClassifier])
def test_same_model_for_any_n_jobs(estimator):
    if estimator is GradientBoostingRegressor:
        X, y = _regression(n=1500, n_features=6)
    else:
        X, y = _classification(n=1500, n_classes=3)
        X = np.hstack([X, X[:, :2] ** 2])
    one = estimator(n_jobs=1, **SAMPLED).fit(X, y)
    two = estimator(n_jobs=2, **SAMPLED).fit(X, y)
    np.testing.assert_array_equal(one.predict(X, output_margin=True),
                                  two.predict(X, output_margin=True))
    np.testing.assert_array_equal(one.apply(X), two.apply(X))
    again = estimator(n_jobs=2, **SAMPLED).fit(X, y)
    np.testing.assert_array_equal(again.predict(X, output_margin=True),
                                  two.predict(X, output_margin=True))
    # The sampling is live: another seed grows other trees.
    other = estimator(n_jobs=1, **{**SAMPLED, "random_state": 12}).fit(X, y)
    assert not np.array_equal(other.predict(X, output_margin=True),
                              one.predict(X, output_margin=True))


def test_fitting_and_predicting_from_threads_matches_serial():
    X, y = _regression(n=600, n_features=5)
    X3, y3 = _classification(n=600, n_classes=3)
    jobs = [
        (GradientBoostingRegressor, X, y, {**SAMPLED, "random_state": 1, "n_jobs": 2}),
        (GradientBoostingRegressor, X, y, {**SAMPLED, "random_state": 2, "n_jobs": 1}),
        (GradientBoostingClassifier, X3, y3, {**SAMPLED, "random_state": 3, "n_jobs": 2}),
        (GradientBoostingRegressor, X, y, {"n_estimators": 6, "grow_policy": "lossguide",
                                           "max_leaves": 8, "n_jobs": 2}),
    ]

    def run(job):
        estimator, X_job, y_job, params = job
        model = estimator(**params).fit(X_job, y_job)
        return model, model.predict(X_job, output_margin=True)

    serial = [run(job) for job in jobs]
    for _ in range(2):
        with ThreadPoolExecutor(max_workers=4) as pool:
            parallel = list(pool.map(run, jobs))
        for (_, expected), (_, got) in zip(serial, parallel, strict=True):
            np.testing.assert_array_equal(got, expected)

    # One fitted model predicted from many threads at once.
    model, expected = serial[2]
    with ThreadPoolExecutor(max_workers=4) as pool:
        outs = list(pool.map(lambda _: model.predict(X3, output_margin=True), range(8)))
    for out in outs:
        np.testing.assert_array_equal(out, expected)


def test_one_row_predictions_take_the_fast_path_and_still_validate():
    X, y = make_classification(300, 6, random_state=0)
    model = GradientBoostingClassifier(n_estimators=15).fit(X, y)
    batch = model.predict_proba(X)
    for dtype in (np.float64, np.float32):
        for order in ("C", "F"):
            rows = np.asarray(X[:3], dtype=dtype, order=order)
            for i in range(3):
                np.testing.assert_allclose(model.predict_proba(rows[i:i + 1]),
                                           batch[i:i + 1], rtol=1e-6)
    bad = X[:1].copy()
    bad[0, 2] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        model.predict_proba(bad)
    with pytest.raises(ValueError, match="features"):
        model.predict_proba(X[:1, :5])
    with pytest.raises(ValueError):
        model.predict_proba(np.empty((0, 6)))


@pytest.mark.parametrize("n_classes", [2, 3])
def test_large_fits_are_identical_for_every_n_jobs(n_classes):
    """140,000 rows: gradients in row blocks, level-parallel growth on several chunks and
    margins updated leaf by leaf on the threads; the model must not depend on n_jobs."""
    X, y = make_classification(140_000, 5, n_informative=4, n_redundant=0,
                               n_classes=n_classes, random_state=0)
    X[::7, 1] = np.nan
    params = dict(n_estimators=2, max_depth=4, subsample=0.9, colsample_bynode=0.8,
                  random_state=0)
    probas = [GradientBoostingClassifier(n_jobs=n_jobs, **params).fit(X, y).predict_proba(X)
              for n_jobs in (1, 2, 3)]
    assert np.array_equal(probas[0], probas[1]) and np.array_equal(probas[0], probas[2])


@pytest.mark.parametrize("n", [1, 2, 3, 4, 10])
def test_round_seeds_are_numpys_bounded_draws(n):
    """A round's tree seeds are ``rng.integers(0, 2**63, size=n)`` (drawn a cheaper way
    from numpy's default generator), round after round, and leave the generator where
    that draw leaves it; another bit generator takes that draw itself."""
    for make in (np.random.PCG64, np.random.MT19937):
        for seed in range(4):
            fast = np.random.Generator(make(seed))
            plain = np.random.Generator(make(seed))
            for _ in range(3):
                assert ([int(s) for s in _tree_seeds(fast, n)]
                        == plain.integers(0, 2**63, size=n).tolist())
            # The same state after: the same draws of every kind from here on.
            np.testing.assert_array_equal(fast.integers(0, 1000, 5, dtype=np.int32),
                                          plain.integers(0, 1000, 5, dtype=np.int32))
            np.testing.assert_array_equal(fast.random(3), plain.random(3))
