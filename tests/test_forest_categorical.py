"""Categorical features in random forests, extra trees and single trees.

scikit-learn's trees and forests (1.9) have no categorical features, so the partition
splits are checked against an exhaustive search over every partition on small data (the
ordered-prefix search is exact for one regression output and two classes), and the
forests' accuracy against forests on integer codes and one-hot columns (ours and
scikit-learn's) on data whose categories carry a signal that codes scramble.
"""

import itertools
import json
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.ensemble import RandomForestClassifier as SkRandomForestClassifier
from sklearn.metrics import roc_auc_score
from sklearn.utils.estimator_checks import parametrize_with_checks

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

ALL = [DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreeClassifier,
       ExtraTreeRegressor, RandomForestClassifier, RandomForestRegressor,
       ExtraTreesClassifier, ExtraTreesRegressor]
FORESTS = [RandomForestClassifier, RandomForestRegressor, ExtraTreesClassifier,
           ExtraTreesRegressor]


def _signal_frame(n=3000, n_levels=40, seed=0, strings=True):
    """A category column whose levels carry a random effect, plus a numeric column; the
    levels' codes are unrelated to their effects."""
    rng = np.random.default_rng(seed)
    effect = rng.normal(size=n_levels)
    cat = rng.integers(0, n_levels, n)
    x = rng.normal(size=n)
    score = effect[cat] + 0.5 * x + 0.5 * rng.normal(size=n)
    levels = (np.array([f"level {i:03d}" for i in range(n_levels)]) if strings
              else np.arange(n_levels) * 7 + 3)
    X = pd.DataFrame({"c": pd.Categorical(levels[cat]), "x": x})
    return X, cat, x, score


def _one_split(model_class, X, y, **params):
    params = {"max_depth": 1, "random_state": 0, "min_data_per_category": 1,
              "cat_smooth": 0.0, **params}
    if "Classifier" in model_class.__name__ or "Regressor" in model_class.__name__:
        params.setdefault("max_features", None)
    return model_class(**params).fit(X, y)


def _best_partition_impurity(codes, y, classify):
    """The smallest weighted child impurity (sum of squared errors, or Gini times the
    node's rows) over every split of the present categories (and the missing rows, code
    -1) into two non-empty sides."""
    present = np.unique(codes[codes >= 0])
    has_missing = np.any(codes < 0)
    groups = list(present) + ([-1] if has_missing else [])
    best = np.inf

    def impurity(side):
        if side.size == 0:
            return np.inf
        if classify:
            p = np.bincount(side, minlength=2) / side.size
            return side.size * (1.0 - np.sum(p ** 2))
        return np.sum((side - side.mean()) ** 2)

    for r in range(1, len(groups)):
        for left in itertools.combinations(groups, r):
            go_left = np.isin(codes, left)
            best = min(best, impurity(y[go_left]) + impurity(y[~go_left]))
    return best


def _tree_child_impurity(tree, X, y, classify):
    leaves = tree.apply(X)
    total = 0.0
    for leaf in np.unique(leaves):
        side = y[leaves == leaf]
        if classify:
            p = np.bincount(side, minlength=2) / side.size
            total += side.size * (1.0 - np.sum(p ** 2))
        else:
            total += np.sum((side - side.mean()) ** 2)
    return total


# --- the partition search -----------------------------------------------------------


