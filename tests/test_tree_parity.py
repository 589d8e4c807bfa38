"""scikit-learn parity of trees and forests: extra-tree estimators, decision paths,
regression criteria, cost-complexity pruning and multi-output classification, each
compared with scikit-learn's estimator on the same data."""

import json

import numpy as np
import pytest
import sklearn.ensemble as sk_ensemble
import sklearn.tree as sk_tree
from sklearn.base import is_classifier
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.metrics import mean_poisson_deviance
from sklearn.utils.estimator_checks import parametrize_with_checks

from ensembles import (
    BaggingClassifier,
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    ExtraTreeClassifier,
    ExtraTreeRegressor,
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from ensembles.tree import export_text, plot_tree

from .test_tree_estimators import _exact_data


@parametrize_with_checks([ExtraTreeClassifier(), ExtraTreeRegressor()])
def test_sklearn_compatible(estimator, check):
    check(estimator)


# --- single extra trees -------------------------------------------------------------------


@pytest.mark.parametrize("ours, theirs", [
    (ExtraTreeClassifier, sk_tree.ExtraTreeClassifier),
    (ExtraTreeRegressor, sk_tree.ExtraTreeRegressor),
])
def test_extra_tree_defaults_are_scikit_learns(ours, theirs):
    our_params = ours().get_params()
    their_params = theirs().get_params()
    # max_bin and the categorical parameters are ours alone (scikit-learn's trees have no
    # categorical features).
    own = {"max_bin", "categorical_features", "max_cat_to_onehot", "min_data_per_category",
           "cat_smooth"}
    for name, value in our_params.items():
        if name not in own:
            assert their_params[name] == value, name
    assert set(their_params) - set(our_params) == set()


def test_extra_tree_classifier_accuracy_matches_scikit_learn():
    X, y = make_classification(2000, n_features=10, n_informative=6, random_state=0)
    X_test, y_test = X[1000:], y[1000:]
    ours = np.mean([ExtraTreeClassifier(random_state=s).fit(X[:1000], y[:1000])
                    .score(X_test, y_test) for s in range(10)])
    theirs = np.mean([sk_tree.ExtraTreeClassifier(random_state=s).fit(X[:1000], y[:1000])
                      .score(X_test, y_test) for s in range(10)])
    assert abs(ours - theirs) < 0.03


def test_extra_tree_in_bagging_and_as_extra_trees_members():
    X, y = make_classification(300, random_state=0)
    bag = BaggingClassifier(ExtraTreeClassifier(), n_estimators=5, random_state=0).fit(X, y)
    assert all(isinstance(m, ExtraTreeClassifier) for m in bag.estimators_)
    assert bag.score(X, y) > 0.9
    forest = ExtraTreesClassifier(n_estimators=3, random_state=0).fit(X, y)
    assert all(type(m) is ExtraTreeClassifier for m in forest.estimators_)
    forest = ExtraTreesRegressor(n_estimators=3, random_state=0).fit(X, y)
    assert all(type(m) is ExtraTreeRegressor for m in forest.estimators_)


# --- the NotFittedError bug ---------------------------------------------------------------


@pytest.mark.parametrize("model", [DecisionTreeClassifier(), DecisionTreeRegressor(),
                                   ExtraTreeClassifier(), RandomForestClassifier()])
@pytest.mark.parametrize("method", ["apply", "decision_path", "predict"])
def test_methods_before_fit_raise_not_fitted(model, method):
    X = np.zeros((3, 2))
    with pytest.raises(NotFittedError):
        getattr(model, method)(X)


# --- decision paths ----------------------------------------------------------------------


def test_tree_decision_path_matches_scikit_learns_paths():
    X, y_reg, _, weight = _exact_data()
    ours = DecisionTreeRegressor(max_depth=5).fit(X, y_reg, sample_weight=weight)
    theirs = sk_tree.DecisionTreeRegressor(max_depth=5).fit(X, y_reg, sample_weight=weight)
    ours_path, theirs_path = ours.decision_path(X), theirs.decision_path(X)
    assert ours_path.shape == theirs_path.shape == (200, ours.tree_.node_count)
    # Node numbers differ; the same tree gives every row a path of the same length through
    # nodes of the same training weight.
    np.testing.assert_array_equal(np.diff(ours_path.indptr), np.diff(theirs_path.indptr))
    for i in range(0, 200, 7):
        ours_cover = np.sort(ours.tree_.weighted_n_node_samples[ours_path[i].indices])
        theirs_cover = np.sort(theirs.tree_.weighted_n_node_samples[theirs_path[i].indices])
        np.testing.assert_allclose(ours_cover, theirs_cover, rtol=1e-12)


def _check_paths(indicator, tree, leaves):
    """Each row's path starts at the root, follows child links and ends at its leaf."""
    for i in range(indicator.shape[0]):
        nodes = indicator.indices[indicator.indptr[i]:indicator.indptr[i + 1]]
        assert nodes[0] == 0 and nodes[-1] == leaves[i]
        for parent, child in zip(nodes[:-1], nodes[1:], strict=True):
            assert child in (tree.children_left[parent], tree.children_right[parent])


@pytest.mark.parametrize("Forest, SkForest", [
    (RandomForestClassifier, sk_ensemble.RandomForestClassifier),
    (ExtraTreesRegressor, sk_ensemble.ExtraTreesRegressor),
])
def test_forest_decision_path_layout_matches_scikit_learn(Forest, SkForest):
    X, y = make_classification(200, n_features=5, random_state=0)
    X[::9, 1] = np.nan
    ours = Forest(n_estimators=4, max_depth=4, random_state=0).fit(X, y)
    theirs = SkForest(n_estimators=4, max_depth=4, random_state=0).fit(X, y)
    indicator, ptr = ours.decision_path(X)
    their_indicator, their_ptr = theirs.decision_path(X)
    assert type(indicator) is type(their_indicator)
    assert indicator.dtype == their_indicator.dtype
    assert ptr.shape == their_ptr.shape == (5,)
    np.testing.assert_array_equal(
        ptr, np.r_[0, np.cumsum([m.tree_.node_count for m in ours.estimators_])])
    assert indicator.shape == (200, ptr[-1])
    leaves = ours.apply(X)
    for t, member in enumerate(ours.estimators_):
        part = indicator[:, ptr[t]:ptr[t + 1]].tocsr()
        part.sort_indices()  # ids grow from the root down, so sorted is root first
        _check_paths(part, member.tree_, leaves[:, t])


# --- regression criteria ------------------------------------------------------------------


def _poisson_data():
    X, _, _, weight = _exact_data()
    y = np.random.RandomState(1).poisson(np.exp(2 * X[:, 0] + X[:, 1])).astype(float)
    return X, y, weight


# Limits that keep nodes from getting so small that two features make the same partition
# (scikit-learn then picks one by its random feature order).
@pytest.mark.parametrize("params", [
    {"max_depth": 5},
    {"min_samples_leaf": 5},
    {"max_leaf_nodes": 10},
    {"min_impurity_decrease": 0.01, "min_samples_leaf": 5},
])
def test_poisson_tree_grows_scikit_learns_tree(params):
    X, y, weight = _poisson_data()
    ours = DecisionTreeRegressor(criterion="poisson", **params).fit(X, y, sample_weight=weight)
    theirs = sk_tree.DecisionTreeRegressor(criterion="poisson", random_state=0, **params).fit(
        X, y, sample_weight=weight)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-12)
    assert ours.get_n_leaves() == theirs.get_n_leaves()
    # The split gains are the decreases of scikit-learn's (half) Poisson deviance.
    np.testing.assert_allclose(np.sort(ours.tree_.gain[ours.tree_.left != -1]),
                               np.sort(_sk_split_gains(theirs.tree_)), rtol=1e-9)


