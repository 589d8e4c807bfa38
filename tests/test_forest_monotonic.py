"""Monotonic constraints (``monotonic_cst``) of trees and forests: predictions are monotone
along every constrained feature, a constrained tree is scikit-learn's, bad constraints are
refused, and constrained models survive save/load and pickling."""

import pickle

import numpy as np
import pytest
import sklearn.tree as sk_tree
from hypothesis import given, settings
from hypothesis import strategies as st

from ensembles import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    ExtraTreeClassifier,
    ExtraTreeRegressor,
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)

from .test_tree_estimators import _exact_data

REGRESSORS = [DecisionTreeRegressor, ExtraTreeRegressor, RandomForestRegressor,
              ExtraTreesRegressor]
CLASSIFIERS = [DecisionTreeClassifier, ExtraTreeClassifier, RandomForestClassifier,
               ExtraTreesClassifier]
FOREST_OPTIONS = {"n_estimators": 8, "n_jobs": 1}


def _options(cls, **params):
    if cls in (RandomForestRegressor, ExtraTreesRegressor, RandomForestClassifier,
               ExtraTreesClassifier):
        params.update(FOREST_OPTIONS)
    return params


def _random_problem(seed, n=600, n_features=4, missing=False):
    """Random features, and targets that depend on the features in both directions plus
    noise (so that unconstrained trees are not monotone)."""
    rng = np.random.RandomState(seed)
    X = rng.rand(n, n_features)
    signal = (np.sin(7 * X[:, 0]) + 2 * X[:, 0] - np.cos(5 * X[:, 1]) - X[:, 1]
              + X[:, 2] * X[:, 3])
    y = signal + rng.normal(0, 0.7, n)
    if missing:
        X[rng.rand(n, n_features) < 0.1] = np.nan
    return X, y


def _grid(X, feature, n_grid=40, n_rows=60, seed=0):
    """Rows of X (the first ``n_rows`` of a shuffle) with ``feature`` swept over a grid
    spanning its range: block ``j`` holds every row at the grid's ``j``-th value."""
    rng = np.random.RandomState(seed)
    base = X[rng.permutation(len(X))[:n_rows]]
    values = np.linspace(np.nanmin(X[:, feature]) - 0.1, np.nanmax(X[:, feature]) + 0.1,
                         n_grid)
    grid = np.repeat(base[None], n_grid, axis=0)
    grid[:, :, feature] = values[:, None]
    return grid.reshape(-1, X.shape[1])


def _assert_monotone(predict, X, cst):
    for feature, direction in enumerate(cst):
        if direction == 0:
            continue
        grid = _grid(X, feature)
        steps = np.diff(predict(grid).reshape(40, -1), axis=0) * direction
        assert np.all(steps >= -1e-12), (feature, direction, steps.min())


def _is_monotone(predict, X, feature, direction):
    grid = _grid(X, feature)
    return np.all(np.diff(predict(grid).reshape(40, -1), axis=0) * direction >= -1e-12)


@pytest.mark.parametrize("cls", REGRESSORS)
@pytest.mark.parametrize("cst", [[1, -1, 0, 0], [-1, 1, 1, 0], [0, 0, -1, 1]])
@pytest.mark.parametrize("seed", [0, 1])
def test_regressor_predictions_are_monotone(cls, cst, seed):
    X, y = _random_problem(seed)
    model = cls(monotonic_cst=cst, random_state=seed, **_options(cls)).fit(X, y)
    _assert_monotone(model.predict, X, cst)


@pytest.mark.parametrize("cls", CLASSIFIERS)
@pytest.mark.parametrize("cst", [[1, -1, 0, 0], [-1, 1, 1, 0]])
@pytest.mark.parametrize("seed", [0, 1])
def test_classifier_positive_class_is_monotone(cls, cst, seed):
    X, y = _random_problem(seed)
    labels = np.where(y > np.median(y), "yes", "no")  # classes_ == ["no", "yes"]
    model = cls(monotonic_cst=cst, random_state=seed, **_options(cls)).fit(X, labels)
    _assert_monotone(lambda Z: model.predict_proba(Z)[:, 1], X, cst)


@pytest.mark.parametrize("cls", [DecisionTreeRegressor, ExtraTreeRegressor,
                                 RandomForestClassifier, ExtraTreesClassifier])