@pytest.mark.parametrize("classify", [False, True])
@pytest.mark.parametrize("with_missing", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_best_split_is_the_best_partition(classify, with_missing, seed):
    # Ordering the categories by their mean (class proportion) and taking the best
    # prefix finds the best of all partitions for one output or two classes (Breiman et
    # al.); missing values are tried on either side and alone.
    rng = np.random.default_rng(seed)
    n_levels = 7
    codes = rng.integers(0, n_levels, 60)
    if with_missing:
        codes[rng.random(60) < 0.15] = -1
    effect = rng.normal(size=n_levels + 1)
    y = effect[codes] + rng.normal(size=60)
    if classify:
        y = (y > np.median(y)).astype(int)
    X = np.where(codes >= 0, codes, np.nan).astype(float).reshape(-1, 1)
    model_class = DecisionTreeClassifier if classify else DecisionTreeRegressor
    tree = _one_split(model_class, X, y, categorical_features=[0])
    assert tree.tree_.node_count == 3
    assert tree.tree_.cat_start[0] >= 0
    ours = _tree_child_impurity(tree, X, y, classify)
    best = _best_partition_impurity(codes, y, classify)
    assert ours == pytest.approx(best, rel=1e-9, abs=1e-9)


def test_partition_splits_codes_that_no_threshold_separates():
    # Even codes have target 10, odd ones 0: no threshold on the codes separates them,
    # one category set does.
    codes = np.tile(np.arange(8), 10)
    y = np.where(codes % 2 == 0, 10.0, 0.0)
    X = codes.reshape(-1, 1).astype(float)
    tree = _one_split(DecisionTreeRegressor, X, y, categorical_features=[0])
    assert sorted(tree.tree_.left_categories(0).tolist()) in ([0, 2, 4, 6], [1, 3, 5, 7])
    np.testing.assert_array_equal(tree.predict(X), y)
    numeric = _one_split(DecisionTreeRegressor, X, y, categorical_features=None)
    assert np.mean((numeric.predict(X) - y) ** 2) > 20


def test_few_categories_split_one_against_the_rest():
    # Three categories, fewer than max_cat_to_onehot=4: each category alone is tried,
    # not the ordered prefixes. Categories 0 and 2 together against 1 would be best as a
    # prefix; alone, category 1 against the rest is the same partition and is found.
    codes = np.repeat([0, 1, 2], 20)
    y = np.repeat([0.0, 5.0, 1.0], 20)
    X = codes.reshape(-1, 1).astype(float)
    tree = _one_split(DecisionTreeRegressor, X, y, categorical_features=[0])
    left = tree.tree_.left_categories(0).tolist()
    assert left in ([1], [0, 2])
    # With max_cat_to_onehot=3 the prefixes are searched: the same best partition.
    ordered = _one_split(DecisionTreeRegressor, X, y, categorical_features=[0],
                         max_cat_to_onehot=3)
    assert sorted(ordered.tree_.left_categories(0).tolist()) in ([1], [0, 2])
    # One-vs-rest cannot put two categories against two others: four categories where
    # {0, 1} against {2, 3} is best.
    codes = np.repeat([0, 1, 2, 3], 20)
    y = np.repeat([0.0, 0.2, 5.0, 5.2], 20)
    X = codes.reshape(-1, 1).astype(float)
    onehot = _one_split(DecisionTreeRegressor, X, y, categorical_features=[0],
                        max_cat_to_onehot=5)
    assert len(onehot.tree_.left_categories(0)) in (1, 3)
    prefix = _one_split(DecisionTreeRegressor, X, y, categorical_features=[0])
    assert sorted(prefix.tree_.left_categories(0).tolist()) in ([0, 1], [2, 3])


def _ordered_categories(codes, y, smooth):
    """The root's categories sorted by their smoothed mean (the documented rule)."""
    mean = y.mean()
    present = np.unique(codes[codes >= 0])
    key = [(y[codes == c].sum() + smooth * mean) / ((codes == c).sum() + smooth)
           for c in present]
    return present[np.argsort(key, kind="stable")]


@pytest.mark.parametrize("seed", range(5))
def test_extra_tree_cuts_the_ordered_categories_at_random(seed):
    # Extra trees draw one cut of the categories ordered by their smoothed mean: the left
    # set is a prefix of that order (the lowest means), and the cut varies with the seed.
    rng = np.random.default_rng(100 + seed)
    codes = rng.integers(0, 12, 400)
    y = rng.normal(size=12)[codes] + rng.normal(size=400)
    X = codes.reshape(-1, 1).astype(float)
    order = _ordered_categories(codes, y, smooth=10.0)
    sizes = set()
    for s in range(8):
        tree = ExtraTreeRegressor(max_depth=1, random_state=s, categorical_features=[0],
                                  min_data_per_category=1).fit(X, y)
        left = set(tree.tree_.left_categories(0).tolist())
        assert left == set(order[:len(left)].tolist())
        sizes.add(len(left))
    assert len(sizes) > 2


def test_multiclass_orders_by_the_class_that_varies_most():
    # Three classes; category 0..5 hold class 2 with proportions varying widely, the
    # other classes evenly: the root orders by class 2's proportion and cuts that order.
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 6, 600)
    p2 = np.array([0.05, 0.9, 0.1, 0.8, 0.15, 0.95])[codes]
    y = np.where(rng.random(600) < p2, 2, rng.integers(0, 2, 600))
    X = codes.reshape(-1, 1).astype(float)
    tree = _one_split(DecisionTreeClassifier, X, y, categorical_features=[0])
    assert sorted(tree.tree_.left_categories(0).tolist()) in ([0, 2, 4], [1, 3, 5])
    # The rule, written out: the class whose smoothed proportions spread most orders the
    # categories, and the left set is a prefix of that order.
    spreads = []
    for k in range(3):
        yk = (y == k).astype(float)
        mean = yk.mean()
        spread = 0.0
        for c in range(6):
            n_c = (codes == c).sum()
            spread += n_c * (yk[codes == c].mean() - mean) ** 2
        spreads.append(spread)
    assert int(np.argmax(spreads)) == 2
    order = _ordered_categories(codes, (y == 2).astype(float), smooth=0.0)
    left = set(tree.tree_.left_categories(0).tolist())
    assert left in (set(order[:len(left)].tolist()), set(order[-len(left):].tolist()))


