"""Tests of stacking and voting (ensembles.stacking) and of the real-data stack/selection."""

import pickle
import re
from pathlib import Path

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import ensemble as sk_ensemble
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_iris,
    make_multilabel_classification,
)
from sklearn.exceptions import NotFittedError, UnsetMetadataPassedError
from sklearn.frozen import FrozenEstimator
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.linear_model import (
    BayesianRidge,
    LinearRegression,
    LogisticRegression,
    Ridge,
    RidgeClassifier,
    RidgeCV,
)
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    KFold,
    ShuffleSplit,
    StratifiedKFold,
    cross_val_predict,
    cross_val_score,
)
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from ensembles import stacking as ensembles_stacking
from ensembles.bagging import BaggingClassifier
from ensembles.selection import EnsembleSelectionClassifier
from ensembles.stacking import (
    FoldAveragedEstimator,
    StackingClassifier,
    StackingRegressor,
    VotingClassifier,
    VotingRegressor,
)

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


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


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


# --------------------------------------------------------------------------------------
# scikit-learn's estimator checks
# --------------------------------------------------------------------------------------

_OOF_TRANSFORM = (
    "fit_transform returns the out-of-fold level-2 features the final estimator was "
    "trained on (so that a following pipeline step does not learn from leaked labels); "
    "they differ from fit(X).transform(X) by design"
)


def _expected_failures(estimator):
    # Only the regressor is marked: on the separable blobs the classifier checks use, the
    # out-of-fold and in-sample probabilities agree within the checks' tolerance.
    if isinstance(estimator, StackingRegressor):
        return {
            "check_transformer_general": _OOF_TRANSFORM,
            "check_transformer_data_not_an_array": _OOF_TRANSFORM,
        }
    return {}


@parametrize_with_checks(
    [
        StackingClassifier(classifiers(), cv=3, refit=False, passthrough=True),
        StackingRegressor(regressors(), cv=3),
        VotingClassifier(classifiers()),
        VotingClassifier(classifiers(), voting="soft", weights=[1, 2]),
        VotingRegressor(regressors(), weights=[2, 1]),
    ],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# --------------------------------------------------------------------------------------
# Out-of-fold predictions
# --------------------------------------------------------------------------------------


def test_oof_matches_cross_val_predict_multiclass(iris):
    X, y = iris
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    stack = StackingClassifier(classifiers(), cv=cv).fit(X, y)
    expected = np.hstack(
        [cross_val_predict(est, X, y, cv=cv, method="predict_proba") for _, est in classifiers()]
    )
    assert_allclose(stack.oof_predictions_, expected)
    assert stack.oof_feature_names_.tolist() == [
        "stackingclassifier_lr0", "stackingclassifier_lr1", "stackingclassifier_lr2",
        "stackingclassifier_dt0", "stackingclassifier_dt1", "stackingclassifier_dt2",
    ]  # fmt: skip


def test_oof_matches_cross_val_predict_binary_drops_redundant_column(cancer):
    X, y = cancer
    cv = KFold(3, shuffle=True, random_state=1)
    stack = StackingClassifier(classifiers(), cv=cv).fit(X, y)
    assert stack.oof_predictions_.shape == (len(y), 2)
    for column, (_, est) in enumerate(classifiers()):
        expected = cross_val_predict(est, X, y, cv=cv, method="predict_proba")[:, 1]
        assert_allclose(stack.oof_predictions_[:, column], expected)
    assert stack.predict_proba(X[:5]).shape == (5, 2)


def test_oof_with_group_kfold_uses_groups(cancer):
    X, y = cancer
    groups = np.arange(len(y)) % 7
    stack = StackingClassifier(classifiers(), cv=GroupKFold(3)).fit(X, y, groups=groups)
    expected = cross_val_predict(
        classifiers()[1][1], X, y, cv=GroupKFold(3), groups=groups, method="predict_proba"
    )
    assert_allclose(stack.oof_predictions_[:, 1], expected[:, 1])
    # Without the groups, GroupKFold cannot split at all.
    with pytest.raises(ValueError, match="groups"):
        StackingClassifier(classifiers(), cv=GroupKFold(3)).fit(X, y)


def test_oof_decision_function_and_predict_methods(iris):
    X, y = iris
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    cv = StratifiedKFold(3)
    svc = make_pipeline(StandardScaler(), LinearSVC())
    stack = StackingClassifier([("svc", svc)], stack_method="decision_function", cv=cv)
    stack.fit(X, labels)
    assert stack.stack_method_ == ["decision_function"]
    expected = cross_val_predict(svc, X, labels, cv=cv, method="decision_function")
    assert_allclose(stack.oof_predictions_, expected)

    tree = DecisionTreeClassifier(max_depth=2, random_state=0)
    stack = StackingClassifier([("dt", tree)], stack_method="predict", cv=cv).fit(X, labels)
    codes = np.searchsorted(stack.classes_, cross_val_predict(tree, X, labels, cv=cv))
    assert_array_equal(stack.oof_predictions_[:, 0], codes)
    assert set(stack.predict(X)) <= set(labels)


def test_auto_stack_method_falls_back_per_estimator(iris):
    X, y = iris
    estimators = [("svc", LinearSVC()), ("nb", GaussianNB())]
    stack = StackingClassifier(estimators, cv=3).fit(X, y)
    assert stack.stack_method_ == ["decision_function", "predict_proba"]


def test_regressor_oof_matches_cross_val_predict():
    X, y = load_diabetes(return_X_y=True)
    cv = KFold(4, shuffle=True, random_state=0)
    stack = StackingRegressor(regressors(), cv=cv).fit(X, y)
    expected = np.column_stack([cross_val_predict(e, X, y, cv=cv) for _, e in regressors()])
    assert_allclose(stack.oof_predictions_, expected)
    assert stack.get_feature_names_out().tolist() == [
        "stackingregressor_ridge", "stackingregressor_dt"
    ]  # fmt: skip
    # The final RidgeCV is fit on exactly these out-of-fold columns.
    assert_allclose(stack.final_estimator_.coef_, RidgeCV().fit(expected, y).coef_)
    level2 = stack.transform(X)
    assert_allclose(stack.predict(X), stack.final_estimator_.predict(level2))


def test_folds_missing_a_class_are_padded_like_cross_val_predict(iris):
    X, y = iris  # sorted by class: unshuffled KFold(3) leaves one class out of each fit
    with pytest.warns(UserWarning, match=r"folds \[0, 1, 2\] lack some classes"):
        stack = StackingClassifier([("nb", GaussianNB())], cv=KFold(3)).fit(X, y)
    with pytest.warns(RuntimeWarning, match="Number of classes in training fold"):
        expected = cross_val_predict(GaussianNB(), X, y, cv=KFold(3), method="predict_proba")
    assert_allclose(stack.oof_predictions_, expected)
    assert np.all(stack.oof_predictions_[y == 0, 0] == 0.0)
    with pytest.raises(ValueError, match="decision_function cannot be aligned"):
        with pytest.warns(UserWarning, match="lack some classes"):
            StackingClassifier([("svc", LinearSVC())], cv=KFold(3)).fit(X, y)


def test_n_jobs_does_not_change_the_result(iris):
    X, y = iris
    serial = StackingClassifier(classifiers(), cv=3, refit=False).fit(X, y)
    parallel = StackingClassifier(classifiers(), cv=3, refit=False, n_jobs=2).fit(X, y)
    assert_allclose(parallel.oof_predictions_, serial.oof_predictions_)
    assert_allclose(parallel.predict_proba(X), serial.predict_proba(X))


# --------------------------------------------------------------------------------------
# Leakage
# --------------------------------------------------------------------------------------


def test_memorizing_base_model_does_not_leak_labels():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 5))
    y = rng.randint(0, 2, size=300)  # pure noise: nothing is learnable
    nn = KNeighborsClassifier(n_neighbors=1)
    stack = StackingClassifier([("nn", nn)], cv=5)

    in_sample = stack.fit(X, y).transform(X)[:, 0] > 0.5
    assert np.mean(in_sample == y) == 1.0  # 1-NN memorizes its training labels...
    oof = stack.oof_predictions_[:, 0] > 0.5
    assert np.mean(oof == y) < 0.65  # ...but its out-of-fold column knows nothing
    assert_allclose(clone(stack).fit_transform(X, y), stack.oof_predictions_)
    assert cross_val_score(stack, X, y, cv=5).mean() < 0.65


