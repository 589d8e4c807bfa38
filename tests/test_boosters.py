"""The dart and gblinear boosters: XGBoost's semantics, checked against XGBoost,
scikit-learn's ElasticNet and the gbtree booster; persistence, early stopping, SHAP."""

import io
import json

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import ElasticNet

from ensembles import GradientBoostingClassifier, GradientBoostingRegressor
from ensembles.boosting.booster import DartParams, _dart_normalize

xgb = pytest.importorskip("xgboost")


def regression_data(n=600, missing=False, seed=0):
    X, y = make_regression(n, 8, n_informative=5, noise=5.0, random_state=seed)
    if missing:
        X[np.random.default_rng(seed).random(X.shape) < 0.1] = np.nan
    return X, y


# ---------------------------------------------------------------------- dart
@pytest.mark.parametrize("params", [
    dict(rate_drop=0.0),
    dict(rate_drop=0.5, skip_drop=1.0),  # every round skips the dropout
], ids=["rate_drop=0", "skip_drop=1"])
def test_dart_without_dropout_is_gbtree(params):
    X, y = regression_data()
    common = dict(n_estimators=15, subsample=0.8, colsample_bytree=0.7, random_state=0)
    gbtree = GradientBoostingRegressor(**common).fit(X, y)
    dart = GradientBoostingRegressor(booster="dart", **common, **params).fit(X, y)
    np.testing.assert_array_equal(dart.predict(X), gbtree.predict(X))
    Xc, yc = make_classification(400, 6, n_informative=4, n_classes=3, random_state=0)
    a = GradientBoostingClassifier(n_estimators=5, random_state=0).fit(Xc, yc)
    b = GradientBoostingClassifier(n_estimators=5, random_state=0, booster="dart",
                                   **params).fit(Xc, yc)
    np.testing.assert_array_equal(a.predict_proba(Xc), b.predict_proba(Xc))


@pytest.mark.parametrize("normalize_type", ["tree", "forest"])
def test_dart_normalization(normalize_type):
    eta = 0.3
    dart = DartParams(rate_drop=0.5, normalize_type=normalize_type)
    w, factor = _dart_normalize(np.array([1.0, 0.8, 0.5]), np.array([0, 2]), 1, dart, eta)
    if normalize_type == "tree":  # k dropped: k / (k + eta), new tree 1 / (k + eta)
        np.testing.assert_allclose(w, [2 / 2.3, 0.8, 0.5 * 2 / 2.3, 1 / 2.3])
    else:  # both 1 / (1 + eta)
        np.testing.assert_allclose(w, [1 / 1.3, 0.8, 0.5 / 1.3, 1 / 1.3])
    w, factor = _dart_normalize(np.array([1.0]), np.array([], dtype=int), 1, dart, eta)
    np.testing.assert_array_equal(w, [1.0, 1.0])


