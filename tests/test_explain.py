"""TreeSHAP: contributions, interaction values and leaf indices of every tree model.

Oracles: a brute-force Shapley computation over all feature subsets (the definition),
XGBoost's own ``pred_contribs`` / ``pred_interactions`` on models whose trees are the same
as XGBoost's (features with few distinct values, where both libraries bin every value
exactly), and the ``shap`` package's ``TreeExplainer`` run on our forests' trees.
"""

import itertools
import math

import numpy as np
import pytest

from ensembles import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)


# ---------------------------------------------------------------------- brute force
def _expected_value(tree, x, known, node=0):
    """Path-dependent E[f(x) | x_known]: follow x at known features, both children
    weighted by their covers elsewhere."""
    if tree.left[node] == -1:
        return tree.value[node].reshape(-1)  # scikit-learn's layout or a boosting tree's
    f = tree.feature[node]
    left, right = tree.left[node], tree.right[node]
    if f in known:
        xf = x[f]
        go_left = tree.default_left[node] if np.isnan(xf) else xf <= tree.threshold[node]
        return _expected_value(tree, x, known, left if go_left else right)
    share = tree.cover[left] / tree.cover[node]
    return (share * _expected_value(tree, x, known, left)
            + (1 - share) * _expected_value(tree, x, known, right))


def _brute_force_shap(tree, x, n_features):
    """Shapley values by their definition: a weighted sum over all feature subsets."""
    players = range(n_features)
    phi = np.zeros((n_features + 1, tree.value[0].size))
    for i in players:
        others = [j for j in players if j != i]
        for size in range(n_features):
            w = math.factorial(size) * math.factorial(n_features - size - 1) / math.factorial(
                n_features)
            for S in itertools.combinations(others, size):
                phi[i] += w * (_expected_value(tree, x, set(S) | {i})
                               - _expected_value(tree, x, set(S)))
    phi[n_features] = _expected_value(tree, x, set())
    return phi


def _brute_force_interactions(tree, x, n_features):
    """Shapley interaction index (Lundberg et al. 2020) by its definition; the diagonal is
    the contribution minus the row's other entries."""
    out = np.zeros((n_features + 1, n_features + 1, tree.value[0].size))
    for i, j in itertools.permutations(range(n_features), 2):
        others = [k for k in range(n_features) if k not in (i, j)]
        for size in range(n_features - 1):
            w = math.factorial(size) * math.factorial(n_features - size - 2) / (
                2 * math.factorial(n_features - 1))
            for S in itertools.combinations(others, size):
                S = set(S)
                out[i, j] += w * (_expected_value(tree, x, S | {i, j})
                                  - _expected_value(tree, x, S | {i})
                                  - _expected_value(tree, x, S | {j})
                                  + _expected_value(tree, x, S))
    phi = _brute_force_shap(tree, x, n_features)
    for i in range(n_features):
        out[i, i] = phi[i] - out[i].sum(axis=0)
    out[n_features, n_features] = phi[n_features]
    return out