# --- categories as values -----------------------------------------------------------


@pytest.mark.parametrize("model_class", FORESTS)
def test_category_order_and_extra_levels_do_not_change_predictions(model_class):
    X, cat, x, score = _signal_frame(n=1500)
    y = (score > 0).astype(int) if "Classifier" in model_class.__name__ else score
    model = model_class(n_estimators=10, random_state=0).fit(X, y)
    assert model.is_categorical_.tolist() == [True, False]
    other = X.copy()
    other["c"] = (other["c"].cat.reorder_categories(other["c"].cat.categories[::-1])
                  .cat.add_categories(["never seen"]))
    method = "predict_proba" if hasattr(model, "predict_proba") else "predict"
    np.testing.assert_array_equal(getattr(model, method)(X), getattr(model, method)(other))
    # A plain string column with the same values, named as categorical, is the same too.
    plain = X.astype({"c": object})
    np.testing.assert_array_equal(
        getattr(model, method)(X),
        getattr(model_class(n_estimators=10, random_state=0, categorical_features=["c"])
                .fit(plain, y), method)(plain))


def test_unseen_and_missing_categories_follow_the_missing_side():
    X, cat, x, score = _signal_frame(n=2000, n_levels=10)
    y = (score > 0).astype(int)
    X.loc[::13, "c"] = np.nan  # missing values at fit: each split learns their side
    model = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    unseen = X.iloc[:200].copy()
    unseen["c"] = unseen["c"].cat.add_categories(["unseen"])
    unseen.loc[:, "c"] = "unseen"
    missing = X.iloc[:200].copy()
    missing.loc[:, "c"] = np.nan
    np.testing.assert_array_equal(model.predict_proba(unseen), model.predict_proba(missing))
    # ... and they do reach different leaves than the categories themselves.
    assert not np.array_equal(model.apply(missing), model.apply(X.iloc[:200]))


def test_rare_and_surplus_categories_are_pooled_with_missing():
    rng = np.random.default_rng(0)
    # 300 levels: the 255 most frequent are kept; below min_data_per_category, none.
    counts = np.r_[np.full(250, 12), np.full(50, 8)]
    counts[:3] = 3  # rare: fewer than min_data_per_category=5
    values = np.repeat(np.arange(300), counts)
    y = rng.normal(size=values.size)
    X = pd.DataFrame({"c": values})
    model = DecisionTreeRegressor(max_depth=3, categorical_features=[0]).fit(X, y)
    kept = model.categories_[0]
    assert len(kept) == 255
    assert set(kept) == set(range(3, 250)) | set(range(250, 258))
    rare = pd.DataFrame({"c": [0, 1, 2, 299, 10_000]})
    missing = pd.DataFrame({"c": [np.nan] * 5})
    np.testing.assert_array_equal(model.predict(rare), model.predict(missing))
    # Rows of zero weight do not count towards min_data_per_category.
    weight = np.ones(values.size)
    weight[values == 3] = 0.0
    weight[np.flatnonzero(values == 4)[:10]] = 0.0  # 2 weighted rows left
    weighted = DecisionTreeRegressor(max_depth=3, categorical_features=[0]).fit(
        X, y, sample_weight=weight)
    assert 3 not in weighted.categories_[0] and 4 not in weighted.categories_[0]


