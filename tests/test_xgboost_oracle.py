"""Oracle tests: with the same parameters, our trees must be XGBoost's trees.

On features with few distinct values both libraries bin every value exactly, so the split
search sees the same candidates; the trees must split the same way and the predictions
agree to float32 precision (XGBoost accumulates margins in float32).
"""

import numpy as np
import pytest
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.model_selection import train_test_split

from ensembles import GradientBoostingClassifier, GradientBoostingRegressor

from .conftest import load_housing, load_tsv

xgb = pytest.importorskip("xgboost")

POLICIES = {
    "depthwise": dict(grow_policy="depthwise", max_depth=4),
    "lossguide": dict(grow_policy="lossguide", max_depth=0, max_leaves=12),
}


def few_valued_data(missing, seed=0, n=3000):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 9, size=(n, 6)).astype(float)
    y_reg = 0.5 * X[:, 0] - X[:, 1] + 0.3 * X[:, 2] * X[:, 3] + rng.normal(size=n)
    y_clf = (X[:, 0] + 0.5 * X[:, 2] - 0.4 * X[:, 4] + 2 * rng.normal(size=n) > 4).astype(int)
    if missing:
        X[rng.random(X.shape) < 0.15] = np.nan
    return X, y_reg, y_clf


def xgb_split_features(model):
    """Per tree, the sorted list of split feature indices, from XGBoost's JSON dump."""
    df = model.get_booster().trees_to_dataframe()
    out = []
    for _, nodes in df.groupby("Tree", sort=True):
        feats = nodes.loc[nodes["Feature"] != "Leaf", "Feature"]
        out.append(sorted(int(f[1:]) for f in feats))
    return out


def our_split_features(model):
    return [sorted(t.feature[t.left != -1].tolist()) for t in model._booster.trees]


def xgb_leaf_counts(model):
    df = model.get_booster().trees_to_dataframe()
    return df[df["Feature"] == "Leaf"].groupby("Tree").size().tolist()


@pytest.mark.parametrize("missing", [False, True], ids=["dense", "missing"])
@pytest.mark.parametrize("policy", list(POLICIES))
@pytest.mark.parametrize("task", ["squarederror", "logistic"])
def test_same_trees_and_predictions_as_xgboost(task, policy, missing):
    X, y_reg, y_clf = few_valued_data(missing)
    params = dict(n_estimators=15, learning_rate=0.3, max_bin=256, reg_lambda=1.5,
                  reg_alpha=0.1, min_child_weight=2.0, gamma=0.05, base_score=0.5,
                  **POLICIES[policy])
    if task == "squarederror":
        ours = GradientBoostingRegressor(**params).fit(X, y_reg)
        theirs = xgb.XGBRegressor(tree_method="hist", n_jobs=1, **params).fit(X, y_reg)
        ours_pred, their_pred = ours.predict(X), theirs.predict(X)
    else:
        ours = GradientBoostingClassifier(**params).fit(X, y_clf)
        theirs = xgb.XGBClassifier(tree_method="hist", n_jobs=1, **params).fit(X, y_clf)
        ours_pred, their_pred = ours.predict_proba(X)[:, 1], theirs.predict_proba(X)[:, 1]

    assert [t.n_leaves for t in ours._booster.trees] == xgb_leaf_counts(theirs)
    assert our_split_features(ours) == xgb_split_features(theirs)
    scale = np.max(np.abs(their_pred))
    np.testing.assert_allclose(ours_pred, their_pred, rtol=1e-5, atol=1e-5 * scale)