def _sk_split_gains(tree):
    internal = np.flatnonzero(tree.children_left != -1)
    w, imp = tree.weighted_n_node_samples, tree.impurity
    left, right = tree.children_left[internal], tree.children_right[internal]
    return w[internal] * imp[internal] - w[left] * imp[left] - w[right] * imp[right]


def test_poisson_tree_never_predicts_zero_where_scikit_learn_does_not():
    # A zero-count region: squared error isolates it (mean 0), Poisson refuses children
    # whose sum is 0, as scikit-learn does.
    X, y, _ = _poisson_data()
    y[X[:, 0] < 0.3] = 0.0
    ours = DecisionTreeRegressor(criterion="poisson", min_samples_leaf=3).fit(X, y)
    theirs = sk_tree.DecisionTreeRegressor(criterion="poisson", min_samples_leaf=3,
                                           random_state=0).fit(X, y)
    assert ours.predict(X).min() > 0
    assert ours.get_n_leaves() == theirs.get_n_leaves()
    # Integer counts make exact ties, which the two break differently: the same deviance.
    np.testing.assert_allclose(mean_poisson_deviance(y, ours.predict(X)),
                               mean_poisson_deviance(y, theirs.predict(X)), rtol=1e-9)
    assert DecisionTreeRegressor(min_samples_leaf=3).fit(X, y).predict(X).min() == 0.0


@pytest.mark.parametrize("Forest, SkForest", [
    (RandomForestRegressor, sk_ensemble.RandomForestRegressor),
    (ExtraTreesRegressor, sk_ensemble.ExtraTreesRegressor),
])
def test_poisson_forest_deviance_matches_scikit_learn(Forest, SkForest):
    rng = np.random.RandomState(0)
    X = rng.rand(3000, 5)
    y = rng.poisson(np.exp(1.5 * X[:, 0] - X[:, 1] + 0.5 * X[:, 2]))
    X_train, y_train, X_test, y_test = X[:2000], y[:2000], X[2000:], y[2000:]
    params = {"n_estimators": 30, "min_samples_leaf": 10, "random_state": 0}
    ours = Forest(criterion="poisson", **params).fit(X_train, y_train).predict(X_test)
    theirs = SkForest(criterion="poisson", **params).fit(X_train, y_train).predict(X_test)
    assert ours.min() > 0
    ours, theirs = (mean_poisson_deviance(y_test, p) for p in (ours, theirs))
    assert ours < 1.03 * theirs


@pytest.mark.parametrize("Model", [DecisionTreeRegressor, RandomForestRegressor])
def test_poisson_rejects_negative_or_zero_targets(Model):
    X = np.random.RandomState(0).rand(20, 2)
    with pytest.raises(ValueError, match="criterion='poisson'.*negative"):
        Model(criterion="poisson").fit(X, np.r_[-1.0, np.ones(19)])
    with pytest.raises(ValueError, match="criterion='poisson'.*positive sum"):
        Model(criterion="poisson").fit(X, np.zeros(20))


@pytest.mark.parametrize("params", [
    {"max_depth": 4},
    {"min_samples_leaf": 5},
    {"max_leaf_nodes": 12},
    {"min_impurity_decrease": 0.005, "min_samples_leaf": 3},
])
def test_absolute_error_tree_grows_scikit_learns_tree(params):
    # Continuous weights: with equal weights, adjacent thresholds often tie exactly (the
    # row that changes sides moves neither median), and the two break ties differently.
    X, y, _, weight = _exact_data()
    ours = DecisionTreeRegressor(criterion="absolute_error", **params).fit(
        X, y, sample_weight=weight)
    theirs = sk_tree.DecisionTreeRegressor(criterion="absolute_error", random_state=0,
                                           **params).fit(X, y, sample_weight=weight)
    # Leaves hold scikit-learn's weighted medians, and so do the internal nodes.
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-12)
    assert ours.get_n_leaves() == theirs.get_n_leaves()
    internal = ours.tree_.left != -1
    np.testing.assert_allclose(np.sort(ours.tree_.value[internal, 0, 0]),
                               np.sort(theirs.tree_.value[theirs.tree_.children_left != -1, 0, 0]),
                               rtol=1e-12)
    # The split gains are the decreases of the weighted absolute deviation.
    np.testing.assert_allclose(np.sort(ours.tree_.gain[ours.tree_.left != -1]),
                               np.sort(_sk_split_gains(theirs.tree_)), rtol=1e-9)


def test_absolute_error_of_several_outputs_is_scikit_learns():
    X, y, _, weight = _exact_data()
    Y = np.c_[y, np.abs(np.sin(5 * X[:, 2])) + X[:, 3]]
    params = {"criterion": "absolute_error", "max_depth": 4}
    ours = DecisionTreeRegressor(**params).fit(X, Y, sample_weight=weight)
    theirs = sk_tree.DecisionTreeRegressor(random_state=0, **params).fit(
        X, Y, sample_weight=weight)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-12)
    np.testing.assert_allclose(np.sort(ours.tree_.gain[ours.tree_.left != -1]),
                               np.sort(_sk_split_gains(theirs.tree_)), rtol=1e-9)


def _weighted_median(y, w):
    """scikit-learn's weighted median, by definition: the smallest value whose cumulative
    weight exceeds half, or its midpoint with the previous value at exactly half."""
    order = np.argsort(y, kind="stable")
    y, cum = y[order], np.cumsum(w[order])
    j = np.searchsorted(cum, cum[-1] / 2, side="right")
    return (y[j - 1] + y[j]) / 2 if j > 0 and cum[j - 1] == cum[-1] / 2 else y[j]