def test_categorical_feature_selection_forms():
    X, cat, x, score = _signal_frame(n=300, n_levels=5, strings=False)
    y = score
    codes = X.assign(c=X["c"].astype(int))
    by_dtype = DecisionTreeRegressor(random_state=0).fit(X, y)
    for spec in ([0], ["c"], [True, False], np.array([0])):
        model = DecisionTreeRegressor(random_state=0, categorical_features=spec).fit(codes, y)
        assert model.is_categorical_.tolist() == [True, False]
        np.testing.assert_array_equal(model.predict(codes), by_dtype.predict(X))
    none = DecisionTreeRegressor(random_state=0, categorical_features=None).fit(codes, y)
    assert not none.is_categorical_.any() and none.tree_.cat_start is None
    with pytest.raises(ValueError, match="category column"):
        DecisionTreeRegressor(categorical_features=None).fit(X, y)
    with pytest.raises(ValueError, match="categorical_features"):
        DecisionTreeRegressor(categorical_features=[5]).fit(codes, y)
    with pytest.raises(ValueError, match="categorical_features"):
        DecisionTreeRegressor(categorical_features="yes").fit(codes, y)
    with pytest.raises(ValueError, match="not columns"):
        DecisionTreeRegressor(categorical_features=["nope"]).fit(codes, y)


def test_refused_combinations_name_the_problem():
    X, cat, x, score = _signal_frame(n=300, n_levels=5)
    with pytest.raises(TypeError, match="dense"):
        DecisionTreeRegressor(categorical_features=[0]).fit(
            sparse.csr_matrix(np.c_[cat, x]), score)
    with pytest.raises(ValueError, match="absolute_error"):
        RandomForestRegressor(n_estimators=2, criterion="absolute_error").fit(X, score)
    with pytest.raises(ValueError, match="monotonic_cst cannot constrain a categorical"):
        RandomForestRegressor(n_estimators=2, monotonic_cst=[1, 0]).fit(X, score)
    strings = X.astype({"c": object})
    with pytest.raises(ValueError, match="non-numeric column"):
        DecisionTreeRegressor().fit(strings, score)
    model = DecisionTreeRegressor().fit(X, score)
    with pytest.raises(TypeError, match="dense"):
        model.predict(sparse.csr_matrix(np.c_[cat, x]))
    # A failed fit leaves the estimator as it was.
    before = pickle.dumps(model)
    with pytest.raises(ValueError):
        model.set_params(criterion="absolute_error").fit(X, score)
    model.set_params(criterion="squared_error")
    assert pickle.dumps(model) == before


def test_monotonic_constraints_on_the_numeric_features_still_hold():
    X, cat, x, score = _signal_frame(n=2000, n_levels=8)
    model = RandomForestRegressor(n_estimators=10, random_state=0,
                                  monotonic_cst=[0, 1]).fit(X, score)
    grid = pd.DataFrame({"c": pd.Categorical(np.repeat(X["c"].iloc[:5], 50),
                                             categories=X["c"].cat.categories),
                         "x": np.tile(np.linspace(-3, 3, 50), 5)})
    pred = model.predict(grid).reshape(5, 50)
    assert np.all(np.diff(pred, axis=1) >= -1e-12)
    assert any(model.estimators_[i].tree_.cat_start is not None for i in range(10))


# --- accuracy -----------------------------------------------------------------------


def test_native_categories_beat_integer_codes_and_match_one_hot():
    X, cat, x, score = _signal_frame(n=6000, n_levels=60)
    y = (score > 0).astype(int)
    train, test = slice(0, 4000), slice(4000, None)
    native = RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=2)
    native.fit(X.iloc[train], y[train])
    auc_native = roc_auc_score(y[test], native.predict_proba(X.iloc[test])[:, 1])
    codes = np.c_[cat, x]
    sk_codes = SkRandomForestClassifier(n_estimators=100, random_state=0, n_jobs=2)
    sk_codes.fit(codes[train], y[train])
    auc_codes = roc_auc_score(y[test], sk_codes.predict_proba(codes[test])[:, 1])
    one_hot = np.c_[np.eye(60)[cat], x]
    sk_onehot = SkRandomForestClassifier(n_estimators=100, random_state=0, n_jobs=2)
    sk_onehot.fit(one_hot[train], y[train])
    auc_onehot = roc_auc_score(y[test], sk_onehot.predict_proba(one_hot[test])[:, 1])
    assert auc_native > auc_codes + 0.01
    assert auc_native > auc_onehot - 0.005