def test_dart_one_drop_second_tree_sees_the_base_margin():
    # Two rounds with one_drop: round 2 must drop the only tree, so its gradients are those
    # of round 1 and it grows the same tree; then both weigh 1 / (1 + eta).
    X, y = regression_data()
    eta = 0.2
    model = GradientBoostingRegressor(n_estimators=2, learning_rate=eta, booster="dart",
                                      one_drop=True, random_state=0).fit(X, y)
    t0, t1 = model._booster.trees
    np.testing.assert_array_equal(t0.feature, t1.feature)
    np.testing.assert_allclose(t0.value, t1.value, rtol=1e-12)
    np.testing.assert_allclose(model._booster.tree_weights, [1 / (1 + eta)] * 2)
    # Prediction: base + weighted trees.
    single = GradientBoostingRegressor(n_estimators=1, learning_rate=eta).fit(X, y)
    single_tree = single.predict(X) - single._booster.base_margin[0]
    np.testing.assert_allclose(model.predict(X) - model._booster.base_margin[0],
                               2 / (1 + eta) * single_tree, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("params", [
    dict(rate_drop=0.2),
    dict(rate_drop=0.3, sample_type="weighted", normalize_type="forest", one_drop=True),
    dict(rate_drop=0.3, skip_drop=0.4),
])
def test_dart_eval_margins_track_the_model_and_learn_like_xgboost(params):
    X, y = regression_data(1200, missing=True)
    Xt, yt = X[800:], y[800:]
    X, y = X[:800], y[:800]
    ours = GradientBoostingRegressor(n_estimators=40, booster="dart", learning_rate=0.3,
                                     max_depth=4, random_state=0, **params)
    ours.fit(X, y, eval_set=[(Xt, yt)])
    rmse = float(np.sqrt(np.mean((ours.predict(Xt) - yt) ** 2)))
    # The running eval margins (updated incrementally through drops and rescaling) equal
    # a fresh prediction with the final weights.
    assert ours.evals_result_["validation_0"]["rmse"][-1] == pytest.approx(rmse, rel=1e-9)
    staged = list(ours.staged_predict(Xt))
    np.testing.assert_allclose(staged[-1], ours.predict(Xt), rtol=1e-12, atol=1e-9)
    # XGBoost's dart draws from another random stream: compare the fit's quality.
    rmses = [np.sqrt(np.mean((xgb.XGBRegressor(
        n_estimators=40, booster="dart", learning_rate=0.3, max_depth=4, tree_method="hist",
        n_jobs=1, random_state=s, **params).fit(X, y).predict(Xt) - yt) ** 2))
        for s in range(2)]
    assert rmse < 1.25 * np.mean(rmses)


def test_dart_save_load_early_stopping_shap_and_xgboost_file():
    X, y = regression_data(800)
    model = GradientBoostingRegressor(n_estimators=200, booster="dart", rate_drop=0.2,
                                      learning_rate=0.3, early_stopping_rounds=5,
                                      random_state=0)
    model.fit(X[:600], y[:600], eval_set=[(X[600:], y[600:])])
    assert model.n_iterations_ < 200
    best = model.best_iteration
    np.testing.assert_array_equal(model.predict(X), model.predict(X, iteration_range=(0,
                                                                                      best + 1)))
    loaded = GradientBoostingRegressor().load_model(io.BytesIO(model.save_model()))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(loaded._booster.tree_weights, model._booster.tree_weights)
    contribs = model.predict(X, pred_contribs=True)
    np.testing.assert_allclose(contribs.sum(axis=1), model.predict(X), rtol=1e-9, atol=1e-6)
    # XGBoost reads the dart model as gbtree with the weights in the leaves (the export
    # decides splits the same way for float32 inputs).
    booster = xgb.Booster()
    booster.load_model(bytearray(model.save_model(format="xgboost")))
    X32 = X.astype(np.float32)
    full = model.predict(X32, iteration_range=(0, model.n_iterations_))
    np.testing.assert_allclose(booster.predict(xgb.DMatrix(X32)), full, rtol=1e-4,
                               atol=1e-5 * np.abs(full).max())
    doc = json.loads(model.save_model())
    doc["booster"]["tree_weights"][0] = "x"
    with pytest.raises(ValueError, match="tree_weights"):
        GradientBoostingRegressor().load_model(json.dumps(doc).encode())


# ---------------------------------------------------------------------- gblinear
def _xgb_linear(model):
    dump = json.loads(model.get_booster().get_dump(dump_format="json")[0])
    return np.array(dump["weight"]), np.array(dump["bias"])


LINEAR_CASES = {
    "coord_descent": dict(updater="coord_descent"),
    "shotgun": dict(updater="shotgun"),
    "greedy": dict(updater="coord_descent", feature_selector="greedy"),
    "thrifty-top3": dict(updater="coord_descent", feature_selector="thrifty", top_k=3),
    "greedy-top2": dict(updater="coord_descent", feature_selector="greedy", top_k=2),
    "elastic-net": dict(updater="coord_descent", reg_alpha=0.5, reg_lambda=0.2),
}


@pytest.mark.parametrize("case", list(LINEAR_CASES))
def test_gblinear_matches_xgboost(case):
    # XGBoost's shotgun is deterministic on one thread; the rest always is.
    X, y = regression_data(missing=True)
    w = np.random.default_rng(1).uniform(0.5, 2.0, size=len(y))
    params = dict(n_estimators=15, booster="gblinear", learning_rate=0.5, reg_lambda=0.0,
                  reg_alpha=0.0, base_score=1.0)
    params.update(LINEAR_CASES[case])
    ours = GradientBoostingRegressor(**params).fit(X, y, sample_weight=w)
    theirs = xgb.XGBRegressor(n_jobs=1, **params).fit(X, y, sample_weight=w)
    weight, bias = _xgb_linear(theirs)
    scale = np.abs(weight).max()
    np.testing.assert_allclose(ours.coef_, weight, rtol=1e-5, atol=1e-5 * scale)
    np.testing.assert_allclose(ours.intercept_, bias + 1.0, rtol=1e-5, atol=1e-5 * scale)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-5,
                               atol=1e-5 * np.abs(y).max())
    np.testing.assert_allclose(ours.predict(X, pred_contribs=True),
                               theirs.get_booster().predict(xgb.DMatrix(X),
                                                            pred_contribs=True), rtol=1e-5,
                               atol=1e-5 * np.abs(y).max())