def _data(n=400, n_features=5, seed=0, missing=0.1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    y = X[:, 0] + X[:, 1] * X[:, 2] - (X[:, 3] > 0.5) + 0.3 * rng.normal(size=n)
    X[rng.random(X.shape) < missing] = np.nan
    return X, y


@pytest.mark.parametrize("classifier", [False, True], ids=["regression", "classification"])
def test_single_tree_matches_brute_force_shapley(classifier):
    X, y = _data()
    if classifier:
        model = DecisionTreeClassifier(max_depth=5, random_state=0).fit(X, np.digitize(y, [-1, 1]))
    else:
        model = DecisionTreeRegressor(max_depth=5, random_state=0).fit(X, y)
    tree = model.tree_
    contribs = model.predict_contribs(X[:8])
    interactions = model.predict_interactions(X[:8])
    for r in range(8):
        expected = _brute_force_shap(tree, X[r], X.shape[1])
        expected_int = _brute_force_interactions(tree, X[r], X.shape[1])
        if classifier:  # (n_classes, n_features + 1) per row
            np.testing.assert_allclose(contribs[r], expected.T, atol=1e-12)
            np.testing.assert_allclose(interactions[r], np.moveaxis(expected_int, 2, 0),
                                       atol=1e-12)
        else:
            np.testing.assert_allclose(contribs[r], expected[:, 0], atol=1e-12)
            np.testing.assert_allclose(interactions[r], expected_int[:, :, 0], atol=1e-12)


def test_boosting_tree_matches_brute_force_shapley():
    X, y = _data(seed=1)
    model = GradientBoostingRegressor(n_estimators=1, max_depth=4, learning_rate=1.0,
                                      base_score=0.0).fit(X, y)
    tree = model._booster.trees[0]
    # Internal nodes' values as the brute force reads them: the leaves' cover-weighted mean.
    contribs = model.predict_contribs(X[:6])
    for r in range(6):
        np.testing.assert_allclose(contribs[r], _brute_force_shap(tree, X[r], 5)[:, 0],
                                   atol=1e-12)


# ---------------------------------------------------------------------- efficiency
@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
def test_boosting_contributions_sum_to_margin(task):
    X, y = _data(n=600, seed=2)
    if task == "regression":
        model = GradientBoostingRegressor(n_estimators=20, max_depth=5).fit(X, y)
    else:
        labels = (y > 0).astype(int) if task == "binary" else np.digitize(y, [-1, 0.5])
        model = GradientBoostingClassifier(n_estimators=20, max_depth=5).fit(X, labels)
    margin = model.predict(X, output_margin=True)
    contribs = model.predict(X, pred_contribs=True)
    interactions = model.predict(X[:40], pred_interactions=True)
    F = X.shape[1]
    if task == "multiclass":
        assert contribs.shape == (len(X), 3, F + 1)
        assert interactions.shape == (40, 3, F + 1, F + 1)
    else:
        assert contribs.shape == (len(X), F + 1)
        assert interactions.shape == (40, F + 1, F + 1)
    np.testing.assert_allclose(contribs.sum(axis=-1), margin, rtol=0, atol=1e-6)
    np.testing.assert_allclose(interactions.sum(axis=-1), contribs[:40], rtol=0, atol=1e-9)
    np.testing.assert_allclose(interactions, np.swapaxes(interactions, -1, -2), atol=1e-12)


def test_boosting_iteration_range_and_best_iteration():
    X, y = _data(n=600, seed=3)
    model = GradientBoostingRegressor(n_estimators=30, max_depth=3).fit(X, y)
    contribs = model.predict_contribs(X, iteration_range=(5, 12))
    np.testing.assert_allclose(contribs.sum(axis=1),
                               model.predict(X, output_margin=True, iteration_range=(5, 12)),
                               atol=1e-9)
    stopped = GradientBoostingRegressor(n_estimators=200, max_depth=3, learning_rate=0.5,
                                        early_stopping_rounds=3)
    stopped.fit(X[:400], y[:400], eval_set=[(X[400:], y[400:])])
    assert stopped.best_iteration < 199
    np.testing.assert_allclose(stopped.predict_contribs(X).sum(axis=1),
                               stopped.predict(X, output_margin=True), atol=1e-9)


def test_pred_leaf_is_apply_and_reaches_the_leaf_values():
    X, y = _data(n=300, seed=4)
    model = GradientBoostingRegressor(n_estimators=5, max_depth=3, base_score=0.0).fit(X, y)
    leaves = model.predict(X, pred_leaf=True)
    assert leaves.shape == (300, 5)
    np.testing.assert_array_equal(leaves, model.apply(X))
    total = sum(t.value[leaves[:, k], 0] for k, t in enumerate(model._booster.trees))
    np.testing.assert_allclose(total, model.predict(X, output_margin=True), atol=1e-12)


def test_predict_options_are_exclusive():
    X, y = _data(n=100)
    model = GradientBoostingRegressor(n_estimators=2).fit(X, y)
    with pytest.raises(ValueError, match="at most one of.*pred_leaf, pred_contribs"):
        model.predict(X, pred_leaf=True, pred_contribs=True)
    clf = GradientBoostingClassifier(n_estimators=2).fit(X, y > 0)
    with pytest.raises(ValueError, match="output_margin, pred_interactions"):
        clf.predict(X, output_margin=True, pred_interactions=True)


def test_results_do_not_depend_on_threads():
    X, y = _data(n=3000, seed=5)
    model = GradientBoostingRegressor(n_estimators=10, n_jobs=1).fit(X, y)
    one = model.predict_contribs(X)
    model.set_params(n_jobs=2)
    np.testing.assert_array_equal(model.predict_contribs(X), one)


@pytest.mark.parametrize("make", [
    lambda: RandomForestRegressor(n_estimators=15, random_state=0),
    lambda: ExtraTreesRegressor(n_estimators=15, max_depth=12, random_state=0),
    lambda: RandomForestClassifier(n_estimators=15, random_state=0),
    lambda: ExtraTreesClassifier(n_estimators=15, random_state=0),
], ids=["rf-reg", "et-reg", "rf-clf", "et-clf"])
def test_forest_contributions_sum_to_predictions(make):
    X, y = _data(n=500, seed=6)
    model = make()
    if hasattr(model, "predict_proba"):
        model.fit(X, np.digitize(y, [-1, 0.5]))
        target = model.predict_proba(X)
    else:
        model.fit(X, y)
        target = model.predict(X)
    contribs = model.predict_contribs(X)
    np.testing.assert_allclose(contribs.sum(axis=-1), target, atol=1e-9)
    interactions = model.predict_interactions(X[:20])
    np.testing.assert_allclose(interactions.sum(axis=-1), contribs[:20], atol=1e-9)


def test_multi_output_regression_forest_contributions():
    X, y = _data(n=400, seed=7)
    Y = np.column_stack([y, -2 * y + np.nan_to_num(X[:, 4])])
    model = RandomForestRegressor(n_estimators=10, random_state=0).fit(X, Y)
    contribs = model.predict_contribs(X)
    assert contribs.shape == (400, 2, 6)
    np.testing.assert_allclose(contribs.sum(axis=-1), model.predict(X), atol=1e-9)


def test_loaded_forest_explains_the_same(tmp_path):
    X, y = _data(n=300, seed=8)
    model = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y > 0)
    model.save_model(tmp_path / "rf.json")
    loaded = RandomForestClassifier().load_model(tmp_path / "rf.json")
    np.testing.assert_allclose(loaded.predict_contribs(X), model.predict_contribs(X),
                               atol=1e-12)


