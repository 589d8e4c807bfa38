"""Tests of the random forests and extra trees (ensembles.forest)."""

import json
import pickle
import warnings

import numpy as np
import pytest
import sklearn.ensemble as sk_ensemble
from sklearn.datasets import load_breast_cancer, load_digits, make_classification, make_regression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import QuantileTransformer
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.estimator_checks import parametrize_with_checks

from ensembles import _tree_base
from ensembles.forest import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from ensembles.tree import DecisionTreeClassifier, DecisionTreeRegressor

from ._tree_data import adult, higgs, housing

FORESTS = [RandomForestClassifier, ExtraTreesClassifier, RandomForestRegressor,
           ExtraTreesRegressor]
CLASSIFIERS = [RandomForestClassifier, ExtraTreesClassifier]
REGRESSORS = [RandomForestRegressor, ExtraTreesRegressor]

_BOOTSTRAP_WEIGHTS = (
    "a bootstrap drawn over n weighted rows differs from one drawn over the repeated rows, "
    "so the forests agree only in distribution (scikit-learn xfails it for its forests too)"
)


def _expected_failures(estimator):
    if not estimator.bootstrap:
        return {}
    return {"check_sample_weight_equivalence_on_dense_data": _BOOTSTRAP_WEIGHTS,
            "check_sample_weight_equivalence_on_sparse_data": _BOOTSTRAP_WEIGHTS}


@parametrize_with_checks([cls(n_estimators=5) for cls in FORESTS],
                         expected_failed_checks=_expected_failures)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# --- accuracy against scikit-learn ------------------------------------------------------------


def _quantiles(X):
    """Features mapped to their quantiles (uniform marginals): the data on which random
    thresholds drawn by quantile and by value are the same draw."""
    quantiles = QuantileTransformer(n_quantiles=min(1000, len(X)), random_state=0)
    return quantiles.fit_transform(X)


def _data(name):
    if name == "digits":
        return load_digits(return_X_y=True)
    if name == "breast_cancer":
        return load_breast_cancer(return_X_y=True)
    if name.endswith(", quantiles"):
        X, y = _data(name.removesuffix(", quantiles"))
        return _quantiles(X), y
    return {"higgs": higgs, "adult": adult, "housing": housing}[name]()


@pytest.mark.parametrize("data, ours, theirs, params, n_seeds, floor", [
    ("higgs", RandomForestClassifier, sk_ensemble.RandomForestClassifier,
     {"n_estimators": 100, "max_samples": 0.3, "min_samples_leaf": 5}, 4, 0.68),
    ("higgs, quantiles", ExtraTreesClassifier, sk_ensemble.ExtraTreesClassifier,
     {"n_estimators": 150, "min_samples_leaf": 10}, 4, 0.67),
    ("adult", RandomForestClassifier, sk_ensemble.RandomForestClassifier,
     {"n_estimators": 60, "min_samples_leaf": 3}, 3, 0.83),
    ("housing", RandomForestRegressor, sk_ensemble.RandomForestRegressor,
     {"n_estimators": 40, "max_features": 0.5, "max_samples": 0.5}, 3, 0.74),
    # Raw values: extra trees draw thresholds in value space, as scikit-learn's do.
    ("housing", ExtraTreesRegressor, sk_ensemble.ExtraTreesRegressor,
     {"n_estimators": 40, "max_features": 0.5}, 8, 0.75),
    ("digits", RandomForestClassifier, sk_ensemble.RandomForestClassifier,
     {"n_estimators": 100}, 5, 0.95),
    ("digits", ExtraTreesClassifier, sk_ensemble.ExtraTreesClassifier,
     {"n_estimators": 100, "criterion": "entropy"}, 5, 0.96),
    # 285 test rows make one seed's accuracy move by 0.0035 per row: average over more.
    ("breast_cancer", RandomForestClassifier, sk_ensemble.RandomForestClassifier,
     {"n_estimators": 100}, 20, 0.93),
    ("breast_cancer, quantiles", ExtraTreesClassifier, sk_ensemble.ExtraTreesClassifier,
     {"n_estimators": 100}, 5, 0.93),
])
def test_held_out_score_matches_scikit_learn(data, ours, theirs, params, n_seeds, floor):
    """Mean held-out accuracy (R^2 for regressors) over a few seeds of the split and the
    forests is within 0.005 of scikit-learn's with the same parameters."""
    X, y = _data(data)
    scores = np.zeros((n_seeds, 2))
    for seed in range(n_seeds):
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5,
                                                            random_state=seed)
        for j, cls in enumerate((ours, theirs)):
            model = cls(random_state=seed, n_jobs=1, **params).fit(X_train, y_train)
            scores[seed, j] = model.score(X_test, y_test)
    ours_mean, theirs_mean = scores.mean(axis=0)
    assert ours_mean > floor
    assert abs(ours_mean - theirs_mean) <= 0.005, scores


# --- out-of-bag estimates -----------------------------------------------------------------


@pytest.mark.parametrize("ours, theirs, data, tolerance", [
    (RandomForestClassifier, sk_ensemble.RandomForestClassifier, "higgs", 0.015),
    (RandomForestRegressor, sk_ensemble.RandomForestRegressor, "housing", 0.03),
])
def test_oob_score_estimates_the_held_out_score(ours, theirs, data, tolerance):
    X, y = _data(data)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)
    # Half-size draws leave ~60% of the members out of bag for each row, enough for the
    # out-of-bag ensemble to be about as good as the whole forest.
    params = {"n_estimators": 100, "max_features": 0.5, "max_samples": 0.5,
              "oob_score": True, "random_state": 0}
    model = ours(**params).fit(X_train, y_train)
    assert abs(model.oob_score_ - model.score(X_test, y_test)) < tolerance
    assert abs(model.oob_score_ - theirs(**params).fit(X_train, y_train).oob_score_) < 0.01