@pytest.mark.parametrize("Model", [DecisionTreeRegressor, ExtraTreeRegressor])
def test_absolute_error_leaves_are_weighted_medians_with_missing_values(Model):
    # scikit-learn refuses missing values with this criterion; ours routes them like any
    # other: every leaf still holds the weighted median of its training rows.
    rng = np.random.RandomState(3)
    X = rng.randint(0, 8, size=(400, 3)).astype(float)
    X[rng.rand(400) < 0.2, 0] = np.nan
    y = np.where(np.isnan(X[:, 0]), 5.0, X[:, 1]) + rng.standard_t(2, 400)
    weight = rng.randint(1, 4, 400).astype(float)  # integer weights: exact halves occur
    model = Model(criterion="absolute_error", min_samples_leaf=4, random_state=0).fit(
        X, y, sample_weight=weight)
    leaves = model.apply(X)
    assert len(np.unique(leaves)) > 10
    for leaf in np.unique(leaves):
        rows = leaves == leaf
        assert model.tree_.value[leaf, 0, 0] == _weighted_median(y[rows], weight[rows])


@pytest.mark.parametrize("Forest, SkForest", [
    (RandomForestRegressor, sk_ensemble.RandomForestRegressor),
    (ExtraTreesRegressor, sk_ensemble.ExtraTreesRegressor),
])
def test_absolute_error_forest_matches_scikit_learns_error(Forest, SkForest):
    rng = np.random.RandomState(0)
    X = rng.rand(3000, 5)
    y = 3 * X[:, 0] + np.sin(6 * X[:, 1]) + rng.standard_t(1.5, 3000)  # heavy tails
    X_train, y_train, X_test, y_test = X[:2000], y[:2000], X[2000:], y[2000:]
    params = {"n_estimators": 20, "min_samples_leaf": 5, "random_state": 0}
    ours, theirs, squared = (
        np.mean(np.abs(y_test - model.fit(X_train, y_train).predict(X_test))) for model in (
            Forest(criterion="absolute_error", **params),
            SkForest(criterion="absolute_error", **params),
            Forest(**params)))
    assert ours < 1.02 * theirs
    assert ours < squared  # medians resist the heavy tails that means follow


@pytest.mark.parametrize("Model", [DecisionTreeRegressor, ExtraTreesRegressor])
def test_friedman_mse_is_the_squared_error_as_in_scikit_learn(Model):
    X, y, _ = _poisson_data()
    params = {"random_state": 0, "max_depth": 5}
    ours = Model(criterion="friedman_mse", **params).fit(X, y)
    np.testing.assert_array_equal(ours.predict(X),
                                  Model(criterion="squared_error", **params).fit(X, y)
                                  .predict(X))
    with pytest.warns(FutureWarning):  # scikit-learn 1.9 maps it to the squared error
        theirs = sk_tree.DecisionTreeRegressor(criterion="friedman_mse").fit(X, y)
    assert theirs.criterion == "squared_error"


# --- extra trees draw thresholds in value space -------------------------------------------


def test_extra_tree_thresholds_are_uniform_in_value_space():
    # A skewed feature: uniform in value space, the root's threshold falls below the
    # midpoint of the range half of the time; uniform in quantiles, far more often. The
    # top bin holds the sparse tail (from about 0.6 of the range): no cut falls inside it.
    rng = np.random.RandomState(0)
    X = rng.exponential(size=(5000, 1))
    y = X[:, 0] + rng.normal(size=5000)
    thresholds = np.array([ExtraTreeRegressor(max_depth=1, random_state=seed).fit(X, y)
                           .tree_.threshold[0] for seed in range(400)])
    u = (thresholds - X.min()) / (X.max() - X.min())
    theirs = np.array([sk_tree.ExtraTreeRegressor(max_depth=1, random_state=seed).fit(X, y)
                       .tree_.threshold[0] for seed in range(400)])
    u_theirs = (theirs - X.min()) / (X.max() - X.min())
    for q in (0.1, 0.25, 0.4, 0.5):
        assert abs(np.mean(u <= q) - q) < 0.05
        assert abs(np.mean(u <= q) - np.mean(u_theirs <= q)) < 0.05


def test_extra_trees_score_on_a_smooth_target_matches_scikit_learn():
    # The benchmark, smaller: quantile draws scored 1% below scikit-learn here.
    from sklearn.datasets import make_regression
    from sklearn.model_selection import train_test_split

    X, y = make_regression(8000, 20, n_informative=10, noise=10, random_state=0)
    scores = []
    for seed in range(2):
        X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=seed)
        scores.append([
            cls(n_estimators=30, random_state=seed, n_jobs=1).fit(X_train, y_train)
            .score(X_test, y_test)
            for cls in (ExtraTreesRegressor, sk_ensemble.ExtraTreesRegressor)])
    ours, theirs = np.mean(scores, axis=0)
    assert ours > theirs - 0.002 * abs(theirs), scores


def test_zero_weight_rows_do_not_move_extra_tree_thresholds():
    rng = np.random.RandomState(0)
    X = rng.rand(300, 3)
    y = X[:, 0] + 0.1 * rng.rand(300)
    X_extra = np.vstack([X, [[50.0, -50.0, 9.0]]])  # far outside the range, weight 0
    weight = np.r_[np.ones(300), 0.0]
    a = ExtraTreeRegressor(random_state=0).fit(X, y)
    b = ExtraTreeRegressor(random_state=0).fit(X_extra, np.r_[y, 0.0], sample_weight=weight)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


# --- multi-output classification ----------------------------------------------------------


def _multi_output_targets(X, y_cls):
    return np.column_stack([y_cls, (X[:, 3] > 0.5).astype(int),
                            np.where(X[:, 2] > 0.3, "a", "b")])


@pytest.mark.parametrize("criterion", ["gini", "entropy"])
def test_multi_output_classifier_grows_scikit_learns_tree(criterion):
    X, _, y_cls, weight = _exact_data()
    Y = _multi_output_targets(X, y_cls)
    ours = DecisionTreeClassifier(criterion=criterion, max_depth=4).fit(
        X, Y, sample_weight=weight)
    theirs = sk_tree.DecisionTreeClassifier(criterion=criterion, max_depth=4,
                                            random_state=0).fit(X, Y, sample_weight=weight)
    assert ours.n_outputs_ == theirs.n_outputs_ == 3
    np.testing.assert_array_equal(ours.n_classes_, theirs.n_classes_)
    for a, b in zip(ours.classes_, theirs.classes_, strict=True):
        np.testing.assert_array_equal(a, b)
    ours_proba, theirs_proba = ours.predict_proba(X), theirs.predict_proba(X)
    assert isinstance(ours_proba, list) and len(ours_proba) == 3
    for a, b in zip(ours_proba, theirs_proba, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-12)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.predict(X).dtype == theirs.predict(X).dtype
    assert ours.get_n_leaves() == theirs.get_n_leaves()
    np.testing.assert_allclose(ours.feature_importances_, theirs.feature_importances_,
                               atol=1e-12)
    log_proba = ours.predict_log_proba(X)
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(log_proba[1], np.log(ours_proba[1]))


