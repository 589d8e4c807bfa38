"""Tests of ensembles.bagging: the scikit-learn contract, accuracy against scikit-learn's
bagging, out-of-bag estimates, determinism, warm starts, weights and bad input."""

import functools
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import sklearn
from joblib import parallel_config
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import ensemble as sk_ensemble
from sklearn.base import BaseEstimator, ClassifierMixin, clone, is_classifier, is_regressor
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    make_classification,
    make_regression,
)
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.linear_model import LogisticRegression, Ridge, RidgeClassifier
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from ensembles.bagging import BaggingClassifier, BaggingRegressor

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"

_WEIGHT_EQUIVALENCE = (
    "a bootstrap over n weighted rows draws differently from one over the repeated rows, "
    "so the fits match only in distribution (scikit-learn's own bagging xfails it too)"
)


def _expected_failures(estimator):
    return {
        "check_sample_weight_equivalence_on_dense_data": _WEIGHT_EQUIVALENCE,
        "check_sample_weight_equivalence_on_sparse_data": _WEIGHT_EQUIVALENCE,
    }


@parametrize_with_checks(
    [BaggingClassifier(n_estimators=5), BaggingRegressor(n_estimators=5)],
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
    """2,000 training rows of higgs7k and the other 5,500 rows as a held-out set."""
    train = np.loadtxt(_shared("higgs7k.train"))
    test = np.loadtxt(_shared("higgs7k.test"))
    rest = np.vstack([train[2000:], test])
    return train[:2000, 1:], train[:2000, 0], rest[:, 1:], rest[:, 0]


@functools.cache
def _housing():
    """6,000 complete rows of California housing, one-hot ocean proximity, target in 1e5."""
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(_shared("housing.csv")).dropna().sample(6000, random_state=0)
    y = frame.pop("median_house_value").to_numpy() / 1e5
    return pd.get_dummies(frame, dtype=float).to_numpy(), y


def _cv_score(model, X, y, folds):
    return np.mean([model.fit(X[tr], y[tr]).score(X[te], y[te]) for tr, te in folds])


# --- accuracy against scikit-learn -------------------------------------------------------


def _mean_scores(make_ours, make_theirs, X, y, folds, seeds=(0, 1, 2)):
    ours = np.mean([_cv_score(make_ours(seed), X, y, folds) for seed in seeds])
    theirs = np.mean([_cv_score(make_theirs(seed), X, y, folds) for seed in seeds])
    return ours, theirs


@pytest.mark.parametrize(
    "loader, n_folds, params",
    [
        (load_breast_cancer, 5, {}),
        (load_digits, 3, {"max_features": 0.5}),
    ],
    ids=["breast_cancer", "digits-max_features"],
)
def test_classifier_matches_sklearn(loader, n_folds, params):
    # Cross-validation makes every row a test row, which keeps the seed-to-seed spread
    # of the mean accuracy well below the 0.5% tolerance.
    X, y = loader(return_X_y=True)
    folds = list(StratifiedKFold(n_folds, shuffle=True, random_state=0).split(X, y))
    tree = DecisionTreeClassifier()
    ours, theirs = _mean_scores(
        lambda s: BaggingClassifier(tree, n_estimators=20, random_state=s, **params),
        lambda s: sk_ensemble.BaggingClassifier(tree, n_estimators=20, random_state=s,
                                                **params),
        X, y, folds,
    )
    assert ours > 0.9
    assert abs(ours - theirs) <= 0.005


def test_classifier_matches_sklearn_higgs():
    X, y, X_test, y_test = _higgs()
    tree = DecisionTreeClassifier(min_samples_leaf=5)
    scores = {
        name: np.mean([
            cls(tree, n_estimators=30, random_state=seed).fit(X, y).score(X_test, y_test)
            for seed in range(3)
        ])
        for name, cls in [("ours", BaggingClassifier), ("sk", sk_ensemble.BaggingClassifier)]
    }
    assert scores["ours"] > 0.6
    assert abs(scores["ours"] - scores["sk"]) <= 0.005


def test_regressor_matches_sklearn_housing():
    X, y = _housing()
    X, y = X[:4000], y[:4000]
    folds = list(KFold(2, shuffle=True, random_state=0).split(X))
    tree = DecisionTreeRegressor()
    ours, theirs = _mean_scores(
        lambda s: BaggingRegressor(tree, n_estimators=20, random_state=s),
        lambda s: sk_ensemble.BaggingRegressor(tree, n_estimators=20, random_state=s),
        X, y, folds,
    )
    assert ours > 0.6
    assert abs(ours - theirs) <= 0.005


# --- out-of-bag estimates ----------------------------------------------------------------


def test_oob_score_close_to_held_out_classifier():
    X, y, X_test, y_test = _higgs()
    model = BaggingClassifier(
        DecisionTreeClassifier(min_samples_leaf=5), n_estimators=40, oob_score=True,
        random_state=0,
    ).fit(X, y)
    assert abs(model.oob_score_ - model.score(X_test, y_test)) < 0.04
    # Far from the optimistic training accuracy: the rows really were out of bag.
    assert model.oob_score_ < model.score(X, y) - 0.1
    decided = ~np.isnan(model.oob_decision_function_[:, 0])
    assert decided.mean() > 0.99
    assert_allclose(model.oob_decision_function_[decided].sum(axis=1), 1.0)


def test_oob_score_close_to_held_out_regressor():
    X, y = _housing()
    model = BaggingRegressor(
        DecisionTreeRegressor(), n_estimators=40, oob_score=True, random_state=0
    ).fit(X[:2000], y[:2000])
    assert abs(model.oob_score_ - model.score(X[2000:], y[2000:])) < 0.04
    assert model.oob_score_ < model.score(X[:2000], y[:2000]) - 0.1


def test_oob_prediction_is_the_mean_of_members_that_did_not_draw_the_row():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    y = X[:, 0] + rng.normal(scale=0.1, size=60)
    model = BaggingRegressor(
        DecisionTreeRegressor(max_depth=3), n_estimators=15, max_features=2, oob_score=True,
        random_state=0,
    ).fit(X, y)
    expected = np.zeros(60)
    counts = np.zeros(60)
    for member, cols, rows in zip(
        model.estimators_, model.estimators_features_, model.estimators_samples_, strict=True
    ):
        out = np.setdiff1d(np.arange(60), rows)
        expected[out] += member.predict(X[out][:, cols])
        counts[out] += 1
    assert counts.min() > 0
    assert_allclose(model.oob_prediction_, expected / counts)


def test_oob_warns_when_rows_were_always_drawn():
    X, y = make_classification(n_samples=80, random_state=0)
    with pytest.warns(UserWarning, match="no out-of-bag prediction"):
        model = BaggingClassifier(n_estimators=2, oob_score=True, random_state=0).fit(X, y)
    undecided = np.isnan(model.oob_decision_function_[:, 0])
    assert undecided.any() and not undecided.all()
    assert 0.0 <= model.oob_score_ <= 1.0


# --- voting ------------------------------------------------------------------------------


def _member_class_matrix(model, X, method):
    """Per-member outputs over all classes, computed here from the public attributes."""
    outputs = []
    for member, cols in zip(model.estimators_, model.estimators_features_, strict=True):
        full = np.zeros((X.shape[0], len(model.classes_)))
        if method == "proba":
            full[:, member.classes_] = member.predict_proba(X[:, cols])
        else:
            full[np.arange(X.shape[0]), member.predict(X[:, cols])] = 1.0
        outputs.append(full)
    return np.mean(outputs, axis=0)


def test_soft_vote_averages_member_probabilities():
    X, y = load_digits(return_X_y=True)
    model = BaggingClassifier(
        DecisionTreeClassifier(max_depth=4), n_estimators=6, max_features=0.5, random_state=0
    ).fit(X, y)
    proba = model.predict_proba(X)
    assert_allclose(proba, _member_class_matrix(model, X, "proba"))
    assert_array_equal(model.predict(X), model.classes_[proba.argmax(axis=1)])


def test_majority_vote_without_predict_proba():
    X, y = load_breast_cancer(return_X_y=True)
    y = np.where(y == 1, "benign", "malignant")
    model = BaggingClassifier(RidgeClassifier(), n_estimators=7, random_state=0).fit(X, y)
    proba = model.predict_proba(X)
    assert_allclose(proba, _member_class_matrix(model, X, "vote"))
    # Vote shares of seven members.
    assert_allclose(proba * 7, np.round(proba * 7))
    assert set(model.predict(X)) <= {"benign", "malignant"}
    assert model.score(X, y) > 0.9


def test_class_missing_from_a_draw_keeps_its_column():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 2))
    y = np.array([0, 1] * 14 + [0, 2])  # class 2 has one row, which many draws miss
    # A member without sample_weight is fitted on its drawn rows only, so it can miss
    # a class (members with sample_weight see every row, see the next test).
    model = BaggingClassifier(
        KNeighborsClassifier(n_neighbors=3), n_estimators=10, random_state=0
    ).fit(X, y)
    assert any(len(member.classes_) == 2 for member in model.estimators_)
    proba = model.predict_proba(X)
    assert proba.shape == (30, 3)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_allclose(proba, _member_class_matrix(model, X, "proba"))