@pytest.mark.parametrize("cls", [RandomForestClassifier, RandomForestRegressor])
def test_oob_predictions_follow_their_definition(cls):
    """Each row's OOB prediction is the mean over the members that did not draw it."""
    X, y = make_classification(120, n_features=5, random_state=0)
    model = cls(n_estimators=8, oob_score=True, max_samples=0.8, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # rows that every member drew
        model.fit(X, y)
    total = np.zeros((len(y), 2 if cls is RandomForestClassifier else 1))
    count = np.zeros(len(y))
    for member, drawn in zip(model.estimators_, model.estimators_samples_, strict=True):
        assert len(drawn) == 96  # max_samples * n_samples draws
        out = np.ones(len(y), dtype=bool)
        out[drawn] = False
        if cls is RandomForestClassifier:
            total[out] += member.predict_proba(X[out])
        else:
            total[out, 0] += member.predict(X[out])
        count[out] += 1
    expected = total / np.maximum(count, 1)[:, None]
    if cls is RandomForestClassifier:
        np.testing.assert_allclose(model.oob_decision_function_, expected)
        codes = np.argmax(expected, axis=1)
        assert model.oob_score_ == pytest.approx(np.mean(codes == y))
    else:
        np.testing.assert_allclose(model.oob_prediction_, expected[:, 0])


def test_oob_score_callable_and_warnings():
    X, y = make_classification(300, n_features=5, weights=[0.8], random_state=0)
    model = RandomForestClassifier(n_estimators=30, oob_score=balanced_accuracy_score,
                                   random_state=0).fit(X, y)
    codes = np.argmax(model.oob_decision_function_, axis=1)
    assert model.oob_score_ == pytest.approx(balanced_accuracy_score(y, codes))
    with pytest.warns(UserWarning, match="do not have OOB scores"):
        RandomForestClassifier(n_estimators=2, oob_score=True, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="oob_score needs bootstrap=True"):
        ExtraTreesClassifier(oob_score=True).fit(X, y)
    refit = RandomForestClassifier(n_estimators=30, oob_score=True).fit(X, y)
    refit.set_params(oob_score=False).fit(X, y)
    assert not hasattr(refit, "oob_score_")


# --- determinism, threads, warm start -------------------------------------------------------


def _same_trees(a, b):
    assert len(a.estimators_) == len(b.estimators_)
    for m, n in zip(a.estimators_, b.estimators_, strict=True):
        for name in ("feature", "threshold", "left", "right", "value", "default_left"):
            np.testing.assert_array_equal(getattr(m.tree_, name), getattr(n.tree_, name))


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_verbose_reports_the_growth_as_scikit_learn_does(n_jobs, capsys):
    # scikit-learn's forests take verbose; 2 and more print a line per member.
    X, y = make_classification(200, n_features=5, random_state=0)
    quiet = RandomForestClassifier(n_estimators=3, n_jobs=n_jobs, random_state=0).fit(X, y)
    assert capsys.readouterr().out == ""
    RandomForestClassifier(n_estimators=3, n_jobs=n_jobs, random_state=0, verbose=1).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and "grew 3 trees" in lines[0]
    loud = RandomForestClassifier(n_estimators=3, n_jobs=n_jobs, random_state=0, verbose=2)
    loud.fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert sorted(lines[:3]) == [f"building tree {i} of 3" for i in (1, 2, 3)]
    assert len(lines) == 4
    np.testing.assert_array_equal(loud.predict_proba(X), quiet.predict_proba(X))
    assert sk_ensemble.RandomForestClassifier(verbose=2).get_params()["verbose"] == (
        loud.get_params()["verbose"])


@pytest.mark.parametrize("cls", FORESTS)
def test_a_member_refitted_alone_grows_the_same_tree(cls):
    # As in scikit-learn, a member carries the random_state it grew from: a clone of it
    # fitted on the forest's rows grows the same tree (without bootstrap, on the same
    # bins). The rows each member saw are int32, as scikit-learn's.
    from sklearn.base import clone

    if cls in CLASSIFIERS:
        X, y = make_classification(300, n_features=6, random_state=0)
    else:
        X, y = make_regression(300, n_features=6, noise=5.0, random_state=0)
    X_new = np.random.RandomState(1).normal(size=(200, 6))
    forest = cls(n_estimators=3, bootstrap=False, max_features=0.5, random_state=1).fit(X, y)
    for member in forest.estimators_:
        again = clone(member).fit(X, y)
        assert again.tree_.node_count == member.tree_.node_count
        np.testing.assert_array_equal(again.predict(X_new), member.predict(X_new))
    assert all(rows.dtype == np.int32 for rows in forest.estimators_samples_)
    bagged = cls(n_estimators=2, bootstrap=True, random_state=1).fit(X, y)
    assert all(rows.dtype == np.int32 for rows in bagged.estimators_samples_)


@pytest.mark.parametrize("cls", FORESTS)
def test_same_forest_for_any_n_jobs(cls):
    X, y = make_classification(400, n_features=8, random_state=0)
    X[::9, 1] = np.nan
    one = cls(n_estimators=12, random_state=7, n_jobs=1).fit(X, y)
    two = cls(n_estimators=12, random_state=7, n_jobs=2).fit(X, y)
    every = cls(n_estimators=12, random_state=7, n_jobs=-1).fit(X, y)
    _same_trees(one, two)
    _same_trees(one, every)
    np.testing.assert_array_equal(one.predict(X), two.predict(X))
    other = cls(n_estimators=12, random_state=8).fit(X, y)
    assert any(m.tree_.n_nodes != n.tree_.n_nodes or
               not np.array_equal(m.tree_.threshold, n.tree_.threshold)
               for m, n in zip(one.estimators_, other.estimators_, strict=True))


@pytest.mark.parametrize("cls", FORESTS)
def test_predictions_do_not_depend_on_n_jobs(cls, monkeypatch):
    """Many rows route a group of trees at once on the threads and split the rows between
    the threads; each row must still add its trees' values in tree order, whatever the
    threads and the size of the groups."""
    X, y = make_regression(600, n_features=6, random_state=1)
    if cls in CLASSIFIERS:
        y = np.digitize(y, np.percentile(y, [30, 60]))
    X[::7, 2] = np.nan
    model = cls(n_estimators=11, random_state=0, n_jobs=1).fit(X, y)
    predict = model.predict_proba if cls in CLASSIFIERS else model.predict
    X_new = np.random.RandomState(2).normal(size=(9000, 6))
    X_new[::5, 2] = np.nan
    one = predict(X_new)
    model.set_params(n_jobs=2)
    np.testing.assert_array_equal(predict(X_new), one)
    monkeypatch.setattr(_tree_base, "_BATCH_BYTES", 1)  # a tree per thread at a time
    np.testing.assert_array_equal(predict(X_new), one)
    monkeypatch.setattr(_tree_base, "_GROUP_BYTES", 1)  # a tree at a time
    np.testing.assert_array_equal(predict(X_new), one)


@pytest.mark.filterwarnings("ignore:Some inputs do not have OOB scores")
@pytest.mark.parametrize("cls", [RandomForestClassifier, ExtraTreesRegressor])
def test_warm_start_adds_members_and_equals_one_fit(cls):
    X, y = make_classification(300, n_features=6, random_state=0)
    oob = {"oob_score": True} if cls is RandomForestClassifier else {}
    model = cls(n_estimators=5, warm_start=True, random_state=3, **oob).fit(X, y)
    first = list(model.estimators_)
    first_arrays = [m.tree_.threshold.copy() for m in first]
    model.set_params(n_estimators=9).fit(X, y)
    assert len(model.estimators_) == 9
    assert all(m is n for m, n in zip(first, model.estimators_[:5], strict=True))
    for m, threshold in zip(first, first_arrays, strict=True):
        np.testing.assert_array_equal(m.tree_.threshold, threshold)
    at_once = cls(n_estimators=9, random_state=3, **oob).fit(X, y)
    _same_trees(model, at_once)
    np.testing.assert_array_equal(model.predict(X), at_once.predict(X))
    if oob:
        assert model.oob_score_ == at_once.oob_score_
    with pytest.warns(UserWarning, match="without increasing n_estimators"):
        model.fit(X, y)
    with pytest.raises(ValueError, match="n_estimators=4 must be larger"):
        model.set_params(n_estimators=4).fit(X, y)


def test_warm_start_needs_the_same_classes():
    X, y = make_classification(200, n_features=5, random_state=0)
    model = RandomForestClassifier(n_estimators=3, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match="warm_start=True needs the targets"):
        model.set_params(n_estimators=6).fit(X, y % 2 + (X[:, 0] > 1))
    before = model.predict(X)
    with pytest.raises(ValueError, match="other classes"):
        model.fit(X, np.where(y == 1, "b", "a"))
    np.testing.assert_array_equal(model.predict(X), before)  # the model is still the old one


def test_a_fractional_max_samples_of_few_rows_warns_as_in_scikit_learn():
    X, y = make_classification(200, n_features=5, random_state=0)
    weight = np.full(len(y), 1e-10)
    for cls in (sk_ensemble.RandomForestClassifier, RandomForestClassifier):
        with pytest.warns(UserWarning, match=r"results in a low number \(1\) of bootstrap"):
            cls(n_estimators=2, max_samples=0.5).fit(X, y, sample_weight=weight)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        RandomForestClassifier(n_estimators=2, max_samples=0.5).fit(X, y)


@pytest.mark.parametrize("cls", [RandomForestRegressor, ExtraTreesRegressor])
def test_warm_start_needs_the_same_columns(cls):
    # The kept members split on the first fit's columns: on fewer, their walks would read
    # past the end of each row.
    X, y = make_regression(200, n_features=6, random_state=0)
    model = cls(n_estimators=3, warm_start=True, max_features=None, random_state=0).fit(X, y)
    before = model.predict(X)
    with pytest.raises(ValueError, match="fitted on 6 features, X has 2"):
        model.set_params(n_estimators=4).fit(X[:, :2], y)
    assert model.n_features_in_ == 6 and len(model.estimators_) == 3
    np.testing.assert_array_equal(model.predict(X), before)


# --- members, importances, apply -------------------------------------------------------------


def test_members_can_be_inspected_and_average_to_the_forest():
    X, y = load_digits(return_X_y=True)
    model = RandomForestClassifier(n_estimators=10, max_depth=6, random_state=0).fit(X, y)
    assert model.max_features_ == 8
    for member in model.estimators_:
        assert isinstance(member, DecisionTreeClassifier)
        assert member.get_depth() <= 6 == member.max_depth
        assert member.get_n_leaves() == member.tree_.n_leaves == np.sum(member.tree_.left < 0)
        np.testing.assert_array_equal(member.classes_, model.classes_)
    mean = np.mean([m.predict_proba(X) for m in model.estimators_], axis=0)
    np.testing.assert_allclose(model.predict_proba(X), mean, rtol=1e-12)
    leaves = model.apply(X)
    assert leaves.shape == (len(X), 10)
    for t, member in enumerate(model.estimators_):
        np.testing.assert_array_equal(leaves[:, t], member.apply(X))
    importances = model.feature_importances_
    assert importances.sum() == pytest.approx(1.0)
    per_tree = np.mean([m.feature_importances_ for m in model.estimators_], axis=0)
    np.testing.assert_allclose(importances, per_tree / per_tree.sum())
    assert importances[[0, 32, 39]].max() < 1e-12  # blank border pixels never split


def test_importances_find_the_informative_features():
    """The importances put as much weight on the 3 informative features as scikit-learn's
    forests do, feature by feature."""
    X, y = make_regression(500, n_features=10, n_informative=3, shuffle=False,
                           random_state=0)
    for cls in REGRESSORS:
        ours = cls(n_estimators=20, random_state=0).fit(X, y).feature_importances_
        theirs = getattr(sk_ensemble, cls.__name__)(n_estimators=20, random_state=0).fit(
            X, y).feature_importances_
        np.testing.assert_allclose(ours, theirs, atol=0.03)
        assert ours[:3].sum() >= theirs[:3].sum() - 0.01


def test_multi_output_regression():
    X, y = make_regression(300, n_features=6, n_targets=3, random_state=0)
    for cls in REGRESSORS:
        model = cls(n_estimators=10, random_state=0).fit(X, y)
        assert model.n_outputs_ == 3
        prediction = model.predict(X)
        assert prediction.shape == (300, 3)
        mean = np.mean([m.predict(X) for m in model.estimators_], axis=0)
        np.testing.assert_allclose(prediction, mean, rtol=1e-12)
    # Held-out R^2 as good as scikit-learn's forests'.
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    for cls in REGRESSORS:
        ours = cls(n_estimators=30, random_state=0).fit(X_train, y_train)
        theirs = getattr(sk_ensemble, cls.__name__)(n_estimators=30, random_state=0).fit(
            X_train, y_train)
        assert ours.score(X_test, y_test) >= theirs.score(X_test, y_test) - 0.02


def test_labels_of_any_type_and_dataframe_names():
    pd = pytest.importorskip("pandas")
    X, y = make_classification(200, n_features=4, n_informative=3, n_redundant=0,
                               n_classes=3, random_state=0)
    labels = np.array(["low", "mid", "high"], dtype=object)[y]
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    model = ExtraTreesClassifier(n_estimators=10, random_state=0).fit(frame, labels)
    np.testing.assert_array_equal(model.classes_, ["high", "low", "mid"])
    np.testing.assert_array_equal(model.feature_names_in_, ["a", "b", "c", "d"])
    assert set(model.predict(frame)) <= {"high", "low", "mid"}
    assert model.score(frame, labels) == 1.0


def test_max_samples_and_bootstrap_draws():
    X, y = make_classification(200, n_features=4, random_state=0)
    model = RandomForestClassifier(n_estimators=3, max_samples=50, random_state=0).fit(X, y)
    assert [len(s) for s in model.estimators_samples_] == [50, 50, 50]
    model = RandomForestClassifier(n_estimators=3, max_samples=0.25, random_state=0)
    assert [len(s) for s in model.fit(X, y).estimators_samples_] == [50, 50, 50]
    # The root of every member holds its draw's class frequencies.
    for member, drawn in zip(model.estimators_, model.estimators_samples_, strict=True):
        np.testing.assert_allclose(member.tree_.value[0, 0], np.bincount(y[drawn]) / 50)
    model = ExtraTreesClassifier(n_estimators=2).fit(X, y)
    assert all(len(s) == 200 for s in model.estimators_samples_)


# --- weights ---------------------------------------------------------------------------------


def test_class_weight_is_sample_weight_without_bootstrap():
    X, y = make_classification(300, n_features=5, n_classes=3, n_informative=3,
                               weights=[0.6, 0.3], random_state=0)
    params = {"n_estimators": 5, "random_state": 0}
    for class_weight in ("balanced", {0: 1.0, 1: 4.0, 2: 0.5}):
        a = ExtraTreesClassifier(class_weight=class_weight, **params).fit(X, y)
        b = ExtraTreesClassifier(**params).fit(
            X, y, sample_weight=compute_sample_weight(class_weight, y))
        np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    # Without bootstrap "balanced_subsample" is "balanced".
    a = ExtraTreesClassifier(class_weight="balanced_subsample", **params).fit(X, y)
    b = ExtraTreesClassifier(class_weight="balanced", **params).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


@pytest.mark.parametrize("with_nan", [False, True])
def test_extra_trees_grow_alike_with_unit_and_uniform_weights(with_nan):
    """Unit weights take a faster path (counts for weights, nothing moved); a uniform
    weight of 3 takes the general one and must grow the same trees: every sum and gain
    scales by 3, so every choice is the same."""
    X, y = make_classification(400, n_features=6, n_informative=4, random_state=0)
    if with_nan:
        X[np.random.RandomState(1).rand(*X.shape) < 0.1] = np.nan
    params = {"n_estimators": 4, "max_features": 2, "random_state": 0}
    a = ExtraTreesClassifier(**params).fit(X, y)
    b = ExtraTreesClassifier(**params).fit(X, y, sample_weight=np.full(len(y), 3.0))
    for tree_a, tree_b in zip(a.estimators_, b.estimators_, strict=True):
        np.testing.assert_array_equal(tree_a.tree_.feature, tree_b.tree_.feature)
        np.testing.assert_array_equal(tree_a.tree_.threshold, tree_b.tree_.threshold)
        np.testing.assert_array_equal(tree_a.tree_.cover * 3.0, tree_b.tree_.cover)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_balanced_subsample_balances_every_draw():
    X, y = make_classification(300, n_features=5, weights=[0.85], random_state=0)
    model = RandomForestClassifier(n_estimators=6, class_weight="balanced_subsample",
                                   random_state=0).fit(X, y)
    for member in model.estimators_:
        np.testing.assert_allclose(member.tree_.value[0, 0], [0.5, 0.5])
    # Balancing raises the recall of the rare class.
    plain = RandomForestClassifier(n_estimators=30, min_samples_leaf=10, random_state=0)
    balanced = RandomForestClassifier(n_estimators=30, min_samples_leaf=10,
                                      class_weight="balanced", random_state=0)
    rare = y == 1
    assert (balanced.fit(X, y).predict(X[rare]) == 1).mean() > \
        (plain.fit(X, y).predict(X[rare]) == 1).mean()


def test_sample_weight_draws_rows_in_proportion():
    """With bootstrap, weights are draw probabilities (scikit-learn 1.9): rows of weight 0
    are never drawn, and weight 2 is drawn about twice as often as weight 1."""
    X, y = make_classification(400, n_features=4, random_state=0)
    weight = np.tile([0.0, 1.0, 2.0, 1.0], 100)
    model = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y,
                                                                        sample_weight=weight)
    counts = np.bincount(np.concatenate(model.estimators_samples_), minlength=400)
    assert counts[weight == 0].sum() == 0
    ratio = counts[weight == 2].mean() / counts[weight == 1].mean()
    assert 1.8 < ratio < 2.2