@pytest.mark.parametrize("params", [{"max_leaf_nodes": 20}, {"max_depth": 6},
                                    {"min_samples_leaf": 3, "max_features": 2}])
def test_monotone_with_growth_limits_missing_values_and_weights(cls, params):
    X, y = _random_problem(3, missing=True)
    weight = np.random.RandomState(3).uniform(0.2, 3.0, len(y))
    if cls in CLASSIFIERS:
        y = (y > np.median(y)).astype(int)
    cst = [1, -1, 0, 1]
    model = cls(monotonic_cst=cst, random_state=0, **_options(cls, **params))
    model.fit(X, y, sample_weight=weight)
    predict = model.predict_proba if cls in CLASSIFIERS else model.predict
    _assert_monotone(lambda Z: predict(Z)[:, 1] if cls in CLASSIFIERS else predict(Z), X,
                     cst)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_rows=st.integers(2, 300),
       cst=st.lists(st.sampled_from([-1, 0, 1]), min_size=1, max_size=5),
       cls=st.sampled_from(REGRESSORS + CLASSIFIERS),
       criterion=st.sampled_from(["squared_error", "poisson", "absolute_error"]),
       max_leaf_nodes=st.sampled_from([None, 2, 7]), max_bin=st.sampled_from([3, 16, 256]),
       missing=st.sampled_from([0.0, 0.2]), weighted=st.booleans(),
       ccp_alpha=st.sampled_from([0.0, 0.002]))
def test_predictions_are_monotone_property(seed, n_rows, cst, cls, criterion,
                                           max_leaf_nodes, max_bin, missing, weighted,
                                           ccp_alpha):
    """Any data, constraints, estimator, criterion, growth policy, bins, missing values,
    weights and pruning: the prediction is monotone along every constrained feature."""
    rng = np.random.RandomState(seed)
    X = rng.rand(n_rows, len(cst))
    X[1:][rng.rand(n_rows - 1, len(cst)) < missing] = np.nan  # no column all missing
    params = _options(cls, monotonic_cst=cst, max_leaf_nodes=max_leaf_nodes,
                      max_bin=max_bin, ccp_alpha=ccp_alpha, random_state=seed)
    if cls in CLASSIFIERS:
        y = rng.randint(0, 2, n_rows)
        predict = lambda model, Z: model.predict_proba(Z)[:, -1]  # noqa: E731
    else:
        y = rng.exponential(1.0, n_rows)  # non-negative: Poisson too
        params["criterion"] = criterion
        predict = lambda model, Z: model.predict(Z)  # noqa: E731
    weight = rng.uniform(0.1, 3.0, n_rows) if weighted else None
    model = cls(**params).fit(X, y, sample_weight=weight)
    _assert_monotone(lambda Z: predict(model, Z), X, cst)


@pytest.mark.parametrize("cls", REGRESSORS)
@pytest.mark.parametrize("missing", [False, True])
def test_absolute_error_predictions_are_monotone(cls, missing):
    X, y = _random_problem(6, n=400, missing=missing)
    cst = [-1, 1, 0, 1]
    model = cls(criterion="absolute_error", monotonic_cst=cst, random_state=0,
                **_options(cls)).fit(X, y)
    _assert_monotone(model.predict, X, cst)


@pytest.mark.parametrize("cls", [DecisionTreeRegressor, ExtraTreeRegressor])
def test_unconstrained_trees_of_the_same_data_are_not_monotone(cls):
    """The property tests above would pass vacuously if the data made every tree
    monotone: without constraints, they are not."""
    X, y = _random_problem(0)
    model = cls(random_state=0).fit(X, y)
    assert not _is_monotone(model.predict, X, 0, 1)
    assert not _is_monotone(model.predict, X, 1, -1)


@pytest.mark.parametrize("cls", [DecisionTreeRegressor, ExtraTreeClassifier,
                                 RandomForestRegressor])
def test_zero_constraints_grow_the_unconstrained_model(cls):
    X, y = _random_problem(2)
    if cls in CLASSIFIERS:
        y = (y > 0).astype(int)
    free = cls(random_state=0, **_options(cls)).fit(X, y)
    zeros = cls(monotonic_cst=[0, 0, 0, 0], random_state=0, **_options(cls)).fit(X, y)
    predict = "predict_proba" if cls in CLASSIFIERS else "predict"
    np.testing.assert_array_equal(getattr(free, predict)(X), getattr(zeros, predict)(X))