# ---------------------------------------------------------------------- XGBoost oracle
xgb = pytest.importorskip("xgboost")


def _xgb_data(missing, n_values=6, n=4000, seed=1):
    """Few distinct values: both libraries bin every value exactly."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, n_values, size=(n, 5)).astype(float)
    y_reg = 0.5 * X[:, 0] - X[:, 1] + 0.3 * X[:, 2] * X[:, 3] + rng.normal(size=n)
    y_bin = (X[:, 0] + 0.5 * X[:, 2] - 0.4 * X[:, 4] + 2 * rng.normal(size=n) > 3).astype(int)
    y_multi = (X[:, 0] + X[:, 1] + rng.integers(0, 2, size=n)) % 3
    if missing:
        X[rng.random(X.shape) < 0.1] = np.nan
    return X, {"regression": y_reg, "binary": y_bin, "multiclass": y_multi}


def _tree_mismatches(ours, theirs, max_value):
    """Nodes where our trees and XGBoost's differ: split feature, threshold (on integer
    features ``x <= t`` and XGBoost's ``x < s`` agree when ``s - 1 <= t < s``; a split of
    the missing values only is ``t = inf`` here and any ``s`` above the data there),
    default direction, or a leaf on one side only. Trees equal on the training rows can
    still differ where a node saw no rows between two values, and TreeSHAP reads those
    thresholds for the rows it imagines."""
    frame = theirs.get_booster().trees_to_dataframe().set_index("ID")
    bad = []
    for t, tree in enumerate(ours._booster.trees):
        stack = [(0, f"{t}-0")]
        while stack:
            k, key = stack.pop()
            row = frame.loc[key]
            if (tree.left[k] == -1) != (row.Feature == "Leaf"):
                bad.append((t, k, "leaf"))
                continue
            if tree.left[k] == -1:
                continue
            split, threshold = float(row.Split), tree.threshold[k]
            if int(row.Feature[1:]) != tree.feature[k]:
                bad.append((t, k, "feature"))
                continue
            if not (split - 1 <= threshold < split
                    or (np.isinf(threshold) and split > max_value)):
                bad.append((t, k, "threshold"))
            if (row.Missing == row.Yes) != tree.default_left[k]:
                bad.append((t, k, "default"))
            stack += [(tree.left[k], row.Yes), (tree.right[k], row.No)]
    return bad


def _xgb_pair(task, missing):
    X, targets = _xgb_data(missing)
    n_estimators = {"regression": 12, "binary": 8, "multiclass": 4}[task]
    # Depth 3 for three classes: at depth 4 XGBoost breaks a tie between two empty-bin
    # thresholds differently on this data (see _tree_mismatches).
    max_depth = 3 if task == "multiclass" else 4
    params = dict(n_estimators=n_estimators, max_depth=max_depth, learning_rate=0.3,
                  base_score=0.5)
    if task == "regression":
        ours = GradientBoostingRegressor(**params)
        theirs = xgb.XGBRegressor(tree_method="hist", n_jobs=1, **params)
    else:
        ours = GradientBoostingClassifier(**params)
        theirs = xgb.XGBClassifier(tree_method="hist", n_jobs=1, **params)
    ours.fit(X, targets[task])
    theirs.fit(X, targets[task])
    assert _tree_mismatches(ours, theirs, np.nanmax(X)) == []
    return X, ours, theirs


@pytest.mark.parametrize("missing", [False, True], ids=["dense", "missing"])
@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
def test_contributions_match_xgboost(task, missing):
    X, ours, theirs = _xgb_pair(task, missing)
    # The same trees first: the margins agree to XGBoost's float32 precision.
    margin = ours.predict(X, output_margin=True)
    their_margin = theirs.predict(X, output_margin=True)
    np.testing.assert_allclose(margin, their_margin, rtol=1e-5, atol=1e-5)

    booster = theirs.get_booster()
    dmatrix = xgb.DMatrix(X, missing=np.nan)
    contribs = ours.predict(X, pred_contribs=True)
    their_contribs = booster.predict(dmatrix, pred_contribs=True)
    assert contribs.shape == their_contribs.shape
    np.testing.assert_allclose(contribs, their_contribs, rtol=1e-5, atol=1e-5)

    rows = slice(0, 300)
    interactions = ours.predict(X[rows], pred_interactions=True)
    their_interactions = booster.predict(xgb.DMatrix(X[rows], missing=np.nan),
                                         pred_interactions=True)
    assert interactions.shape == their_interactions.shape
    np.testing.assert_allclose(interactions, their_interactions, rtol=1e-5, atol=1e-5)

    leaves = ours.predict(X, pred_leaf=True)
    assert leaves.shape == booster.predict(dmatrix, pred_leaf=True).shape


# ---------------------------------------------------------------------- shap oracle
shap = pytest.importorskip("shap")


def _as_shap_model(model):
    """Our fitted trees in the dictionary format shap.TreeExplainer reads."""
    trees = model._trees()
    out = []
    for tree in trees:
        left, right = tree.left, tree.right
        out.append({
            "children_left": left.astype(np.int32),
            "children_right": right.astype(np.int32),
            "children_default": np.where(tree.default_left, left, right).astype(np.int32),
            "features": tree.feature,  # -2 at leaves, as shap expects
            "thresholds": tree.threshold,
            "values": tree.value.reshape(tree.node_count, -1) / len(trees),
            "node_sample_weight": tree.cover,
        })
    return {"trees": out, "internal_dtype": np.float64, "input_dtype": np.float64,
            "base_offset": 0.0, "tree_output": "raw_value", "objective": "squared_error"}


@pytest.mark.parametrize("make", [
    lambda: RandomForestClassifier(n_estimators=12, max_depth=10, random_state=1),
    lambda: ExtraTreesClassifier(n_estimators=12, random_state=1),
    lambda: RandomForestRegressor(n_estimators=12, random_state=1),
    lambda: ExtraTreesRegressor(n_estimators=12, max_depth=8, random_state=1),
    lambda: DecisionTreeRegressor(random_state=1),
], ids=["rf-clf", "et-clf", "rf-reg", "et-reg", "tree-reg"])
def test_forests_match_shap_tree_explainer(make):
    X, y = _data(n=400, n_features=6, seed=9)
    model = make()
    classifier = hasattr(model, "predict_proba")
    model.fit(X, np.digitize(y, [-1, 0.5]) if classifier else y)
    explainer = shap.TreeExplainer(_as_shap_model(model),
                                   feature_perturbation="tree_path_dependent")
    expected = np.asarray(explainer.shap_values(X, check_additivity=False))
    expected_int = np.asarray(explainer.shap_interaction_values(X[:30]))
    contribs = model.predict_contribs(X)
    interactions = model.predict_interactions(X[:30])
    if classifier:  # shap: (n, n_features, n_classes); ours: (n, n_classes, n_features + 1)
        np.testing.assert_allclose(np.moveaxis(contribs[:, :, :-1], 1, 2), expected,
                                   atol=1e-10)
        np.testing.assert_allclose(contribs[0, :, -1], explainer.expected_value, atol=1e-10)
        np.testing.assert_allclose(np.moveaxis(interactions[:, :, :-1, :-1], 1, 3),
                                   expected_int, atol=1e-10)
    else:
        np.testing.assert_allclose(contribs[:, :-1], expected, atol=1e-10)
        np.testing.assert_allclose(contribs[:, -1], np.ravel(explainer.expected_value)[0],
                                   atol=1e-10)
        np.testing.assert_allclose(interactions[:, :-1, :-1], expected_int, atol=1e-10)


@pytest.mark.parametrize("budget", [0, 3000], ids=["no-tables", "some-tables"])
def test_coefficient_tables_give_the_direct_values(budget, monkeypatch):
    """Leaves with few path features read their Shapley coefficients from a table of all
    satisfied-split patterns; the tables hold what the direct computation gives."""
    import ensembles._engine.explain as explain

    X, y = _data(n=500, seed=10)
    booster = GradientBoostingClassifier(n_estimators=8, max_depth=5).fit(
        X, np.digitize(y, [-1, 0.5]))
    forest = RandomForestRegressor(n_estimators=4, random_state=0).fit(X, y)
    expected = [booster.predict_contribs(X), forest.predict_contribs(X)]
    monkeypatch.setattr(explain, "_TABLE_BUDGET", budget)
    got = [booster.predict_contribs(X), forest.predict_contribs(X)]
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-13)
    # A single row gets no tables (they would cost more than they save): the same values.
    np.testing.assert_allclose(booster.predict_contribs(X[7:8]), expected[0][7:8], rtol=0,
                               atol=1e-13)