# --- missing values ------------------------------------------------------------------------


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_missing_values_are_routed_natively(cls):
    rng = np.random.RandomState(0)
    X = rng.rand(600, 4)
    y = rng.randint(0, 2, 600)
    X[y == 1, 2] = np.nan  # missingness of feature 2 is the signal
    X[rng.rand(600) < 0.2, 0] = np.nan  # noise with missing values
    model = cls(n_estimators=20, max_features=None, random_state=0).fit(X, y)
    assert model.score(X, y) == 1.0
    X_new = rng.rand(100, 4)
    X_new[:50, 2] = np.nan
    np.testing.assert_array_equal(model.predict(X_new), np.repeat([1, 0], 50))
    assert np.argmax(model.feature_importances_) == 2


@pytest.mark.parametrize("cls", [*FORESTS, DecisionTreeClassifier, DecisionTreeRegressor])
def test_a_few_rows_predict_as_they_do_among_many(cls):
    """Predicting a few rows with fully grown trees walks their compact arrays, many rows
    go through routing arrays built per tree: each row's prediction and leaf must not
    depend on which (NaN included, two outputs for the regressors, float32 rows too)."""
    rng = np.random.RandomState(1)
    X = rng.normal(size=(500, 5))
    X[rng.rand(*X.shape) < 0.1] = np.nan
    signal = np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 1]) ** 2
    if cls.__name__.endswith("Classifier"):
        y = np.digitize(signal + rng.normal(size=500), [0.0, 1.5])
    else:
        y = np.c_[signal, rng.normal(size=500)]
    model = cls(random_state=0).fit(X, y)
    predict = model.predict_proba if hasattr(model, "predict_proba") else model.predict
    X_new = rng.normal(size=(2000, 5))
    X_new[rng.rand(*X_new.shape) < 0.1] = np.nan
    for X_pred in (X_new, X_new.astype(np.float32)):
        many, leaves = predict(X_pred), model.apply(X_pred)
        for rows in (slice(0, 1), slice(7, 10), slice(1990, 2000)):
            np.testing.assert_array_equal(predict(X_pred[rows]), many[rows])
            np.testing.assert_array_equal(model.apply(X_pred[rows]), leaves[rows])


@pytest.mark.parametrize("cls", REGRESSORS)
def test_a_few_rows_walk_the_members_the_forest_has_now(cls):
    """A few rows walk all trees in one kernel call, through a table of their arrays made
    on first use: the prediction must be the members' own, added in order, for the
    members the forest has at each call (a subset set by hand, then the full list again),
    and the table must leave the trees' arrays and the pickled forest as they were."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 4))
    X[rng.rand(*X.shape) < 0.1] = np.nan
    y = np.nan_to_num(X[:, 0]) + rng.normal(size=400)
    model = cls(n_estimators=8, random_state=0).fit(X, y)
    rows = X[:3]

    def members_mean(members):
        return sum(member.predict(rows) for member in members) / len(members)

    members = model.estimators_
    expected = members_mean(members)  # which caches what a tree derives for the walk
    pickled = pickle.dumps(model)
    arrays = [dict(vars(member.tree_)) for member in members]
    np.testing.assert_array_equal(model.predict(rows), expected)
    assert pickle.dumps(model) == pickled
    assert all(vars(member.tree_)[name] is array
               for member, before in zip(members, arrays, strict=True)
               for name, array in before.items())
    model.estimators_ = members[2:5]
    np.testing.assert_array_equal(model.predict(rows), members_mean(members[2:5]))
    model.estimators_ = members
    np.testing.assert_array_equal(model.predict(rows), members_mean(members))
    loaded = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(loaded.predict(rows), model.predict(rows))


@pytest.mark.parametrize("cls", [RandomForestRegressor, DecisionTreeRegressor])
def test_prediction_validates_any_layout_of_the_same_values_alike(cls):
    """A C-contiguous float array of the fitted width skips scikit-learn's validation;
    every other form of the same values goes through it: the predictions must agree, and
    what validation refuses (infinities, the wrong width) must still be refused."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 3))
    y = X[:, 0] + rng.normal(size=300)
    model = cls(random_state=0).fit(X, y)
    rows = X[:5]
    expected = model.predict(rows)
    for same in (np.asfortranarray(rows), rows.tolist(), rows[:, [0, 1, 2, 0]][:, :3]):
        np.testing.assert_array_equal(model.predict(same), expected)
    bad = rows.copy()
    bad[1, 2] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        model.predict(bad)
    with pytest.raises(ValueError, match="features"):
        model.predict(rows[:, :2])