# --- sampling ----------------------------------------------------------------------------


class _Recorder(ClassifierMixin, BaseEstimator):
    """Predicts the first class; remembers the rows and weights it was fitted on."""

    def fit(self, X, y, sample_weight=None):
        self.X_ = np.asarray(X)
        self.sample_weight_ = sample_weight
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


class _RecorderWithoutWeights(_Recorder):
    def fit(self, X, y):
        return super().fit(X, y)


def _row_ids(n):
    """A single feature equal to the row index, so a member's rows can be read back."""
    return np.arange(n, dtype=float)[:, None], np.arange(n) % 2


def test_member_with_fit_weights_gets_every_row_weighted_by_its_draw_count():
    X, y = _row_ids(50)
    weight = np.random.RandomState(0).uniform(0.5, 2.0, size=50)
    model = BaggingClassifier(_Recorder(), n_estimators=4, random_state=0).fit(
        X, y, sample_weight=weight
    )
    for member, rows in zip(model.estimators_, model.estimators_samples_, strict=True):
        # All rows, in order; the undrawn ones at weight 0, as scikit-learn does.
        assert_array_equal(member.X_, X)
        assert_allclose(member.sample_weight_, np.bincount(rows, minlength=50))


def test_bootstrap_draw_holding_one_class():
    # Issue 17: members with sample_weight were fitted on the drawn rows only, so a
    # draw holding one class made LogisticRegression raise.
    rng = np.random.RandomState(0)
    X = rng.randn(60, 3)
    y = np.r_[np.zeros(57), np.ones(3)].astype(int)
    ours = BaggingClassifier(LogisticRegression(), n_estimators=10, random_state=0).fit(X, y)
    theirs = sk_ensemble.BaggingClassifier(
        LogisticRegression(), n_estimators=10, random_state=0
    ).fit(X, y)
    assert any(not np.isin(1, rows).any() for rows in ours.estimators_samples_)
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X))
    assert_allclose(ours.decision_function(X), theirs.decision_function(X))


