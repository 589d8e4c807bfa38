"""Tests of the single decision trees (ensembles.tree) grown on the forest tree kernel."""

import pickle

import numpy as np
import pytest
import sklearn.ensemble
import sklearn.tree
import sklearn.tree as sk_tree
from sklearn.datasets import load_iris, make_classification
from sklearn.model_selection import train_test_split
from sklearn.utils.estimator_checks import parametrize_with_checks

from ensembles.adaboost import AdaBoostClassifier, AdaBoostRegressor
from ensembles.bagging import BaggingClassifier, BaggingRegressor
from ensembles.forest import ExtraTreesRegressor, RandomForestClassifier
from ensembles.tree import DecisionTreeClassifier, DecisionTreeRegressor

from ._tree_data import adult


@parametrize_with_checks([DecisionTreeClassifier(), DecisionTreeRegressor()])
def test_sklearn_compatible(estimator, check):
    check(estimator)


# --- the same trees as scikit-learn's exact trees ------------------------------------------


def _exact_data():
    """200 rows of float32-representable values: fewer distinct values per feature than
    bins, so our bins are exact and every split scikit-learn can make, we can make."""
    rng = np.random.RandomState(0)
    X = rng.rand(200, 4).astype(np.float32).astype(np.float64)
    y_reg = 3 * X[:, 0] + np.sin(6 * X[:, 1]) + rng.normal(0, 0.3, 200)
    y_cls = (X[:, 0] + X[:, 1] ** 2 + rng.normal(0, 0.3, 200) > 0.9).astype(int)
    y_cls += X[:, 2] > 0.7
    # Continuous weights make exact ties between different splits improbable (ties are
    # broken differently by the two implementations).
    weight = rng.uniform(0.5, 2.0, 200)
    return X, y_reg, y_cls, weight


@pytest.mark.parametrize("params", [
    {"max_depth": 4},
    {"max_depth": 5, "min_samples_leaf": 7},
    {"max_leaf_nodes": 12, "min_samples_split": 30},
    {"min_impurity_decrease": 0.01},
    {"min_weight_fraction_leaf": 0.05},
])
@pytest.mark.parametrize("weighted", [False, True])
def test_regressor_grows_scikit_learns_tree(params, weighted):
    X, y, _, weight = _exact_data()
    weight = weight if weighted else None
    ours = DecisionTreeRegressor(random_state=0, **params).fit(X, y, sample_weight=weight)
    theirs = sk_tree.DecisionTreeRegressor(random_state=0, **params).fit(
        X, y, sample_weight=weight)
    # Thresholds may sit elsewhere between the same two training values, so the training
    # rows (not new points) are what both trees must partition alike.
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-12)
    assert ours.get_n_leaves() == theirs.get_n_leaves()
    assert ours.get_depth() == theirs.get_depth()
    np.testing.assert_allclose(ours.feature_importances_, theirs.feature_importances_,
                               rtol=1e-9)


@pytest.mark.parametrize("params", [
    {"max_depth": 5},
    {"max_leaf_nodes": 10, "class_weight": "balanced"},
    {"class_weight": {0: 1.0, 1: 3.0, 2: 0.5}, "min_impurity_decrease": 0.005},
    {"min_samples_leaf": 5, "min_samples_split": 0.1},
    {"max_depth": 5, "criterion": "entropy"},
    {"max_leaf_nodes": 10, "criterion": "entropy", "class_weight": "balanced"},
    {"criterion": "log_loss", "min_samples_split": 20},
])
def test_classifier_grows_scikit_learns_tree(params):
    X, _, y, weight = _exact_data()
    ours = DecisionTreeClassifier(random_state=0, **params).fit(X, y, sample_weight=weight)
    theirs = sk_tree.DecisionTreeClassifier(random_state=0, **params).fit(
        X, y, sample_weight=weight)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-12)
    # scikit-learn sometimes splits a pure node whose rounded impurity is a hair above its
    # purity threshold; otherwise the partitions of the training rows are the same.
    our_leaves, their_leaves = ours.apply(X), theirs.apply(X)
    for leaf in np.unique(their_leaves):
        assert np.unique(our_leaves[their_leaves == leaf]).size == 1
    assert 0 <= theirs.get_n_leaves() - ours.get_n_leaves() <= 1


def test_multi_output_regressor_grows_scikit_learns_tree():
    X, y_reg, y_cls, weight = _exact_data()
    Y = np.column_stack([y_reg, 2.0 * y_cls])
    ours = DecisionTreeRegressor(max_depth=5).fit(X, Y, sample_weight=weight)
    theirs = sk_tree.DecisionTreeRegressor(max_depth=5).fit(X, Y, sample_weight=weight)
    assert ours.predict(X).shape == (200, 2)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-12)


def test_accuracy_on_adult_matches_scikit_learn():
    X, y = adult()
    scores = []
    for seed in range(3):
        X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=seed)
        scores.append([
            model(max_depth=8, random_state=seed).fit(X_train, y_train).score(X_test, y_test)
            for model in (DecisionTreeClassifier, sk_tree.DecisionTreeClassifier)
        ])
    ours, theirs = np.mean(scores, axis=0)
    assert ours > 0.8
    assert abs(ours - theirs) <= 0.005


