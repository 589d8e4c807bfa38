"""Tests of ensembles.adaboost: the scikit-learn contract, accuracy against scikit-learn's
AdaBoost, the SAMME and AdaBoost.R2 definitions, staged output, early stops and bad
input."""

import functools
import re
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import ensemble as sk_ensemble
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_digits, make_classification
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from ensembles.adaboost import AdaBoostClassifier, AdaBoostRegressor

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


_WEIGHT_EQUIVALENCE = {
    "AdaBoostRegressor": (
        "AdaBoost.R2 fits each member on a bootstrap drawn with the row weights, which draws "
        "differently over n weighted rows than over the repeated rows (scikit-learn's own "
        "AdaBoost xfails it too)"
    ),
}


def _expected_failures(estimator):
    reason = _WEIGHT_EQUIVALENCE.get(type(estimator).__name__)
    if reason is None:
        return {}
    return {
        "check_sample_weight_equivalence_on_dense_data": reason,
        "check_sample_weight_equivalence_on_sparse_data": reason,
    }


@parametrize_with_checks(
    [AdaBoostClassifier(n_estimators=5), AdaBoostRegressor(n_estimators=5)],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# --- data -----------------------------------------------------------------------------


def _shared(name):
    path = DATASETS / name
    if not path.exists():
        pytest.skip(f"shared data set {path} is absent")
    return path


@functools.cache
def _higgs():
    """The first 3,000 rows of higgs7k."""
    data = np.loadtxt(_shared("higgs7k.train"), max_rows=3000)
    return data[:, 1:], data[:, 0]


@functools.cache
def _housing():
    """3,000 complete rows of California housing, one-hot ocean proximity, target in 1e5."""
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(_shared("housing.csv")).dropna().sample(3000, random_state=0)
    y = frame.pop("median_house_value").to_numpy() / 1e5
    return pd.get_dummies(frame, dtype=float).to_numpy(), y


def _load(name):
    if name == "breast_cancer":
        return load_breast_cancer(return_X_y=True)
    if name == "digits":
        return load_digits(return_X_y=True)
    return {"higgs": _higgs, "housing": _housing}[name]()


# --- accuracy against scikit-learn -------------------------------------------------------


def _mean_held_out_scores(ours, theirs, X, y, seeds=(0, 1, 2)):
    """Mean held-out score of both models over a few seeds of the split and the model."""
    scores = np.zeros((2, len(seeds)))
    for j, seed in enumerate(seeds):
        X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=seed)
        for i, model in enumerate((ours, theirs)):
            model.set_params(random_state=seed).fit(X_train, y_train)
            scores[i, j] = model.score(X_test, y_test)
    return scores.mean(axis=1)


@pytest.mark.parametrize(
    "data, depth, params",
    [
        ("breast_cancer", 1, {"n_estimators": 50}),
        ("digits", 3, {"n_estimators": 30, "learning_rate": 0.5}),
        ("higgs", 1, {"n_estimators": 50}),
    ],
)
def test_classifier_matches_sklearn(data, depth, params):
    X, y = _load(data)
    tree = DecisionTreeClassifier(max_depth=depth)
    ours, theirs = _mean_held_out_scores(
        AdaBoostClassifier(tree, **params), sk_ensemble.AdaBoostClassifier(tree, **params),
        X, y,
    )
    assert abs(ours - theirs) <= 0.005


@pytest.mark.parametrize("loss", ["linear", "square", "exponential"])
def test_regressor_matches_sklearn_housing(loss):
    X, y = _housing()
    tree = DecisionTreeRegressor(max_depth=3)
    params = {"n_estimators": 30, "loss": loss}
    ours, theirs = _mean_held_out_scores(
        AdaBoostRegressor(tree, **params), sk_ensemble.AdaBoostRegressor(tree, **params),
        X, y,
    )
    assert abs(ours - theirs) <= 0.005


# --- the algorithms' definitions ---------------------------------------------------------


@pytest.mark.parametrize("learning_rate", [1.0, 0.3])
def test_samme_errors_weights_and_reweighting(learning_rate):
    X, y = load_digits(return_X_y=True)
    model = AdaBoostClassifier(
        DecisionTreeClassifier(max_depth=2), n_estimators=6, learning_rate=learning_rate
    ).fit(X, y)
    n_classes = 10
    codes = np.searchsorted(model.classes_, y)
    assert len(model.estimators_) == len(model.estimator_weights_) == 6
    # Replay the reweighting from the definition and compare every member's error.
    weight = np.full(len(y), 1.0 / len(y))
    for member, alpha, error in zip(
        model.estimators_, model.estimator_weights_, model.estimator_errors_, strict=True
    ):
        wrong = member.predict(X) != codes
        assert error == pytest.approx(weight[wrong].sum())
        expected_alpha = learning_rate * (np.log((1 - error) / error) + np.log(n_classes - 1))
        assert alpha == pytest.approx(expected_alpha)
        weight = np.where(wrong, weight * np.exp(alpha), weight)
        weight /= weight.sum()