def test_without_fit_weights_rows_are_drawn_in_proportion_to_weight():
    X, y = _row_ids(40)
    weight = np.where(np.arange(40) < 20, 3.0, 1.0)
    weight[:5] = 0.0
    model = BaggingClassifier(
        _RecorderWithoutWeights(), n_estimators=2, max_samples=20000, random_state=0
    ).fit(X, y, sample_weight=weight)
    for member in model.estimators_:
        drawn = np.bincount(member.X_[:, 0].astype(int), minlength=40)
        assert drawn[:5].sum() == 0
        assert 2.7 < drawn[5:20].mean() / drawn[20:].mean() < 3.3


def test_max_samples_and_max_features():
    X, y = make_classification(n_samples=100, n_features=10, random_state=0)
    model = BaggingClassifier(
        DecisionTreeClassifier(), n_estimators=5, max_samples=0.3, max_features=4,
        bootstrap=False, random_state=0,
    ).fit(X, y)
    for rows, cols, member in zip(
        model.estimators_samples_, model.estimators_features_, model.estimators_, strict=True
    ):
        assert len(rows) == 30 and len(np.unique(rows)) == 30
        assert len(cols) == 4 and len(np.unique(cols)) == 4
        assert member.n_features_in_ == 4
    model.set_params(max_samples=150, max_features=1.0, bootstrap=True,
                     bootstrap_features=True).fit(X, y)
    assert all(len(rows) == 150 for rows in model.estimators_samples_)
    cols = np.concatenate(model.estimators_features_)
    assert len(cols) == 50 and len(np.unique(cols)) < 50  # drawn with replacement