def test_constrained_tree_values_stay_within_their_ancestors_bounds():
    """Below a split on an increasing feature, every value of the left subtree is at most
    every value of the right subtree (leaves are clipped to the bounds passed down)."""
    X, y = _random_problem(4)
    tree = DecisionTreeRegressor(monotonic_cst=[1, 0, 0, 0], random_state=0).fit(X, y).tree_
    left, right, feature, value = tree.left, tree.right, tree.feature, tree.value[:, 0]

    def leaves(node):
        if left[node] == -1:
            return [node]
        return leaves(left[node]) + leaves(right[node])

    n_checked = 0
    for node in np.flatnonzero((left != -1) & (feature == 0)):
        assert value[leaves(left[node])].max() <= value[leaves(right[node])].min()
        n_checked += 1
    assert n_checked > 10


# --- scikit-learn's monotonic trees -----------------------------------------------------
# On exact-bin data (fewer distinct values than bins) our split search tries the same
# partitions as scikit-learn's and rejects the same ones, so the trees are the same.
# Growth is limited (depth, leaves or leaf size): deep trees end in single-row splits
# that several features make alike, and the two break such exact ties differently, which
# under constraints changes the bounds passed down, and so the values.


@pytest.mark.parametrize("params", [{"max_depth": 4}, {"max_leaf_nodes": 12},
                                    {"min_samples_leaf": 5}])
@pytest.mark.parametrize("cst", [[1, 0, 0, 0], [1, -1, 0, 0], [-1, 1, 1, 0]])
@pytest.mark.parametrize("weighted", [False, True])
def test_regressor_grows_scikit_learns_monotonic_tree(params, cst, weighted):
    X, y, _, weight = _exact_data()
    weight = weight if weighted else None
    ours = DecisionTreeRegressor(monotonic_cst=cst, random_state=0, **params).fit(
        X, y, sample_weight=weight)
    theirs = sk_tree.DecisionTreeRegressor(monotonic_cst=cst, random_state=0, **params).fit(
        X, y, sample_weight=weight)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=0, atol=1e-10)
    assert ours.get_n_leaves() == theirs.get_n_leaves()
    # The constraints bind: without them the tree is another.
    free = DecisionTreeRegressor(random_state=0, **params).fit(X, y, sample_weight=weight)
    assert np.abs(free.predict(X) - ours.predict(X)).max() > 1e-3


@pytest.mark.parametrize("params", [{"max_depth": 4}, {"max_leaf_nodes": 12},
                                    {"min_samples_leaf": 5}])
@pytest.mark.parametrize("cst", [[1, 0, 0, 0], [1, -1, 0, 0], [-1, 1, 1, 0]])
def test_absolute_error_grows_scikit_learns_monotonic_tree(params, cst):
    """scikit-learn constrains the children's medians (its leaf values) there, and so do
    we. Weighted rows: unweighted absolute deviations tie between many splits."""
    X, y, _, weight = _exact_data()
    ours = DecisionTreeRegressor(criterion="absolute_error", monotonic_cst=cst,
                                 random_state=0, **params).fit(X, y, sample_weight=weight)
    theirs = sk_tree.DecisionTreeRegressor(criterion="absolute_error", monotonic_cst=cst,
                                           random_state=0, **params).fit(
        X, y, sample_weight=weight)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=0, atol=1e-10)
    assert ours.get_n_leaves() == theirs.get_n_leaves()
    free = DecisionTreeRegressor(criterion="absolute_error", random_state=0, **params).fit(
        X, y, sample_weight=weight)
    assert np.abs(free.predict(X) - ours.predict(X)).max() > 1e-3


@pytest.mark.parametrize("params", [{"max_depth": 4}, {"max_leaf_nodes": 12},
                                    {"min_samples_leaf": 5}, {}])