@pytest.mark.parametrize("Forest, SkForest", [
    (RandomForestClassifier, sk_ensemble.RandomForestClassifier),
    (ExtraTreesClassifier, sk_ensemble.ExtraTreesClassifier),
])
def test_multilabel_forest_matches_scikit_learn(Forest, SkForest):
    from sklearn.datasets import make_multilabel_classification

    X, Y = make_multilabel_classification(1200, 10, n_classes=3, random_state=0)
    X_train, Y_train, X_test, Y_test = X[:800], Y[:800], X[800:], Y[800:]
    params = {"n_estimators": 60, "bootstrap": True, "oob_score": True, "random_state": 0}
    ours = Forest(**params).fit(X_train, Y_train)
    theirs = SkForest(**params).fit(X_train, Y_train)
    assert ours.predict(X_test).shape == theirs.predict(X_test).shape == Y_test.shape
    assert [p.shape for p in ours.predict_proba(X_test)] == [
        p.shape for p in theirs.predict_proba(X_test)]
    assert ours.oob_decision_function_.shape == theirs.oob_decision_function_.shape
    ours_acc = np.mean(ours.predict(X_test) == Y_test)
    theirs_acc = np.mean(theirs.predict(X_test) == Y_test)
    assert abs(ours_acc - theirs_acc) < 0.02
    assert abs(ours.oob_score_ - theirs.oob_score_) < 0.05  # subset accuracy, 800 rows


def test_multi_output_forest_oob_needs_binary_outputs_as_in_scikit_learn():
    X, _, y_cls, _ = _exact_data()
    Y = _multi_output_targets(X, y_cls)
    with pytest.raises(ValueError, match="oob_score"):
        RandomForestClassifier(n_estimators=3, oob_score=True).fit(X, Y)
    with pytest.raises(ValueError):
        sk_ensemble.RandomForestClassifier(n_estimators=3, oob_score=True).fit(X, Y)


def test_multi_output_classifier_model_file_round_trip(tmp_path):
    X, _, y_cls, weight = _exact_data()
    Y = _multi_output_targets(X, y_cls)
    model = ExtraTreesClassifier(n_estimators=5, class_weight="balanced",
                                 random_state=0).fit(X, Y, sample_weight=weight)
    model.save_model(tmp_path / "m.json")
    loaded = ExtraTreesClassifier().load_model(tmp_path / "m.json")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    for a, b in zip(loaded.classes_, model.classes_, strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype


def _layout_case(kind):
    X, y_reg, y_cls, weight = _exact_data()
    y = {"classes": y_cls, "outputs of classes": _multi_output_targets(X, y_cls),
         "regression": y_reg, "outputs": np.c_[y_reg, 2 * X[:, 3]]}[kind]
    if "classes" in kind:
        return X, y, weight, DecisionTreeClassifier, sk_tree.DecisionTreeClassifier
    return X, y, weight, DecisionTreeRegressor, sk_tree.DecisionTreeRegressor


@pytest.mark.parametrize("kind", ["classes", "outputs of classes", "regression", "outputs"])
def test_tree_arrays_have_scikit_learns_layout(kind):
    X, y, weight, Ours, Theirs = _layout_case(kind)
    # Depth 3: deeper, scikit-learn splits a pure node whose rounded impurity is a hair
    # above its threshold (see test_classifier_grows_scikit_learns_tree).
    ours = Ours(max_depth=3).fit(X, y, sample_weight=weight).tree_
    theirs = Theirs(max_depth=3, random_state=0).fit(X, y, sample_weight=weight).tree_
    assert ours.n_outputs == theirs.n_outputs
    np.testing.assert_array_equal(ours.n_classes, theirs.n_classes)
    assert ours.n_classes.dtype == theirs.n_classes.dtype
    assert ours.max_n_classes == theirs.max_n_classes
    assert ours.value.shape == theirs.value.shape
    # Leaves: scikit-learn's undefined feature and threshold (TREE_UNDEFINED, -2).
    for tree in (ours, theirs):
        leaf = tree.children_left == -1
        assert np.all(tree.feature[leaf] == -2)
        assert np.all(tree.threshold[leaf] == -2.0)
        assert np.all(tree.feature[~leaf] >= 0)
    # The same tree (numbered otherwise): the same node values, zeros padding an output
    # of fewer classes.
    def rows(tree):
        table = np.c_[tree.weighted_n_node_samples, tree.value.reshape(tree.node_count, -1)]
        return table[np.lexsort(table.T[::-1])]
    np.testing.assert_allclose(rows(ours), rows(theirs), rtol=1e-12, atol=1e-14)
    # Its methods: leaf values per row, importances (raw: over the root's weight).
    assert ours.n_features == theirs.n_features == X.shape[1]
    assert ours.capacity >= ours.node_count
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X.astype(np.float32)),
                               rtol=1e-12, atol=1e-14)
    for normalize in (True, False):
        np.testing.assert_allclose(ours.compute_feature_importances(normalize=normalize),
                                   theirs.compute_feature_importances(normalize=normalize),
                                   rtol=1e-9, atol=1e-14)


def test_forest_members_and_loaded_trees_have_scikit_learns_layout(tmp_path):
    X, y, _, _, _ = _layout_case("outputs of classes")
    model = RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(X, y)
    model.save_model(tmp_path / "m.json")
    # The file keeps its format: -1 and 0 at leaves, one value vector per node.
    doc = json.loads((tmp_path / "m.json").read_text())
    tree = model.estimators_[0].tree_
    leaf = tree.children_left == -1
    assert np.all(np.array(doc["trees"][0]["feature"])[leaf] == -1)
    assert np.all(np.array(doc["trees"][0]["threshold"])[leaf] == 0)
    assert np.array(doc["trees"][0]["value"]).shape == (tree.node_count, 3 + 2 + 2)
    loaded = RandomForestClassifier().load_model(tmp_path / "m.json")
    for ours, again in zip(model.estimators_, loaded.estimators_, strict=True):
        assert ours.tree_.value.shape == (ours.tree_.node_count, 3, 3)
        np.testing.assert_array_equal(ours.tree_.n_classes, [3, 2, 2])
        assert again.tree_.n_features == ours.tree_.n_features == X.shape[1]
        for name in ("feature", "threshold", "value", "n_classes"):
            np.testing.assert_array_equal(getattr(again.tree_, name),
                                          getattr(ours.tree_, name))
    # Read in scikit-learn's form, a loaded model still saves the file's.
    loaded.save_model(tmp_path / "again.json")
    again_doc = json.loads((tmp_path / "again.json").read_text())
    assert again_doc["trees"] == doc["trees"]
    # A tree pruned after growth keeps them too.
    pruned = DecisionTreeRegressor(ccp_alpha=0.01).fit(X, np.c_[X[:, 0], X[:, 1]]).tree_
    assert pruned.value.shape == (pruned.node_count, 2, 1)
    assert np.all(pruned.feature[pruned.children_left == -1] == -2)


