"""Tests for ensembles._engine.tree: flat trees, prediction kernels and (de)serialization."""

import json

import numpy as np
import pytest

from ensembles._engine.binning import BinMapper
from ensembles._engine.grower import GrowthParams, TreeGrower
from ensembles._engine.tree import (
    TREE_FIELDS,
    Tree,
    apply_trees,
    pack_trees,
    predict_binned_add,
    predict_raw,
)


def _random_tree(rng, n_features, n_splits, n_values=1, thresholds=None, n_bins=None):
    """A random binary tree; splits go to random leaves, so shapes are unbalanced too.

    With ``thresholds`` (a BinMapper's edges) and ``n_bins`` the splits are bin-consistent:
    ``threshold == thresholds[feature, split_bin]``.
    """
    left, right, feature, split_bin = [-1], [-1], [-1], [0]
    for _ in range(n_splits):
        leaf = rng.choice([i for i, child in enumerate(left) if child == -1])
        left[leaf], right[leaf] = len(left), len(left) + 1
        feature[leaf] = rng.integers(n_features)
        if n_bins is not None:
            last = n_bins[feature[leaf]] - 1  # threshold +inf: splits off missing values only
            split_bin[leaf] = last if rng.random() < 0.25 else rng.integers(last + 1)
        left += [-1, -1]
        right += [-1, -1]
        feature += [-1, -1]
        split_bin += [0, 0]
    n = len(left)
    feature = np.array(feature)
    if thresholds is not None:
        threshold = np.where(feature >= 0, thresholds[np.maximum(feature, 0), split_bin], 0.0)
    else:
        threshold = np.where(feature >= 0, rng.normal(size=n), 0.0)
        threshold[rng.random(n) < 0.1] = np.inf  # "missing vs present" splits
    is_leaf = np.array(left) == -1
    return Tree(feature=np.where(is_leaf, -1, feature), threshold=np.where(is_leaf, 0, threshold),
                split_bin=split_bin, default_left=rng.random(n) < 0.5, left=left, right=right,
                value=np.where(is_leaf[:, None], rng.normal(size=(n, n_values)), 0.0),
                gain=np.where(is_leaf, 0.0, rng.random(n)), cover=rng.random(n) * 10)


def _leaf_of(tree, x):
    node = 0
    while tree.left[node] != -1:
        value = x[tree.feature[node]]
        go_left = tree.default_left[node] if np.isnan(value) else value <= tree.threshold[node]
        node = tree.left[node] if go_left else tree.right[node]
    return node


def _features(rng, n=200, dtype=np.float64):
    X = rng.normal(size=(n, 4)).astype(dtype)
    X[rng.random(X.shape) < 0.15] = np.nan
    info = np.finfo(dtype)
    X[:3] = [info.max, -info.max, info.smallest_subnormal, 0.0]  # extreme but finite values
    return X


def _predict(trees, outputs, X, n_outputs, start=0, stop=None):
    packed = pack_trees(trees, outputs)
    out = np.zeros((X.shape[0], n_outputs))
    stop = len(trees) if stop is None else stop
    predict_raw(X, packed["feature"], packed["threshold"], packed["default_left"],
                packed["left"], packed["right"], packed["value"], packed["offsets"],
                packed["outputs"], start, stop, out)
    return out


@pytest.mark.parametrize("n_values", [1, 3])
def test_predict_raw_equals_a_python_traversal(n_values):
    rng = np.random.default_rng(0)
    X = _features(rng)
    trees = [_random_tree(rng, 4, n_splits, n_values) for n_splits in (0, 1, 5, 12, 7)]
    outputs = [0, 3, 0, 3, 3] if n_values == 3 else [0, 1, 2, 1, 0]
    n_outputs = 6 if n_values == 3 else 3
    expected = np.zeros((X.shape[0], n_outputs))
    for tree, col in zip(trees, outputs, strict=True):
        for i, x in enumerate(X):
            expected[i, col:col + n_values] += tree.value[_leaf_of(tree, x)]
    np.testing.assert_allclose(_predict(trees, outputs, X, n_outputs), expected, rtol=1e-12)
    # A sub-range of trees adds only those trees' values.
    partial = np.zeros_like(expected)
    for tree, col in zip(trees[1:3], outputs[1:3], strict=True):
        for i, x in enumerate(X):
            partial[i, col:col + n_values] += tree.value[_leaf_of(tree, x)]
    np.testing.assert_allclose(_predict(trees, outputs, X, n_outputs, 1, 3), partial,
                               rtol=1e-12)