@pytest.mark.parametrize("weighting", ["unit", "bootstrap", "float"])
@pytest.mark.parametrize("n_classes", [0, 2, 3])
def test_compact_tree_keeps_what_the_grown_nodes_hold(weighting, n_classes):
    """A grown tree keeps its leaves' values, rows and impurities and its splits' gains
    in compact arrays, written in one pass without branches on leaf or split; read back,
    every node's must be the node loop's own (leaves' features -2 as scikit-learn's)."""
    from ensembles._engine import forest as kernel
    from ensembles._engine.binning import BinMapper

    rng = np.random.RandomState(3)
    n = 2000
    X = rng.normal(size=(n, 4))
    X_binned = np.asfortranarray(BinMapper(max_bin=16).fit(X).transform(X))
    weight = {"unit": np.ones(n), "bootstrap": rng.randint(0, 3, n).astype(float),
              "float": rng.uniform(0.5, 2.0, n)}[weighting]
    signal = X[:, 0] + rng.normal(size=n)
    if n_classes:
        labels = np.digitize(signal, np.linspace(-1, 1, n_classes - 1)).astype(np.int32)
        Y, criterion = np.eye(n_classes)[labels], "gini"
    else:
        labels, Y, criterion = None, signal[:, None], "squared_error"
    params = kernel.ForestTreeParams(criterion=criterion, min_samples_leaf=3)
    grown = kernel.grow_forest_nodes(X_binned, Y, weight, np.flatnonzero(weight > 0),
                                     None, params, 5, labels=labels)
    tree = _tree_base.FittedTree.from_grown(grown, np.zeros((4, 15)))
    leaf = grown.left == -1
    assert 50 < leaf.sum() < len(leaf)
    np.testing.assert_array_equal(tree.left, grown.left)
    np.testing.assert_array_equal(tree.right, grown.right)
    np.testing.assert_array_equal(tree.feature, np.where(leaf, -2, grown.feature))
    np.testing.assert_array_equal(tree.cover, grown.cover)
    np.testing.assert_array_equal(tree.gain, np.where(leaf, 0.0, grown.gain))
    np.testing.assert_array_equal(tree.value[leaf].reshape(leaf.sum(), -1), grown.value[leaf])
    np.testing.assert_array_equal(tree.n_node_samples[leaf], grown.node_stats[leaf, 0])
    np.testing.assert_array_equal(tree.impurity[leaf], grown.node_stats[leaf, 1])
    # Internal nodes' rows and impurities are derived from their leaves'.
    np.testing.assert_array_equal(tree.n_node_samples, grown.node_stats[:, 0])
    np.testing.assert_allclose(tree.impurity, grown.node_stats[:, 1], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("cls", FORESTS)
def test_compact_trees_route_like_their_saved_form(cls, tmp_path):
    """Grown trees derive thresholds from the shared bin edges, right children from the
    left ones and internal values from the leaves instead of storing them; they must route
    every row as the explicit arrays of their saved form do, also at a threshold, next to
    one, far out and at NaN."""
    rng = np.random.RandomState(0)
    X = rng.randint(0, 30, size=(400, 3)).astype(float) / 7.0
    X[rng.rand(*X.shape) < 0.1] = np.nan
    y = (np.nan_to_num(X[:, 0]) + rng.rand(400) > 2.5).astype(int)
    model = cls(n_estimators=10, random_state=0).fit(X, y)
    for est in model.estimators_:
        tree = est.tree_
        assert tree._is_compact() and len(tree._leaf_value) == tree.n_leaves
        internal = np.flatnonzero(tree.left != -1)
        value = tree.value[:, 0]  # one output
        children = value[tree.left[internal]] * tree.cover[tree.left[internal], None] + \
            value[tree.right[internal]] * tree.cover[tree.right[internal], None]
        np.testing.assert_allclose(value[internal] * tree.cover[internal, None], children)
    path = tmp_path / "forest.json"
    model.save_model(path)
    loaded = cls().load_model(path)
    assert not any(est.tree_._is_compact() for est in loaded.estimators_)
    thresholds = np.unique(np.concatenate([
        est.tree_.threshold[est.tree_.feature >= 0] for est in model.estimators_]))
    thresholds = thresholds[np.isfinite(thresholds)]  # +inf splits off the missing values
    probes = np.concatenate([thresholds, np.nextafter(thresholds, np.inf),
                             np.nextafter(thresholds, -np.inf), [1e30, -1e30, np.nan]])
    X_new = rng.choice(probes, size=(3000, 3))
    np.testing.assert_array_equal(model.apply(X_new), loaded.apply(X_new))
    # Compact trees predict through their own kernel (children in pairs), loaded ones
    # through the general one; the averaged leaf vectors must agree bit for bit.
    predict = model.predict_proba if hasattr(model, "predict_proba") else model.predict
    loaded_predict = getattr(loaded, predict.__name__)
    np.testing.assert_array_equal(predict(X_new), loaded_predict(X_new))
    # A few rows walk the compact arrays themselves (building the routing arrays would
    # cost more); they too must agree.
    for rows in (X_new[:1], X_new[10:13]):
        np.testing.assert_array_equal(predict(rows), loaded_predict(rows))


@pytest.mark.parametrize("cls", FORESTS)
def test_rows_walk_their_bin_codes_as_they_walk_their_values(cls, monkeypatch):
    """From a few trees on, a forest's rows walk their bin codes instead of their values:
    every row must reach the same leaves either way, on quantile bins and on one bin per
    value, at NaN, at an edge, next to one and far out."""
    rng = np.random.RandomState(0)
    X = np.c_[rng.normal(size=3000), rng.randint(0, 9, 3000) / 3.0, rng.randint(0, 300, 3000)]
    X[rng.rand(3000) < 0.05, 1] = np.nan
    signal = X[:, 0] + np.nan_to_num(X[:, 1]) + X[:, 2] / 100.0
    y = (signal > 1.5).astype(int) if cls in CLASSIFIERS else signal
    model = cls(n_estimators=6, random_state=0).fit(X, y)
    edges = model.estimators_[0].tree_._edges
    edges = edges[np.isfinite(edges)]
    probes = np.concatenate([edges, np.nextafter(edges, np.inf), [1e30, -1e30, np.nan]])
    X_new = rng.choice(probes, size=(4000, 3))
    trees = [est.tree_ for est in model.estimators_]
    assert _tree_base._bin_codes(trees, X_new) is not None
    predict = model.predict_proba if hasattr(model, "predict_proba") else model.predict
    walked = predict(X_new)
    monkeypatch.setattr(_tree_base, "_MIN_TREES_ON_CODES", 10**9)
    assert _tree_base._bin_codes(trees, X_new) is None
    np.testing.assert_array_equal(predict(X_new), walked)


# --- persistence -----------------------------------------------------------------------------


@pytest.mark.parametrize("cls", FORESTS)
def test_save_load_and_pickle_predict_bit_identically(cls, tmp_path):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 5))
    X[::6, 1] = np.nan
    if cls in CLASSIFIERS:
        y = np.where(X[:, 0] + rng.normal(size=300) > 0, "yes", "no")
        extra = {"class_weight": {"yes": 2.0, "no": 1.0}}
    else:
        y = np.column_stack([X[:, 0] + X[:, 2], X[:, 3]])
        extra = {}
    model = cls(n_estimators=7, max_depth=8, random_state=0, **extra).fit(X, y)
    path = tmp_path / "forest.json"
    model.save_model(path)
    loaded = cls().load_model(path)
    assert loaded.get_params() == model.get_params()
    X_new = rng.normal(size=(500, 5))
    X_new[::4, 1] = np.nan
    np.testing.assert_array_equal(loaded.predict(X_new), model.predict(X_new))
    np.testing.assert_array_equal(loaded.apply(X_new), model.apply(X_new))
    if cls in CLASSIFIERS:
        np.testing.assert_array_equal(loaded.predict_proba(X_new), model.predict_proba(X_new))
        np.testing.assert_array_equal(loaded.classes_, model.classes_)
    np.testing.assert_array_equal(loaded.feature_importances_, model.feature_importances_)
    unpickled = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(unpickled.predict(X_new), model.predict(X_new))
    # A loaded forest keeps its members' seeds, so a warm start continues it exactly.
    loaded.set_params(n_estimators=10, warm_start=True).fit(X, y)
    at_once = cls(n_estimators=10, max_depth=8, random_state=0, **extra).fit(X, y)
    np.testing.assert_array_equal(loaded.predict(X_new), at_once.predict(X_new))


@pytest.mark.filterwarnings("ignore:Some inputs do not have OOB scores")
def test_saved_oob_score_and_feature_names(tmp_path):
    pd = pytest.importorskip("pandas")
    X, y = make_classification(200, n_features=3, n_informative=2, n_redundant=0,
                               random_state=0)
    frame = pd.DataFrame(X, columns=["x", "y", "z"])
    model = RandomForestClassifier(n_estimators=20, oob_score=True, random_state=0)
    model.fit(frame, y).save_model(tmp_path / "m.json")
    loaded = RandomForestClassifier().load_model(tmp_path / "m.json")
    assert loaded.oob_score_ == model.oob_score_
    assert not hasattr(loaded, "oob_decision_function_")
    np.testing.assert_array_equal(loaded.feature_names_in_, ["x", "y", "z"])


def _corrupt(doc, how):
    if how == "child":
        doc["trees"][0]["left"][0] = 0
    elif how == "feature":
        tree = doc["trees"][0]
        tree["feature"][0] = 99
    elif how == "values":
        doc["trees"][1]["value"] = [[0.5] for _ in doc["trees"][1]["value"]]
    elif how == "seeds":
        doc["random_states"] = doc["random_states"][:1]
    elif how == "params":
        doc["params"]["max_features"] = "all"
    elif how == "version":
        doc["version"] = 99
    return doc


@pytest.mark.parametrize("how, match", [
    ("child", "child indices"),
    ("feature", "feature index"),
    ("values", r"number\(s\) per node"),
    ("seeds", "random_states"),
    ("params", "bad parameters"),
    ("version", "format version"),
])
def test_bad_model_files_are_rejected_and_leave_the_model_alone(how, match, tmp_path):
    X, y = make_classification(100, n_features=4, random_state=0)
    model = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)
    path = tmp_path / "m.json"
    model.save_model(path)
    doc = _corrupt(json.loads(path.read_text()), how)
    path.write_text(json.dumps(doc))
    target = RandomForestClassifier(n_estimators=4, random_state=1).fit(X, y)
    before = target.predict_proba(X)
    with pytest.raises(ValueError, match=match):
        target.load_model(path)
    assert target.n_estimators == 4
    np.testing.assert_array_equal(target.predict_proba(X), before)