@pytest.mark.parametrize("n_classes", [2, 3])
def test_gblinear_classifier_matches_xgboost(n_classes):
    X, y = make_classification(500, 6, n_informative=4, n_classes=n_classes, random_state=0)
    # base_score given: XGBoost's gblinear starts every class from the first class's
    # intercept, this library from each class's own.
    params = dict(n_estimators=20, booster="gblinear", updater="coord_descent",
                  learning_rate=0.3, reg_lambda=0.01, base_score=0.5)
    ours = GradientBoostingClassifier(**params).fit(X, y)
    theirs = xgb.XGBClassifier(n_jobs=1, **params).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=2e-6)
    weight, _ = _xgb_linear(theirs)
    coef = ours.coef_ if n_classes == 2 else ours.coef_.T.ravel()
    np.testing.assert_allclose(coef, weight, atol=2e-6)


@pytest.mark.parametrize("selector", ["cyclic", "shuffle", "random"])
def test_gblinear_converges_to_scikit_learn_elastic_net(selector):
    X, y = regression_data(400, seed=3)
    alpha, l1_ratio = 0.5, 0.3
    # XGBoost's penalties are per unit of sample weight, scikit-learn's per row:
    # reg_alpha = alpha * l1_ratio, reg_lambda = alpha * (1 - l1_ratio).
    model = GradientBoostingRegressor(
        n_estimators=300, booster="gblinear", learning_rate=1.0, reg_alpha=alpha * l1_ratio,
        reg_lambda=alpha * (1 - l1_ratio), updater="coord_descent",
        feature_selector=selector, random_state=0).fit(X, y)
    enet = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-12, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(model.coef_, enet.coef_, atol=1e-6 * np.abs(enet.coef_).max())
    assert model.intercept_[0] == pytest.approx(enet.intercept_, abs=1e-6 * np.abs(y).max())


def test_gblinear_early_stopping_staging_save_load_and_shap():
    X, y = make_classification(800, 10, n_informative=5, random_state=0)
    X[::9, 3] = np.nan
    model = GradientBoostingClassifier(n_estimators=300, booster="gblinear",
                                       learning_rate=0.5, feature_selector="shuffle",
                                       early_stopping_rounds=3, random_state=0)
    model.fit(X[:600], y[:600], eval_set=[(X[600:], y[600:])])
    assert model.n_iterations_ < 300
    best = model.best_iteration
    np.testing.assert_allclose(model.predict_proba(X),
                               model.predict_proba(X, iteration_range=(0, best + 1)))
    staged = list(model.staged_predict_proba(X))
    assert len(staged) == model.n_iterations_
    np.testing.assert_allclose(staged[best], model.predict_proba(X), rtol=1e-12, atol=1e-12)
    margin = model.predict(X, output_margin=True)
    np.testing.assert_allclose(np.nan_to_num(X) @ model.coef_ + model.intercept_[0], margin,
                               rtol=1e-12, atol=1e-12)
    contribs = model.predict(X, pred_contribs=True)
    np.testing.assert_allclose(contribs.sum(axis=1), margin, rtol=1e-12, atol=1e-12)
    inter = model.predict(X[:5], pred_interactions=True)
    np.testing.assert_allclose(inter.sum(axis=2), contribs[:5], atol=1e-12)
    assert np.count_nonzero(inter - np.einsum("nij,nj->nij", np.broadcast_to(
        np.eye(inter.shape[1]), inter.shape), contribs[:5])) == 0
    imp = model.feature_importances_
    np.testing.assert_allclose(imp, np.abs(model._booster.coefficients()[:-1, 0])
                               / np.abs(model._booster.coefficients()[:-1, 0]).sum())
    loaded = GradientBoostingClassifier().load_model(io.BytesIO(model.save_model()))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.best_iteration == best
    text = model.get_dump()[0]
    assert text.startswith("bias:\n") and "weight:" in text
    with pytest.raises(ValueError, match="no trees"):
        model.apply(X)
    with pytest.raises(ValueError, match="gblinear"):
        model.save_model(format="xgboost")
    # Continued training from the saved model equals training longer at once.
    a = GradientBoostingClassifier(n_estimators=10, booster="gblinear").fit(X, y)
    b = GradientBoostingClassifier(n_estimators=5, booster="gblinear").fit(X, y)
    c = GradientBoostingClassifier(n_estimators=5, booster="gblinear").fit(X, y, xgb_model=b)
    np.testing.assert_allclose(c.predict_proba(X), a.predict_proba(X), rtol=1e-12, atol=1e-12)