def test_scikit_learns_export_graphviz_draws_our_tree_as_theirs():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    # Without petal length, whose root split ties with petal width's (either library
    # breaks the tie by its own random feature order): one tree, whatever the seeds.
    X = X[:, [0, 1, 3]]
    options = {"filled": True, "class_names": True, "node_ids": True}
    theirs = sk_tree.export_graphviz(
        sk_tree.DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y), **options)
    for seed in range(3):
        ours = DecisionTreeClassifier(max_depth=2, random_state=seed).fit(X, y)
        assert sk_tree.export_graphviz(ours, **options) == theirs


@pytest.mark.parametrize("options", [
    {},
    {"show_weights": True, "max_depth": 3},
    {"max_depth": 0, "spacing": 1, "decimals": 4},
    {"max_depth": 1, "spacing": 5, "decimals": 0, "feature_names": list("wxyz")},
])
def test_export_text_writes_scikit_learns_text(options):
    X, y_reg, y_cls, weight = _exact_data()
    # On scikit-learn's own deep trees, every line of its text: splits, leaves, weights,
    # truncated branches, one and two outputs.
    fitted = [sk_tree.DecisionTreeClassifier(random_state=0).fit(X, y_cls, sample_weight=weight),
              sk_tree.DecisionTreeRegressor(random_state=0).fit(X, y_reg),
              sk_tree.DecisionTreeRegressor(max_depth=6, random_state=0).fit(
                  X, np.c_[y_reg, 2 * y_reg])]
    for model in fitted:
        kwargs = options if is_classifier(model) else {
            k: v for k, v in options.items() if k != "show_weights"}
        assert export_text(model, **kwargs) == sk_tree.export_text(model, **kwargs)
    # On trees both libraries grow alike (the same splits and thresholds), the same text
    # for ours as scikit-learn writes for theirs.
    for Ours, Theirs, target in [
            (DecisionTreeClassifier, sk_tree.DecisionTreeClassifier, y_cls),
            (DecisionTreeRegressor, sk_tree.DecisionTreeRegressor, y_reg)]:
        kwargs = {"class_names": ["a", "b", "c"], **options} if Ours is \
            DecisionTreeClassifier else {k: v for k, v in options.items()
                                         if k != "show_weights"}
        ours = Ours(max_depth=2, random_state=0).fit(X, target, sample_weight=weight)
        theirs = Theirs(max_depth=2, random_state=0).fit(X, target, sample_weight=weight)
        assert export_text(ours, **kwargs) == sk_tree.export_text(theirs, **kwargs)


def test_export_text_names_categories_and_each_outputs_class():
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    code = rng.randint(0, 6, 300)
    X = pd.DataFrame({"color": pd.Categorical(np.array(list("uvwxyz"))[code]),
                      "size": rng.rand(300)})
    y = np.isin(code, [1, 3, 4]).astype(int)
    tree = DecisionTreeClassifier(max_depth=1, random_state=0).fit(X, y)
    assert export_text(tree, feature_names=X.columns) == (
        "|--- color in {v, x, y}\n|   |--- class: 1\n"
        "|--- color not in {v, x, y}\n|   |--- class: 0\n")
    Y = np.c_[y, np.where(X["size"] > 0.5, "big", "small")]
    tree = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, Y)
    leaves = [line.split("class: ")[1] for line in export_text(tree).splitlines()
              if "class: " in line]
    predicted = {f"[{a}, {b}]" for a, b in tree.predict(X)}
    assert set(leaves) == predicted and len(leaves) == 4
    weights = [line for line in export_text(tree, show_weights=True).splitlines()
               if "weights: " in line]
    assert len(weights) == 4
    assert all(line.count("[") == 4 for line in weights)  # a list per output, the classes


@pytest.mark.parametrize(("options", "error", "message"), [
    ({"max_depth": -1}, ValueError, "max_depth must be >= 0"),
    ({"spacing": 0}, ValueError, "spacing must be >= 1"),
    ({"decimals": 1.5}, TypeError, "decimals must be an integer"),
    ({"show_weights": "yes"}, TypeError, "show_weights must be a bool"),
    ({"feature_names": ["a"]}, ValueError, "feature_names must contain 4 elements"),
    ({"class_names": ["a"]}, ValueError, "class_names must hold one name per class"),
])
def test_export_text_rejects_bad_options(options, error, message):
    X, _, y_cls, _ = _exact_data()
    tree = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y_cls)
    with pytest.raises(error, match=message):
        export_text(tree, **options)


def test_export_text_needs_one_fitted_tree():
    X, _, y_cls, _ = _exact_data()
    with pytest.raises(NotFittedError):
        export_text(DecisionTreeClassifier())
    forest = RandomForestClassifier(n_estimators=2, random_state=0).fit(X, y_cls)
    with pytest.raises(TypeError, match="one of its estimators_"):
        export_text(forest)
    assert export_text(forest.estimators_[1]).startswith("|--- feature_")


@pytest.mark.parametrize("options", [
    {},
    {"filled": True, "proportion": True, "class_names": True},
    {"feature_names": ["a", "b", "c", "d"], "label": "root", "impurity": False,
     "max_depth": 1, "precision": 5},
])
def test_plot_tree_draws_scikit_learns_boxes(options):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Few values per feature, all of them in every node drawn: both libraries' thresholds
    # are then the same midpoints (scikit-learn's lie between the node's own values).
    rng = np.random.RandomState(0)
    X = rng.randint(0, 5, (400, 4)).astype(float)
    y_reg = 2 * X[:, 0] + X[:, 1] ** 2 + rng.normal(0, 1, 400)
    y_cls = (X[:, 0] + X[:, 2] + rng.normal(0, 1, 400) > 4).astype(int) + (X[:, 3] > 2)
    weight = rng.uniform(0.5, 2.0, 400)  # no ties between different splits
    for Ours, Theirs, target in [
            (DecisionTreeClassifier, sk_tree.DecisionTreeClassifier, y_cls),
            (DecisionTreeRegressor, sk_tree.DecisionTreeRegressor, y_reg)]:
        kwargs = options if Ours is DecisionTreeClassifier else {
            k: v for k, v in options.items() if k != "class_names"}
        texts = []
        for model, draw in [(Ours, plot_tree), (Theirs, sk_tree.plot_tree)]:
            fitted = model(max_depth=2, random_state=0).fit(X, target, sample_weight=weight)
            _, ax = plt.subplots()
            texts.append([box.get_text() for box in draw(fitted, ax=ax, **kwargs)])
            plt.close("all")
        assert texts[0] == texts[1] and len(texts[0]) >= 3