def test_model_file_of_another_kind_or_not_json(tmp_path):
    X, y = make_classification(100, n_features=4, random_state=0)
    RandomForestClassifier(n_estimators=2).fit(X, y).save_model(tmp_path / "rf.json")
    with pytest.raises(ValueError, match="not of ExtraTreesClassifier"):
        ExtraTreesClassifier().load_model(tmp_path / "rf.json")
    (tmp_path / "junk.json").write_text("{not json")
    with pytest.raises(ValueError, match="invalid JSON"):
        RandomForestClassifier().load_model(tmp_path / "junk.json")


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize("cls, params, match", [
    (RandomForestRegressor, {"criterion": "median"}, "criterion.*absolute_error"),
    (ExtraTreesClassifier, {"criterion": "squared_error"}, "criterion.*gini"),
    (RandomForestClassifier, {"n_estimators": 0}, "n_estimators"),
    (RandomForestClassifier, {"max_features": 5}, "max_features=5 is larger"),
    (RandomForestClassifier, {"max_features": "all"}, "max_features"),
    (RandomForestRegressor, {"max_bin": 300}, "max_bin"),
    (RandomForestClassifier, {"class_weight": "even"}, "class_weight"),
    (RandomForestClassifier, {"oob_score": "yes"}, "oob_score"),
    (ExtraTreesRegressor, {"max_samples": 10}, "max_samples needs bootstrap=True"),
    (RandomForestRegressor, {"max_samples": -0.5}, "max_samples"),
    (RandomForestRegressor, {"min_weight_fraction_leaf": 0.7}, "min_weight_fraction_leaf"),
])
def test_bad_parameters_are_named(cls, params, match):
    X, y = make_classification(60, n_features=4, random_state=0)
    with pytest.raises(ValueError, match=match):
        cls(**params).fit(X, y)


def test_bad_data_is_rejected():
    X, y = make_classification(60, n_features=4, random_state=0)
    with pytest.raises(ValueError, match="[Nn]egative"):
        RandomForestClassifier().fit(X, y, sample_weight=-np.ones(60))
    with pytest.raises(ValueError, match="positive sum"):
        RandomForestClassifier(class_weight={0: 0.0, 1: 0.0}).fit(X, y)
    with pytest.raises(ValueError, match="Unknown label type"):
        RandomForestClassifier().fit(X, np.column_stack([y, y + 0.5]))
    X_inf = X.copy()
    X_inf[3, 1] = -np.inf
    with pytest.raises(ValueError, match="infinity"):
        ExtraTreesRegressor().fit(X_inf, y)
    model = ExtraTreesRegressor(n_estimators=2).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(np.ones((2, 5)))
    assert isinstance(model.estimators_[0], DecisionTreeRegressor)


@pytest.mark.parametrize("name", ["RandomForestClassifier", "ExtraTreesRegressor"])
def test_a_fitted_forest_is_the_sequence_of_its_members_as_in_scikit_learn(name):
    import sklearn.ensemble

    import ensembles

    X, y = make_classification(200, 5, random_state=0)
    ours = getattr(ensembles, name)(n_estimators=7, random_state=0).fit(X, y)
    theirs = getattr(sklearn.ensemble, name)(n_estimators=7, random_state=0).fit(X, y)
    assert len(ours) == len(theirs) == 7
    assert list(ours) == ours.estimators_ and ours[2] is ours.estimators_[2]
    assert ours[1:3] == ours.estimators_[1:3]
    np.testing.assert_array_equal(ours[0].predict(X), ours.estimators_[0].predict(X))
    with pytest.raises(AttributeError):
        len(getattr(ensembles, name)())
    # The template: the members' class, unfitted, with its defaults; also after loading.
    assert type(ours.estimator_).__name__ == type(theirs.estimator_).__name__
    assert type(ours.estimator_) is type(ours[0])
    assert ours.estimator_.get_params() == type(ours[0])().get_params()
    assert not hasattr(ours.estimator_, "tree_")
    loaded = getattr(ensembles, name)().load_model(ours.save_model())
    assert type(loaded.estimator_) is type(ours.estimator_)


# --- the small-node evaluation agrees with the histogram's ---------------------------------


@pytest.fixture(scope="module")
def evaluate_both_ways():
    from numba import njit

    from ensembles._engine import forest as kernel

    # Not cached: numba's cache would keep the kernels compiled into it after they change.
    @njit
    def evaluate(sorted_path, XT, rows, wn, cn, yn, classify, start, stop, G, W, criterion,
                 hist, out, GL, GR, sort_codes, sort_pos):
        if sorted_path:
            return kernel._evaluate_feature_sorted(
                XT, 0, rows, wn, cn, yn, classify, start, stop, G, W, criterion, 1, 0.0, hist,
                out, GL, GR, sort_codes, sort_pos, None, -np.inf, np.inf)
        return kernel._evaluate_feature(XT, 0, rows, wn, cn, yn, classify, start, stop, G, W,
                                        criterion, 1, 0.0, hist, out, GL, GR, None, -np.inf,
                                        np.inf)

    return evaluate


def test_a_partition_routes_every_code_as_its_split_says():
    # The partition tests a code with one comparison, the missing code shifted round to 0
    # when missing values go left: every code, every threshold, both directions.
    from numba import njit

    from ensembles._engine.forest import MISSING_BIN, _goes_left

    @njit
    def route(b, split_bin, default_left):
        shift = np.int64(default_left)
        return _goes_left(np.uint8(b), shift, split_bin + shift, None)

    for split_bin in range(MISSING_BIN):
        for default_left in (False, True):
            for b in range(MISSING_BIN + 1):
                expected = default_left if b == MISSING_BIN else b <= split_bin
                assert route(b, split_bin, default_left) == expected, (b, split_bin)


def test_gathered_codes_are_the_codes_read_one_at_a_time():
    # Extra trees copy a node's codes of a drawn feature to a buffer before its passes
    # (_node_codes): by dword gathers, sixteen rows a step, from _GATHER_MIN_ROWS rows on
    # (gather_codes), one at a time below. Both must give every row's code and the codes'
    # range, at every length about a vector's (a last partial vector included), at any
    # start, and for the last rows of the last feature, whose words end the array.
    from numba import njit

    from ensembles._engine.forest import _GATHER_MIN_ROWS, MISSING_BIN, _node_codes

    @njit
    def copy(XT, f, rows, first, end, codes):
        return _node_codes(XT, f, rows, np.uint64(first), np.uint64(end), codes)

    rng = np.random.RandomState(0)
    n_rows = 1003
    XT = rng.randint(0, MISSING_BIN + 1, size=(5, n_rows)).astype(np.uint8)
    XT[2, ::7] = MISSING_BIN
    rows = rng.permutation(n_rows).astype(np.uint32)
    rows[-40:] = np.arange(n_rows - 40, n_rows)[::-1]  # the array's last codes
    codes = np.empty(n_rows + 16, dtype=np.uint8)
    lengths = [1, 2, _GATHER_MIN_ROWS - 1, _GATHER_MIN_ROWS, 15, 16, 17, 31, 32, 33, 100]
    for n in lengths:
        for first in (0, 5, n_rows - n):
            for f in range(5):
                codes[:] = 0
                low, high, top = copy(XT, f, rows, first, first + n, codes)
                expected = XT[f, rows[first:first + n]]
                np.testing.assert_array_equal(codes[:n], expected, err_msg=str((n, first, f)))
                assert (low, high) == (expected.min(), expected.max())
                assert top == ((expected.astype(np.int64) + 1) % 256).max()
    assert copy(XT, 4, rows, 0, n_rows, codes)[1] == XT[4].max()
    np.testing.assert_array_equal(codes[:n_rows], XT[4, rows])


def test_gather_codes_names_what_it_accepts():
    # The gather reads a feature's codes and the row ids as contiguous memory, the ids as
    # 32-bit words, into a byte buffer: other arrays are refused when the calling kernel
    # is compiled, naming the argument.
    from numba import njit
    from numba.core.errors import TypingError

    from ensembles._engine.gather import gather_codes

    @njit
    def gather(XT, rows, out):
        gather_codes(XT, 0, rows, 0, rows.shape[0], out)

    XT = np.arange(20, dtype=np.uint8).reshape(2, 10)
    rows = np.arange(10, dtype=np.uint32)[::-1].copy()
    out = np.zeros(32, dtype=np.uint8)
    gather(XT, rows, out)
    np.testing.assert_array_equal(out[:10], XT[0, rows])
    with pytest.raises(TypingError, match="rows must be a C-contiguous array of uint32"):
        gather(XT, np.arange(10), out)
    with pytest.raises(TypingError, match="out must be a C-contiguous array of uint8"):
        gather(XT, rows, np.zeros(32))
    with pytest.raises(TypingError, match="codes must be a C-contiguous array of uint8"):
        gather(np.asfortranarray(XT), rows, out)


def test_small_nodes_sort_their_keys_stably_both_ways():
    # Keys (a code over a row position) are ranked up to _RANK_MAX_ROWS rows and radix
    # sorted above: both must give numpy's order, for every size up to _SORT_MAX_ROWS and
    # codes of few or many values.
    from numba import njit

    from ensembles._engine.forest import _RANK_MAX_ROWS, _SORT_MAX_ROWS, _SORT_SCRATCH, _sort_keys

    @njit
    def sort(keys, n, scratch):
        _sort_keys(keys, n, scratch)

    rng = np.random.RandomState(0)
    assert 2 < _RANK_MAX_ROWS < _SORT_MAX_ROWS
    for n in range(1, _SORT_MAX_ROWS + 1):
        codes = rng.randint(0, rng.choice([2, 17, 255]), n)
        keys = (codes << 16) | np.arange(n)
        scratch = np.full(_SORT_SCRATCH, -1, np.int64)
        sort(keys, n, scratch)
        np.testing.assert_array_equal(scratch[:n], np.sort(keys), err_msg=str(n))