def test_booster_errors():
    X, y = regression_data(100)
    bad = [
        (dict(booster="gblinearr"), "booster"),
        (dict(booster="dart", rate_drop=1.5), "rate_drop"),
        (dict(booster="dart", skip_drop=-0.1), "skip_drop"),
        (dict(booster="dart", sample_type="random"), "sample_type"),
        (dict(booster="dart", normalize_type="leaf"), "normalize_type"),
        (dict(booster="gblinear", updater="grow_histmaker"), "updater"),
        (dict(updater="shotgun"), "needs booster='gblinear'"),
        (dict(booster="gblinear", feature_selector="greedy"), "needs updater='coord_descent'"),
        (dict(booster="gblinear", feature_selector="best"), "feature_selector"),
        (dict(booster="gblinear", top_k=-1), "top_k"),
    ]
    for params, message in bad:
        model = GradientBoostingRegressor(n_estimators=2, **params)
        with pytest.raises(ValueError, match=message):
            model.fit(X, y)
        assert not hasattr(model, "n_iterations_")
    trees = GradientBoostingRegressor(n_estimators=2).fit(X, y)
    with pytest.raises(ValueError, match="do not mix"):
        GradientBoostingRegressor(n_estimators=2, booster="gblinear").fit(X, y, xgb_model=trees)
    with pytest.raises(AttributeError, match="gblinear"):
        assert trees.coef_ is None  # never reached: raises
    doc = json.loads(trees.save_model())
    doc["params"]["booster"] = "gblinear"
    with pytest.raises(ValueError, match="does not match"):
        GradientBoostingRegressor().load_model(json.dumps(doc).encode())


@pytest.mark.parametrize(("params", "unused"), [
    ({"booster": "gblinear", "monotone_constraints": (1, 0, 0, 0)}, "monotone_constraints"),
    ({"booster": "gblinear", "interaction_constraints": [[0, 1]]}, "interaction_constraints"),
    ({"booster": "gbtree", "rate_drop": 0.2}, "rate_drop"),
    ({"booster": "dart", "feature_selector": "random", "top_k": 2}, "feature_selector"),
])
def test_parameters_another_booster_reads_are_reported_as_xgboost_does(params, unused):
    """They were ignored without a word (XGBoost warns that they are not used)."""
    X, y = make_regression(100, n_features=4, random_state=0)
    with pytest.warns(UserWarning, match=f"Parameters .*'{unused}'.* are not used by "
                                         f"booster='{params['booster']}'"):
        GradientBoostingRegressor(n_estimators=2, **params).fit(X, y)


@pytest.mark.parametrize("booster", ["gbtree", "dart", "gblinear"])
def test_a_booster_with_its_own_parameters_fits_without_warnings(booster):
    import warnings

    X, y = make_regression(100, n_features=4, random_state=0)
    own = {"gbtree": {"monotone_constraints": (1, 0, 0, 0)},
           "dart": {"rate_drop": 0.2, "interaction_constraints": [[0, 1]]},
           "gblinear": {"feature_selector": "shuffle"}}[booster]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        GradientBoostingRegressor(n_estimators=2, booster=booster, **own).fit(X, y)