def test_predict_raw_adds_to_the_existing_output():
    rng = np.random.default_rng(1)
    X = _features(rng, n=50)
    tree = _random_tree(rng, 4, 6)
    packed = pack_trees([tree], [0])
    out = np.full((50, 1), 2.5)
    predict_raw(X, packed["feature"], packed["threshold"], packed["default_left"],
                packed["left"], packed["right"], packed["value"], packed["offsets"],
                packed["outputs"], 0, 1, out)
    expected = 2.5 + np.array([tree.value[_leaf_of(tree, x), 0] for x in X])
    np.testing.assert_allclose(out[:, 0], expected, rtol=1e-12)


def test_no_trees_predict_nothing():
    X = np.zeros((4, 2))
    assert not _predict([], [], X, 1).any()


def test_apply_trees_returns_each_trees_own_leaf_ids():
    rng = np.random.default_rng(2)
    X = _features(rng)
    trees = [_random_tree(rng, 4, n) for n in (3, 0, 9, 4)]
    packed = pack_trees(trees, [0] * 4)
    args = (packed["feature"], packed["threshold"], packed["default_left"], packed["left"],
            packed["right"], packed["offsets"])
    leaves = apply_trees(X, *args, 0, 4)
    expected = np.array([[_leaf_of(tree, x) for tree in trees] for x in X])
    np.testing.assert_array_equal(leaves, expected)
    assert leaves.dtype == np.int32
    np.testing.assert_array_equal(apply_trees(X, *args, 2, 4), expected[:, 2:])


@pytest.mark.parametrize("default_left", [False, True])
def test_nan_follows_default_left_and_infinite_threshold_splits_off_nan_only(default_left):
    stump = Tree(feature=[1, -1, -1], threshold=[np.inf, 0, 0], split_bin=[3, 0, 0],
                 default_left=[default_left, False, False], left=[1, -1, -1],
                 right=[2, -1, -1], value=[0.0, -1.0, 1.0], gain=[1, 0, 0], cover=[2, 1, 1])
    X = np.array([[np.nan, -1e308], [0.0, 1e308], [np.nan, 0.0], [1.0, np.nan],
                  [np.nan, np.nan], [2.0, 5e-324]])
    pred = _predict([stump], [0], X, 1)[:, 0]
    nan_side = -1.0 if default_left else 1.0
    np.testing.assert_array_equal(pred, [-1, -1, -1, nan_side, nan_side, -1])


def test_threshold_comparison_is_inclusive():
    stump = Tree(feature=[0, -1, -1], threshold=[0.5, 0, 0], split_bin=[0, 0, 0],
                 default_left=[False] * 3, left=[1, -1, -1], right=[2, -1, -1],
                 value=[0.0, -1.0, 1.0], gain=[1, 0, 0], cover=[2, 1, 1])
    X = np.array([[np.nextafter(0.5, 0)], [0.5], [np.nextafter(0.5, 1)]])
    np.testing.assert_array_equal(_predict([stump], [0], X, 1)[:, 0], [-1, -1, 1])