def test_r2_weights_follow_the_mean_loss():
    X, y = _housing()
    model = AdaBoostRegressor(n_estimators=8, learning_rate=0.7, random_state=0).fit(X, y)
    errors = model.estimator_errors_
    assert np.all((errors > 0) & (errors < 0.5))
    assert_allclose(model.estimator_weights_, 0.7 * np.log((1 - errors) / errors))


def test_regressor_predicts_the_weighted_median():
    X, y = _housing()
    model = AdaBoostRegressor(n_estimators=7, random_state=1).fit(X, y)
    members = np.column_stack([member.predict(X[:25]) for member in model.estimators_])
    weights = model.estimator_weights_
    expected = []
    for row in members:
        order = np.argsort(row)
        cumulative = np.cumsum(weights[order])
        expected.append(row[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])])
    assert_allclose(model.predict(X[:25]), expected)


def test_binary_decision_and_probabilities_agree_with_predict():
    X, y = load_breast_cancer(return_X_y=True)
    labels = np.array(["malignant", "benign"])[y]
    model = AdaBoostClassifier(n_estimators=20).fit(X, labels)
    decision = model.decision_function(X)
    proba = model.predict_proba(X)
    assert decision.shape == (len(y),)
    assert_array_equal(model.predict(X), model.classes_[(decision > 0).astype(int)])
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_array_equal(proba.argmax(axis=1), (decision > 0).astype(int))
    assert_allclose(np.exp(model.predict_log_proba(X)), proba)
    # As accurate as scikit-learn's AdaBoost with its own stumps.
    theirs = sk_ensemble.AdaBoostClassifier(n_estimators=20).fit(X, labels)
    assert abs(model.score(X, labels) - theirs.score(X, labels)) <= 0.01


def test_feature_importances_are_the_weighted_member_mean():
    X, y = load_digits(return_X_y=True)
    model = AdaBoostClassifier(DecisionTreeClassifier(max_depth=2), n_estimators=5).fit(X, y)
    members = np.array([member.feature_importances_ for member in model.estimators_])
    expected = model.estimator_weights_ @ members / model.estimator_weights_.sum()
    assert_allclose(model.feature_importances_, expected)
    assert model.feature_importances_.sum() == pytest.approx(1.0)
    knn = AdaBoostRegressor(KNeighborsRegressor(), n_estimators=2).fit(X, y)
    with pytest.raises(AttributeError, match="has no feature_importances_"):
        knn.feature_importances_  # noqa: B018


# --- staged output -----------------------------------------------------------------------


@pytest.mark.parametrize("loader", [load_breast_cancer, load_digits])
def test_staged_classifier_output_matches_final_and_shorter_fits(loader):
    X, y = loader(return_X_y=True)
    tree = DecisionTreeClassifier(max_depth=2)
    model = AdaBoostClassifier(tree, n_estimators=8, learning_rate=0.5, random_state=0)
    model.fit(X, y)
    staged = list(model.staged_predict(X))
    probas = list(model.staged_predict_proba(X))
    decisions = list(model.staged_decision_function(X))
    scores = list(model.staged_score(X, y))
    assert len(staged) == len(probas) == len(decisions) == len(scores) == 8
    assert_array_equal(staged[-1], model.predict(X))
    assert_allclose(probas[-1], model.predict_proba(X))
    assert_allclose(decisions[-1], model.decision_function(X))
    assert scores == [accuracy_score(y, pred) for pred in staged]
    assert scores[-1] == model.score(X, y)
    # Stage k is the model that k rounds would have built.
    short = AdaBoostClassifier(tree, n_estimators=3, learning_rate=0.5, random_state=0)
    short.fit(X, y)
    assert_allclose(probas[2], short.predict_proba(X))


def test_staged_regressor_output_matches_final_and_shorter_fits():
    X, y = _housing()
    model = AdaBoostRegressor(n_estimators=6, loss="square", random_state=0).fit(X, y)
    staged = list(model.staged_predict(X))
    scores = list(model.staged_score(X, y))
    assert len(staged) == len(scores) == len(model.estimators_) == 6
    assert_allclose(staged[-1], model.predict(X))
    assert_allclose(scores, [r2_score(y, pred) for pred in staged])
    short = AdaBoostRegressor(n_estimators=4, loss="square", random_state=0).fit(X, y)
    assert_allclose(staged[3], short.predict(X))


# --- early stops -------------------------------------------------------------------------


def test_classifier_stops_on_a_perfect_fit():
    X = np.linspace(-1, 1, 40)[:, None]
    y = np.where(X[:, 0] > 0.1, "up", "down")
    model = AdaBoostClassifier(n_estimators=30).fit(X, y)
    assert len(model.estimators_) == 1
    assert_array_equal(model.estimator_weights_, [1.0])
    assert_array_equal(model.estimator_errors_, [0.0])
    assert_array_equal(model.predict(X), y)
    assert len(list(model.staged_predict(X))) == 1