# --- determinism and warm start ----------------------------------------------------------


@pytest.mark.parametrize("cls", [BaggingClassifier, BaggingRegressor])
def test_same_model_whatever_n_jobs(cls):
    X, y = make_classification(n_samples=200, n_features=8, random_state=0)
    params = dict(n_estimators=7, max_features=0.6, bootstrap_features=True,
                  max_samples=0.8, oob_score=True, random_state=3)
    models = [cls(n_jobs=n_jobs, **params).fit(X, y) for n_jobs in (1, 3)]
    for a, b in zip(models[0].estimators_samples_, models[1].estimators_samples_,
                    strict=True):
        assert_array_equal(a, b)
    for a, b in zip(models[0].estimators_features_, models[1].estimators_features_,
                    strict=True):
        assert_array_equal(a, b)
    assert models[0].oob_score_ == models[1].oob_score_
    method = "predict_proba" if is_classifier(models[0]) else "predict"
    # Parallel prediction only regroups a sum of the same member outputs.
    assert_allclose(getattr(models[0], method)(X), getattr(models[1], method)(X), rtol=1e-12)


@pytest.mark.filterwarnings("ignore:.*no out-of-bag prediction:UserWarning")
def test_warm_start_adds_members_without_refitting_old_ones():
    X, y = make_classification(n_samples=150, random_state=0)
    model = BaggingClassifier(n_estimators=5, warm_start=True, oob_score=True,
                              random_state=0).fit(X, y)
    old_members = list(model.estimators_)
    old_trees = [member.tree_ for member in old_members]
    model.set_params(n_estimators=9).fit(X, y)
    assert len(model.estimators_) == 9
    assert all(a is b for a, b in zip(model.estimators_[:5], old_members, strict=True))
    # A refit would have built new tree structures.
    assert all(m.tree_ is t for m, t in zip(model.estimators_[:5], old_trees, strict=True))
    single = BaggingClassifier(n_estimators=9, oob_score=True, random_state=0).fit(X, y)
    assert_allclose(model.predict_proba(X), single.predict_proba(X))
    assert model.oob_score_ == single.oob_score_


def test_warm_start_errors_and_warning():
    X, y = make_classification(n_samples=100, random_state=0)
    model = BaggingClassifier(n_estimators=4, warm_start=True, random_state=0).fit(X, y)
    with pytest.warns(UserWarning, match="without increasing n_estimators does not fit"):
        model.fit(X, y)
    with pytest.raises(ValueError, match="n_estimators=3 must be larger or equal"):
        model.set_params(n_estimators=3).fit(X, y)
    with pytest.raises(ValueError, match="same number of rows"):
        model.set_params(n_estimators=6).fit(X[:50], y[:50])
    with pytest.raises(ValueError, match="classes of the previous fit"):
        model.fit(X, y + 1)
    with pytest.raises(ValueError, match="features"):
        model.fit(X[:, :5], y)
    # Weights change the draws, which the old members' out-of-bag rows are replayed from.
    recorder = BaggingClassifier(_RecorderWithoutWeights(), n_estimators=2, warm_start=True)
    recorder.fit(X, y)
    with pytest.raises(ValueError, match="sample_weight and sampling parameters"):
        recorder.set_params(n_estimators=3).fit(X, y, sample_weight=np.ones(100))