def _binned_prediction(tree, X_binned, n_bins, n_outputs, col, scale):
    out = np.zeros((X_binned.shape[0], n_outputs))
    predict_binned_add(X_binned, n_bins, tree.feature, tree.split_bin, tree.default_left,
                       tree.left, tree.right, tree.value, scale, out, col)
    return out


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_predict_binned_add_agrees_with_predict_raw(dtype):
    rng = np.random.default_rng(3)
    X = _features(rng, n=500, dtype=dtype)
    X[:, 3] = np.round(X[:, 3] / 2)  # a discrete feature with exact bins
    mapper = BinMapper(max_bin=32).fit(X)
    X_binned = mapper.transform(X)
    fresh = _features(np.random.default_rng(4), n=300, dtype=dtype)
    trees = [_random_tree(rng, 4, 10, n_values=2, thresholds=mapper.edges_,
                          n_bins=mapper.n_bins_) for _ in range(3)]
    grower = TreeGrower(X_binned, mapper.edges_, mapper.n_bins_, GrowthParams(max_depth=5))
    grad = np.where(np.isnan(X[:, 2]) | (X[:, 2] > 0.2), -1.0, 1.0)[:, None]
    grown, _, _ = grower.grow(grad, np.ones((500, 1)), 0, np.arange(500, dtype=np.int32),
                              np.ones(4, bool), 0)
    assert np.isposinf(np.concatenate([t.threshold for t in trees])).any()
    for tree in trees + [grown]:
        n_values = tree.value.shape[1]
        for data in (X, fresh):
            binned = _binned_prediction(tree, mapper.transform(data), mapper.n_bins_, 4, 1, 0.7)
            raw = _predict([tree], [1], data, 4)
            np.testing.assert_allclose(binned, 0.7 * raw, rtol=1e-12)
            assert not binned[:, 1 + n_values:].any() and not binned[:, 0].any()


@pytest.mark.parametrize("n_values", [1, 3])
def test_to_dict_from_dict_round_trip_is_exact(n_values):
    rng = np.random.default_rng(5)
    for n_splits in (0, 1, 8):
        tree = _random_tree(rng, 6, n_splits, n_values)
        if n_splits:
            tree.threshold[0] = np.inf
        data = json.loads(json.dumps(tree.to_dict(), allow_nan=False))
        back = Tree.from_dict(data)
        for name in TREE_FIELDS:
            original, restored = getattr(tree, name), getattr(back, name)
            assert restored.dtype == original.dtype and restored.shape == original.shape, name
            np.testing.assert_array_equal(restored, original, err_msg=name)


def test_round_trip_keeps_a_negative_infinite_threshold():
    stump = Tree(feature=[0, -1, -1], threshold=[-np.inf, 0, 0], split_bin=[0, 0, 0],
                 default_left=[True, False, False], left=[1, -1, -1], right=[2, -1, -1],
                 value=[0.0, -1.0, 1.0], gain=[1, 0, 0], cover=[2, 1, 1])
    back = Tree.from_dict(json.loads(json.dumps(stump.to_dict())))
    np.testing.assert_array_equal(back.threshold, stump.threshold)


def _python_depth(tree):
    depth = {0: 0}
    for node in range(tree.n_nodes):
        if tree.left[node] != -1:
            depth[tree.left[node]] = depth[tree.right[node]] = depth[node] + 1
    return max(depth.values())


def test_size_properties():
    rng = np.random.default_rng(6)
    for n_splits in (0, 1, 4, 11):
        tree = _random_tree(rng, 3, n_splits)
        assert tree.n_nodes == 2 * n_splits + 1
        assert tree.n_leaves == n_splits + 1
        assert tree.depth == _python_depth(tree)