# --------------------------------------------------------------------------------------
# Refit versus per-fold models
# --------------------------------------------------------------------------------------


def test_refit_serves_models_fit_on_all_data(cancer):
    X, y = cancer
    stack = StackingClassifier(classifiers(), cv=3, refit=True).fit(X, y)
    for fitted, (_, est) in zip(stack.estimators_, classifiers(), strict=True):
        assert_allclose(fitted.predict_proba(X), clone(est).fit(X, y).predict_proba(X))


def test_fold_averaging_serves_mean_of_fold_models(cancer):
    X, y = cancer
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    stack = StackingClassifier(classifiers(), cv=cv, refit=False).fit(X, y)
    tree = stack.named_estimators_["dt"]
    assert isinstance(tree, FoldAveragedEstimator)
    assert len(tree.estimators_) == 3
    fold_probas = [
        clone(classifiers()[1][1]).fit(X[train], y[train]).predict_proba(X)
        for train, _ in cv.split(X, y)
    ]
    assert_allclose(tree.predict_proba(X), np.mean(fold_probas, axis=0))
    assert_allclose(stack.transform(X)[:, 1], np.mean(fold_probas, axis=0)[:, 1])
    assert stack.score(X, y) > 0.95


def test_fold_averaged_regressor_and_class_votes(iris):
    X, y = load_diabetes(return_X_y=True)
    cv = KFold(3)
    stack = StackingRegressor(regressors(), cv=cv, refit=False).fit(X, y)
    ridge = stack.named_estimators_["ridge"]
    expected = np.mean([Ridge().fit(X[tr], y[tr]).predict(X) for tr, _ in cv.split(X)], axis=0)
    assert_allclose(ridge.predict(X), expected)

    X, y = iris
    stack = StackingClassifier([("dt", DecisionTreeClassifier(max_depth=1))], cv=3, refit=False)
    votes = stack.fit(X, y).named_estimators_["dt"]
    fold_labels = np.array([m.predict(X) for m in votes.estimators_])
    majority = [np.bincount(col, minlength=3).argmax() for col in fold_labels.T]
    assert_array_equal(votes.predict(X), majority)


# --------------------------------------------------------------------------------------
# Sample weights
# --------------------------------------------------------------------------------------


class WeightRecorder(ClassifierMixin, BaseEstimator):
    """Predicts the (weighted) class frequencies and remembers the weights it was given."""

    def fit(self, X, y, sample_weight=None):
        self.classes_, codes = np.unique(y, return_inverse=True)
        self.n_features_in_ = np.shape(X)[1]
        self.seen_weight_ = sample_weight
        weights = np.ones(len(y)) if sample_weight is None else sample_weight
        self.prior_ = np.bincount(codes, weights=weights) / np.sum(weights)
        return self

    def predict_proba(self, X):
        return np.tile(self.prior_, (len(X), 1))

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def test_sample_weight_reaches_fold_refit_pipeline_and_final_estimators(cancer):
    X, y = cancer
    weights = np.random.RandomState(0).uniform(0.5, 2.0, size=len(y))
    cv = StratifiedKFold(3)
    base = [("rec", WeightRecorder()), ("pipe", make_pipeline(StandardScaler(), WeightRecorder()))]

    stack = StackingClassifier(base, WeightRecorder(), cv=cv, refit=False)
    stack.fit(X, y, sample_weight=weights)
    for model, (train, _) in zip(stack.estimators_[0].estimators_, cv.split(X, y), strict=True):
        assert_array_equal(model.seen_weight_, weights[train])
    assert_array_equal(stack.final_estimator_.seen_weight_, weights)

    stack = StackingClassifier(base, WeightRecorder(), cv=cv).fit(X, y, sample_weight=weights)
    assert_array_equal(stack.estimators_[0].seen_weight_, weights)
    assert_array_equal(stack.estimators_[1][-1].seen_weight_, weights)


