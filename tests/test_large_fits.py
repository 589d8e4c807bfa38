"""Fits large enough that the engine splits a node's rows into several chunks (partition,
histograms) and runs them on several threads, checked against XGBoost's trees.

The small fits of the other tests never reach those code paths: a node of 100,000 rows
is partitioned in several chunks, whose right-hand rows must each land after all the
left-hand ones.
"""

import numpy as np
import pytest

from ensembles import GradientBoostingClassifier, GradientBoostingRegressor

xgb = pytest.importorskip("xgboost")


def _large_exact_data(n=100_000, seed=0):
    """Few distinct values per feature, so both libraries' bins are exact."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 12, size=(n, 6)).astype(float)
    X[rng.random(X.shape) < 0.08] = np.nan
    Z = np.nan_to_num(X, nan=5.0)
    y = np.sin(Z[:, 0]) + 0.3 * Z[:, 1] - 0.2 * Z[:, 2] * (Z[:, 3] > 6) + rng.normal(size=n)
    return X, y


@pytest.mark.parametrize("policy", [dict(grow_policy="depthwise", max_depth=6),
                                    dict(grow_policy="lossguide", max_depth=0,
                                         max_leaves=40)], ids=["depthwise", "lossguide"])
def test_large_fit_matches_xgboost(policy):
    X, y = _large_exact_data()
    params = dict(n_estimators=6, learning_rate=0.3, reg_lambda=1.0, min_child_weight=1.0,
                  base_score=0.5, **policy)
    ours = GradientBoostingRegressor(n_jobs=2, **params).fit(X, y)
    theirs = xgb.XGBRegressor(tree_method="hist", n_jobs=2, max_bin=256, **params).fit(X, y)
    ours_pred, their_pred = ours.predict(X), theirs.predict(X)
    np.testing.assert_allclose(ours_pred, their_pred, rtol=1e-5,
                               atol=1e-5 * np.abs(their_pred).max())
    # Every row reached a leaf of the right tree: the per-tree leaf counts agree too.
    df = theirs.get_booster().trees_to_dataframe()
    their_leaves = df[df["Feature"] == "Leaf"].groupby("Tree").size().tolist()
    assert [t.n_leaves for t in ours._booster.trees] == their_leaves


def test_large_fit_is_the_same_for_any_number_of_threads():
    X, y = _large_exact_data(n=80_000, seed=1)
    labels = (y > np.median(y)).astype(int)
    params = dict(n_estimators=4, max_depth=5, subsample=0.8, colsample_bynode=0.8,
                  random_state=0)
    one = GradientBoostingClassifier(n_jobs=1, **params).fit(X, labels)
    two = GradientBoostingClassifier(n_jobs=2, **params).fit(X, labels)
    np.testing.assert_array_equal(one.predict_proba(X), two.predict_proba(X))