def test_process_backend_gives_the_same_model():
    X, y = make_classification(n_samples=120, random_state=0)
    model = BaggingRegressor(n_estimators=4, n_jobs=2, random_state=0)
    with parallel_config(backend="loky"):
        in_processes = clone(model).fit(X, y).predict(X)
    assert_allclose(in_processes, model.fit(X, y).predict(X))


# --- other behaviour ---------------------------------------------------------------------


def test_labels_and_feature_names_of_a_data_frame():
    pytest.importorskip("pandas")
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    labels = np.array(["malignant", "benign"])[y]
    model = BaggingClassifier(n_estimators=5, random_state=0).fit(X, labels)
    assert_array_equal(model.feature_names_in_, X.columns)
    assert_array_equal(model.classes_, ["benign", "malignant"])
    assert model.score(X, labels) > 0.95


def test_multi_output_regression():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 4))
    Y = np.column_stack([X[:, 0], X[:, 1] - X[:, 2]])
    model = BaggingRegressor(n_estimators=15, oob_score=True, random_state=0).fit(X, Y)
    assert model.predict(X).shape == (120, 2)
    assert model.oob_prediction_.shape == (120, 2)
    assert model.score(X, Y) > 0.8


def test_default_members_are_trees_of_the_right_kind():
    X, y = make_classification(n_samples=60, random_state=0)
    assert is_classifier(BaggingClassifier(n_estimators=2).fit(X, y).estimators_[0])
    assert is_regressor(BaggingRegressor(n_estimators=2).fit(X, y).estimators_[0])


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, error, message",
    [
        ({"n_estimators": 0}, ValueError, "n_estimators must be at least 1"),
        ({"n_estimators": 2.5}, TypeError, "n_estimators must be an int"),
        ({"max_samples": 0}, ValueError, "max_samples must be at least 1"),
        ({"max_samples": 1.5}, ValueError, "max_samples must be in (0, 1]"),
        ({"max_samples": "all"}, TypeError, "max_samples must be None, an int"),
        ({"max_samples": 500, "bootstrap": False}, ValueError, "max_samples=500"),
        ({"max_features": 0.0}, ValueError, "max_features must be in (0, 1]"),
        ({"max_features": 25}, ValueError, "max_features=25 exceeds the 20 features"),
        ({"max_features": None}, TypeError, "max_features must be an int"),
        ({"bootstrap": "yes"}, TypeError, "bootstrap must be a bool"),
        ({"oob_score": True, "bootstrap": False}, ValueError, "oob_score=True needs"),
        ({"n_jobs": "two"}, TypeError, "n_jobs must be None or an int"),
        ({"estimator": object()}, TypeError, "estimator must be None or an estimator"),
    ],
)
def test_bad_parameters(params, error, message):
    X, y = make_classification(n_samples=100, n_features=20, random_state=0)
    with pytest.raises(error, match=re.escape(message)):
        BaggingClassifier(**params).fit(X, y)


@pytest.mark.parametrize(
    "weight, message",
    [
        (np.ones(99), "sample_weight must be a 1-D array of shape (100,)"),
        (-np.ones(100), "finite, non-negative"),
        (np.full(100, np.nan), "finite, non-negative"),
        (np.zeros(100), "must not be all zeros"),
    ],
)
def test_bad_sample_weight(weight, message):
    X, y = make_classification(n_samples=100, random_state=0)
    with pytest.raises(ValueError, match=re.escape(message)):
        BaggingRegressor(n_estimators=2).fit(X, y, sample_weight=weight)


