"""Tests of ensemble selection (ensembles.selection)."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.linear_model import LogisticRegression, Ridge, RidgeClassifier
from sklearn.metrics import make_scorer, mean_squared_error
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold, cross_val_predict
from sklearn.naive_bayes import GaussianNB
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from ensembles.selection import (
    EnsembleSelectionClassifier,
    EnsembleSelectionRegressor,
    greedy_selection,
)
from ensembles.stacking import FoldAveragedEstimator


def classifiers():
    return [
        ("lr", LogisticRegression(max_iter=1000)),
        ("dt", DecisionTreeClassifier(max_depth=3, random_state=0)),
    ]


def regressors():
    return [("ridge", Ridge()), ("dt", DecisionTreeRegressor(max_depth=3, random_state=0))]


@pytest.fixture(autouse=True, scope="module")
def _single_blas_thread():
    # The models here are tiny: BLAS threads only contend for the cores (10x slower
    # logistic regressions on a busy machine) and change nothing in the results.
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@parametrize_with_checks(
    [
        EnsembleSelectionClassifier(classifiers(), cv=3, n_iter=5, n_bags=2, random_state=0),
        EnsembleSelectionRegressor(regressors(), cv=3, n_iter=5, refit=False, replace=False),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# --------------------------------------------------------------------------------------
# The greedy path
# --------------------------------------------------------------------------------------


def _neg_mse(y):
    return lambda blend: -np.mean((blend - y) ** 2)


def test_greedy_selection_finds_the_cancelling_pair():
    y = np.linspace(0, 1, 50)
    # Models 0 and 1 err in opposite directions, so their mean is exact; 2 is a decoy.
    predictions = np.array([y + 0.3, y - 0.3, y + 0.5])
    picks, path = greedy_selection(predictions, _neg_mse(y), n_picks=6)
    assert picks[:2].tolist() == [0, 1]
    assert path[0] == pytest.approx(-0.09)
    assert path[1] == pytest.approx(0.0)
    assert np.argmax(path) == 1  # later additions cannot improve on the exact blend


def test_greedy_selection_with_replacement_reaches_uneven_weights():
    y = np.zeros(40)
    # The best blend is 2/3 of model 0 and 1/3 of model 1: only replacement can express it.
    predictions = np.array([np.full(40, -1.0), np.full(40, 2.0)])
    picks, path = greedy_selection(predictions, _neg_mse(y), n_picks=3)
    assert sorted(picks.tolist()) == [0, 0, 1]
    assert path[-1] == pytest.approx(0.0)
    picks, path = greedy_selection(predictions, _neg_mse(y), n_picks=3, replace=False)
    assert len(picks) == 2  # without replacement the path stops when the models run out


def test_greedy_selection_sorted_initialization_and_candidates():
    y = np.zeros(10)
    predictions = np.array([np.full(10, v) for v in (0.5, -0.1, 0.3, 2.0)])
    picks, _ = greedy_selection(predictions, _neg_mse(y), n_picks=3, init_size=3)
    assert picks.tolist() == [1, 2, 0]  # the three best single models, best first
    picks, _ = greedy_selection(predictions, _neg_mse(y), n_picks=5, candidates=[0, 3])
    assert set(picks.tolist()) <= {0, 3}


# --------------------------------------------------------------------------------------
# Estimators
# --------------------------------------------------------------------------------------


def test_weights_follow_the_best_prefix_of_the_path(cancer):
    X, y = cancer
    selection = EnsembleSelectionClassifier(classifiers(), n_iter=15, cv=3).fit(X, y)
    assert selection.scores_.shape == selection.selection_.shape == (1, 15)
    best = np.argmax(selection.scores_[0]) + 1
    expected = np.bincount(selection.selection_[0, :best], minlength=2) / best
    assert_allclose(selection.weights_, expected)
    assert selection.weights_.sum() == pytest.approx(1.0)
    # Sorted initialization: the path starts with the best single model, so the
    # ensemble cannot score worse than it on the out-of-fold predictions.
    assert selection.selection_[0, 0] == np.argmax(selection.estimator_scores_)
    assert selection.ensemble_score_ >= selection.estimator_scores_.max() - 1e-12
    assert_allclose(selection.ensemble_score_, selection.scores_[0].max())


def test_oof_predictions_match_cross_val_predict(cancer):
    X, y = cancer
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    selection = EnsembleSelectionClassifier(classifiers(), n_iter=3, cv=cv).fit(X, y)
    for oof, (_, est) in zip(selection.oof_predictions_, classifiers(), strict=True):
        assert_allclose(oof, cross_val_predict(est, X, y, cv=cv, method="predict_proba"))


def test_predictions_are_the_weighted_blend(cancer):
    X, y = cancer
    selection = EnsembleSelectionClassifier(classifiers(), n_iter=10, cv=3).fit(X, y)
    expected = sum(
        w * est.predict_proba(X)
        for w, est in zip(selection.weights_, selection.estimators_, strict=True)
        if est is not None
    )
    assert_allclose(selection.predict_proba(X), expected)
    assert_array_equal(selection.predict(X), np.argmax(expected, axis=1))


def test_unselected_models_are_not_kept_and_fold_models_serve_without_refit():
    X, y = load_diabetes(return_X_y=True)
    ridge = Ridge(alpha=0.1)
    estimators = [("ridge", ridge), ("stump", DecisionTreeRegressor(max_depth=1))]
    # A scorer that only rewards closeness to the ridge column forces all weight on it.
    selection = EnsembleSelectionRegressor(
        estimators, scoring=_closeness_to(ridge, X, y, KFold(4)), cv=KFold(4), refit=False
    ).fit(X, y)
    assert_allclose(selection.weights_, [1.0, 0.0])
    assert selection.named_estimators_["stump"] is None
    served = selection.named_estimators_["ridge"]
    assert isinstance(served, FoldAveragedEstimator) and len(served.estimators_) == 4
    assert_allclose(selection.predict(X), served.predict(X))


def _closeness_to(estimator, X, y, cv):
    target = cross_val_predict(estimator, X, y, cv=cv)

    def scorer(stand_in, blend, y_true):
        return -np.abs(stand_in.predict(blend) - target).max()

    return scorer


def test_scoring_names_and_callables_are_used():
    X, y = load_diabetes(return_X_y=True)
    # mean_squared_error as a loss and its named scorer must pick the same weights.
    by_name = EnsembleSelectionRegressor(regressors(), scoring="neg_mean_squared_error")
    by_callable = EnsembleSelectionRegressor(
        regressors(), scoring=make_scorer(mean_squared_error, greater_is_better=False)
    )
    assert_allclose(by_name.fit(X, y).weights_, by_callable.fit(X, y).weights_)
    assert_allclose(by_name.ensemble_score_, by_callable.ensemble_score_)
    accuracy = EnsembleSelectionClassifier(classifiers(), scoring="accuracy", n_iter=5)
    X, y = load_iris(return_X_y=True)
    accuracy.fit(X, y)
    assert np.all((accuracy.scores_ > 0.5) & (accuracy.scores_ <= 1.0))


def test_a_scorer_that_cannot_rate_the_blends_is_named():
    """A classification scorer on regression said "continuous is not supported"; a scorer
    of NaN kept the first pick without a word."""
    X, y = load_diabetes(return_X_y=True)
    with pytest.raises(ValueError, match="scoring='accuracy' cannot rate the blended"):
        EnsembleSelectionRegressor(regressors(), scoring="accuracy", cv=3).fit(X, y)
    undefined = make_scorer(lambda y_true, y_pred: float("nan"))
    with pytest.raises(ValueError, match="gave NaN for a blend"):
        EnsembleSelectionRegressor(regressors(), scoring=undefined, cv=3).fit(X, y)


def test_bagged_selection_stays_inside_bags_and_is_reproducible(cancer):
    X, y = cancer
    library = classifiers() + [
        ("nb", GaussianNB()),
        ("deep", DecisionTreeClassifier(max_depth=8, random_state=0)),
    ]
    kwargs = dict(n_iter=6, n_bags=4, bag_fraction=0.5, cv=3, random_state=1)
    selection = EnsembleSelectionClassifier(library, **kwargs).fit(X, y)
    assert selection.selection_.shape == (4, 6)
    for picks in selection.selection_:
        assert len(set(picks.tolist())) <= 2  # each bag holds half of the four models
    per_bag = [np.bincount(p[: np.argmax(s) + 1], minlength=4) / (np.argmax(s) + 1)
               for p, s in zip(selection.selection_, selection.scores_, strict=True)]  # fmt: skip
    assert_allclose(selection.weights_, np.mean(per_bag, axis=0))
    again = EnsembleSelectionClassifier(library, **kwargs).fit(X, y)
    assert_array_equal(again.selection_, selection.selection_)


def test_sample_weight_reaches_scorer_and_estimators():
    X, y = load_diabetes(return_X_y=True)
    heavy = np.where(np.arange(len(y)) < 50, 1000.0, 1e-3)
    estimators = [("a", _Constant(0.0)), ("b", _Constant(0.0))]

    selection = EnsembleSelectionRegressor(estimators, n_iter=3, cv=3)
    selection.fit(X, y, sample_weight=heavy)
    fitted = selection.named_estimators_["a"]
    assert_allclose(fitted.value_, np.average(y, weights=heavy))
    expected = -np.average((y - selection.oof_predictions_[0]) ** 2, weights=heavy)
    assert_allclose(selection.estimator_scores_[0], expected)


class _Constant(RegressorMixin, BaseEstimator):
    """Predicts the weighted mean of the training targets."""

    def __init__(self, offset=0.0):
        self.offset = offset

    def fit(self, X, y, sample_weight=None):
        self.value_ = np.average(y, weights=sample_weight) + self.offset
        return self

    def predict(self, X):
        return np.full(len(X), self.value_)


def test_grid_search_clone_and_pickle(cancer):
    X, y = cancer
    selection = EnsembleSelectionClassifier(classifiers(), n_iter=4, cv=3)
    search = GridSearchCV(selection, {"estimators__dt__max_depth": [1, 2]}, cv=2)
    search.fit(X[:200], y[:200])
    assert search.best_estimator_.get_params()["dt__max_depth"] in (1, 2)
    fitted = clone(selection).fit(X, y)
    restored = pickle.loads(pickle.dumps(fitted))
    assert_allclose(restored.predict_proba(X), fitted.predict_proba(X))


@pytest.mark.parametrize(
    ("estimators", "kwargs", "error", "match"),
    [
        ([("ridge", RidgeClassifier())], {}, ValueError, r"predict_proba.*\['ridge'\]"),
        (classifiers(), {"scoring": "not_a_scorer"}, ValueError, "scoring"),
        (classifiers(), {"bag_fraction": 0.0}, ValueError, "bag_fraction"),
        (classifiers(), {"n_iter": 0}, ValueError, "n_iter"),
        ([], {}, ValueError, "non-empty"),
    ],
)
def test_bad_configuration_is_reported(cancer, estimators, kwargs, error, match):
    X, y = cancer
    with pytest.raises(error, match=match):
        EnsembleSelectionClassifier(estimators, **kwargs).fit(X, y)