def test_plot_tree_refuses_what_it_cannot_draw():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    pd = pytest.importorskip("pandas")
    import matplotlib.pyplot as plt

    X, _, y_cls, _ = _exact_data()
    with pytest.raises(NotFittedError):
        plot_tree(DecisionTreeClassifier())
    forest = RandomForestClassifier(n_estimators=2, max_depth=2, random_state=0).fit(X, y_cls)
    with pytest.raises(TypeError, match="one of its estimators_"):
        plot_tree(forest)
    boxes = [box.get_text() for box in plot_tree(forest.estimators_[0])]
    assert sum("samples = " in text for text in boxes) == forest.estimators_[0].tree_.node_count
    frame = pd.DataFrame({"color": pd.Categorical(np.array(list("uvw"))[y_cls]),
                          "size": X[:, 0]})
    categorical = DecisionTreeClassifier(max_depth=2, random_state=0).fit(frame, y_cls)
    with pytest.raises(ValueError, match="ensembles.plotting.plot_tree"):
        plot_tree(categorical)
    plt.close("all")


def test_column_vector_target_is_one_output():
    X, _, y_cls, _ = _exact_data()
    a = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y_cls[:, None])
    b = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y_cls)
    assert a.n_outputs_ == 1
    np.testing.assert_array_equal(a.classes_, b.classes_)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


# --- node rows and impurities -------------------------------------------------------------


def _node_table(tree):
    """Each node's (weight, rows, impurity), in an order independent of node numbering."""
    table = np.c_[tree.weighted_n_node_samples, tree.n_node_samples, tree.impurity]
    return table[np.lexsort(table.T[::-1])]


# Each criterion with our tree, scikit-learn's, and its target (counts for Poisson).
_CRITERIA = [
    (DecisionTreeClassifier, sk_tree.DecisionTreeClassifier, "cls", "gini"),
    (DecisionTreeClassifier, sk_tree.DecisionTreeClassifier, "cls", "entropy"),
    (DecisionTreeRegressor, sk_tree.DecisionTreeRegressor, "reg", "squared_error"),
    (DecisionTreeRegressor, sk_tree.DecisionTreeRegressor, "count", "poisson"),
    (DecisionTreeRegressor, sk_tree.DecisionTreeRegressor, "reg", "absolute_error"),
]


def _criterion_data(target):
    """``_exact_data``'s features, the target of kind ``target`` and the weights."""
    X, y_reg, y_cls, weight = _exact_data()
    return X, {"cls": y_cls, "reg": y_reg, "count": np.round(np.abs(2 * y_reg))}[target], weight