def test_regressor_stops_on_a_perfect_fit():
    # Four repeated levels: any bootstrap holds every level, so a depth-3 tree fits all.
    X = np.repeat(np.arange(4.0), 25)[:, None]
    y = np.repeat([3.0, -1.0, 7.0, 0.5], 25)
    model = AdaBoostRegressor(n_estimators=30, random_state=0).fit(X, y)
    assert len(model.estimators_) == 1
    assert_array_equal(model.estimator_errors_, [0.0])
    assert_allclose(model.predict(X), y)


def test_classifier_worse_than_chance_first_member_raises():
    X, y = make_classification(n_samples=100, weights=[0.5], random_state=0)
    with pytest.raises(ValueError, match="no better than chance"):
        AdaBoostClassifier(DummyClassifier(strategy="most_frequent")).fit(X, y)


def test_regressor_keeps_a_bad_first_member_alone():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(50, 2)), rng.uniform(size=50)
    model = AdaBoostRegressor(
        DummyRegressor(strategy="constant", constant=100.0), n_estimators=10
    ).fit(X, y)
    assert len(model.estimators_) == 1
    assert model.estimator_errors_[0] >= 0.5
    assert_allclose(model.predict(X), 100.0)


# --- weights and members -----------------------------------------------------------------


def test_zero_weight_rows_are_as_if_removed():
    X, y = load_digits(return_X_y=True)
    weight = np.ones(len(y))
    weight[::3] = 0.0
    tree = DecisionTreeClassifier(max_depth=2)
    model = AdaBoostClassifier(tree, n_estimators=6, random_state=0)
    weighted = clone(model).fit(X, y, sample_weight=weight)
    kept = weight > 0
    removed = clone(model).fit(X[kept], y[kept])
    assert_allclose(weighted.estimator_errors_, removed.estimator_errors_)
    assert_array_equal(weighted.predict(X), removed.predict(X))


def test_any_regressor_can_be_boosted():
    X, y = _housing()
    model = AdaBoostRegressor(KNeighborsRegressor(), n_estimators=4, random_state=0).fit(X, y)
    assert len(model.estimators_) == 4
    assert np.isfinite(model.predict(X)).all()


def test_default_members_are_shallow_trees():
    X, y = make_classification(n_samples=80, random_state=0)
    classifier = AdaBoostClassifier(n_estimators=2).fit(X, y)
    regressor = AdaBoostRegressor(n_estimators=2).fit(X, y)
    assert classifier.estimators_[0].get_params()["max_depth"] == 1
    assert regressor.estimators_[0].get_params()["max_depth"] == 3


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls, params, error, message",
    [
        (AdaBoostClassifier, {"n_estimators": 0}, ValueError, "n_estimators must be at least"),
        (AdaBoostRegressor, {"n_estimators": 1.5}, TypeError, "n_estimators must be an int"),
        (AdaBoostClassifier, {"learning_rate": 0.0}, ValueError, "learning_rate must be positive"),
        (AdaBoostRegressor, {"learning_rate": "fast"}, TypeError, "learning_rate must be a float"),
        (AdaBoostRegressor, {"loss": "huber"}, ValueError, "loss must be one of"),
        (AdaBoostClassifier, {"estimator": object()}, TypeError, "estimator must be None or"),
        (
            AdaBoostClassifier,
            {"estimator": KNeighborsClassifier()},
            ValueError,
            "estimator must accept sample_weight",
        ),
    ],
)
def test_bad_parameters(cls, params, error, message):
    X, y = make_classification(n_samples=60, random_state=0)
    with pytest.raises(error, match=re.escape(message)):
        cls(**params).fit(X, y)


@pytest.mark.parametrize("cls", [AdaBoostClassifier, AdaBoostRegressor])
@pytest.mark.parametrize(
    "weight, message",
    [
        (np.ones(59), "sample_weight must be a 1-D array of shape (60,)"),
        (-np.ones(60), "finite, non-negative"),
        (np.zeros(60), "must not be all zeros"),
    ],
)
def test_bad_sample_weight(cls, weight, message):
    X, y = make_classification(n_samples=60, random_state=0)
    with pytest.raises(ValueError, match=re.escape(message)):
        cls(n_estimators=2).fit(X, y, sample_weight=weight)


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (AdaBoostClassifier, sk_ensemble.AdaBoostClassifier),
        (AdaBoostRegressor, sk_ensemble.AdaBoostRegressor),
    ],
)
def test_fitted_ensemble_is_the_sequence_of_its_members(ours, theirs):
    X, y = make_classification(n_samples=120, random_state=0)
    model = ours(n_estimators=6, random_state=0).fit(X, y)
    reference = theirs(n_estimators=6, random_state=0).fit(X, y)
    assert len(model) == len(model.estimators_) == len(reference)
    assert model[0] is model.estimators_[0]
    assert model[-2:] == model.estimators_[-2:]
    assert list(model) == model.estimators_
    with pytest.raises(AttributeError):
        len(ours())
