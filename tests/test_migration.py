"""Migrating from XGBoost: the examples of XGBoost's scikit-learn interface, written once
against a module that provides ``XGBClassifier``/``XGBRegressor``, run with XGBoost and
with ``ensembles`` (only the import differs), must score within 1% of each other."""

import pickle
import types

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_digits, load_iris, make_classification
from sklearn.metrics import (
    accuracy_score,
    mean_squared_error,
    r2_score,
    roc_auc_score,
)
from sklearn.model_selection import GridSearchCV, KFold, train_test_split

import ensembles

xgb = pytest.importorskip("xgboost")

# "import ensembles as xgb", in the names an XGBoost user's code calls.
OURS = types.SimpleNamespace(XGBClassifier=ensembles.GradientBoostingClassifier,
                             XGBRegressor=ensembles.GradientBoostingRegressor)


def _both(example):
    """The example's score with XGBoost and with ensembles."""
    return example(xgb), example(OURS)


def _close(theirs, ours, rel=0.01):
    assert ours == pytest.approx(theirs, rel=rel), (ours, theirs)


def _kfold_scores(lib, estimator, X, y, score):
    scores = []
    for train, test in KFold(n_splits=2, shuffle=True, random_state=31337).split(X):
        model = getattr(lib, estimator)(n_jobs=1).fit(X[train], y[train])
        scores.append(score(y[test], model.predict(X[test])))
    return float(np.mean(scores))


def test_binary_digits_kfold():
    X, y = load_digits(n_class=2, return_X_y=True)
    _close(*_both(lambda lib: _kfold_scores(lib, "XGBClassifier", X, y, accuracy_score)))


def test_multiclass_iris_kfold():
    X, y = load_iris(return_X_y=True)
    _close(*_both(lambda lib: _kfold_scores(lib, "XGBClassifier", X, y, accuracy_score)))


def test_regression_kfold():
    X, y = load_diabetes(return_X_y=True)
    theirs, ours = _both(lambda lib: _kfold_scores(lib, "XGBRegressor", X, y, r2_score))
    # R^2 near 0.3 on this small, noisy set: compare the errors, 1% of the target variance.
    assert abs(ours - theirs) <= 0.01


def test_grid_search_and_pickle():
    X, y = load_diabetes(return_X_y=True)

    def example(lib):
        search = GridSearchCV(lib.XGBRegressor(n_jobs=1),
                              {"max_depth": [2, 4], "n_estimators": [20, 50]}, cv=3)
        search.fit(X, y)
        restored = pickle.loads(pickle.dumps(search.best_estimator_))
        np.testing.assert_array_equal(restored.predict(X), search.best_estimator_.predict(X))
        return search.best_score_, search.best_params_

    (their_score, their_params), (our_score, our_params) = _both(example)
    assert our_params == their_params
    assert abs(our_score - their_score) <= 0.01


def test_early_stopping_on_a_validation_set():
    X, y = load_digits(n_class=2, return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

    def example(lib):
        clf = lib.XGBClassifier(early_stopping_rounds=10, eval_metric="auc", n_jobs=1)
        clf.fit(X_train, y_train, eval_set=[(X_test, y_test)])
        assert clf.best_iteration < 99
        return roc_auc_score(y_test, clf.predict_proba(X_test)[:, 1])

    _close(*_both(example))


def test_evaluation_results():
    X, y = make_classification(n_samples=1000, n_informative=5, n_classes=2, random_state=7)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)

    def example(lib):
        clf = lib.XGBClassifier(n_estimators=100, eval_metric=["logloss", "error"],
                                n_jobs=1)
        clf.fit(X_train, y_train, eval_set=[(X_train, y_train), (X_test, y_test)])
        results = clf.evals_result()
        assert set(results) == {"validation_0", "validation_1"}
        assert len(results["validation_1"]["logloss"]) == 100
        return results["validation_1"]["logloss"][-1], results["validation_1"]["error"][-1]

    (their_loss, their_error), (our_loss, our_error) = _both(example)
    assert our_loss == pytest.approx(their_loss, rel=0.1)  # a loss, not a score
    assert abs(our_error - their_error) <= 0.01


def test_custom_objective():
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

    def squared_log(y_true, y_pred):
        # Squared log error, 1/2 (log1p(pred) - log1p(y))^2, as XGBoost's tutorial writes it.
        y_pred = np.maximum(y_pred, -1 + 1e-6)
        grad = (np.log1p(y_pred) - np.log1p(y_true)) / (y_pred + 1)
        hess = (-np.log1p(y_pred) + np.log1p(y_true) + 1) / (y_pred + 1) ** 2
        return grad, hess

    def example(lib):
        reg = lib.XGBRegressor(objective=squared_log, n_estimators=50, n_jobs=1,
                               base_score=float(np.median(y_train)))
        reg.fit(X_train, y_train)
        pred = np.maximum(reg.predict(X_test), 0)
        return float(np.sqrt(mean_squared_error(np.log1p(y_test), np.log1p(pred))))

    _close(*_both(example), rel=0.05)


def test_monotone_constraints_example():
    rng = np.random.default_rng(0)
    x1, x2 = rng.random(2000), rng.random(2000)
    y = 5 * x1 + np.sin(10 * np.pi * x1) - 5 * x2 - np.cos(10 * np.pi * x2) \
        + rng.normal(0, 0.01, 2000)
    X = np.column_stack([x1, x2])

    def example(lib):
        model = lib.XGBRegressor(monotone_constraints="(1,-1)", n_jobs=1).fit(X, y)
        grid = np.linspace(0, 1, 200)
        along = model.predict(np.column_stack([grid, np.full(200, 0.5)]))
        assert np.all(np.diff(along) >= -1e-6)
        return r2_score(y, model.predict(X))

    _close(*_both(example))