@pytest.mark.parametrize("Ours, Theirs, target, criterion", _CRITERIA + [
    (DecisionTreeRegressor, sk_tree.DecisionTreeRegressor, "reg", "friedman_mse"),
])
def test_node_rows_and_impurities_are_scikit_learns(Ours, Theirs, target, criterion):
    X, y, weight = _criterion_data(target)
    if target == "cls":
        # Integer weights: with fractional ones scikit-learn's class frequencies of a pure
        # node can round to an impurity above its epsilon, and it splits the node.
        weight = np.ceil(2 * weight)
    params = {"criterion": criterion, "min_samples_leaf": 5}
    ours = Ours(**params).fit(X, y, sample_weight=weight).tree_
    theirs = Theirs(random_state=0, **params).fit(X, y, sample_weight=weight).tree_
    assert ours.n_node_samples.dtype == np.int64
    ours_table, their_table = _node_table(ours), _node_table(theirs)
    np.testing.assert_allclose(ours_table[:, :2], their_table[:, :2], rtol=1e-12)
    np.testing.assert_allclose(ours_table[:, 2], their_table[:, 2], rtol=1e-9, atol=1e-12)
    # Saved and loaded, and pruned: the same nodes' rows and impurities.
    model = Ours(**params).fit(X, y, sample_weight=weight)
    loaded = Ours().load_model(model.save_model()).tree_
    np.testing.assert_array_equal(loaded.n_node_samples, ours.n_node_samples)
    np.testing.assert_allclose(loaded.impurity, ours.impurity, rtol=1e-15)
    alphas = model.cost_complexity_pruning_path(X, y, sample_weight=weight).ccp_alphas
    alpha = alphas[len(alphas) // 2] * (1 + 1e-9)
    pruned = Ours(ccp_alpha=alpha, **params).fit(X, y, sample_weight=weight).tree_
    their_pruned = Theirs(ccp_alpha=alpha, random_state=0, **params).fit(
        X, y, sample_weight=weight).tree_
    assert pruned.node_count < ours.node_count
    np.testing.assert_allclose(_node_table(pruned), _node_table(their_pruned), rtol=1e-9,
                               atol=1e-12)


@pytest.mark.parametrize("Forest, SkForest", [
    (RandomForestClassifier, sk_ensemble.RandomForestClassifier),
    (ExtraTreesRegressor, sk_ensemble.ExtraTreesRegressor),
])
def test_forest_members_count_their_distinct_rows(Forest, SkForest):
    # scikit-learn's forests count a member's distinct in-bag rows (a bootstrap repeats a
    # row by its weight), and its leaves' impurities are 0 when grown out.
    X, y = make_classification(300, n_features=5, random_state=0)
    for params in ({"bootstrap": True}, {"bootstrap": False}):
        ours = Forest(n_estimators=3, random_state=0, **params).fit(X, y)
        theirs = SkForest(n_estimators=3, random_state=0, **params).fit(X, y)
        for k, member in enumerate(ours.estimators_):
            tree, their_tree = member.tree_, theirs.estimators_[k].tree_
            assert tree.n_node_samples[0] == len(np.unique(ours.estimators_samples_[k]))
            assert their_tree.n_node_samples[0] == len(np.unique(theirs.estimators_samples_[k]))
            internal = tree.children_left != -1
            np.testing.assert_array_equal(
                tree.n_node_samples[internal],
                tree.n_node_samples[tree.children_left[internal]]
                + tree.n_node_samples[tree.children_right[internal]])
            assert np.all(tree.impurity[~internal] == 0.0)
            assert np.all(tree.impurity[internal] > 0.0)


def test_trees_from_files_before_node_statistics_still_load():
    X, y_reg, _, _ = _exact_data()
    model = DecisionTreeRegressor(max_depth=3).fit(X, y_reg)
    doc = json.loads(model.save_model())
    assert doc["version"] == 3
    doc["version"] = 2
    for tree in doc["trees"]:
        del tree["n_node_samples"], tree["impurity"]
    loaded = DecisionTreeRegressor().load_model(json.dumps(doc).encode())
    assert loaded.tree_.n_node_samples is None and loaded.tree_.impurity is None
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    # Saved again, as version 3 without them; a version-2 file with them is refused.
    again = json.loads(loaded.save_model())
    assert again["version"] == 3 and "impurity" not in again["trees"][0]
    assert DecisionTreeRegressor().load_model(loaded.save_model()).tree_.impurity is None
    doc = json.loads(model.save_model())
    doc["version"] = 2
    with pytest.raises(ValueError, match="must have exactly the fields"):
        DecisionTreeRegressor().load_model(json.dumps(doc).encode())
    doc = json.loads(model.save_model())
    doc["trees"][0]["n_node_samples"][0] = -1
    with pytest.raises(ValueError, match="n_node_samples"):
        DecisionTreeRegressor().load_model(json.dumps(doc).encode())


@pytest.mark.parametrize("Classifier, Regressor", [
    (DecisionTreeClassifier, DecisionTreeRegressor),
    (ExtraTreeClassifier, ExtraTreeRegressor),
])
def test_gini_and_squared_error_of_two_classes_grow_the_same_tree(Classifier, Regressor):
    # As scikit-learn's trees do: the Gini gain of two classes is twice the squared-error
    # gain of their 0/1 indicator, so the same seed grows the same tree (the searches
    # must also stop drawing features at the same nodes).
    X, y = make_classification(2000, n_features=10, n_informative=3, n_redundant=0,
                               shuffle=False, random_state=0)
    for params in ({"max_depth": 5}, {"min_samples_leaf": 3, "max_features": 3}):
        params["max_features"] = params.get("max_features")  # the defaults differ
        clf = Classifier(criterion="gini", random_state=0, **params).fit(X, y).tree_
        reg = Regressor(criterion="squared_error", random_state=0, **params).fit(X, y).tree_
        for name in ("feature", "children_left", "n_node_samples", "weighted_n_node_samples"):
            np.testing.assert_array_equal(getattr(clf, name), getattr(reg, name))
        np.testing.assert_allclose(clf.gain, 2 * reg.gain, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("Classifier", [DecisionTreeClassifier, ExtraTreeClassifier,
                                        RandomForestClassifier, ExtraTreesClassifier])
@pytest.mark.parametrize("criterion", ["gini", "entropy"])
@pytest.mark.parametrize("sparse", [False, True])
def test_copies_of_one_target_grow_the_target_s_tree(Classifier, criterion, sparse):
    # As scikit-learn's trees do (its test_class_weights relies on it): each copy adds the
    # same gain, so the same seed draws the same features and thresholds node by node
    # (the searches must also stop drawing at the same nodes).
    from scipy.sparse import csr_matrix
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    X = csr_matrix(X) if sparse else X
    params = {"criterion": criterion, "random_state": 0}
    if Classifier in (RandomForestClassifier, ExtraTreesClassifier):
        params["n_estimators"] = 5
    one = Classifier(**params).fit(X, y)
    three = Classifier(**params).fit(X, np.c_[y, y, y])
    np.testing.assert_array_equal(one.apply(X), three.apply(X))
    np.testing.assert_allclose(one.feature_importances_, three.feature_importances_,
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(three.predict(X), np.tile(one.predict(X)[:, None], 3))


# --- cost-complexity pruning --------------------------------------------------------------


def _without_zero_steps(path):
    """scikit-learn also splits nodes of (rounding-)zero gain, which we leave as leaves;
    pruning those is a step of alpha ~1e-17 that does not change the impurity."""
    keep = np.r_[True, path.ccp_alphas[1:] > 1e-12]
    return path.ccp_alphas[keep], path.impurities[keep]


@pytest.mark.parametrize("Ours, Theirs, target, criterion", _CRITERIA)
def test_cost_complexity_pruning_path_is_scikit_learns(Ours, Theirs, target, criterion):
    X, y, weight = _criterion_data(target)
    params = {"criterion": criterion, "min_samples_leaf": 5}
    ours = Ours(**params).cost_complexity_pruning_path(X, y, sample_weight=weight)
    theirs = Theirs(random_state=0, **params).cost_complexity_pruning_path(
        X, y, sample_weight=weight)
    their_alphas, their_impurities = _without_zero_steps(theirs)
    assert ours.ccp_alphas[0] == 0.0 and np.all(np.diff(ours.ccp_alphas) >= 0)
    np.testing.assert_allclose(ours.ccp_alphas, their_alphas, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(ours.impurities, their_impurities, rtol=1e-9)
    # Pruned at each step's alpha, the trees are scikit-learn's.
    for alpha in their_alphas[1::3]:
        pruned = Ours(ccp_alpha=alpha * (1 + 1e-9), **params).fit(X, y, sample_weight=weight)
        their_pruned = Theirs(ccp_alpha=alpha * (1 + 1e-9), random_state=0, **params).fit(
            X, y, sample_weight=weight)
        assert pruned.get_n_leaves() == their_pruned.get_n_leaves()
        if Ours is DecisionTreeClassifier:
            np.testing.assert_allclose(pruned.predict_proba(X), their_pruned.predict_proba(X),
                                       atol=1e-12)
        else:
            np.testing.assert_allclose(pruned.predict(X), their_pruned.predict(X), rtol=1e-12)


def test_pruned_tree_is_a_consistent_tree():
    X, y = make_classification(500, n_features=6, random_state=0)
    full = DecisionTreeClassifier(random_state=0).fit(X, y)
    pruned = DecisionTreeClassifier(random_state=0, ccp_alpha=0.01).fit(X, y)
    tree = pruned.tree_
    assert 1 < pruned.get_n_leaves() < full.get_n_leaves()
    leaves = pruned.apply(X)
    assert np.all(tree.children_left[leaves] == -1)
    np.testing.assert_allclose(pruned.predict_proba(X), tree.value[leaves, 0])
    np.testing.assert_allclose(tree.weighted_n_node_samples[tree.children_left == -1].sum(),
                               len(y))
    assert pruned.feature_importances_.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("Forest, SkForest", [
    (RandomForestRegressor, sk_ensemble.RandomForestRegressor),
    (ExtraTreesClassifier, sk_ensemble.ExtraTreesClassifier),
])
def test_forest_ccp_alpha_prunes_like_scikit_learn(Forest, SkForest):
    X, y = make_classification(600, n_features=8, random_state=0)
    params = {"n_estimators": 20, "ccp_alpha": 0.005, "random_state": 0}
    ours = Forest(**params).fit(X, y)
    theirs = SkForest(**params).fit(X, y)
    ours_leaves = np.mean([m.get_n_leaves() for m in ours.estimators_])
    theirs_leaves = np.mean([m.get_n_leaves() for m in theirs.estimators_])
    full_leaves = np.mean([m.get_n_leaves() for m in
                           Forest(n_estimators=20, random_state=0).fit(X, y).estimators_])
    assert ours_leaves < full_leaves / 3
    assert abs(ours_leaves - theirs_leaves) < 0.25 * theirs_leaves
    assert all(m.ccp_alpha == 0.005 for m in ours.estimators_)


def test_negative_ccp_alpha_is_rejected():
    X, y = make_classification(50, random_state=0)
    with pytest.raises(ValueError, match="ccp_alpha"):
        DecisionTreeClassifier(ccp_alpha=-0.1).fit(X, y)


@pytest.mark.parametrize("splitter", ["best", "random"])
@pytest.mark.parametrize("sparse_input", [False, True])
def test_a_node_stops_at_max_features_once_a_non_constant_feature_is_examined(
        splitter, sparse_input):
    """scikit-learn's rule: beyond ``max_features``, more features are examined only while
    all those examined were constant in the node. A non-constant feature that allows no
    valid split (here one odd row under ``min_samples_leaf=2``) still ends the search, so
    the node is a leaf whenever it is drawn first, as in scikit-learn."""
    from scipy import sparse

    rng = np.random.default_rng(0)
    n = 200
    odd = np.zeros(n)
    odd[0] = 1.0
    X = np.column_stack([odd, rng.normal(size=n)])
    y = X[:, 1] + rng.normal(scale=0.1, size=n)
    Xin = sparse.csr_matrix(X) if sparse_input else X

    def leaf_roots(Model):
        return sum(Model(max_features=1, min_samples_leaf=2, splitter=splitter,
                         random_state=seed).fit(Xin, y).get_n_leaves() == 1
                   for seed in range(40))

    ours = leaf_roots(DecisionTreeRegressor)
    theirs = leaf_roots(sk_tree.DecisionTreeRegressor)
    assert 8 <= theirs <= 32  # the odd feature is drawn first about half the time
    assert 8 <= ours <= 32


@pytest.mark.parametrize("Model, SkModel, splitter", [
    (DecisionTreeClassifier, sk_tree.DecisionTreeClassifier, "best"),
    (DecisionTreeClassifier, sk_tree.DecisionTreeClassifier, "random"),
    (DecisionTreeRegressor, sk_tree.DecisionTreeRegressor, "best")])
def test_a_split_of_zero_gain_is_taken_as_in_scikit_learn(Model, SkModel, splitter):
    """A node splits on its best valid threshold even when that gains nothing (the first
    split of an XOR, or any split on a feature the target does not depend on): trees grow
    until their leaves are pure, as scikit-learn's do. The zero gain comes out of the
    sums with a rounding error of either sign, which must not make a leaf."""
    X = np.c_[np.repeat(np.arange(3), 9), np.tile(np.arange(9), 3)].astype(float)
    y = (X[:, 1] < 5).astype(int)
    for seed in range(12):
        ours = Model(max_features=1, splitter=splitter, random_state=seed).fit(X, y)
        theirs = SkModel(max_features=1, splitter=splitter, random_state=seed).fit(X, y)
        assert theirs.score(X, y) == 1.0
        assert ours.score(X, y) == 1.0, seed
    # An XOR: no first split gains anything, every tree must still separate the classes.
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * 5, dtype=float)
    y = (X[:, 0] != X[:, 1]).astype(int)
    forest = RandomForestClassifier(n_estimators=20, bootstrap=False, random_state=0)
    assert all(tree.get_n_leaves() == 4 for tree in forest.fit(X, y).estimators_)
    assert sk_ensemble.RandomForestClassifier(
        n_estimators=20, bootstrap=False, random_state=0).fit(X, y).score(X, y) == 1.0


def test_min_impurity_decrease_still_stops_weak_splits_as_in_scikit_learn():
    """With a minimum, a split whose improvement (weighted impurity decrease over the
    total weight, scikit-learn's measure) falls short makes a leaf."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 4))
    y = (X[:, 0] + 0.5 * rng.normal(size=200) > 0).astype(int)
    weight = rng.integers(1, 4, size=200).astype(float)

    def gini(node_value):
        return 1.0 - np.sum((node_value / node_value.sum()) ** 2)

    stump = DecisionTreeClassifier(max_depth=1).fit(X, y, sample_weight=weight).tree_
    w = stump.weighted_n_node_samples
    left, right = stump.children_left[0], stump.children_right[0]
    improvement = gini(stump.value[0]) - (w[left] * gini(stump.value[left])
                                          + w[right] * gini(stump.value[right])) / w[0]
    assert improvement > 0.05
    for factor, n_leaves in ((0.999, 2), (1.001, 1)):
        model = DecisionTreeClassifier(max_depth=1, min_impurity_decrease=factor * improvement)
        assert model.fit(X, y, sample_weight=weight).get_n_leaves() == n_leaves
        theirs = sk_tree.DecisionTreeClassifier(
            max_depth=1, min_impurity_decrease=factor * improvement)
        assert theirs.fit(X, y, sample_weight=weight).get_n_leaves() == n_leaves


def _larger_child_value(model, X_train):
    """The value of the root's child of more training rows (right on a tie), from the
    fitted tree's arrays: where scikit-learn sends a missing value unseen in training."""
    tree = model.tree_
    n_left = np.sum(X_train[:, tree.feature[0]] <= tree.threshold[0])
    larger = (tree.children_left[0] if n_left > len(X_train) - n_left
              else tree.children_right[0])
    value = tree.value[larger, 0]
    if is_classifier(model):
        value = value / value.sum()
    return value, larger == tree.children_left[0]


@pytest.mark.parametrize("Model", [DecisionTreeRegressor, ExtraTreeRegressor,
                                   DecisionTreeClassifier, ExtraTreeClassifier])
def test_missing_values_unseen_in_a_node_go_to_its_larger_child(Model):
    """scikit-learn's rule: where training saw no missing value of the split feature, a
    missing value met when predicting goes to the child of more rows, right on a tie."""
    X = np.array([[0, 1, 2, 3, 8, 9, 11, 12, 15]], dtype=float).T
    y = np.array([0.1, 0.2, 0.3, 0.2, 1.4, 1.4, 1.5, 1.6, 2.6])
    classify = Model in (DecisionTreeClassifier, ExtraTreeClassifier)
    if classify:
        y = np.array([0, 0, 0, 0, 1, 1, 1, 1, 2])
    larger_is_left = set()
    for seed in range(8):
        for n in (9, 8):  # 8 rows: the best split has equal children (4 and 4)
            model = Model(max_depth=1, random_state=seed).fit(X[:n], y[:n])
            expected, left = _larger_child_value(model, X[:n])
            larger_is_left.add(left)
            predicted = (model.predict_proba([[np.nan]])[0] if classify
                         else model.predict([[np.nan]]))
            np.testing.assert_allclose(predicted, expected)
    # Random thresholds make either child the larger one.
    assert larger_is_left == ({True, False} if Model in (ExtraTreeRegressor,
                                                         ExtraTreeClassifier) else {False})
    # A forest's members route them so too.
    Forest = ExtraTreesClassifier if classify else ExtraTreesRegressor
    forest = Forest(n_estimators=10, max_depth=1, random_state=0).fit(X, y)
    expected = np.mean([_larger_child_value(member, X)[0]
                        for member in forest.estimators_], axis=0)
    predicted = (forest.predict_proba([[np.nan]])[0] if classify
                 else forest.predict([[np.nan]]))
    np.testing.assert_allclose(predicted, expected)