@pytest.mark.parametrize("classify, criterion", [(True, 0), (True, 1), (False, 2), (False, 3)])
def test_small_nodes_sorted_by_code_choose_the_histograms_split(classify, criterion,
                                                                evaluate_both_ways):
    # Nodes up to _SORT_MAX_ROWS rows sort their rows by code instead of filling a
    # histogram: the same candidates, sums and gains, so the same split, with repeated
    # codes (ties keep the rows' order), missing values and weights. Float targets are
    # summed row by row there and bin by bin here, so their sums agree to rounding only;
    # class counts under integer weights are exact either way.
    from ensembles._engine.forest import _SORT_MAX_ROWS, _SORT_SCRATCH

    evaluate = evaluate_both_ways
    rng = np.random.RandomState(0)
    K = 2 if classify else 1
    for trial in range(60):
        n = rng.randint(2, _SORT_MAX_ROWS + 1)
        codes = rng.randint(0, rng.choice([3, 20, 255]), n).astype(np.uint8)
        codes[rng.rand(n) < 0.15] = 255  # missing
        XT = codes[None, :]
        rows = np.arange(n, dtype=np.uint32)
        wn = rng.randint(1, 4, n).astype(np.float64)
        cn = rng.randint(0, 2, n).astype(np.int32)
        yn = rng.gamma(2.0, size=(n, 1)) if not classify else np.empty((0, 1))
        if classify:
            G = np.array([wn[cn == c].sum() for c in range(2)])
        else:
            G = np.array([(wn * yn[:, 0]).sum()])
        results = []
        for sorted_path in (True, False):
            out = np.zeros(5 + K)
            valid = evaluate(sorted_path, XT, rows, wn, cn, yn, classify, 0, n, G, wn.sum(),
                             criterion, np.zeros((256, K + 2)), out, np.empty(K), np.empty(K),
                             np.empty(_SORT_SCRATCH, np.int64),
                             np.empty(_SORT_MAX_ROWS, np.int64))
            results.append((valid, out))
        (valid_sorted, out_sorted), (valid_hist, out_hist) = results
        assert valid_sorted == valid_hist, trial
        if valid_sorted:
            np.testing.assert_array_equal(out_sorted[1:3], out_hist[1:3], err_msg=str(trial))
            if classify:
                np.testing.assert_array_equal(out_sorted, out_hist, err_msg=str(trial))
            else:
                np.testing.assert_allclose(out_sorted, out_hist, rtol=1e-12, err_msg=str(trial))


@pytest.mark.parametrize("sorted_path", [True, False])
def test_one_output_scan_matches_the_general_scan(sorted_path, evaluate_both_ways):
    # One unconstrained squared-error output is scanned with its sums in registers; the
    # general scan must find the same split, gain and left sums, bit for bit, with missing
    # values, weights and repeated codes. The general scan is reached through the Gini
    # index's code (0), whose score is the same sum of squares over the weight (see
    # _score): only the squared error's code (2) takes the scan in registers.
    from ensembles._engine.forest import _SORT_MAX_ROWS, _SORT_SCRATCH

    evaluate = evaluate_both_ways
    rng = np.random.RandomState(1)
    n_max = _SORT_MAX_ROWS if sorted_path else 400
    for trial in range(60):
        n = rng.randint(2, n_max + 1)
        codes = rng.randint(0, rng.choice([3, 20, 255]), n).astype(np.uint8)
        codes[rng.rand(n) < 0.15] = 255  # missing
        rows = np.arange(n, dtype=np.uint32)
        wn = rng.randint(1, 4, n).astype(np.float64)
        yn = rng.normal(size=(n, 1))
        G = np.array([(wn * yn[:, 0]).sum()])
        results = []
        for criterion in (2, 0):
            out = np.zeros(6)
            valid = evaluate(sorted_path, codes[None, :], rows, wn, np.empty(0, np.int32), yn,
                             False, 0, n, G, wn.sum(), criterion, np.zeros((256, 3)), out,
                             np.empty(1), np.empty(1), np.empty(_SORT_SCRATCH, np.int64),
                             np.empty(_SORT_MAX_ROWS, np.int64))
            results.append((valid, out))
        (valid_one, out_one), (valid_general, out_general) = results
        assert valid_one == valid_general, trial
        np.testing.assert_array_equal(out_one, out_general, err_msg=str(trial))


# --- subtrees grown on a copy of their rows' codes grow the same trees ---------------------


@pytest.mark.parametrize("criterion, splitter, constraint", [
    ("gini", "best", None), ("gini", "random", None), ("entropy", "best", "categorical"),
    ("squared_error", "best", None), ("squared_error", "random", None),
    ("squared_error", "best", "monotonic"), ("poisson", "random", None),
    ("absolute_error", "best", None)])
