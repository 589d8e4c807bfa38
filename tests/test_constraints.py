"""Monotone and interaction constraints in gradient boosting: XGBoost's trees on exact-bin
data, the properties the constraints promise on random data, and the forms users write."""

import json

import numpy as np
import pytest

from ensembles import GradientBoostingClassifier, GradientBoostingRegressor
from ensembles._constraints import interaction_groups, monotone_directions

xgb = pytest.importorskip("xgboost")
pd = pytest.importorskip("pandas")

POLICIES = {
    "depthwise": dict(grow_policy="depthwise", max_depth=4),
    "lossguide": dict(grow_policy="lossguide", max_depth=0, max_leaves=12),
}
CONSTRAINTS = {
    "monotone": dict(monotone_constraints=(1, 1, -1, 0, 0)),
    "interaction": dict(interaction_constraints=[[0, 1], [2, 3]]),
    "both": dict(monotone_constraints=(1, 0, -1, 0, 0),
                 interaction_constraints=[[0, 1], [2, 3, 4]]),
}


def _data(seed=0, n=2000):
    """Few distinct values per feature (exact bins in both libraries) and missing values."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 9, size=(n, 5)).astype(float)
    X[rng.random(X.shape) < 0.1] = np.nan
    Z = np.nan_to_num(X, nan=4.0)
    y = (np.sin(Z[:, 0]) + 0.5 * Z[:, 1] - 0.3 * Z[:, 2] ** 1.5 + Z[:, 3] * Z[:, 4] / 10
         + rng.normal(size=n))
    return X, y


@pytest.mark.parametrize("constraint", list(CONSTRAINTS))
@pytest.mark.parametrize("policy", list(POLICIES))
@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
def test_same_model_as_xgboost(task, policy, constraint):
    X, y = _data()
    params = dict(n_estimators=10, learning_rate=0.3, reg_lambda=2.0, reg_alpha=0.3,
                  gamma=0.5, min_child_weight=5.0, base_score=0.5, **POLICIES[policy])
    ours_params = {**params, **CONSTRAINTS[constraint]}
    their_params = dict(ours_params)
    if "interaction_constraints" in their_params:
        # XGBoost 3 reads integer groups only in its string form on unnamed features.
        their_params["interaction_constraints"] = json.dumps(
            their_params["interaction_constraints"])
    if task == "regression":
        ours = GradientBoostingRegressor(**ours_params).fit(X, y)
        theirs = xgb.XGBRegressor(tree_method="hist", n_jobs=1, **their_params).fit(X, y)
        ours_pred, their_pred = ours.predict(X), theirs.predict(X)
    else:
        cuts = [0.5] if task == "binary" else [0.33, 0.66]
        labels = np.digitize(y, np.quantile(y, cuts))
        ours = GradientBoostingClassifier(**ours_params).fit(X, labels)
        theirs = xgb.XGBClassifier(tree_method="hist", n_jobs=1, **their_params).fit(X,
                                                                                  labels)
        ours_pred, their_pred = ours.predict_proba(X), theirs.predict_proba(X)
    scale = np.max(np.abs(their_pred))
    np.testing.assert_allclose(ours_pred, their_pred, rtol=1e-5, atol=1e-5 * scale)


def _path_features(tree):
    """Per leaf, the split features from the root down, in order."""
    paths = []
    stack = [(0, [])]
    while stack:
        node, path = stack.pop()
        if tree.left[node] == -1:
            paths.append(path)
            continue
        step = path + [int(tree.feature[node])]
        stack += [(int(tree.left[node]), step), (int(tree.right[node]), step)]
    return paths


@pytest.mark.parametrize("seed", range(4))
def test_predictions_are_monotone_along_constrained_features(seed):
    rng = np.random.default_rng(seed)
    n, n_features = 1500, 4
    X = rng.normal(size=(n, n_features))
    X[rng.random(X.shape) < 0.05] = np.nan
    # A target that moves against the constraints in places, so they bind.
    y = np.sin(3 * np.nan_to_num(X[:, 0])) + np.nan_to_num(X[:, 1]) ** 2 + rng.normal(size=n)
    directions = tuple(int(d) for d in rng.choice([-1, 1], n_features))
    model = GradientBoostingRegressor(n_estimators=30, max_depth=5, learning_rate=0.3,
                                      monotone_constraints=directions,
                                      random_state=seed).fit(X, y)
    grid = np.linspace(-3.5, 3.5, 60)
    rows = X[rng.choice(n, 40)]
    for f, d in enumerate(directions):
        probe = np.repeat(rows, grid.size, axis=0)
        probe[:, f] = np.tile(grid, len(rows))
        pred = model.predict(probe).reshape(len(rows), grid.size)
        assert np.all(d * np.diff(pred, axis=1) >= -1e-9), f"feature {f} breaks {d:+d}"
    # Without the constraints the same fit is not monotone: the test has teeth.
    free = GradientBoostingRegressor(n_estimators=30, max_depth=5, learning_rate=0.3,
                                     random_state=seed).fit(X, y)
    probe = np.repeat(rows, grid.size, axis=0)
    probe[:, 0] = np.tile(grid, len(rows))
    pred = free.predict(probe).reshape(len(rows), grid.size)
    assert np.any(directions[0] * np.diff(pred, axis=1) < -1e-6)


def _interaction_violations(model, groups):
    """(steps checked, steps that split on a feature the groups do not allow there)."""
    sets = [set(g) for g in groups]
    checked = violations = 0
    for tree in model._booster.trees:
        for path in _path_features(tree):
            for i in range(1, len(path)):
                used = set(path[:i])
                allowed = used.union(*[g for g in sets if used <= g])
                violations += path[i] not in allowed
                checked += 1
    return checked, violations


def test_paths_respect_the_interaction_groups():
    X, y = _data(1)
    groups = [[0, 1], [2, 3, 4], [1, 4]]
    model = GradientBoostingRegressor(n_estimators=15, max_depth=5,
                                      interaction_constraints=groups).fit(X, y)
    checked, violations = _interaction_violations(model, groups)
    assert checked > 100 and violations == 0
    free = GradientBoostingRegressor(n_estimators=15, max_depth=5).fit(X, y)
    assert _interaction_violations(free, groups)[1] > 0  # the check has teeth


def test_a_missing_only_branch_may_go_left_to_keep_a_constraint():
    """With missing values whose target is below every present value's, an increasing
    constraint can only isolate them on the left: the split that sends no value left."""
    x = np.r_[np.arange(200.0) % 10, np.full(40, np.nan)]
    y = np.r_[np.full(200, 1.0), np.full(40, -3.0)]
    model = GradientBoostingRegressor(n_estimators=1, max_depth=1, learning_rate=1.0,
                                      reg_lambda=0.0, monotone_constraints=(1,),
                                      base_score=0.0).fit(x[:, None], y)
    tree = model._booster.trees[0]
    assert tree.split_bin[0] == -1 and tree.default_left[0]
    assert tree.threshold[0] == -np.inf
    np.testing.assert_allclose(model.predict([[np.nan], [0.0], [9.0]]), [-3.0, 1.0, 1.0])
    theirs = xgb.XGBRegressor(n_estimators=1, max_depth=1, learning_rate=1.0, reg_lambda=0.0,
                              monotone_constraints=(1,), base_score=0.0,
                              tree_method="hist").fit(x[:, None], y)
    np.testing.assert_allclose(model.predict(x[:, None]), theirs.predict(x[:, None]),
                               atol=1e-6)


def test_names_strings_and_saved_models():
    X, y = _data(2, n=600)
    frame = pd.DataFrame(X, columns=list("abcde"))
    by_name = GradientBoostingRegressor(
        n_estimators=8, monotone_constraints={"a": 1, "c": -1},
        interaction_constraints=[["a", "b"], ["c", "d", "e"]]).fit(frame, y)
    by_index = GradientBoostingRegressor(
        n_estimators=8, monotone_constraints="(1,0,-1,0,0)",
        interaction_constraints="[[0, 1], [2, 3, 4]]").fit(X, y)
    np.testing.assert_array_equal(by_name.predict(frame), by_index.predict(X))
    restored = GradientBoostingRegressor().load_model(by_name.save_model())
    assert restored.get_params()["monotone_constraints"] == {"a": 1, "c": -1}
    np.testing.assert_array_equal(restored.predict(frame), by_name.predict(frame))
    # Training continues under the same constraints.
    more = GradientBoostingRegressor(**restored.get_params()).fit(frame, y, xgb_model=restored)
    assert more.n_iterations_ == 2 * by_name.n_iterations_


@pytest.mark.parametrize("spec, message", [
    ((1, 0), "has 2 entries but X has 3"),
    ((1, 0, 2), "must be -1, 0 or 1"),
    ({"z": 1}, "X has no feature names"),
    ({5: 1}, "outside"),
    ("(1, 0", "not a valid constraint string"),
    (3.5, "monotone_constraints.*must be"),
])
def test_bad_monotone_constraints_are_explained(spec, message):
    X, y = np.random.default_rng(0).normal(size=(50, 3)), np.arange(50.0)
    with pytest.raises((ValueError, TypeError), match=message):
        GradientBoostingRegressor(n_estimators=2, monotone_constraints=spec).fit(X, y)


@pytest.mark.parametrize("spec, message", [
    ([0, 1], "list of feature groups"),
    ([[0, 7]], "outside"),
    ([["a"]], "X has no feature names"),
    ("[[0, 1]", "not a valid constraint string"),
])
def test_bad_interaction_constraints_are_explained(spec, message):
    X, y = np.random.default_rng(0).normal(size=(50, 3)), np.arange(50.0)
    with pytest.raises((ValueError, TypeError), match=message):
        GradientBoostingRegressor(n_estimators=2, interaction_constraints=spec).fit(X, y)


def test_resolvers_on_their_own():
    names = np.array(["a", "b", "c"], dtype=object)
    assert monotone_directions(None, 3) == ()
    assert monotone_directions([0, 0, 0], 3) == ()
    assert monotone_directions({"c": -1, 0: 1}, 3, names) == (1, 0, -1)
    assert interaction_groups([["c", "a"], [1]], 3, names) == ((0, 2), (1,))
    assert interaction_groups([], 3) == ()
    with pytest.raises(ValueError, match="which X does not have"):
        monotone_directions({"z": 1}, 3, names)


@pytest.mark.parametrize("sampling", [dict(colsample_bytree=0.4), dict(colsample_bylevel=0.4),
                                      dict(colsample_bynode=0.4)])
def test_feature_weights_steer_column_sampling(sampling):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(800, 5))
    y = X.sum(axis=1) + 0.1 * rng.normal(size=800)  # every feature equally useful
    params = dict(n_estimators=30, max_depth=3, random_state=0, **sampling)
    # Two of five features are drawn; weight only on features 1 and 3 means only those.
    only = GradientBoostingRegressor(**params).fit(X, y, feature_weights=[0, 1, 0, 2, 0])
    used = {int(f) for t in only._booster.trees for f in t.feature[t.left != -1]}
    assert used == {1, 3}
    # Heavier features are drawn more often.
    skewed = GradientBoostingRegressor(**params).fit(X, y, feature_weights=[8, 1, 1, 1, 1])
    counts = np.bincount(np.concatenate([t.feature[t.left != -1]
                                         for t in skewed._booster.trees]), minlength=5)
    assert counts[0] > counts[1:].max()
    # Uniform weights are uniform sampling, not the unweighted model bit for bit, but
    # all features take part.
    even = GradientBoostingRegressor(**params).fit(X, y, feature_weights=np.ones(5))
    assert {int(f) for t in even._booster.trees for f in t.feature[t.left != -1]} == set(
        range(5))


@pytest.mark.parametrize("weights, message", [
    ([1, 1], "one weight per feature"), ([1, -1, 1], "non-negative"),
    ([0, 0, 0], "positive sum"), ([1, np.nan, 1], "finite"),
])
def test_bad_feature_weights_are_explained(weights, message):
    X, y = np.random.default_rng(0).normal(size=(50, 3)), np.arange(50.0)
    with pytest.raises(ValueError, match=message):
        GradientBoostingRegressor(n_estimators=2).fit(X, y, feature_weights=weights)