def test_packed_trees_know_their_greatest_depth_and_whether_any_split_is_categorical():
    from ensembles._engine.tree import max_depth

    rng = np.random.default_rng(7)
    trees = [_random_tree(rng, 3, n_splits) for n_splits in (2, 0, 14, 1, 5)]
    depths = [_python_depth(tree) for tree in trees]
    # Every window of trees, so that the deepest tree sits first, inside and last.
    for start in range(len(trees)):
        for stop in range(start + 1, len(trees) + 1):
            packed = pack_trees(trees[start:stop], [0] * (stop - start))
            assert max_depth(packed["left"], packed["right"], packed["offsets"]) == max(
                depths[start:stop])
            assert not packed["categorical"]
    assert max_depth(np.empty(0, np.int32), np.empty(0, np.int32),
                     np.zeros(1, np.int64)) == 0
    # One categorical split in the last tree makes the packed trees categorical.
    trees[-1].cat_start = np.full(trees[-1].n_nodes, -1, dtype=np.int32)
    trees[-1].cat_start[0] = 0
    trees[-1].cat_bits = np.array([5], dtype=np.uint32)
    packed = pack_trees(trees, [0] * len(trees))
    assert packed["categorical"]
    np.testing.assert_array_equal(packed["cat_start"][packed["offsets"][-2]:],
                                  trees[-1].cat_start)
    assert not pack_trees(trees[:-1], [0] * 4)["categorical"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_complete_layout_predicts_like_the_pointer_walk(seed):
    from ensembles._engine.tree import complete_layout, pack_trees, predict_complete

    rng = np.random.default_rng(seed)
    trees = [_random_tree(rng, 4, n_splits) for n_splits in (0, 1, 3, 7, 12)]
    packed = pack_trees(trees, [0, 1, 0, 1, 0])
    depth = max(t.depth for t in trees)
    X = rng.normal(size=(300, 4))
    X[rng.random(X.shape) < 0.2] = np.nan
    expected = np.zeros((300, 2))
    predict_raw(X, packed["feature"], packed["threshold"], packed["default_left"],
                packed["left"], packed["right"], packed["value"], packed["offsets"],
                packed["outputs"], 1, 5, expected)
    got = np.zeros((300, 2))
    predict_complete(X, *complete_layout(packed, depth), packed["outputs"], 1, 5, got)
    np.testing.assert_array_equal(got, expected)


def test_many_trees_predict_few_rows_on_threads_with_the_same_values():
    # A large model is worth two threads on a few hundred rows; the rows are split
    # between them, so every value is the one-thread sum.
    from ensembles._engine.tree import (
        _rows_per_thread,
        complete_layout,
        pack_trees,
        predict_complete,
    )
    from ensembles._threads import threads

    rng = np.random.default_rng(4)
    trees = [_random_tree(rng, 5, int(rng.integers(0, 12))) for _ in range(600)]
    packed = pack_trees(trees, [0] * len(trees))
    depth = max(t.depth for t in trees)
    layout = complete_layout(packed, depth)
    X = rng.normal(size=(300, 5))
    X[rng.random(X.shape) < 0.1] = np.nan
    assert 2 * _rows_per_thread(len(trees)) <= X.shape[0]
    results = {}
    for n_threads in (1, 2):
        for kernel in ("complete", "pointer"):
            out = np.zeros((300, 1))
            with threads(n_threads):
                if kernel == "complete":
                    predict_complete(X, *layout, packed["outputs"], 0, len(trees), out)
                else:
                    predict_raw(X, packed["feature"], packed["threshold"],
                                packed["default_left"], packed["left"], packed["right"],
                                packed["value"], packed["offsets"], packed["outputs"], 0,
                                len(trees), out)
            results[n_threads, kernel] = out
    for out in results.values():
        np.testing.assert_array_equal(out, results[1, "pointer"])


def test_routing_window_sends_every_code_and_value_where_the_split_does():
    """A routing word's window (see ``pair_routing``) must send code ``c`` right exactly
    when the split does: above the split bin, or missing (255) where missing values go
    right; the walk on values must do the same with thresholds and NaN. Every split bin,
    both missing directions, every code (nine rows on the eight-walk path, the rest one
    at a time)."""
    from ensembles._engine.tree import pair_routing, predict_paired

    codes = np.arange(256, dtype=np.uint8)
    edges = np.arange(255, dtype=float)[None, :] + 0.5  # bin b holds the values up to b + .5
    values = np.where(codes == 255, np.nan, codes.astype(float))
    leaf_value = np.array([[0.0], [1.0]])  # the right leaf adds 1
    for split_bin in range(255):
        for default_left in (False, True):
            expected = (codes > split_bin) & ((codes != 255) | (not default_left))
            left = np.array([1, -1, -1], dtype=np.int32)
            arrays = (np.array([0, 0, 0], dtype=np.int32),
                      np.array([split_bin, 0, 0], dtype=np.uint8), left,
                      np.array([default_left, False, False]), edges, leaf_value)
            for X, threshold in ((codes[:, None], None), (values[:, None], np.empty(3))):
                nodes, value = np.empty(3, dtype=np.uint64), np.zeros((3, 1))
                pair_routing(*arrays, nodes, threshold, value)
                out = np.zeros((256, 1))
                predict_paired(np.ascontiguousarray(X), [(nodes, threshold, value)], out)
                np.testing.assert_array_equal(out[:, 0] == 1.0, expected,
                                              err_msg=f"bin {split_bin}, {default_left}")