# --- structure and parameters -------------------------------------------------------------


def test_tree_arrays_and_inspection():
    X, y = load_iris(return_X_y=True)
    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    tree = model.tree_
    internal = tree.left != -1
    assert model.get_depth() == tree.max_depth == 3
    assert model.get_n_leaves() == np.sum(~internal) == tree.n_leaves
    assert tree.node_count == len(tree.feature) == len(tree.threshold) == len(tree.value)
    np.testing.assert_array_equal(tree.children_left, tree.left)
    assert np.all(tree.feature[internal] >= 0) and np.all(tree.feature[~internal] == -2)
    assert np.all(tree.threshold[~internal] == -2.0)
    # Leaves hold class frequencies; the root holds the class frequencies of all of y.
    assert tree.value.shape == (tree.node_count, 1, 3)
    np.testing.assert_allclose(tree.value.sum(axis=2), 1.0)
    np.testing.assert_allclose(tree.value[0, 0], np.bincount(y) / len(y))
    np.testing.assert_allclose(tree.weighted_n_node_samples[0], len(y))
    leaves = model.apply(X)
    assert np.all(tree.left[leaves] == -1)
    np.testing.assert_allclose(model.predict_proba(X), tree.value[leaves, 0])
    importances = model.feature_importances_
    assert importances.sum() == pytest.approx(1.0)
    assert importances[2] + importances[3] > 0.9  # petal length and width


def test_limits_are_honoured():
    X, y = make_classification(500, n_features=6, random_state=0)
    assert DecisionTreeClassifier(max_depth=2).fit(X, y).get_depth() == 2
    assert DecisionTreeClassifier(max_leaf_nodes=7).fit(X, y).get_n_leaves() == 7
    model = DecisionTreeClassifier(min_samples_leaf=20, random_state=0).fit(X, y)
    counts = np.bincount(model.apply(X), minlength=model.tree_.node_count)
    assert counts[model.tree_.left == -1].min() >= 20
    model = DecisionTreeClassifier(min_weight_fraction_leaf=0.1).fit(X, y)
    assert model.tree_.cover[model.tree_.left == -1].min() >= 0.1 * len(y)


def test_max_features_and_random_state():
    rng = np.random.RandomState(0)
    X = rng.rand(300, 8)
    y = (X[:, 0] > 0.5).astype(int)
    # Examining every feature always finds the one informative feature at the root.
    assert DecisionTreeClassifier(max_depth=1).fit(X, y).tree_.feature[0] == 0
    roots = {DecisionTreeClassifier(max_depth=1, max_features=1, random_state=s)
             .fit(X, y).tree_.feature[0] for s in range(12)}
    assert len(roots) > 1
    model = DecisionTreeClassifier(max_features="sqrt", random_state=3).fit(X, y)
    assert model.max_features_ == 2
    again = DecisionTreeClassifier(max_features="sqrt", random_state=3).fit(X, y)
    np.testing.assert_array_equal(model.tree_.feature, again.tree_.feature)


def test_random_splitter_draws_other_thresholds():
    X, y = make_classification(400, n_features=5, random_state=1)
    thresholds = {
        DecisionTreeClassifier(splitter="random", max_depth=3, random_state=s)
        .fit(X, y).tree_.threshold[0] for s in range(5)
    }
    assert len(thresholds) > 1
    model = DecisionTreeClassifier(splitter="random", random_state=0).fit(X, y)
    assert model.score(X, y) == 1.0  # grown to pure leaves all the same


def test_missing_values_follow_the_learned_side():
    rng = np.random.RandomState(0)
    X = rng.rand(400, 2)
    y = (X[:, 0] > 0.7).astype(int)
    X[y == 1, 1] = np.nan  # missingness alone tells the classes apart
    X[:, 0] = rng.rand(400)  # and feature 0 no longer does
    model = DecisionTreeClassifier(max_depth=1).fit(X, y)
    assert model.tree_.feature[0] == 1
    assert model.score(X, y) == 1.0
    X_new = np.array([[0.5, np.nan], [0.5, 0.2]])
    np.testing.assert_array_equal(model.predict(X_new), [1, 0])
    # A feature without NaN in training still accepts NaN later (sent to one side).
    assert np.isin(model.predict(np.array([[np.nan, 0.3]])), [0, 1]).all()


def test_sample_weight_zero_is_no_row_and_class_weight_is_sample_weight():
    X, y = make_classification(300, n_features=5, n_classes=3, n_informative=3,
                               random_state=0)
    weight = np.random.RandomState(1).randint(0, 3, len(y)).astype(float)
    kept = weight > 0
    a = DecisionTreeClassifier(random_state=0).fit(X, y, sample_weight=weight)
    b = DecisionTreeClassifier(random_state=0).fit(X[kept], y[kept],
                                                   sample_weight=weight[kept])
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    class_weight = {0: 1.0, 1: 2.5, 2: 0.5}
    c = DecisionTreeClassifier(class_weight=class_weight, random_state=0).fit(X, y)
    d = DecisionTreeClassifier(random_state=0).fit(
        X, y, sample_weight=np.array([class_weight[k] for k in y]))
    np.testing.assert_array_equal(c.predict_proba(X), d.predict_proba(X))