def test_subtrees_on_copied_codes_grow_the_same_tree(criterion, splitter, constraint,
                                                     monkeypatch):
    # Once the codes outgrow the cache, a small enough subtree grows on a copy of its
    # rows' codes (_localize), and a smaller one on an inner copy, taken from the outer
    # copy or from all codes. Small copy budgets send this small fit down those paths at
    # many nodes (each subtree of at most 256 rows, and within them and elsewhere of at
    # most 64; then an outer copy of a seventh of all codes, 428 rows, when that is more
    # than its budget); the tree must be the one grown without copies, with missing
    # values, bootstrap weights and every kind of search.
    from ensembles._engine import forest as kernel
    from ensembles._engine.binning import BinMapper

    rng = np.random.RandomState(0)
    n, n_features = 3000, 6
    X = rng.normal(size=(n, n_features))
    X[rng.rand(n, n_features) < 0.05] = np.nan
    X_binned = np.asfortranarray(BinMapper(max_bin=255).fit(X).transform(X))
    classify = criterion in ("gini", "entropy")
    n_categories = None
    if constraint == "categorical":
        X_binned[:, 5] = rng.randint(0, 7, n)
        n_categories = [0, 0, 0, 0, 0, 7]
    filled = np.nan_to_num(X)
    target = filled[:, 0] - np.abs(filled[:, 1]) + rng.normal(size=n)
    labels = (target > 0).astype(np.int32) if classify else None
    Y = np.eye(2)[labels] if classify else np.exp(target / 2)[:, None]
    weight = rng.randint(0, 3, n).astype(float)
    params = kernel.ForestTreeParams(
        criterion=criterion, splitter=splitter, max_features=3, n_categories=n_categories,
        monotonic_cst=[1, 0, 0, 0, 0, -1] if constraint == "monotonic" else None)
    tables = kernel.bin_values(X, X_binned, weight)
    real_local_rows = kernel._local_rows
    copies = []
    # Random splits would search from copies in both fits (by rows, whose own test
    # follows): here the copies are the point.
    monkeypatch.setattr(kernel, "_ROWWISE_FEATURES", (0, 0))

    def grow(local_bytes, near_bytes, outer_share=1 << 40):
        monkeypatch.setattr(kernel, "_LOCAL_BYTES", local_bytes)
        monkeypatch.setattr(kernel, "_OUTER_SHARE", outer_share)
        monkeypatch.setattr(kernel, "_NEAR_BYTES", near_bytes)
        monkeypatch.setattr(kernel, "_local_rows",
                            lambda *args: copies.append(real_local_rows(*args)) or copies[-1])
        return kernel.grow_forest_tree(
            X_binned, Y, weight, np.flatnonzero(weight > 0), np.zeros((n_features, 255)),
            None, params, 7, labels=labels, bin_value=tables)

    copied, plain = grow(256 * n_features, 64 * n_features), grow(1 << 30, 1 << 30)
    shared = grow(256 * n_features, 64 * n_features, outer_share=7)
    assert copies == [(256, 64), (0, 0), (n * n_features // 7 // n_features, 64)]
    assert copied.left.shape[0] > 300
    for name in ("feature", "split_bin", "default_left", "left", "value", "cover"):
        for other in (plain, shared):
            np.testing.assert_array_equal(getattr(copied, name), getattr(other, name),
                                          err_msg=name)


# --- extra trees' search a row at a time grows the feature-by-feature search's tree -------


@pytest.mark.parametrize("criterion, weighting, max_features, min_samples_leaf, monotonic", [
    ("gini", "unit", 6, 1, False), ("gini", "bootstrap", 5, 1, False),
    ("entropy", "float", 6, 2, False), ("squared_error", "unit", 6, 1, False),
    ("squared_error", "float", 5, 1, False), ("squared_error", "unit", 6, 3, False),
    ("squared_error", "bootstrap", 6, 1, True), ("poisson", "unit", 6, 1, False),
    ("entropy", "bootstrap", 6, 1, True), ("gini", "unit", 5, 1, False),
    ("squared_error", "unit", 5, 2, False)])
@pytest.mark.parametrize("fused_min_rows", [4, 256])
def test_row_wise_random_split_search_grows_the_same_tree(criterion, weighting, max_features,
                                                          min_samples_leaf, monotonic,
                                                          fused_min_rows, monkeypatch):
    # Extra trees' regression searches a node of a few dozen features, most of them drawn, a
    # row at a time (_find_random_split_rowwise): one pass for every feature's range, one for
    # every feature's left sums. It must grow exactly the tree of the search feature by
    # feature: the same draws in the same order, the same sums, the same stop at an unbeatable
    # split (with the random stream and feature order wound back), and that search where a node
    # has missing values. Data with a constant feature, a binary one (constant in many nodes),
    # duplicated targets (unbeatable splits) and missing values in few rows; a small copy
    # budget localizes many subtrees. Nodes of at least _FUSED_MIN_ROWS rows draw their
    # thresholds before reading their rows (_drawn_threshold_value): set to 256 (the upper
    # levels) and to 4 (nearly every node).
    from ensembles._engine import forest as kernel
    from ensembles._engine.binning import BinMapper

    rng = np.random.RandomState(1)
    n, n_features = 3000, 6
    X = rng.normal(size=(n, n_features))
    X[:, 4] = 2.0
    X[:, 5] = rng.randint(0, 2, n)
    X[rng.rand(n) < 0.01, 1] = np.nan
    X_binned = np.asfortranarray(BinMapper(max_bin=255).fit(X).transform(X))
    filled = np.nan_to_num(X)
    target = np.round(filled[:, 0] - np.abs(filled[:, 1]) + rng.normal(size=n), 1)
    classify = criterion in ("gini", "entropy")
    labels = (target > 0).astype(np.int32) if classify else None
    Y = np.eye(2)[labels] if classify else np.exp(target / 2)[:, None]
    weight = {"unit": np.ones(n), "bootstrap": rng.randint(0, 3, n).astype(float),
              "float": rng.uniform(0.5, 2.0, n)}[weighting]
    params = kernel.ForestTreeParams(
        criterion=criterion, splitter="random", max_features=max_features,
        min_samples_leaf=min_samples_leaf,
        monotonic_cst=[1, 0, 0, 0, 0, -1] if monotonic else None)
    tables = kernel.bin_values(X, X_binned, weight)
    real_local_rows = kernel._local_rows
    by_rows = []
    monkeypatch.setattr(kernel, "_LOCAL_BYTES", 512 * n_features)
    monkeypatch.setattr(kernel, "_OUTER_SHARE", 1 << 40)
    monkeypatch.setattr(kernel, "_NEAR_BYTES", 128 * n_features)
    monkeypatch.setattr(kernel, "_FUSED_MIN_ROWS", fused_min_rows)

    def grow(max_row_features, four_at_a_time=True):
        monkeypatch.setattr(kernel, "_ROWWISE_FEATURES", (0, max_row_features))
        monkeypatch.setattr(kernel, "_FOUR_AT_A_TIME", four_at_a_time)
        monkeypatch.setattr(kernel, "_local_rows",
                            lambda *args: by_rows.append(args[-1]) or real_local_rows(*args))
        return kernel.grow_forest_tree(
            X_binned, Y, weight, np.flatnonzero(weight > 0), np.zeros((n_features, 255)),
            None, params, 11, labels=labels, bin_value=tables)

    # Regression and two classes also score the first four features drawn in a node
    # together, five when five are drawn (_random_split_prefix, which hands a constant
    # feature, the binary one where it is constant and the one with missing values on to
    # the search one at a time).
    # One regression output of unit weights sums a fused node's left targets in any order
    # (_fused_target_sums): the node loop recomputes the chosen split's gain from the
    # partition's sums, so the gains match too.
    # Classification searches four at a time (never a row at a time): its three fits
    # compare that search with the one feature at a time.
    rowwise, by_feature, one_at_a_time = grow(64), grow(0), grow(0, False)
    assert by_rows == [not classify, False, False]
    assert rowwise.left.shape[0] > 300
    for name in ("feature", "split_bin", "default_left", "left", "value", "cover", "gain"):
        for other in (by_feature, one_at_a_time):
            np.testing.assert_array_equal(getattr(rowwise, name), getattr(other, name),
                                          err_msg=name)


@pytest.mark.parametrize("weighting, max_features, min_samples_leaf, max_depth, min_decrease", [
    ("unit", 2, 1, 0, 0.0), ("unit", 5, 1, 0, 0.0), ("unit", 6, 1, 0, 0.0),
    ("bootstrap", 5, 1, 0, 0.0), ("float", 3, 2, 0, 0.0), ("unit", 5, 3, 12, 0.0),
    ("float", 6, 1, 0, 2e-4)])
@pytest.mark.parametrize("fused_min_rows", [4, 512])
def test_small_subtrees_grow_the_node_loops_tree(weighting, max_features, min_samples_leaf,
                                                 max_depth, min_decrease, fused_min_rows,
                                                 monkeypatch):
    # Extra trees of one regression output grow the subtree of a node of at most
    # _SUBTREE_MAX_ROWS rows in a function of their own (_grow_subtree), which must grow the
    # node loop's tree exactly: the same draws in the same order, the same sums, gains and
    # node numbers, with missing values, weights, a constant feature, a binary one
    # (constant in many nodes), duplicated targets (unbeatable splits), all features drawn
    # (the search a row at a time) or few, and the limits on leaves, depth and decrease;
    # a small copy budget localizes many subtrees. Nodes of at least _FUSED_MIN_ROWS rows
    # (set to 4: nearly every node) are the node loop's.
    from ensembles._engine import forest as kernel
    from ensembles._engine.binning import BinMapper

    rng = np.random.RandomState(3)
    n, n_features = 3000, 6
    X = rng.normal(size=(n, n_features))
    X[:, 4] = 2.0
    X[:, 5] = rng.randint(0, 2, n)
    X[rng.rand(n) < 0.02, 1] = np.nan
    X_binned = np.asfortranarray(BinMapper(max_bin=255).fit(X).transform(X))
    filled = np.nan_to_num(X)
    Y = np.round(filled[:, 0] - np.abs(filled[:, 1]) + rng.normal(size=n), 1)[:, None]
    weight = {"unit": np.ones(n), "bootstrap": rng.randint(0, 3, n).astype(float),
              "float": rng.uniform(0.5, 2.0, n)}[weighting]
    params = kernel.ForestTreeParams(
        criterion="squared_error", splitter="random", max_features=max_features,
        min_samples_leaf=min_samples_leaf, max_depth=max_depth,
        min_impurity_decrease=min_decrease)
    tables = kernel.bin_values(X, X_binned, weight)
    monkeypatch.setattr(kernel, "_LOCAL_BYTES", 512 * n_features)
    monkeypatch.setattr(kernel, "_OUTER_SHARE", 1 << 40)
    monkeypatch.setattr(kernel, "_NEAR_BYTES", 128 * n_features)
    monkeypatch.setattr(kernel, "_FUSED_MIN_ROWS", fused_min_rows)

    default_rows = kernel._SUBTREE_MAX_ROWS

    def grow(subtree_rows):
        monkeypatch.setattr(kernel, "_SUBTREE_MAX_ROWS", subtree_rows)
        return kernel.grow_forest_nodes(X_binned, Y, weight, np.flatnonzero(weight > 0),
                                        None, params, 5, bin_value=tables)

    loop_only, small, default = grow(0), grow(16), grow(default_rows)
    assert loop_only.left.shape[0] > 200
    for name in ("feature", "split_bin", "default_left", "left", "right", "value", "cover",
                 "gain", "node_stats"):
        for other in (small, default):
            np.testing.assert_array_equal(getattr(loop_only, name), getattr(other, name),
                                          err_msg=name)


@pytest.mark.parametrize("n_classes, n, max_depth", [
    (3, 600, None), (6, 600, None), (7, 600, None), (12, 600, None), (13, 600, None),
    # The root and the first levels have more rows than a 16-bit field counts.
    (10, 70_000, 4)])
def test_class_counts_in_registers_split_as_summed_weights(n_classes, n, max_depth):
    # Extra trees count a node's left rows per class in fields of a few registers when
    # three to twelve classes have unit weights (_count_left_classes); weights of 2 sum
    # class weights row by row instead, and must grow the same trees.
    X, y = make_classification(n, 8, n_informative=6, n_redundant=0, n_classes=n_classes,
                               n_clusters_per_class=1, random_state=0)
    X[:, 7] = np.round(X[:, 7])  # a feature constant in many nodes
    params = dict(n_estimators=3, max_depth=max_depth, random_state=0)
    counted = ExtraTreesClassifier(**params).fit(X, y)
    summed = ExtraTreesClassifier(**params).fit(X, y, sample_weight=np.full(n, 2.0))
    for a, b in zip(counted.estimators_, summed.estimators_, strict=True):
        assert a.tree_.node_count > 20
        for name in ("feature", "threshold", "children_left", "children_right",
                     "n_node_samples", "impurity", "value"):
            np.testing.assert_array_equal(getattr(a.tree_, name), getattr(b.tree_, name),
                                          err_msg=name)


# --- extra trees' threshold lookup finds the bin a search over all bins finds --------------


@pytest.mark.parametrize("low_bin, high_bin", [(5, 250), (120, 140), (0, 254)])
def test_thresholds_drawn_before_the_rows_are_uniform_over_the_node_range(low_bin, high_bin):
    # A node of at least _FUSED_MIN_ROWS rows draws a feature's threshold over the
    # feature's whole range before it knows its own range, keeps it if it falls there and
    # draws again otherwise (_drawn_threshold_value): the value must still be uniform
    # between the values of the node's lowest and highest bins, as Geurts et al. draw it
    # (and as the draw of a smaller node is), and the first draw must be kept as often as
    # the node's range covers the feature's.
    from numba import njit
    from scipy import stats

    from ensembles._engine import forest as kernel
    from ensembles._engine.binning import BinMapper

    @njit
    def draw(tables, f, lo, hi, n, fused):
        state = np.array([np.uint64(99)])
        values = np.empty(n)
        kept = 0
        for k in range(n):
            z = state[0]
            values[k] = kernel._threshold_draw(f, lo, hi, tables, state, fused)
            kept += values[k] == kernel._early_threshold_value(f, tables, z)
        return values, kept, state[0]

    X = np.random.RandomState(0).normal(size=(5000, 1))
    X_binned = np.asfortranarray(BinMapper(max_bin=255).fit(X).transform(X))
    tables = kernel.bin_values(X, X_binned)
    value, bounds = tables[0][0], tables[1][0]
    assert (bounds[0], bounds[2]) == (X.min(), X.max())
    low, high = value[low_bin], value[high_bin]
    n = 20_000
    for fused in (False, True):
        values, kept, end = draw(tables, 0, low_bin, high_bin, n, fused)
        assert values.min() >= low and values.max() < high
        assert stats.kstest(values, stats.uniform(low, high - low).cdf).pvalue > 1e-3
        steps = n * (2 if fused else 1)  # draws the stream moved by
        assert int(end) == (99 + steps * int(kernel._STREAM_STEP)) % 2**64
        if fused:
            share = (high - low) / (X.max() - X.min())
            assert abs(kept / n - share) < 4 * np.sqrt(share * (1 - share) / n) + 1e-9


def test_partition_bound_is_the_gain_of_the_best_two_way_partition():
    # Best splits of one regression output stop at a split that reaches the gain of the
    # node's best two-way partition of its rows, any partition: that bound must be the
    # largest gain over all of them (with _unbeatable_gain's margins), weights and tied
    # targets included, for rows anywhere in the array and ids in any order. Too low, a
    # search would stop at a split a later feature beats; too high, it would never stop.
    from itertools import product

    from numba import njit

    from ensembles._engine import forest as kernel

    # Not cached: numba's cache would keep the kernel compiled into it after it changes.
    @njit
    def bound(rows, wn, yn, start, stop, G, W, sq, parent, by_target):
        return kernel._best_partition_gain(rows, wn, yn, start, stop, G, W, sq, parent,
                                           by_target)

    rng = np.random.RandomState(0)
    for trial in range(200):
        n = rng.randint(3, kernel._PARTITION_BOUND_MAX_ROWS + 1)
        start = rng.randint(0, 5)
        y = (rng.randint(-2, 3, n) if trial % 2 else rng.normal(scale=50.0, size=n)) + 100.0
        w = rng.randint(1, 4, n).astype(float) if trial % 3 else np.ones(n)
        ids = rng.permutation(n + 10)[:n].astype(np.uint32)
        yn = np.zeros((n + 10, 1))
        yn[ids, 0] = y
        rows = np.concatenate([np.zeros(start, np.uint32), ids, np.zeros(3, np.uint32)])
        wn = np.concatenate([np.zeros(start), w, np.zeros(3)])
        G, W, sq = np.array([w @ y]), w.sum(), np.array([w @ y**2])
        parent = G[0] ** 2 / W
        if sq[0] - parent <= 1e-9 * sq[0]:
            continue  # every target the same: no search
        largest = -np.inf
        for left in product([False, True], repeat=n - 1):
            mask = np.array((True,) + left)  # the first row's side fixed: each partition once
            if mask.all():
                continue
            gl, wl = w[mask] @ y[mask], w[mask].sum()
            largest = max(largest, gl**2 / wl + (G[0] - gl) ** 2 / (W - wl) - parent)
        got = bound(rows, wn, yn, start, start + n, G, W, sq, parent,
                    np.empty(n + start, np.int64))
        assert abs(got - largest) <= 1e-10 * abs(largest) + 1e-13 * sq[0], trial


@pytest.mark.parametrize("table_bytes", [None, 1])
def test_threshold_cells_find_the_bin_of_every_drawn_value(table_bytes, monkeypatch):
    # A drawn value's bin comes from its cell of the feature's range and a search among
    # that cell's bins; it must be the last bin whose value lies at or below the value,
    # as a search over all the node's bins finds. Features where cells hold many bins
    # (a far outlier), none (two values), one value, and empty lowest bins (-inf); with
    # 2,048 cells per feature and with the fewest (64, as for thousands of features).
    from numba import njit

    from ensembles._engine import forest as kernel
    from ensembles._engine.binning import MISSING_BIN, BinMapper

    # Not cached: numba's cache would keep the kernel compiled into it after it changes.
    @njit
    def draw(tables, f, lo, hi, state):
        fraction = kernel._uniform(state.copy())  # the draw the lookup is about to make
        return kernel._random_threshold_bin(f, lo, hi, tables, state, False), fraction

    rng = np.random.RandomState(0)
    n = 3000
    outlier = rng.exponential(size=n)
    outlier[0] = 1e6
    columns = [outlier, rng.normal(size=n), np.where(rng.rand(n) < 0.5, -1.0, 3.0),
               np.full(n, 2.0), rng.randint(0, 40, n).astype(float)]
    X = np.column_stack(columns)
    X_binned = np.asfortranarray(BinMapper(max_bin=MISSING_BIN).fit(X).transform(X))
    value, _, _ = kernel.bin_values(X, X_binned)
    value[4, :3] = -np.inf  # as a subsample's empty lowest bins leave them
    if table_bytes is not None:
        monkeypatch.setattr(kernel, "_THRESHOLD_TABLE_BYTES", table_bytes)
    tables = kernel.threshold_tables(value)
    assert tables[2].shape[1] == (2048 if table_bytes is None else 64) + 2
    state = np.array([12345], dtype=np.uint64)
    checked = 0
    for f in range(X.shape[1]):
        present = np.unique(X_binned[:, f])
        present = present[np.isfinite(value[f, present])]
        for _ in range(400):
            if len(present) < 2:
                break
            lo, hi = np.sort(rng.choice(present, 2, replace=False))
            t, fraction = draw(tables, f, lo, hi, state)
            u = value[f, lo] + (value[f, hi] - value[f, lo]) * fraction
            expected = min(lo + np.searchsorted(value[f, lo:hi + 1], u, side="right") - 1,
                           hi - 1)
            assert t == expected, (f, lo, hi, u)
            checked += 1
    assert checked == 4 * 400  # every feature but the constant one


def test_rows_sent_left_by_value_are_those_sent_left_by_the_bin():
    # Extra trees route a node's rows by their bin's value against the drawn value
    # (_value_limit) and look up the bin (_threshold_bin) only for the best candidate;
    # both must split every node alike: for each code a node may hold (its bin has rows
    # of positive weight), value at or below the limit exactly when the code is at or
    # below the bin. Weighted rows, some of weight 0 (left out of the values), ties,
    # and draws at both ends of the range (u rounded up to the top value included).
    from numba import njit

    from ensembles._engine import forest as kernel
    from ensembles._engine.binning import MISSING_BIN, BinMapper

    @njit
    def sides(tables, f, lo, hi, u, codes):
        t = kernel._threshold_bin(f, lo, hi, u, tables)
        limit = kernel._value_limit(tables[0], f, hi, u)
        by_bin = np.empty(codes.shape[0], dtype=np.bool_)
        by_value = np.empty(codes.shape[0], dtype=np.bool_)
        for i in range(codes.shape[0]):
            by_bin[i] = codes[i] <= t
            by_value[i] = tables[0][f, codes[i]] <= limit
        return by_bin, by_value

    rng = np.random.RandomState(1)
    n = 4000
    X = np.column_stack([rng.normal(size=n), rng.exponential(size=n) ** 3,
                         rng.randint(0, 30, n).astype(float), np.round(rng.normal(size=n), 2)])
    weight = rng.rand(n)
    weight[rng.rand(n) < 0.2] = 0.0
    X_binned = np.asfortranarray(BinMapper(max_bin=MISSING_BIN).fit(X).transform(X))
    tables = kernel.bin_values(X, X_binned, weight)
    value = tables[0]
    checked = 0
    for f in range(X.shape[1]):
        present = np.unique(X_binned[weight > 0, f])
        assert np.all(np.diff(value[f, present]) > 0)  # what exactness rests on
        for _ in range(300):
            lo, hi = np.sort(rng.choice(present, 2, replace=False))
            codes = present[(present >= lo) & (present <= hi)]
            span = value[f, hi] - value[f, lo]
            for u in (value[f, lo], value[f, hi], np.nextafter(value[f, hi], -np.inf),
                      value[f, lo] + span * rng.rand()):
                by_bin, by_value = sides(tables, f, lo, hi, u, codes)
                np.testing.assert_array_equal(by_bin, by_value, err_msg=str((f, lo, hi, u)))
                assert by_bin[0] and not by_bin[-1]  # a partition of the node
                checked += 1
    assert checked == 4 * 300 * 4


def test_bin_values_of_wide_data_are_those_of_its_column_blocks():
    # More than _BIN_VALUE_BLOCK features take the wide path (blocks of features, no
    # branches); it must give each bin the value the row-by-row path gives it: the same
    # features' values, computed a few columns at a time. Missing values and rows of
    # weight 0 are out of the bins' ranges.
    from ensembles._engine import forest as kernel
    from ensembles._engine.binning import MISSING_BIN, BinMapper

    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 150))
    X[rng.rand(*X.shape) < 0.05] = np.nan
    X[:, 7] = rng.randint(0, 3, 300)
    X_binned = np.asfortranarray(BinMapper(max_bin=MISSING_BIN).fit(X).transform(X))
    weight = rng.randint(0, 3, 300).astype(float)
    assert X.shape[1] > kernel._BIN_VALUE_BLOCK
    wide = kernel.bin_values(X, X_binned, weight)[0]
    blocks = [kernel.bin_values(X[:, f:f + 50], np.asfortranarray(X_binned[:, f:f + 50]),
                                weight)[0] for f in range(0, 150, 50)]
    np.testing.assert_array_equal(wide, np.vstack(blocks))
    present = (X_binned[:, 0] != MISSING_BIN) & (weight > 0)
    assert wide[0, 0] == X[present, 0][X_binned[present, 0] == 0].min()