def test_a_number_as_sample_weight_weighs_every_row_as_in_scikit_learn():
    from ensembles import AdaBoostRegressor

    X, y = make_classification(n_samples=100, random_state=0)
    for cls, theirs in ((BaggingRegressor, sk_ensemble.BaggingRegressor),
                        (AdaBoostRegressor, sk_ensemble.AdaBoostRegressor)):
        theirs(n_estimators=2).fit(X, y, sample_weight=2.0)  # accepted there too
        model = cls(n_estimators=3, random_state=0)
        scalar = model.fit(X, y, sample_weight=2.0).predict(X)
        assert_array_equal(scalar, model.fit(X, y, sample_weight=np.full(100, 2.0)).predict(X))


def test_weights_without_bootstrap_warn_and_draw_weighted_rows_without_replacement():
    X, y = _row_ids(20)
    weight = np.r_[np.zeros(5), np.ones(15)]
    with pytest.warns(UserWarning, match="recommended to use bootstrap=True"):
        model = BaggingClassifier(
            _RecorderWithoutWeights(), bootstrap=False, max_samples=10, random_state=0
        ).fit(X, y, sample_weight=weight)
    for member in model.estimators_:
        rows = member.X_[:, 0].astype(int)
        assert len(rows) == len(set(rows)) == 10
        assert rows.min() >= 5


# --- the same members as scikit-learn ------------------------------------------------


_SAMPLING = [
    {},
    {"max_features": 0.5},
    {"bootstrap_features": True, "max_samples": 50},
    {"bootstrap": False, "max_samples": 0.7},
]


@pytest.mark.parametrize("params", _SAMPLING)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(
    "member",
    [LogisticRegression(max_iter=500), KNeighborsClassifier(), DecisionTreeClassifier(), SVC()],
    ids=type,
)
def test_classifier_draws_and_predictions_equal_scikit_learn(member, weighted, params):
    X, y = make_classification(
        n_samples=200, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    weight = np.random.RandomState(1).uniform(0, 2, 200) if weighted else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # bootstrap=False with weights
        ours = BaggingClassifier(member, n_estimators=5, random_state=3, **params)
        theirs = sk_ensemble.BaggingClassifier(member, n_estimators=5, random_state=3, **params)
        ours.fit(X, y, sample_weight=weight)
        theirs.fit(X, y, sample_weight=weight)
    for a, b in zip(ours.estimators_samples_, theirs.estimators_samples_, strict=True):
        assert_array_equal(a, b)
    for a, b in zip(ours.estimators_features_, theirs.estimators_features_, strict=True):
        assert_array_equal(a, b)
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X))
    assert_allclose(ours.predict_log_proba(X), theirs.predict_log_proba(X))
    assert_array_equal(ours.predict(X), theirs.predict(X))
    assert hasattr(ours, "decision_function") == hasattr(theirs, "decision_function")
    if hasattr(theirs, "decision_function"):
        assert_allclose(ours.decision_function(X), theirs.decision_function(X))