def test_extra_trees_and_single_trees_use_the_categories():
    # 80 levels: with 30, extra trees' mean gain over seeds was 0.020, at the bound
    # itself, so that any change of the random stream passed or failed it by chance.
    X, cat, x, score = _signal_frame(n=4000, n_levels=80)
    train, test = slice(0, 3000), slice(3000, None)
    codes = np.c_[cat, x]
    for model_class in (ExtraTreesRegressor, RandomForestRegressor):
        # Averaged over seeds: a single forest's score moves by about 0.003 with its seed.
        gains = []
        for seed in range(4):
            native = model_class(n_estimators=50, random_state=seed)
            coded = model_class(n_estimators=50, random_state=seed)
            gains.append(native.fit(X.iloc[train], score[train]).score(X.iloc[test], score[test])
                         - coded.fit(codes[train], score[train]).score(codes[test], score[test]))
        assert np.mean(gains) > 0.04, gains
    native = DecisionTreeRegressor(min_samples_leaf=20, random_state=0)
    coded = DecisionTreeRegressor(min_samples_leaf=20, random_state=0)
    assert (native.fit(X.iloc[train], score[train]).score(X.iloc[test], score[test])
            > coded.fit(codes[train], score[train]).score(codes[test], score[test]))


# --- the fitted model ---------------------------------------------------------------


@pytest.mark.parametrize("model_class", ALL)
def test_inspection_save_load_and_pickle(model_class, tmp_path):
    X, cat, x, score = _signal_frame(n=800, n_levels=12)
    X.loc[::17, "c"] = np.nan
    classify = "Classifier" in model_class.__name__
    y = (score > 0).astype(int) if classify else score
    params = {"random_state": 0}
    if model_class in FORESTS:
        params["n_estimators"] = 5
    model = model_class(**params).fit(X, y)
    trees = model._trees()
    assert any(t.cat_start is not None for t in trees)
    # apply and decision_path agree: each row's path ends at its leaf.
    leaves = model.apply(X)
    path = model.decision_path(X)
    indicator, ptr = path if isinstance(path, tuple) else (path, np.array([0, path.shape[1]]))
    leaves = leaves.reshape(len(X), -1)
    for t in range(leaves.shape[1]):
        block = indicator[:, ptr[t]:ptr[t + 1]].toarray()
        assert np.all(block[np.arange(len(X)), leaves[:, t]] == 1)
        is_leaf = trees[t].left == -1
        assert np.all(block[:, is_leaf].sum(axis=1) == 1)
    importances = model.feature_importances_
    assert importances.shape == (2,) and importances[0] > 0
    # SHAP values through the category sets add up to the predictions.
    contribs = model.predict_contribs(X.iloc[:20])
    pred = model.predict_proba(X.iloc[:20]) if classify else model.predict(X.iloc[:20])
    np.testing.assert_allclose(contribs.sum(axis=-1), pred, atol=1e-9)
    method = "predict_proba" if classify else "predict"
    expected = getattr(model, method)(X)
    # The file lists category values, not codes.
    path = tmp_path / "model.json"
    model.save_model(path)
    doc = json.loads(path.read_text())
    assert doc["version"] == 3
    assert doc["categories"][0] == list(X["c"].cat.categories)
    assert doc["categories"][1] is None
    loaded = model_class().load_model(path)
    np.testing.assert_array_equal(getattr(loaded, method)(X), expected)
    np.testing.assert_array_equal(loaded.apply(X).reshape(len(X), -1), leaves)
    shuffled = X.copy()
    shuffled["c"] = shuffled["c"].cat.reorder_categories(
        np.random.default_rng(0).permutation(shuffled["c"].cat.categories))
    np.testing.assert_array_equal(getattr(loaded, method)(shuffled), expected)
    np.testing.assert_array_equal(getattr(pickle.loads(pickle.dumps(model)), method)(X),
                                  expected)


def test_model_files_refuse_damaged_category_fields():
    X, cat, x, score = _signal_frame(n=300, n_levels=6)
    model = DecisionTreeRegressor(random_state=0).fit(X, score)
    doc = json.loads(model.save_model())
    bad = dict(doc, categories=[None, None])  # category bitsets without categories
    with pytest.raises(ValueError, match="exactly the fields"):
        DecisionTreeRegressor().load_model(json.dumps(bad).encode())
    bad = dict(doc, categories=[list(range(300)), None])
    with pytest.raises(ValueError, match="at most 255"):
        DecisionTreeRegressor().load_model(json.dumps(bad).encode())
    bad = dict(doc, categories=[["a", "a", "b", "c", "d", "e"], None])
    with pytest.raises(ValueError, match="distinct"):
        DecisionTreeRegressor().load_model(json.dumps(bad).encode())