@pytest.mark.parametrize("cst", [[1, 0, 0, 0], [1, -1, 0, 0], [-1, 1, 1, 0]])
def test_classifier_grows_scikit_learns_monotonic_tree(params, cst):
    X, _, y, weight = _exact_data()
    y = (y > 0).astype(int)
    # Continuous weights: no exact ties between splits (see _exact_data).
    ours = DecisionTreeClassifier(monotonic_cst=cst, random_state=0, **params).fit(
        X, y, sample_weight=weight)
    theirs = sk_tree.DecisionTreeClassifier(monotonic_cst=cst, random_state=0,
                                            **params).fit(X, y, sample_weight=weight)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=0,
                               atol=1e-10)
    # scikit-learn also splits some pure nodes whose rounded impurity is a hair above its
    # purity threshold (into children of the same value): its partition of the training
    # rows refines ours.
    our_leaves, their_leaves = ours.apply(X), theirs.apply(X)
    for leaf in np.unique(their_leaves):
        assert np.unique(our_leaves[their_leaves == leaf]).size == 1


# --- bad constraints -------------------------------------------------------------------


@pytest.mark.parametrize("cls", [DecisionTreeRegressor, RandomForestRegressor,
                                 ExtraTreesClassifier, ExtraTreeClassifier])
def test_bad_constraints_are_refused_and_leave_the_estimator_unfitted(cls):
    X, y = _random_problem(0, n=100)
    if cls in CLASSIFIERS:
        y = (y > 0).astype(int)
    with pytest.raises(ValueError, match="monotonic_cst has shape .* X has 4 features"):
        cls(monotonic_cst=[1, 0, 0], **_options(cls)).fit(X, y)
    with pytest.raises(ValueError, match="array-like of -1, 0 or 1, but got"):
        cls(monotonic_cst=[1, 0, 2, 0], **_options(cls)).fit(X, y)
    with pytest.raises(ValueError, match="array-like of -1, 0 or 1, but got"):
        cls(monotonic_cst=["a", 0, 0, 0], **_options(cls)).fit(X, y)
    model = cls(monotonic_cst=[[1, 0, 0, 0]], **_options(cls))
    with pytest.raises(ValueError, match="monotonic_cst has shape"):
        model.fit(X, y)
    assert not hasattr(model, "n_features_in_")


@pytest.mark.parametrize("cls", [DecisionTreeClassifier, RandomForestClassifier,
                                 ExtraTreesClassifier])
def test_multiclass_and_multi_output_are_refused(cls):
    X, y = _random_problem(0, n=150)
    three = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))
    with pytest.raises(ValueError, match="multiclass"):
        cls(monotonic_cst=[1, 0, 0, 0], **_options(cls)).fit(X, three)
    two = np.column_stack([y > 0, y > 1]).astype(int)
    with pytest.raises(ValueError, match="multiple outputs"):
        cls(monotonic_cst=[1, 0, 0, 0], **_options(cls)).fit(X, two)
    # Unconstrained multiclass is fine (None, or all zeros).
    cls(monotonic_cst=None, **_options(cls)).fit(X, three)


@pytest.mark.parametrize("cls", [DecisionTreeRegressor, ExtraTreesRegressor])
def test_multi_output_regression_is_refused(cls):
    X, y = _random_problem(0, n=150)
    with pytest.raises(ValueError, match="multiple outputs"):
        cls(monotonic_cst=[1, 0, 0, 0], **_options(cls)).fit(X, np.column_stack([y, y]))


# --- persistence -----------------------------------------------------------------------


@pytest.mark.parametrize("cls", [DecisionTreeRegressor, RandomForestClassifier,
                                 ExtraTreesRegressor, ExtraTreeClassifier])
def test_constrained_models_save_load_and_pickle(cls, tmp_path):
    X, y = _random_problem(5, n=300)
    if cls in CLASSIFIERS:
        y = (y > 0).astype(int)
    cst = [1, -1, 0, 0]
    model = cls(monotonic_cst=cst, random_state=0, **_options(cls)).fit(X, y)
    predict = "predict_proba" if cls in CLASSIFIERS else "predict"
    expected = getattr(model, predict)(X)

    path = tmp_path / "model.json"
    model.save_model(path)
    loaded = cls().load_model(path)
    np.testing.assert_array_equal(getattr(loaded, predict)(X), expected)
    assert list(loaded.get_params()["monotonic_cst"]) == cst

    unpickled = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(getattr(unpickled, predict)(X), expected)
    assert list(unpickled.monotonic_cst) == cst
    # A refit of the loaded model keeps the constraints.
    refit = loaded.fit(X, y)
    np.testing.assert_array_equal(getattr(refit, predict)(X), expected)