class NoWeightClassifier(ClassifierMixin, BaseEstimator):
    """A classifier whose fit takes no sample_weight."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.full((len(X), len(self.classes_)), 1 / len(self.classes_))

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (VotingClassifier, sk_ensemble.VotingClassifier),
        (StackingClassifier, sk_ensemble.StackingClassifier),
    ],
)
@pytest.mark.parametrize(
    "weightless", [KNeighborsClassifier(), NoWeightClassifier()], ids=["knn", "no_weight"]
)
def test_weights_a_member_cannot_take_raise_type_error_as_in_scikit_learn(
    cancer, ours, theirs, weightless
):
    X, y = cancer
    estimators = [("lr", LogisticRegression(max_iter=1000)), ("bad", weightless)]
    weights = np.ones(len(y))
    message = f"Underlying estimator {type(weightless).__name__} does not support sample"
    with pytest.raises(TypeError, match=message):
        theirs(estimators).fit(X, y, sample_weight=weights)
    with pytest.raises(TypeError, match=message + r".*'bad'"):
        ours(estimators).fit(X, y, sample_weight=weights)


def test_weights_the_final_estimator_cannot_take_raise_type_error_as_in_scikit_learn(cancer):
    X, y = cancer
    weights = np.ones(len(y))
    message = "Underlying estimator NoWeightClassifier does not support sample weights"
    for cls in (sk_ensemble.StackingClassifier, StackingClassifier):
        stack = cls(classifiers(), final_estimator=NoWeightClassifier(), cv=3)
        with pytest.raises(TypeError, match=message):
            stack.fit(X, y, sample_weight=weights)


def test_a_final_estimator_of_the_wrong_kind_is_refused_as_in_scikit_learn(cancer):
    X, y = cancer
    cases = [(StackingClassifier, sk_ensemble.StackingClassifier, Ridge(), "classifier"),
             (StackingRegressor, sk_ensemble.StackingRegressor, LogisticRegression(),
              "regressor")]
    for ours, theirs, final, kind in cases:
        base = [("lr", LogisticRegression())] if kind == "classifier" else [("r", Ridge())]
        message = f"'final_estimator' parameter should be a {kind}"
        for cls in (theirs, ours):
            with pytest.raises(ValueError, match=message):
                cls(base, final_estimator=final, cv=3).fit(X, y)


def test_prefit_members_need_not_take_weights_as_in_scikit_learn(cancer):
    X, y = cancer
    knn = KNeighborsClassifier().fit(X[:300], y[:300])
    weights = np.random.RandomState(0).uniform(0.5, 2.0, size=len(y))
    fitted = [
        cls([("knn", knn)], cv="prefit").fit(X, y, sample_weight=weights)
        for cls in (StackingClassifier, sk_ensemble.StackingClassifier)
    ]
    assert_allclose(fitted[0].final_estimator_.coef_, fitted[1].final_estimator_.coef_)


class KwargsRecorder(NoWeightClassifier):
    """Takes sample_weight only through **kwargs, and does not return self from fit."""

    def fit(self, X, y, **kwargs):
        self.classes_ = np.unique(y)
        self.kwarg_names_ = sorted(kwargs)
        # No ``return self``: the ensemble must keep this object, not None.


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (VotingClassifier, sk_ensemble.VotingClassifier),
        (StackingClassifier, sk_ensemble.StackingClassifier),
    ],
)
def test_fit_taking_kwargs_receives_the_weights_as_in_scikit_learn(cancer, ours, theirs):
    X, y = cancer
    weights = np.random.RandomState(0).uniform(0.5, 2.0, size=len(y))
    fitted = [
        cls([("rec", KwargsRecorder())]).fit(X, y, sample_weight=weights)
        for cls in (ours, theirs)
    ]
    for ensemble in fitted:
        assert isinstance(ensemble.estimators_[0], KwargsRecorder)
        assert ensemble.estimators_[0].kwarg_names_ == ["sample_weight"]
    assert_array_equal(fitted[0].predict(X), fitted[1].predict(X))


@pytest.mark.parametrize(
    ("ours", "theirs", "make_data", "base"),
    [
        (StackingClassifier, sk_ensemble.StackingClassifier, "cancer", LogisticRegression),
        (VotingClassifier, sk_ensemble.VotingClassifier, "cancer", LogisticRegression),
        (StackingRegressor, sk_ensemble.StackingRegressor, "diabetes", LinearRegression),
        (VotingRegressor, sk_ensemble.VotingRegressor, "diabetes", LinearRegression),
    ],
)
def test_member_whose_fit_returns_none_is_kept_as_in_scikit_learn(
    ours, theirs, make_data, base
):
    if make_data == "cancer":
        X, y = load_breast_cancer(return_X_y=True)
    else:
        X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)

    class ReturnsNone(base):
        def fit(self, X, y):
            super().fit(X, y)

    estimators = [("m", ReturnsNone())]
    fitted = [cls(estimators).fit(X, y) for cls in (ours, theirs)]
    for ensemble in fitted:
        assert isinstance(ensemble.estimators_[0], ReturnsNone)
        assert isinstance(ensemble.named_estimators_["m"], ReturnsNone)
    assert_allclose(fitted[0].predict(X), fitted[1].predict(X))


# --------------------------------------------------------------------------------------
# Nesting, parameters, composition
# --------------------------------------------------------------------------------------


def test_multi_level_stack(cancer):
    X, y = cancer
    inner = StackingClassifier(classifiers(), cv=3)
    outer = StackingClassifier([("inner", inner), ("nb", GaussianNB())], cv=3).fit(X, y)
    expected = cross_val_predict(inner, X, y, cv=StratifiedKFold(3), method="predict_proba")
    assert_allclose(outer.oof_predictions_[:, 0], expected[:, 1])
    assert "inner__lr__C" in outer.get_params()
    assert outer.score(X, y) > 0.95


def test_grid_search_reaches_nested_parameters(cancer):
    X, y = cancer
    stack = StackingClassifier(classifiers(), cv=3)
    grid = {"estimators__dt__max_depth": [1, 4], "lr__C": [0.01], "final_estimator__C": [0.5]}
    search = GridSearchCV(stack, grid, cv=2).fit(X[:200], y[:200])
    best = search.best_estimator_
    assert best.estimators[1][1].max_depth == search.best_params_["estimators__dt__max_depth"]
    assert best.named_estimators_["lr"].C == 0.01
    assert best.final_estimator_.C == 0.5


def test_set_params_replaces_and_drops_estimators(cancer):
    X, y = cancer
    stack = StackingClassifier(classifiers(), cv=3)
    stack.set_params(dt="drop", lr=GaussianNB())
    assert isinstance(stack.estimators[0][1], GaussianNB)
    stack.fit(X, y)
    assert stack.oof_feature_names_.tolist() == ["stackingclassifier_lr"]
    with pytest.raises(ValueError, match="no base estimator named 'svm'"):
        stack.set_params(estimators__svm__C=1.0)


def test_clone_and_pickle_round_trip(cancer):
    X, y = cancer
    stack = StackingClassifier(classifiers(), cv=3, refit=False).fit(X, y)
    restored = pickle.loads(pickle.dumps(stack))
    assert_allclose(restored.predict_proba(X), stack.predict_proba(X))
    fresh = clone(stack)
    assert not hasattr(fresh, "estimators_")
    assert fresh.get_params()["dt__max_depth"] == 3


def test_dataframe_pipeline_and_feature_names():
    pd = pytest.importorskip("pandas")
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.RandomState(0)
    n = 240
    frame = pd.DataFrame(
        {
            "age": np.where(rng.rand(n) < 0.2, np.nan, rng.uniform(1, 80, n)),
            "town": rng.choice(["a", "b", "c"], n),
            "fare": rng.exponential(30, n),
        }
    )
    y = ((frame["town"] == "a") ^ (frame["fare"] > 30)).to_numpy().astype(int)
    prep = ColumnTransformer(
        [
            ("num", SimpleImputer(), ["age", "fare"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["town"]),
        ]
    )
    base = [
        ("dt", make_pipeline(prep, DecisionTreeClassifier(max_depth=3, random_state=0))),
        ("lr", make_pipeline(prep, LogisticRegression())),
    ]
    stack = StackingClassifier(base, cv=3).fit(frame, y)
    assert stack.feature_names_in_.tolist() == ["age", "town", "fare"]
    assert stack.score(frame, y) > 0.9
    with pytest.raises(ValueError, match="feature names"):
        stack.predict(frame[["fare", "town", "age"]].rename(columns={"fare": "price"}))

    numeric = frame[["age", "fare"]].fillna(0.0)
    stack = StackingClassifier(classifiers(), cv=3, passthrough=True).fit(numeric, y)
    names = ["stackingclassifier_lr", "stackingclassifier_dt", "age", "fare"]
    assert stack.get_feature_names_out().tolist() == names
    out = stack.set_output(transform="pandas").transform(numeric)
    assert out.columns.tolist() == names
    assert_allclose(out["fare"], numeric["fare"])


def test_stack_as_a_pipeline_step_passes_out_of_fold_features_on(cancer):
    X, y = cancer
    pipe = make_pipeline(StackingClassifier(classifiers(), cv=3), LogisticRegression(C=0.3))
    pipe.fit(X, y)
    stack, head = pipe[0], pipe[-1]
    # The step after the stack learns from the out-of-fold columns, not from in-sample
    # predictions of models that saw the labels.
    reference = LogisticRegression(C=0.3).fit(stack.oof_predictions_, y)
    assert_allclose(head.coef_, reference.coef_)
    assert_allclose(pipe.predict_proba(X), head.predict_proba(stack.transform(X)))


# --------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("estimators", "kwargs", "error", "match"),
    [
        ([], {}, ValueError, "non-empty"),
        ([("a", GaussianNB()), ("a", GaussianNB())], {}, ValueError, "unique names.*'a'"),
        ([("a__b", GaussianNB())], {}, ValueError, "must not contain '__'"),
        ([("cv", GaussianNB())], {}, ValueError, "conflicts with a constructor parameter"),
        ([("a", "drop")], {}, ValueError, "All estimators are dropped"),
        ([GaussianNB()], {}, ValueError, r"\(name, estimator\) tuples"),
        ([("s", StandardScaler())], {}, ValueError, "'s' .*is not"),
        (
            [("svc", LinearSVC())],
            {"stack_method": "predict_proba"},
            ValueError,
            "svc.*does not implement the method predict_proba",
        ),
        ([("nb", GaussianNB())], {"stack_method": "proba"}, ValueError, "stack_method"),
        ([("nb", GaussianNB())], {"cv": ShuffleSplit(3)}, ValueError, "partition"),
    ],
)
def test_bad_configuration_is_reported(cancer, estimators, kwargs, error, match):
    X, y = cancer
    with pytest.raises(error, match=match):
        StackingClassifier(estimators, **kwargs).fit(X, y)


def test_groups_of_wrong_length_are_reported(cancer):
    X, y = cancer
    stack = StackingClassifier(classifiers(), cv=GroupKFold(3))
    with pytest.raises(ValueError, match="groups has 10 entries but X has 569 samples"):
        stack.fit(X, y, groups=np.arange(10))


def test_single_class_is_reported():
    X = np.zeros((10, 2))
    with pytest.raises(ValueError, match="at least 2 classes"):
        StackingClassifier(classifiers(), cv=2).fit(X, np.ones(10))


# --------------------------------------------------------------------------------------
# Voting
# --------------------------------------------------------------------------------------


def test_hard_voting_is_weighted_majority_with_ties_to_first_class(iris):
    X, y = iris
    estimators = [
        ("a", DecisionTreeClassifier(max_depth=1, random_state=0)),
        ("b", GaussianNB()),
        ("c", LogisticRegression(max_iter=500)),
    ]
    weights = np.array([1.0, 1.0, 2.0])
    vote = VotingClassifier(estimators, weights=weights).fit(X, y)
    codes = vote.transform(X)
    assert codes.shape == (len(y), 3)
    tally = np.zeros((len(y), 3))
    for column, weight in zip(codes.T, weights, strict=True):
        tally[np.arange(len(y)), column] += weight
    assert_array_equal(vote.predict(X), np.argmax(tally, axis=1))
    # Class codes, as scikit-learn's transform gives, whatever the labels are.
    names = np.array(["setosa", "versicolor", "virginica"])
    named = VotingClassifier(estimators, weights=weights).fit(X, names[y])
    assert_array_equal(named.transform(X), codes)
    assert_array_equal(named.predict(X), names[vote.predict(X)])
    theirs = sk_ensemble.VotingClassifier(estimators, weights=weights).fit(X, names[y])
    assert_array_equal(theirs.transform(X), codes)

    tie = VotingClassifier(estimators[:2]).fit(X, y)
    first, second = tie.transform(X).T
    disagree = first != second
    assert disagree.any()
    assert_array_equal(tie.predict(X)[disagree], np.minimum(first, second)[disagree])


def test_soft_voting_is_weighted_mean_of_probabilities(iris):
    X, y = iris
    vote = VotingClassifier(classifiers(), voting="soft", weights=[3, 1]).fit(X, y)
    probas = [e.predict_proba(X) for e in vote.estimators_]
    expected = (3 * probas[0] + probas[1]) / 4
    assert_allclose(vote.predict_proba(X), expected)
    assert_array_equal(vote.predict(X), np.argmax(expected, axis=1))
    assert vote.get_feature_names_out().tolist() == [
        "votingclassifier_lr0", "votingclassifier_lr1", "votingclassifier_lr2",
        "votingclassifier_dt0", "votingclassifier_dt1", "votingclassifier_dt2",
    ]  # fmt: skip
    assert not hasattr(VotingClassifier(classifiers()), "predict_proba")


def test_voting_regressor_weights_and_drop():
    X, y = load_diabetes(return_X_y=True)
    estimators = [("lin", LinearRegression()), ("dt", DecisionTreeRegressor(max_depth=2))]
    vote = VotingRegressor(estimators, weights=[1, 3]).fit(X, y)
    columns = vote.transform(X)
    assert_allclose(vote.predict(X), (columns[:, 0] + 3 * columns[:, 1]) / 4)
    vote.set_params(dt="drop").fit(X, y)
    assert_allclose(vote.predict(X), LinearRegression().fit(X, y).predict(X))
    assert vote.get_feature_names_out().tolist() == ["votingregressor_lin"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weights": [1.0]}, "one entry per estimator"),
        ({"weights": [0.0, 0.0]}, "not all zero"),
        ({"weights": [1.0, -1.0]}, "non-negative"),
    ],
)
def test_voting_bad_weights(iris, kwargs, match):
    X, y = iris
    with pytest.raises(ValueError, match=match):
        VotingClassifier(classifiers(), **kwargs).fit(X, y)


def test_soft_voting_needs_predict_proba_only_when_it_is_called(iris):
    # As in scikit-learn, a member without predict_proba does not stop a soft vote
    # from fitting; the probabilities (and what is built on them) then fail.
    X, y = iris
    estimators = [("svc", LinearSVC()), ("nb", GaussianNB())]
    ours = VotingClassifier(estimators, voting="soft").fit(X, y)
    theirs = sk_ensemble.VotingClassifier(estimators, voting="soft").fit(X, y)
    assert [type(e) for e in ours.estimators_] == [type(e) for e in theirs.estimators_]
    for method in ("predict_proba", "predict", "transform"):
        with pytest.raises(AttributeError):
            getattr(theirs, method)(X)
        with pytest.raises(AttributeError, match=r"predict_proba.*\['svc'\]"):
            getattr(ours, method)(X)


# --------------------------------------------------------------------------------------
# Real data: Titanic and Adult through a ColumnTransformer
# --------------------------------------------------------------------------------------


def _our_models():
    """Our gradient boosting and random forest, small enough for the test folds."""
    from ensembles import GradientBoostingClassifier, RandomForestClassifier

    gbdt = GradientBoostingClassifier(
        n_estimators=30, learning_rate=0.1, max_depth=3, random_state=0, n_jobs=1
    )
    forest = RandomForestClassifier(n_estimators=30, min_samples_leaf=3, random_state=0, n_jobs=1)
    return gbdt, forest


def _library():
    """GBDT, random forest and logistic regression, each behind its own ColumnTransformer."""
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

    numeric = make_column_selector(dtype_include="number")
    categorical = make_column_selector(dtype_exclude="number")
    codes = OrdinalEncoder(
        handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1
    )
    # The boosting engine routes missing values itself; the forest and the linear model
    # get imputed inputs.
    for_gbdt = ColumnTransformer([("cat", codes, categorical)], remainder="passthrough")
    for_forest = ColumnTransformer(
        [("cat", clone(codes), categorical), ("num", SimpleImputer(strategy="median"), numeric)]
    )
    for_linear = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), numeric),
            ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
        ]
    )
    gbdt, forest = _our_models()
    return [
        ("gbdt", make_pipeline(for_gbdt, gbdt)),
        ("rf", make_pipeline(for_forest, forest)),
        ("lr", make_pipeline(for_linear, LogisticRegression(max_iter=1000))),
    ]


def _load(name):
    pd = pytest.importorskip("pandas")
    path = DATASETS / f"{name}.csv"
    if not path.exists():
        pytest.skip(f"{path} not found (the shared data folder is absent)")
    frame = pd.read_csv(path)
    if name == "titanic":
        y = frame.pop("Survived").to_numpy()
        return frame[["Pclass", "Sex", "Age", "SibSp", "Parch", "Fare", "Embarked"]], y
    frame = frame.sample(3000, random_state=0)
    y = (frame.pop("income") == ">50K").to_numpy().astype(int)
    return frame, y


@pytest.mark.parametrize(("name", "refit"), [("titanic", True), ("adult", False)])
def test_real_data_stack_and_selection_beat_best_base_model(name, refit):
    X, y = _load(name)
    library = _library()
    outer = StratifiedKFold(3, shuffle=True, random_state=0)

    def cv_score(model):
        return cross_val_score(model, X, y, cv=outer, scoring="neg_log_loss").mean()

    best_single = max(cv_score(model) for _, model in library)
    stack = StackingClassifier(library, cv=3, refit=refit)
    selection = EnsembleSelectionClassifier(library, scoring="neg_log_loss", n_iter=20, cv=3)
    # A tolerance of 1e-3 (log loss is about 0.35-0.45 here) absorbs the noise of
    # comparing outer-fold estimates; a leaky or broken blend loses by far more.
    assert cv_score(stack) >= best_single - 1e-3
    assert cv_score(selection) >= best_single - 1e-3


# --------------------------------------------------------------------------------------
# scikit-learn's API: prefit, predict parameters, regressors in a classifier stack,
# verbose, flatten_transform, metadata routing
# --------------------------------------------------------------------------------------


def test_prefit_stack_equals_scikit_learn_and_keeps_the_estimators(iris):
    X, y = iris
    first, second = np.arange(len(y)) % 2 == 0, np.arange(len(y)) % 2 == 1
    fitted = [
        ("lr", LogisticRegression(max_iter=1000).fit(X[first], y[first])),
        ("nb", GaussianNB().fit(X[first], y[first])),
    ]
    ours = StackingClassifier(fitted, cv="prefit").fit(X[second], y[second])
    theirs = sk_ensemble.StackingClassifier(fitted, cv="prefit").fit(X[second], y[second])
    assert all(a is b for a, (_, b) in zip(ours.estimators_, fitted, strict=True))
    # The base models were not refitted on the stack's rows.
    assert_array_equal(ours.estimators_[0].coef_, fitted[0][1].coef_)
    assert_allclose(ours.transform(X), theirs.transform(X))
    assert_allclose(ours.oof_predictions_, theirs.transform(X[second]))
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X))
    assert_array_equal(ours.predict(X), theirs.predict(X))


def test_frozen_estimators_under_any_cv_equal_prefit(iris):
    X, y = iris
    half = np.arange(len(y)) % 2 == 0
    fitted = [("lr", LogisticRegression(max_iter=1000).fit(X[half], y[half]))]
    prefit = StackingClassifier(fitted, cv="prefit").fit(X, y)
    frozen = StackingClassifier([("lr", FrozenEstimator(fitted[0][1]))], cv=3).fit(X, y)
    assert_allclose(frozen.predict_proba(X), prefit.predict_proba(X))


@pytest.mark.parametrize("cls", [StackingClassifier, StackingRegressor])
def test_prefit_needs_fitted_estimators(cls):
    X, y = load_iris(return_X_y=True)
    base = classifiers() if cls is StackingClassifier else regressors()
    with pytest.raises(NotFittedError):
        cls(base, cv="prefit").fit(X, y)
    with pytest.raises(InvalidParameterError, match="cv"):
        cls(base, cv="prefitted").fit(X, y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("final", [BayesianRidge(), GaussianProcessRegressor()], ids=type)
def test_predict_parameters_reach_the_final_estimator(final):
    X, y = load_diabetes(return_X_y=True)
    X, y = X[:200], y[:200]
    ours = StackingRegressor(regressors(), final_estimator=final).fit(X, y)
    theirs = sk_ensemble.StackingRegressor(regressors(), final_estimator=final).fit(X, y)
    mean, std = ours.predict(X, return_std=True)
    their_mean, their_std = theirs.predict(X, return_std=True)
    assert_allclose(mean, their_mean)
    assert_allclose(std, their_std)
    assert_allclose(mean, ours.predict(X))
    with pytest.raises(TypeError, match="return_variance"):
        ours.predict(X, return_variance=True)


def test_regressors_as_base_models_of_a_classifier_stack(iris):
    X, y = iris
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    base = [("ridge", Ridge()), ("lr", LogisticRegression(max_iter=1000))]
    ours = StackingClassifier(base).fit(X, labels)
    theirs = sk_ensemble.StackingClassifier(base).fit(X, labels)
    # The regressor was fitted on the class codes and stacks one column.
    assert_allclose(ours.named_estimators_["ridge"].coef_, Ridge().fit(X, y).coef_)
    assert ours.transform(X).shape == (len(y), 4)
    assert_allclose(ours.transform(X), theirs.transform(X))
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-6)
    assert_array_equal(ours.predict(X), theirs.predict(X))
    assert_array_equal(ours.get_feature_names_out(), theirs.get_feature_names_out())
    # Without refit the fold models serve, as means of the regressors' predictions.
    fold_averaged = StackingClassifier(base, refit=False).fit(X, labels)
    assert fold_averaged.predict_proba(X).shape == (len(y), 3)


def test_stacking_verbose_reports_the_fits(iris, capfd):
    X, y = iris
    StackingClassifier(classifiers(), cv=3).fit(X, y)
    assert capfd.readouterr().err == ""
    StackingClassifier(classifiers(), cv=3, verbose=10).fit(X, y)
    # joblib's progress lines over the 2 x 3 fold fits and the 2 refits.
    assert "Done 8 out of 8" in capfd.readouterr().err


def test_voting_verbose_prints_scikit_learn_lines(iris, capsys):
    X, y = iris
    VotingClassifier(classifiers(), verbose=True).fit(X, y)
    ours = capsys.readouterr().out.splitlines()
    sk_ensemble.VotingClassifier(classifiers(), verbose=True).fit(X, y)
    theirs = capsys.readouterr().out.splitlines()
    pattern = r"\[Voting\] \.+ \({} of 2\) Processing {}, total= +\d+\.\ds$"
    for line, number, name in zip(ours, (1, 2), ("lr", "dt"), strict=True):
        assert re.match(pattern.format(number, name), line)
    assert [len(line) for line in ours] == [len(line) for line in theirs]
    VotingRegressor(regressors(), verbose=True).fit(X, y)
    assert "(2 of 2) Processing dt" in capsys.readouterr().out
    VotingClassifier(classifiers()).fit(X, y)
    assert capsys.readouterr().out == ""


def test_flatten_transform_as_scikit_learn(iris):
    X, y = iris
    for flatten in (True, False):
        ours = VotingClassifier(classifiers(), voting="soft", flatten_transform=flatten)
        theirs = sk_ensemble.VotingClassifier(
            classifiers(), voting="soft", flatten_transform=flatten
        )
        out, expected = ours.fit(X, y).transform(X), theirs.fit(X, y).transform(X)
        assert out.shape == expected.shape == ((150, 6) if flatten else (2, 150, 3))
        assert_allclose(out, expected)
    with pytest.raises(ValueError, match="`flatten_transform=False`"):
        ours.get_feature_names_out()


def _name_cases():
    lr, dt = LogisticRegression(max_iter=1000), DecisionTreeClassifier(random_state=0)
    regressors_ = [("lin", LinearRegression()), ("dt", DecisionTreeRegressor(random_state=0))]
    with_drop = [("lr", lr), ("off", "drop"), ("dt", dt)]
    return [
        ("VotingClassifier", {"estimators": with_drop}, "iris"),
        ("VotingClassifier", {"estimators": with_drop, "voting": "soft"}, "iris"),
        ("VotingClassifier", {"estimators": with_drop, "voting": "soft"}, "cancer"),
        ("VotingRegressor", {"estimators": [*regressors_, ("off", "drop")]}, "diabetes"),
        ("StackingClassifier", {"estimators": with_drop}, "iris"),
        ("StackingClassifier", {"estimators": with_drop, "passthrough": True}, "cancer"),
        ("StackingClassifier", {"estimators": [("svc", LinearSVC()), ("dt", dt)]}, "iris"),
        ("StackingRegressor", {"estimators": regressors_, "passthrough": True}, "diabetes"),
    ]


@pytest.mark.parametrize(("cls_name", "kwargs", "data"), _name_cases())
def test_feature_names_out_are_scikit_learns(cls_name, kwargs, data):
    X, y = {"iris": load_iris, "cancer": load_breast_cancer, "diabetes": load_diabetes}[
        data
    ](return_X_y=True)
    X = StandardScaler().fit_transform(X)
    ours = getattr(ensembles_stacking, cls_name)(**kwargs).fit(X, y)
    theirs = getattr(sk_ensemble, cls_name)(**kwargs).fit(X, y)
    assert_array_equal(ours.get_feature_names_out(), theirs.get_feature_names_out())
    assert len(ours.get_feature_names_out()) == ours.transform(X[:2]).shape[1]
    # Input names of the wrong length are refused by both.
    for ensemble in (ours, theirs):
        with pytest.raises(ValueError):
            ensemble.get_feature_names_out(["a"])


@pytest.mark.parametrize(
    "entry", [LogisticRegression(), (213, LogisticRegression()), ("a", "b", "c")]
)
def test_estimators_that_are_not_name_estimator_pairs_raise_value_error(iris, entry):
    X, y = iris
    message = "Invalid 'estimators' attribute, 'estimators' should be a non-empty list"
    with pytest.raises(ValueError):
        sk_ensemble.VotingClassifier([entry]).fit(X, y)
    # scikit-learn's stacking raises an incidental TypeError here; ours says the same
    # ValueError as voting.
    for cls in (VotingClassifier, StackingClassifier):
        with pytest.raises(ValueError, match=message + r".*\(name, estimator\)"):
            cls([entry]).fit(X, y)


def test_voting_classifier_refuses_multilabel_targets_as_scikit_learn():
    X, y = make_multilabel_classification(n_classes=2, n_labels=1, random_state=123)
    for cls in (sk_ensemble.VotingClassifier, VotingClassifier):
        vote = cls([("knn", KNeighborsClassifier())])
        with pytest.raises(NotImplementedError, match="multiclass"):
            vote.fit(X, y)


def _multilabel_data(rare_label):
    X, y = make_multilabel_classification(n_classes=3, random_state=42)
    if rare_label:
        # One positive row: the training parts of four of the five folds lack it.
        y[:, 2] = 0
        y[0, 2] = 1
    return X, y


@pytest.mark.parametrize("rare_label", [False, True])
@pytest.mark.parametrize(
    ("stack_method", "passthrough"),
    [("predict_proba", False), ("auto", False), ("auto", True), ("predict", False)],
)
def test_multilabel_stack_equals_scikit_learn(stack_method, passthrough, rare_label):
    X, y = _multilabel_data(rare_label)
    estimators = [
        ("knn", KNeighborsClassifier()),
        ("dt", DecisionTreeClassifier(max_depth=3, random_state=0)),
    ]
    if stack_method != "predict_proba":
        estimators.append(("ridge", RidgeClassifier()))
    kwargs = {
        "estimators": estimators,
        "final_estimator": KNeighborsClassifier(),
        "stack_method": stack_method,
        "passthrough": passthrough,
    }
    y_before = y.copy()
    ours = StackingClassifier(**kwargs).fit(X, y)
    theirs = sk_ensemble.StackingClassifier(**kwargs).fit(X, y)
    assert_array_equal(y, y_before)
    assert ours.stack_method_ == theirs.stack_method_
    assert len(ours.classes_) == 3
    for our_classes, their_classes in zip(ours.classes_, theirs.classes_, strict=True):
        assert_array_equal(our_classes, their_classes)
    assert_allclose(ours.transform(X), theirs.transform(X))
    assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.predict(X).shape == y.shape
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X))
    # One name per column. (scikit-learn 1.9 names a member's probabilities of a
    # multilabel target as if each were one column, so it gives fewer names than columns.)
    names = ours.get_feature_names_out()
    assert len(names) == ours.transform(X[:2]).shape[1]
    assert names[0] == ("stackingclassifier_knn0")
    assert len(set(names)) == len(names)


def test_multilabel_stack_without_refit_serves_fold_models():
    X, y = _multilabel_data(rare_label=True)
    estimators = [("knn", KNeighborsClassifier()), ("ridge", RidgeClassifier())]
    stack = StackingClassifier(
        estimators, final_estimator=KNeighborsClassifier(), stack_method="predict",
        refit=False,
    ).fit(X, y)
    assert stack.transform(X).shape == (len(y), 6)
    assert set(np.unique(stack.transform(X))) <= {0.0, 1.0}
    assert stack.predict(X).shape == y.shape
    # Every fold model of the rare label predicts 0, and so does their vote.
    assert_array_equal(stack.transform(X)[:, 2], 0.0)


def test_predict_proba_of_hard_voting_says_why_it_is_missing(iris):
    X, y = iris
    model = VotingClassifier(classifiers()).fit(X, y)
    with pytest.raises(AttributeError) as info:
        model.predict_proba(X)
    assert "voting='hard'" in str(info.value.__cause__)


class MetadataRecorder(ClassifierMixin, BaseEstimator):
    """Records the metadata its fit and predict receive."""

    def fit(self, X, y, sample_weight=None, metadata=None):
        self.classes_ = np.unique(y)
        self.fit_rows_ = len(y)
        self.fit_metadata_ = metadata
        self.fit_weight_ = sample_weight
        return self

    def predict_proba(self, X):
        return np.full((len(X), len(self.classes_)), 1.0 / len(self.classes_))

    def predict(self, X, metadata=None):
        self.predict_metadata_ = metadata
        return np.full(len(X), self.classes_[0])


@pytest.fixture
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


def test_stacking_routes_metadata_to_the_requesting_members(iris, routing):
    X, y = iris
    metadata = np.arange(len(y))
    weight = np.linspace(0.5, 1.5, len(y))
    cv = StratifiedKFold(3)
    asks = MetadataRecorder().set_fit_request(metadata=True, sample_weight=True)
    declines = MetadataRecorder().set_fit_request(metadata=False, sample_weight=False)
    final = MetadataRecorder().set_predict_request(metadata=True)
    stack = StackingClassifier(
        [("asks", asks), ("declines", declines)], final_estimator=final, cv=cv, refit=False
    ).fit(X, y, metadata=metadata, sample_weight=weight)
    folds = stack.named_estimators_["asks"].estimators_
    for model, (train, _) in zip(folds, cv.split(X, y), strict=True):
        # Per-row metadata is split over the folds as the rows are.
        assert_array_equal(model.fit_metadata_, metadata[train])
        assert_array_equal(model.fit_weight_, weight[train])
    for model in stack.named_estimators_["declines"].estimators_:
        assert model.fit_metadata_ is None and model.fit_weight_ is None
    stack.predict(X, metadata="final")
    assert stack.final_estimator_.predict_metadata_ == "final"


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (StackingClassifier, sk_ensemble.StackingClassifier),
        (VotingClassifier, sk_ensemble.VotingClassifier),
    ],
)
def test_unrequested_metadata_raises_as_in_scikit_learn(iris, routing, ours, theirs):
    X, y = iris
    for cls in (ours, theirs):
        with pytest.raises(UnsetMetadataPassedError, match=r"\[metadata\] are passed"):
            cls([("rec", MetadataRecorder())]).fit(X, y, metadata="m")


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (StackingClassifier, sk_ensemble.StackingClassifier),
        (VotingClassifier, sk_ensemble.VotingClassifier),
    ],
)
def test_metadata_without_routing_is_refused_as_in_scikit_learn(iris, ours, theirs):
    X, y = iris
    for cls in (ours, theirs):
        with pytest.raises(ValueError, match="enable_metadata_routing=True"):
            cls([("rec", MetadataRecorder())]).fit(X, y, metadata="m")


def test_voting_routes_metadata_and_weights(iris, routing):
    X, y = iris
    weight = np.linspace(0.5, 1.5, len(y))
    asks = MetadataRecorder().set_fit_request(metadata=True, sample_weight=True)
    only_metadata = MetadataRecorder().set_fit_request(metadata=True, sample_weight=False)
    model = VotingClassifier([("asks", asks), ("only", only_metadata)], voting="soft")
    model.fit(X, y, sample_weight=weight, metadata="m")
    assert_array_equal(model.named_estimators_["asks"].fit_weight_, weight)
    assert model.named_estimators_["only"].fit_weight_ is None
    assert all(est.fit_metadata_ == "m" for est in model.estimators_)
    # A scikit-learn member that requested the weights fits as without routing.
    X_reg, y_reg = load_diabetes(return_X_y=True)
    reg_weight = np.random.RandomState(0).uniform(0.5, 2.0, len(y_reg))
    regressor = Ridge().set_fit_request(sample_weight=True)
    routed = VotingRegressor([("ridge", regressor)]).fit(X_reg, y_reg, sample_weight=reg_weight)
    with sklearn.config_context(enable_metadata_routing=False):
        plain = VotingRegressor([("ridge", Ridge())]).fit(
            X_reg, y_reg, sample_weight=reg_weight
        )
    assert_allclose(routed.predict(X_reg), plain.predict(X_reg))
    assert_allclose(routed.predict(X_reg), Ridge().fit(X_reg, y_reg, reg_weight).predict(X_reg))


def test_an_unfitted_ensemble_can_be_the_final_estimator(iris):
    # Ensembles have len(), so an unfitted one has no truth value: the stack must not
    # test the final estimator with ``or``.
    X, y = iris
    stack = StackingClassifier(classifiers(), final_estimator=BaggingClassifier(n_estimators=3))
    assert hasattr(stack, "predict_proba") and not hasattr(stack, "decision_function")
    stack.fit(X, y)
    assert len(stack.final_estimator_) == 3
    assert stack.predict_proba(X).shape == (150, 3)