# Written by DecisionTreeClassifier(max_depth=2, random_state=0).save_model() before
# categorical features (format version 1), fitted on _OLD_X and _OLD_Y.
_OLD_FILE = """{"format": "ensembles.trees", "version": 1, "estimator": \
"DecisionTreeClassifier", "params": {"ccp_alpha": 0.0, "class_weight": null, "criterion": \
"gini", "max_bin": 256, "max_depth": 2, "max_features": null, "max_leaf_nodes": null, \
"min_impurity_decrease": 0.0, "min_samples_leaf": 1, "min_samples_split": 2, \
"min_weight_fraction_leaf": 0.0, "monotonic_cst": null, "random_state": 0, "splitter": \
"best"}, "n_features_in": 2, "feature_names_in": null, "max_features": 2, "n_outputs": 1, \
"trees": [{"feature": [1, -1, 0, -1, -1], "threshold": [0.25, 0.0, 0.5, 0.0, 0.0], \
"split_bin": [0, 0, 0, 0, 0], "default_left": [1, 0, 0, 0, 0], "left": [1, -1, 3, -1, -1], \
"right": [2, -1, 4, -1, -1], "value": [[0.5, 0.5], [1.0, 0.0], [0.25, 0.75], [1.0, 0.0], \
[0.0, 1.0]], "gain": [1.5, 0.0, 1.5, 0.0, 0.0], "cover": [6.0, 2.0, 4.0, 1.0, 3.0]}], \
"random_states": [398764591], "oob_score": null, "classes": ["a", "b"], "classes_dtype": \
"<U1"}"""
_OLD_X = np.array([[0.0, 1.0], [1.0, 0.5], [2.0, np.nan], [3.0, 2.0], [4.0, 1.5],
                   [5.0, 0.0]])
_OLD_Y = np.array(["a", "b", "a", "b", "b", "a"])


def test_version_1_files_still_load():
    model = DecisionTreeClassifier().load_model(_OLD_FILE.encode())
    assert not model.is_categorical_.any()
    np.testing.assert_array_equal(model.predict(_OLD_X), _OLD_Y)
    # The same fit today writes the same trees, with no categories, and each node's rows
    # and impurity (version 3).
    doc = json.loads(DecisionTreeClassifier(max_depth=2, random_state=0)
                     .fit(_OLD_X, _OLD_Y).save_model())
    old = json.loads(_OLD_FILE)
    assert doc["version"] == 3 and doc["categories"] is None
    for tree in doc["trees"]:
        del tree["n_node_samples"], tree["impurity"]
    assert doc["trees"] == old["trees"]


def test_warm_start_reads_categories_as_the_first_fit():
    X, cat, x, score = _signal_frame(n=1000, n_levels=15)
    once = RandomForestRegressor(n_estimators=10, random_state=0).fit(X, score)
    warm = RandomForestRegressor(n_estimators=5, random_state=0, warm_start=True)
    warm.fit(X, score)
    reordered = X.copy()
    reordered["c"] = reordered["c"].cat.reorder_categories(
        reordered["c"].cat.categories[::-1])
    warm.set_params(n_estimators=10).fit(reordered, score)
    np.testing.assert_allclose(warm.predict(X), once.predict(X), rtol=1e-12)
    with pytest.raises(ValueError, match="categorical features of the first fit"):
        warm.set_params(n_estimators=12, categorical_features=None).fit(
            X.assign(c=cat), score)