@pytest.mark.parametrize("max_bin, n_values, missing", [
    (256, 256, False),  # every uint8 code a value bin
    (256, 256, True),  # NaN on top: uint16 codes
    (1024, 700, True),
])
def test_many_bins_match_xgboost(max_bin, n_values, missing):
    """As many value bins as XGBoost's max_bin allows: 256 distinct values are 256 exact
    bins (XGBoost separates them all), and above 256 bins the codes are uint16."""
    rng = np.random.default_rng(8)
    n = 6000
    X = np.column_stack([rng.integers(0, n_values, n), rng.integers(0, 5, n)]).astype(float)
    # Alternating classes along the first feature: only exact bins can separate them.
    y = (X[:, 0] % 2 == 1) ^ (X[:, 1] > 3)
    if missing:
        X[rng.random(X.shape) < 0.05] = np.nan
    # min_child_weight off the multiples of 0.25 (the hessian of a row at p = 0.5), where
    # a child's hessian, summed in another order, could fall on either side of it.
    params = dict(n_estimators=5, learning_rate=0.5, max_depth=0, max_leaves=600,
                  grow_policy="lossguide", max_bin=max_bin, base_score=0.5,
                  min_child_weight=0.6)
    ours = GradientBoostingClassifier(**params).fit(X, y)
    theirs = xgb.XGBClassifier(tree_method="hist", n_jobs=1, **params).fit(X, y)
    assert ours._bin_mapper.n_bins_[0] == n_values
    assert [t.n_leaves for t in ours._booster.trees] == xgb_leaf_counts(theirs)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-5,
                               atol=1e-6)


def test_multiclass_matches_xgboost():
    X, _, _ = few_valued_data(True, seed=3)
    y = (np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 1])) % 3
    params = dict(n_estimators=8, max_depth=3, learning_rate=0.3, base_score=0.5)
    ours = GradientBoostingClassifier(**params).fit(X, y)
    theirs = xgb.XGBClassifier(tree_method="hist", n_jobs=1, **params).fit(X, y)
    assert our_split_features(ours) == xgb_split_features(theirs)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-5,
                               atol=1e-6)


def test_higgs_score_close_to_xgboost():
    X_train, y_train = load_tsv("higgs7k.train")
    X_test, y_test = load_tsv("higgs7k.test")
    params = dict(n_estimators=100, learning_rate=0.1, max_depth=6, max_bin=256)
    ours = GradientBoostingClassifier(**params).fit(X_train, y_train)
    theirs = xgb.XGBClassifier(tree_method="hist", n_jobs=1, **params).fit(X_train, y_train)
    auc_ours = roc_auc_score(y_test, ours.predict_proba(X_test)[:, 1])
    auc_theirs = roc_auc_score(y_test, theirs.predict_proba(X_test)[:, 1])
    assert auc_ours >= auc_theirs * 0.995


def test_housing_score_close_to_xgboost():
    X, y = load_housing()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    params = dict(n_estimators=100, learning_rate=0.1, max_depth=6, max_bin=256)
    ours = GradientBoostingRegressor(**params).fit(X_train, y_train)
    theirs = xgb.XGBRegressor(tree_method="hist", n_jobs=1, **params).fit(X_train, y_train)
    r2_ours = r2_score(y_test, ours.predict(X_test))
    r2_theirs = r2_score(y_test, theirs.predict(X_test))
    assert r2_ours >= r2_theirs * 0.995


REGULARIZATION = {
    "defaults": {},
    "regularized": dict(reg_lambda=2.0, reg_alpha=0.3, gamma=0.5, min_child_weight=5.0),
    "max_delta_step": dict(max_delta_step=0.4),
}


@pytest.mark.parametrize("reg", list(REGULARIZATION))
@pytest.mark.parametrize("policy", list(POLICIES))
@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
def test_predictions_equal_xgboost_under_regularization(task, policy, reg):
    """Exact-bin data with missing values: the same trees, so the same predictions."""
    X, y_reg, y_clf = few_valued_data(True, seed=1)
    params = dict(n_estimators=20, learning_rate=0.3, base_score=0.5, **POLICIES[policy],
                  **REGULARIZATION[reg])
    if task == "regression":
        ours = GradientBoostingRegressor(**params).fit(X, y_reg)
        theirs = xgb.XGBRegressor(tree_method="hist", n_jobs=1, **params).fit(X, y_reg)
        ours_pred, their_pred = ours.predict(X), theirs.predict(X)
    else:
        three = (np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 2]) // 3) % 3
        y = y_clf if task == "binary" else three
        ours = GradientBoostingClassifier(**params).fit(X, y)
        theirs = xgb.XGBClassifier(tree_method="hist", n_jobs=1, **params).fit(X, y)
        ours_pred, their_pred = ours.predict_proba(X), theirs.predict_proba(X)
    assert [t.n_leaves for t in ours._booster.trees] == xgb_leaf_counts(theirs)
    np.testing.assert_allclose(ours_pred, their_pred, rtol=1e-5, atol=1e-6)