def test_labels_of_any_type():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"], dtype=object)[y]
    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, names)
    np.testing.assert_array_equal(model.classes_, ["setosa", "versicolor", "virginica"])
    assert model.score(X, names) > 0.95
    assert model.predict(X[:1])[0] == "setosa"


def test_default_members_of_bagging_and_adaboost_are_ours():
    X, y = make_classification(200, n_features=5, random_state=0)
    for meta in (BaggingClassifier(n_estimators=3), AdaBoostClassifier(n_estimators=3)):
        assert isinstance(meta.fit(X, y).estimators_[0], DecisionTreeClassifier)
    for meta in (BaggingRegressor(n_estimators=3), AdaBoostRegressor(n_estimators=3)):
        assert isinstance(meta.fit(X, y).estimators_[0], DecisionTreeRegressor)
    stumps = AdaBoostClassifier(n_estimators=3).fit(X, y)
    assert all(member.get_depth() == 1 for member in stumps.estimators_)


# --- persistence -----------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [DecisionTreeClassifier, DecisionTreeRegressor])
def test_save_load_and_pickle_predict_identically(cls, tmp_path):
    X, y = make_classification(300, n_features=6, random_state=0)
    X[::7, 2] = np.nan
    model = cls(max_depth=6, random_state=0).fit(X, y)
    model.save_model(tmp_path / "tree.json")
    loaded = cls().load_model(tmp_path / "tree.json")
    assert loaded.get_params() == model.get_params()
    X_new = np.random.RandomState(1).normal(size=(200, 6))
    X_new[::5, 2] = np.nan
    np.testing.assert_array_equal(loaded.predict(X_new), model.predict(X_new))
    np.testing.assert_array_equal(loaded.apply(X_new), model.apply(X_new))
    unpickled = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(unpickled.predict(X_new), model.predict(X_new))
    with pytest.raises(ValueError, match="not of DecisionTree"):
        (DecisionTreeRegressor if cls is DecisionTreeClassifier
         else DecisionTreeClassifier)().load_model(tmp_path / "tree.json")


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize("cls, params, match", [
    (DecisionTreeClassifier, {"splitter": "worst"}, "splitter"),
    (DecisionTreeClassifier, {"criterion": "squared_error"}, "criterion.*gini"),
    (DecisionTreeRegressor, {"criterion": "median"}, "criterion.*absolute_error"),
    (DecisionTreeClassifier, {"class_weight": "balanced_subsample"}, "class_weight"),
    (DecisionTreeRegressor, {"max_features": 9}, "max_features"),
    (DecisionTreeRegressor, {"max_bin": 1}, "max_bin"),
    (DecisionTreeRegressor, {"min_samples_leaf": 0}, "min_samples_leaf"),
    (DecisionTreeRegressor, {"max_leaf_nodes": 1}, "max_leaf_nodes"),
])
def test_bad_parameters_are_named(cls, params, match):
    X, y = make_classification(50, n_features=4, random_state=0)
    with pytest.raises(ValueError, match=match):
        cls(**params).fit(X, y)


def test_bad_data_is_rejected():
    X, y = make_classification(50, n_features=4, random_state=0)
    # Newer scikit-learn rejects all-zero weights itself; older versions leave it to us.
    with pytest.raises(ValueError, match="[Ss]ample.weight"):
        DecisionTreeClassifier().fit(X, y, sample_weight=np.zeros(50))
    with pytest.raises(ValueError, match="[Nn]egative"):
        DecisionTreeClassifier().fit(X, y, sample_weight=-np.ones(50))
    X_inf = X.copy()
    X_inf[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        DecisionTreeClassifier().fit(X_inf, y)
    with pytest.raises(ValueError, match="Unknown label type"):
        DecisionTreeClassifier().fit(X, y + 0.5)
    model = DecisionTreeRegressor().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :3])


@pytest.mark.parametrize("cls", [DecisionTreeClassifier, DecisionTreeRegressor,
                                 RandomForestClassifier, ExtraTreesRegressor])
def test_a_sparse_target_is_refused_with_a_clear_error(cls):
    # scikit-learn refuses a sparse y too, with the same exception types (TypeError from a
    # tree, ValueError from a forest); it used to fail here deep inside with an
    # IndexError or "setting an array element with a sequence".
    from scipy import sparse

    X = np.eye(6)
    y = sparse.csr_matrix(np.eye(6, 2, dtype=int))
    forest = "n_estimators" in cls().get_params()
    error = ValueError if forest else TypeError
    with pytest.raises(error, match="y must be dense|pass y dense"):
        cls().fit(X, y)
    theirs = getattr(sklearn.ensemble if forest else sklearn.tree, cls.__name__)
    with pytest.raises(error):
        theirs().fit(X, y)