def test_cost_complexity_pruning_keeps_the_category_sets():
    X, cat, x, score = _signal_frame(n=600, n_levels=10)
    full = DecisionTreeRegressor(random_state=0).fit(X, score)
    path = full.cost_complexity_pruning_path(X, score)
    alpha = path.ccp_alphas[len(path.ccp_alphas) // 2]
    pruned = DecisionTreeRegressor(random_state=0, ccp_alpha=alpha).fit(X, score)
    assert 1 < pruned.tree_.node_count < full.tree_.node_count
    assert pruned.tree_.cat_start is not None
    # Every kept categorical split keeps its set: a pruned tree routes a row to a leaf
    # that is (the pruned stand-in of) an ancestor of its leaf in the full tree, so its
    # value is the mean of the training rows of that subtree.
    leaves = pruned.apply(X)
    for leaf in np.unique(leaves):
        np.testing.assert_allclose(pruned.tree_.value[leaf, 0, 0], score[leaves == leaf].mean())


_TYPING_PROBE = textwrap.dedent("""
    import numpy as np
    from numba import njit
    from numba.core.compiler import CompilerBase, DefaultPassBuilder
    from numba.core.compiler_machinery import FunctionPass, register_pass
    from numba.core.typed_passes import NopythonTypeInference
    from ensembles._engine import forest

    class Stop(Exception):
        pass

    @register_pass(mutates_CFG=False, analysis_only=True)
    class StopAfterTyping(FunctionPass):
        _name = "stop_after_typing"

        def __init__(self):
            FunctionPass.__init__(self)

        def run_pass(self, state):
            raise Stop()

    class TypingOnly(CompilerBase):
        # numba's own passes up to type inference: the branches it prunes, the
        # functions it inlines, the callees it types (and so compiles); no machine code
        # for the node loop itself.
        def define_pipelines(self):
            pm = DefaultPassBuilder.define_untyped_pipeline(self.state)
            pm.add_pass(NopythonTypeInference, "typing")
            pm.add_pass(StopAfterTyping, "stop")
            pm.finalize()
            return [pm]

    def node_loop_args(splitter):
        # The arguments _grow gives a numeric forest's node loop, captured instead of
        # growing.
        captured = {}

        def capture(*kind):
            def loop(*args):
                captured["args"] = args
                raise Stop()
            return loop

        real, forest._node_loop = forest._node_loop, capture
        X = np.asfortranarray(np.arange(40, dtype=np.uint8).reshape(20, 2) % 3)
        y = (np.arange(20) >= 10).astype(np.int32)
        params = forest.ForestTreeParams(splitter=splitter)
        try:
            forest.grow_forest_tree(X, np.eye(2)[y], np.ones(20), np.arange(20),
                                    np.zeros((2, 255)), np.full(2, 3), params, 0, y,
                                    forest.threshold_tables(np.zeros((2, 256))))
        except Stop:
            pass
        finally:
            forest._node_loop = real
        return captured["args"]

    import sys
    splitter = sys.argv[1]
    loop = forest._make_node_loop(True, splitter == "random", False, False)
    try:
        njit(pipeline_class=TypingOnly, nogil=True, _nrt=False)(loop.py_func)(
            *node_loop_args(splitter))
    except Stop:
        pass
    print(len(forest._evaluate_categorical.signatures), len(forest._randint.signatures))
""")


@pytest.mark.starts_first
@pytest.mark.parametrize("splitter", ["best", "random"])
def test_fits_without_categories_compile_none_of_their_code(splitter):
    # The node loop of a numeric forest must not type (and so not compile) the
    # categorical search, so that its first fit's compile time is unchanged. A fresh
    # process types the numeric node loop without compiling it: the categorical search
    # stays untouched, while the feature draw, a callee of the same searches that call
    # the categorical one, is typed (which shows that the probe sees their callees).
    out = subprocess.run([sys.executable, "-c", _TYPING_PROBE, splitter],
                         capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "1"]


def _bootstrap_failures(estimator):
    # As for the numeric forests (tests/test_forest.py): a bootstrap over weighted rows
    # equals one over repeated rows only in distribution.
    if not getattr(estimator, "bootstrap", False):
        return {}
    return {"check_sample_weight_equivalence_on_dense_data":
            "bootstrap forests agree with repeated rows only in distribution"}


@parametrize_with_checks([
    RandomForestClassifier(n_estimators=5, categorical_features=[0],
                           min_data_per_category=1),
    ExtraTreesRegressor(n_estimators=5, categorical_features=[0], min_data_per_category=1),
    DecisionTreeClassifier(categorical_features=[0], min_data_per_category=1),
    DecisionTreeRegressor(categorical_features=[0], min_data_per_category=1,
                          splitter="random"),
], expected_failed_checks=_bootstrap_failures)
def test_sklearn_checks_with_a_categorical_feature(estimator, check):
    check(estimator)