@pytest.mark.parametrize("params", _SAMPLING)
def test_regressor_predictions_equal_scikit_learn(params):
    X, y = make_regression(n_samples=150, n_features=5, noise=5.0, random_state=0)
    weight = np.random.RandomState(2).uniform(0, 2, 150)
    for member in (Ridge(), DecisionTreeRegressor(max_depth=4), SVR()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            ours = BaggingRegressor(member, n_estimators=4, random_state=1, **params)
            theirs = sk_ensemble.BaggingRegressor(
                member, n_estimators=4, random_state=1, **params
            )
            ours.fit(X, y, sample_weight=weight)
            theirs.fit(X, y, sample_weight=weight)
        assert_allclose(ours.predict(X), theirs.predict(X))


def test_float_max_samples_is_a_fraction_of_the_weight_sum():
    X, y = _row_ids(100)
    weight = np.full(100, 0.5)
    model = BaggingClassifier(_RecorderWithoutWeights(), max_samples=0.4, n_estimators=2)
    model.fit(X, y, sample_weight=weight)
    assert all(len(rows) == 20 for rows in model.estimators_samples_)
    with pytest.warns(UserWarning, match=r"low number \(1\) of bootstrap samples"):
        model.fit(X, y, sample_weight=np.full(100, 0.01))


# --- decision_function, the sequence of members, verbose --------------------------------


def test_decision_function_is_the_mean_of_the_members():
    X, y = load_breast_cancer(return_X_y=True)
    model = BaggingClassifier(
        make_pipeline(StandardScaler(), SVC()), n_estimators=4, max_features=0.6,
        random_state=0,
    ).fit(X, y)
    members = [
        member.decision_function(X[:, cols])
        for member, cols in zip(model.estimators_, model.estimators_features_, strict=True)
    ]
    decision = model.decision_function(X)
    assert decision.shape == (len(X),)
    assert_allclose(decision, np.mean(members, axis=0))
    assert not hasattr(BaggingClassifier(DecisionTreeClassifier()), "decision_function")
    assert not hasattr(BaggingClassifier().fit(X, y), "decision_function")
    assert hasattr(BaggingClassifier(SVC()), "decision_function")


@pytest.mark.parametrize("cls", [BaggingClassifier, BaggingRegressor])
def test_fitted_ensemble_is_the_sequence_of_its_members(cls):
    X, y = make_classification(n_samples=60, random_state=0)
    model = cls(n_estimators=4, random_state=0).fit(X, y)
    assert len(model) == 4
    assert model[1] is model.estimators_[1]
    assert model[-1] is model.estimators_[-1]
    assert model[1:3] == model.estimators_[1:3]
    assert list(model) == model.estimators_
    theirs = getattr(sk_ensemble, cls.__name__)(n_estimators=4, random_state=0).fit(X, y)
    assert len(model) == len(theirs)


def test_verbose_prints_as_scikit_learn(capsys):
    X, y = make_classification(n_samples=60, random_state=0)
    BaggingClassifier(n_estimators=3, verbose=2, random_state=0).fit(X, y)
    ours = capsys.readouterr().out
    sk_ensemble.BaggingClassifier(n_estimators=3, verbose=2, random_state=0).fit(X, y)
    theirs = capsys.readouterr().out
    assert "Building estimator 3 of 3 for this parallel run (total 3)..." in ours
    assert [line for line in ours.splitlines() if "Building" in line] == [
        line for line in theirs.splitlines() if "Building" in line
    ]
    BaggingClassifier(n_estimators=3, random_state=0).fit(X, y)
    assert capsys.readouterr().out == ""
    with pytest.raises(TypeError, match="verbose must be"):
        BaggingClassifier(verbose="loud").fit(X, y)


# --- metadata routing -------------------------------------------------------------------


class _MetadataRecorder(ClassifierMixin, BaseEstimator):
    """Records the metadata each method receives."""

    def fit(self, X, y, sample_weight=None, metadata=None):
        self.classes_ = np.unique(y)
        self.fit_rows_ = len(X)
        self.fit_metadata_ = metadata
        self.fit_weight_ = sample_weight
        return self

    def predict_proba(self, X, metadata=None):
        self.proba_metadata_ = metadata
        return np.full((len(X), len(self.classes_)), 1.0 / len(self.classes_))

    def predict(self, X, metadata=None):
        self.predict_metadata_ = metadata
        return np.full(len(X), self.classes_[0])

    def decision_function(self, X, metadata=None):
        self.decision_metadata_ = metadata
        return np.zeros(len(X))


@pytest.fixture
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


def test_metadata_is_routed_to_members_that_request_it(routing):
    X, y = _row_ids(30)
    metadata = np.arange(30) * 10
    member = _MetadataRecorder().set_fit_request(metadata=True, sample_weight=False)
    member.set_predict_proba_request(metadata=True).set_decision_function_request(
        metadata=True
    )
    model = BaggingClassifier(member, n_estimators=3, random_state=0)
    model.fit(X, y, metadata=metadata)
    for fitted, rows in zip(model.estimators_, model.estimators_samples_, strict=True):
        # Not requesting sample_weight, the member is fitted on its drawn rows, and the
        # per-row metadata follows them.
        assert fitted.fit_rows_ == len(rows)
        assert fitted.fit_weight_ is None
        assert_array_equal(fitted.fit_metadata_, metadata[rows])
    model.predict(X, metadata="p")
    model.decision_function(X, metadata="d")
    assert all(m.proba_metadata_ == "p" for m in model.estimators_)
    assert all(m.decision_metadata_ == "d" for m in model.estimators_)


def test_requested_sample_weight_gets_draw_counts_on_every_row(routing):
    X, y = _row_ids(30)
    member = _MetadataRecorder().set_fit_request(sample_weight=True, metadata=True)
    model = BaggingClassifier(member, n_estimators=3, random_state=0)
    model.fit(X, y, metadata="m")
    for fitted, rows in zip(model.estimators_, model.estimators_samples_, strict=True):
        assert fitted.fit_rows_ == 30
        assert fitted.fit_metadata_ == "m"
        assert_array_equal(fitted.fit_weight_, np.bincount(rows, minlength=30))


def test_unrequested_metadata_raises_as_in_scikit_learn(routing):
    X, y = _row_ids(30)
    for cls in (BaggingClassifier, sk_ensemble.BaggingClassifier):
        with pytest.raises(UnsetMetadataPassedError, match="metadata"):
            cls(_MetadataRecorder(), n_estimators=2).fit(X, y, metadata="m")
    # Metadata that every member declines is routed nowhere, which is an error too.
    member = _MetadataRecorder().set_fit_request(metadata=False, sample_weight=False)
    for cls in (BaggingClassifier, sk_ensemble.BaggingClassifier):
        with pytest.raises(TypeError, match="not routed to any object"):
            cls(member, n_estimators=2).fit(X, y, metadata="m")


def test_routing_falls_back_to_predict_for_members_without_proba(routing):
    X, y = _row_ids(30)

    class NoProba(_MetadataRecorder):
        predict_proba = property()  # hasattr is False

    member = NoProba().set_fit_request(sample_weight=False).set_predict_request(metadata=True)
    model = BaggingClassifier(member, n_estimators=2, random_state=0).fit(X, y)
    model.predict_proba(X, metadata="q")
    assert all(m.predict_metadata_ == "q" for m in model.estimators_)


def test_extra_parameters_without_routing_are_refused():
    X, y = _row_ids(30)
    for cls in (BaggingClassifier, sk_ensemble.BaggingClassifier):
        with pytest.raises(ValueError, match="enable_metadata_routing=True"):
            cls(_MetadataRecorder(), n_estimators=2).fit(X, y, metadata="m")
    model = BaggingClassifier(_MetadataRecorder(), n_estimators=2).fit(X, y)
    with pytest.raises(ValueError, match="enable_metadata_routing=True"):
        model.predict(X, metadata="m")


def test_routing_to_scikit_learn_members_gives_scikit_learn_predictions(routing):
    X, y = make_classification(n_samples=120, random_state=0)
    weight = np.random.RandomState(0).uniform(0.5, 1.5, 120)
    member = LogisticRegression().set_fit_request(sample_weight=True)
    ours = BaggingClassifier(member, n_estimators=4, random_state=0).fit(
        X, y, sample_weight=weight
    )
    theirs = sk_ensemble.BaggingClassifier(member, n_estimators=4, random_state=0).fit(
        X, y, sample_weight=weight
    )
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X))
