"""Tests for ensembles._engine.grower: growth policies, gamma, leaves and column sampling.

The reference is a deliberately naive grower written with numpy row masks: every candidate
split of every node is scored from the rows themselves, without histograms, partitions or
threads, with XGBoost's gain (see :mod:`ensembles._engine.split`).
"""

import heapq

import numpy as np
import pytest

from ensembles._engine import grower as grower_module
from ensembles._engine.binning import BinMapper
from ensembles._engine.grower import GrowthParams, TreeGrower, sample_features
from ensembles._threads import threads

from .test_tree import _python_depth


def _data(seed=0, n=300, n_features=3, missing=0.1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    X[rng.random(X.shape) < missing] = np.nan
    x0 = np.nan_to_num(X[:, 0], nan=1.0)
    x1 = np.nan_to_num(X[:, 1], nan=-1.0)
    y = 2.0 * (x0 > 0.3) + np.sin(2 * x1) + 0.3 * rng.normal(size=n)
    grad = (0.5 - y).astype(np.float32)
    hess = rng.uniform(0.3, 1.2, n).astype(np.float32)
    return X, grad, hess


def _grow_rows(X_binned, mapper, grad, hess, rows, seed=0, mask=None, **params):
    if mask is None:
        mask = np.ones(X_binned.shape[1], dtype=np.bool_)
    grower = TreeGrower(X_binned, mapper.edges_, mapper.n_bins_, GrowthParams(**params))
    tree, rows_out, leaves = grower.grow(grad[:, None].astype(np.float64),
                                         hess[:, None].astype(np.float64), 0,
                                         rows.astype(np.int32), mask, seed)
    return tree, [tuple(leaf) for leaf in leaves.tolist()], rows_out


def _grow(X, grad, hess, seed=0, mask=None, max_bin=16, **params):
    mapper = BinMapper(max_bin=max_bin).fit(X)
    X_binned = mapper.transform(X)
    tree, leaf_slices, rows = _grow_rows(X_binned, mapper, grad, hess, np.arange(X.shape[0]),
                                         seed, mask, **params)
    return tree, leaf_slices, rows, mapper, X_binned


def _route(tree, x):
    """Leaf reached by one raw row, walking the flat arrays in plain Python."""
    node = 0
    while tree.left[node] != -1:
        value = x[tree.feature[node]]
        if np.isnan(value):
            go_left = tree.default_left[node]
        else:
            go_left = value <= tree.threshold[node]
        node = tree.left[node] if go_left else tree.right[node]
    return node


def _node_rows(tree, X):
    """Row indices passing through every node, from raw-value routing."""
    members = {0: np.arange(X.shape[0])}
    for node in range(tree.n_nodes):  # parents come before their children
        if tree.left[node] == -1:
            continue
        rows = members[node]
        values = X[rows, tree.feature[node]]
        left = np.where(np.isnan(values), tree.default_left[node],
                        values <= tree.threshold[node])
        members[tree.left[node]] = rows[left]
        members[tree.right[node]] = rows[~left]
    return members


def _leaf_partition(rows, leaf_slices):
    return {frozenset(rows[start:stop].tolist()) for _, start, stop in leaf_slices}


# --- the naive reference --------------------------------------------------------------------

def _weight(G, H, p):
    if H <= 0 or H < p.min_child_weight:
        return 0.0
    w = -np.sign(G) * max(abs(G) - p.reg_alpha, 0.0) / (H + p.reg_lambda)
    return float(np.clip(w, -p.max_delta_step, p.max_delta_step)) if p.max_delta_step else w


def _score(G, H, p):
    if p.max_delta_step == 0:
        return max(abs(G) - p.reg_alpha, 0.0) ** 2 / (H + p.reg_lambda)
    w = _weight(G, H, p)
    return -(2 * G * w + (H + p.reg_lambda) * w * w)


def _best_split(X_binned, grad, hess, rows, n_bins, p, features=None):
    """(gain, feature, bin, missing_left) maximizing the gain over the rows, or None."""
    g, h = grad[rows].astype(np.float64), hess[rows].astype(np.float64)
    parent = _score(g.sum(), h.sum(), p)
    best = None
    for f in range(X_binned.shape[1]) if features is None else features:
        codes = X_binned[rows, f]
        for b in range(n_bins[f]):
            for miss_left in (False, True):
                left = np.where(codes >= n_bins[f], miss_left, codes <= b)
                if left.all() or not left.any():
                    continue
                hl, hr = h[left].sum(), h[~left].sum()
                if hl < p.min_child_weight or hr < p.min_child_weight:
                    continue
                gain = _score(g[left].sum(), hl, p) + _score(g[~left].sum(), hr, p) - parent
                if best is None or gain > best[0]:
                    best = (gain, f, b, miss_left)
    return best


def _reference_partition(X_binned, grad, hess, n_bins, p):
    """Leaves (as row sets) of the tree the growth policy should produce."""
    nodes = []  # (rows, depth, split)
    queue = []

    def add(rows, depth):
        split = None
        if (p.max_depth == 0 or depth < p.max_depth) and rows.size >= 2:
            split = _best_split(X_binned, grad, hess, rows, n_bins, p)
            if split is not None and (split[0] <= 1e-6 or split[0] < p.gamma):
                split = None
        nodes.append((rows, depth, split))
        if split is not None:
            key = -split[0] if p.grow_policy == "lossguide" else depth
            heapq.heappush(queue, (key, len(nodes) - 1))

    add(np.arange(X_binned.shape[0]), 0)
    leaves = {0}
    while queue and not (p.max_leaves and len(leaves) >= p.max_leaves):
        node = heapq.heappop(queue)[1]
        rows, depth, (_, f, b, miss_left) = nodes[node]
        codes = X_binned[rows, f]
        left = np.where(codes >= n_bins[f], miss_left, codes <= b)
        leaves.remove(node)
        leaves.update({len(nodes), len(nodes) + 1})
        add(rows[left], depth + 1)
        add(rows[~left], depth + 1)
    return {frozenset(nodes[i][0].tolist()) for i in leaves}


# --- tests ----------------------------------------------------------------------------------

@pytest.mark.parametrize("params", [
    dict(max_depth=3),
    dict(max_depth=4, reg_alpha=2.0, max_delta_step=0.4, learning_rate=0.5),
    dict(max_depth=0, grow_policy="lossguide", max_leaves=10, min_child_weight=5.0),
])
def test_leaves_partition_the_rows_and_carry_their_weights(params):
    X, grad, hess = _data(1)
    tree, leaf_slices, rows, _, _ = _grow(X, grad, hess, **params)
    p = GrowthParams(**params)
    assert sorted(rows.tolist()) == list(range(X.shape[0]))  # rows were only permuted
    bounds = sorted((start, stop) for _, start, stop in leaf_slices)
    assert bounds[0][0] == 0 and bounds[-1][1] == X.shape[0]
    assert all(a[1] == b[0] and a[0] < a[1] for a, b in zip(bounds, bounds[1:], strict=False))
    leaf_ids = [leaf for leaf, _, _ in leaf_slices]
    assert sorted(leaf_ids) == np.flatnonzero(tree.left == -1).tolist()
    for leaf, start, stop in leaf_slices:
        members = rows[start:stop]
        G = grad[members].astype(np.float64).sum()
        H = hess[members].astype(np.float64).sum()
        assert tree.value[leaf, 0] == pytest.approx(p.learning_rate * _weight(G, H, p),
                                                    rel=1e-9, abs=1e-12)
        assert tree.cover[leaf] == pytest.approx(H, rel=1e-9)
        # Raw-value routing (thresholds, default directions) agrees with the binned growth.
        assert all(_route(tree, X[r]) == leaf for r in members)


def test_split_nodes_store_edges_gains_and_covers_of_their_rows():
    X, grad, hess = _data(2)
    tree, _, _, mapper, X_binned = _grow(X, grad, hess, max_depth=4)
    p = GrowthParams(max_depth=4)
    members = _node_rows(tree, X)
    for node in np.flatnonzero(tree.left != -1):
        f, b = tree.feature[node], tree.split_bin[node]
        assert tree.threshold[node] == mapper.edges_[f, b]
        rows = members[node]
        assert tree.cover[node] == pytest.approx(hess[rows].astype(np.float64).sum(), rel=1e-9)
        best = _best_split(X_binned, grad, hess, rows, mapper.n_bins_, p)
        assert tree.gain[node] == pytest.approx(best[0], rel=1e-8)


@pytest.mark.parametrize("max_depth", [1, 2, 4])
def test_depthwise_respects_max_depth_and_matches_reference(max_depth):
    X, grad, hess = _data(3)
    tree, leaf_slices, rows, mapper, X_binned = _grow(X, grad, hess, max_depth=max_depth)
    assert _python_depth(tree) == max_depth
    assert tree.n_leaves <= 2**max_depth
    expected = _reference_partition(X_binned, grad, hess, mapper.n_bins_,
                                    GrowthParams(max_depth=max_depth))
    assert _leaf_partition(rows, leaf_slices) == expected


@pytest.mark.parametrize("max_leaves", [2, 3, 5, 9, 16])
def test_lossguide_respects_max_leaves_and_grows_best_first(max_leaves):
    X, grad, hess = _data(4)
    params = dict(grow_policy="lossguide", max_depth=0, max_leaves=max_leaves)
    tree, leaf_slices, rows, mapper, X_binned = _grow(X, grad, hess, **params)
    assert tree.n_leaves == max_leaves
    expected = _reference_partition(X_binned, grad, hess, mapper.n_bins_,
                                    GrowthParams(**params))
    assert _leaf_partition(rows, leaf_slices) == expected


def test_lossguide_third_leaf_splits_the_child_with_the_larger_gain():
    X, grad, hess = _data(5)
    tree, _, _, mapper, X_binned = _grow(X, grad, hess, grow_policy="lossguide", max_depth=0,
                                         max_leaves=3)
    p = GrowthParams()
    members = _node_rows(tree, X)
    children = [tree.left[0], tree.right[0]]
    gains = [_best_split(X_binned, grad, hess, members[c], mapper.n_bins_, p)[0]
             for c in children]
    assert gains[0] != pytest.approx(gains[1])
    expanded = children[int(np.argmax(gains))]
    assert tree.left[expanded] != -1
    assert tree.gain[expanded] == pytest.approx(max(gains), rel=1e-8)


def test_depthwise_with_max_leaves_expands_shallow_nodes_first():
    X, grad, hess = _data(6)
    tree, leaf_slices, rows, mapper, X_binned = _grow(X, grad, hess, max_depth=5, max_leaves=6)
    assert tree.n_leaves == 6
    assert _python_depth(tree) == 3  # levels 0 and 1 fill 4 leaves; two more come from level 2
    expected = _reference_partition(X_binned, grad, hess, mapper.n_bins_,
                                    GrowthParams(max_depth=5, max_leaves=6))
    assert _leaf_partition(rows, leaf_slices) == expected


@pytest.mark.parametrize("quantile", [0.3, 0.7, 1.0])
def test_gamma_refuses_weak_splits_while_growing(quantile):
    """XGBoost's ``hist``: a node whose best split gains less than gamma stays a leaf, even
    when a split below it would have gained more (no pruning afterwards)."""
    X, grad, hess = _data(7)
    full, _, _, mapper, X_binned = _grow(X, grad, hess, max_depth=5)
    gains = full.gain[full.left != -1]
    gamma = float(np.quantile(gains, quantile)) + 1e-9
    params = dict(max_depth=5, gamma=gamma)
    tree, leaf_slices, rows, _, _ = _grow(X, grad, hess, **params)
    expected = _reference_partition(X_binned, grad, hess, mapper.n_bins_,
                                    GrowthParams(**params))
    assert _leaf_partition(rows, leaf_slices) == expected
    assert tree.n_leaves < full.n_leaves
    assert np.all(tree.gain[tree.left != -1] >= gamma)


def test_min_child_weight_bounds_every_leaf():
    X, grad, hess = _data(8)
    tree, leaf_slices, rows, _, _ = _grow(X, grad, hess, max_depth=0, grow_policy="lossguide",
                                          min_child_weight=25.0)
    assert tree.n_leaves > 2
    for _, start, stop in leaf_slices:
        assert hess[rows[start:stop]].astype(np.float64).sum() >= 25.0


def test_one_informative_feature_is_the_one_split_on():
    rng = np.random.default_rng(9)
    X = rng.normal(size=(400, 5))
    y = (X[:, 2] > 0.3).astype(float)
    grad = (0.5 - y).astype(np.float32)
    hess = np.full(400, 0.25, dtype=np.float32)
    tree, _, _, _, _ = _grow(X, grad, hess, max_depth=1, max_bin=256)
    assert tree.feature[0] == 2
    # Exact bins put the threshold between the two classes.
    assert X[y == 0, 2].max() <= tree.threshold[0] < X[y == 1, 2].min()
    deeper, _, _, _, _ = _grow(X, grad, hess, max_depth=4, max_bin=256)
    assert set(deeper.feature[deeper.left != -1].tolist()) == {2}


def test_missing_values_follow_the_learned_default_direction():
    rng = np.random.default_rng(10)
    x = rng.normal(size=500)
    missing = rng.random(500) < 0.2
    y = ((x > 0) | missing).astype(float)
    X = np.where(missing, np.nan, x)[:, None]
    tree, _, _, _, _ = _grow(X, (0.5 - y).astype(np.float32), np.ones(500, np.float32),
                             max_depth=1)
    assert not tree.default_left[0]  # missing rows behave like the right-hand (high) values
    leaf_values = tree.value[[_route(tree, row) for row in X], 0]
    assert np.all(leaf_values[missing] == tree.value[tree.right[0], 0])
    assert leaf_values[missing].min() > leaf_values[(~missing) & (x <= 0)].max()


def test_tree_level_feature_mask_is_respected():
    X, grad, hess = _data(11, n_features=4)
    mask = np.array([False, True, True, False])
    tree, _, _, _, _ = _grow(X, grad, hess, mask=mask, max_depth=4)
    used = set(tree.feature[tree.left != -1].tolist())
    assert used and used <= {1, 2}


def test_colsample_bylevel_uses_one_feature_subset_per_depth():
    X, grad, hess = _data(12, n_features=6)
    roots = set()
    for seed in range(6):
        tree, _, _, _, _ = _grow(X, grad, hess, seed=seed, max_depth=4,
                                 colsample_bylevel=1 / 3)
        depth = {0: 0}
        per_depth = {}
        for node in np.flatnonzero(tree.left != -1):
            depth[tree.left[node]] = depth[tree.right[node]] = depth[node] + 1
            per_depth.setdefault(depth[node], set()).add(int(tree.feature[node]))
        assert all(len(features) <= 2 for features in per_depth.values())
        roots.add(int(tree.feature[0]))
    assert len(roots) > 1  # the subsets really change with the generator


def test_colsample_bynode_restricts_each_split_to_its_sampled_feature():
    X, grad, hess = _data(13, n_features=4)
    p = GrowthParams(max_depth=3, colsample_bynode=0.25)
    restricted = 0
    for seed in range(4):
        tree, _, _, mapper, X_binned = _grow(X, grad, hess, seed=seed, max_depth=3,
                                             colsample_bynode=0.25)
        members = _node_rows(tree, X)
        for node in np.flatnonzero(tree.left != -1):
            rows = members[node]
            f = int(tree.feature[node])
            # One feature per node: the split is the best on that feature alone ...
            own = _best_split(X_binned, grad, hess, rows, mapper.n_bins_, p, features=[f])
            assert tree.gain[node] == pytest.approx(own[0], rel=1e-8)
            # ... and often not the best over all features.
            overall = _best_split(X_binned, grad, hess, rows, mapper.n_bins_, p)
            restricted += overall[0] > own[0] * (1 + 1e-6)
    assert restricted > 0


def test_same_generator_seed_gives_the_same_tree():
    X, grad, hess = _data(14, n_features=5)
    params = dict(max_depth=4, colsample_bylevel=0.6, colsample_bynode=0.6)
    a, _, _, _, _ = _grow(X, grad, hess, seed=3, **params)
    b, _, _, _, _ = _grow(X, grad, hess, seed=3, **params)
    for name in ("feature", "threshold", "left", "right", "value", "gain"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_sample_features_draws_a_subset_of_the_mask():
    mask = np.array([True, False, True, True, False, True, True, True])
    rng = np.random.default_rng(0)
    assert sample_features(mask, 1.0, rng) is mask
    for fraction, expected in [(0.5, 3), (0.01, 1), (0.99, 5)]:
        sampled = sample_features(mask, fraction, rng)
        assert sampled.dtype == np.bool_ and sampled.sum() == expected
        assert not np.any(sampled & ~mask)


@pytest.mark.parametrize("n_jobs", [1, 2, 3])
def test_nodes_of_several_chunks_split_like_the_reference(n_jobs):
    """70,000 rows: the root and its children are cut into several chunks, partitioned and
    summed on several threads; the leaves are still the reference's, and the tree is the
    same for every thread count."""
    X, grad, hess = _data(15, n=70_000)
    mapper = BinMapper(max_bin=16).fit(X)
    X_binned = mapper.transform(X)
    params = dict(max_depth=3, grow_policy="depthwise")
    with threads(n_jobs):
        tree, leaf_slices, rows = _grow_rows(X_binned, mapper, grad, hess,
                                             np.arange(X.shape[0]), **params)
    expected = _reference_partition(X_binned, grad, hess, mapper.n_bins_,
                                    GrowthParams(**params))
    assert _leaf_partition(rows, leaf_slices) == expected
    with threads(1):
        serial, _, _ = _grow_rows(X_binned, mapper, grad, hess, np.arange(X.shape[0]),
                                  **params)
    for name in ("feature", "split_bin", "default_left", "left", "value", "gain", "cover"):
        np.testing.assert_array_equal(getattr(tree, name), getattr(serial, name))


@pytest.mark.parametrize("params", [
    dict(max_depth=6),
    dict(max_depth=0, max_leaves=20, grow_policy="lossguide", colsample_bynode=0.5,
         colsample_bylevel=0.7, gamma=0.05, max_delta_step=2.0),
    dict(max_depth=5, monotone_constraints=(1, -1, 0, 0, 0),
         interaction_constraints=[[0, 1], [2, 3, 4]], reg_alpha=0.2),
])
def test_a_team_of_threads_grows_the_one_thread_tree(params, monkeypatch):
    """9,000 rows: a team of two threads (leader and member claiming the items of each
    step through atomic counters), a team of one and the serial path (which very deep
    trees take) grow the same tree, with the same rows in each leaf, for a sub-sample of
    rows too."""
    X, grad, hess = _data(31, n=9_000, n_features=5)
    mapper = BinMapper(max_bin=64).fit(X)
    X_binned = mapper.transform(X)
    teams = []
    team = TreeGrower._grow_team
    monkeypatch.setattr(TreeGrower, "_grow_team",
                        lambda self, *args: teams.append(args[-1]) or team(self, *args))
    for rows in (np.arange(X.shape[0]), np.flatnonzero(np.arange(X.shape[0]) % 3 != 1)):
        grown = {}
        for way, n_jobs in (("serial", 1), ("team of 1", 1), ("team of 2", 2)):
            with threads(n_jobs), monkeypatch.context() as patch:
                if way == "serial":
                    patch.setattr(grower_module, "_TEAM_MAX_POOL", 0)  # no pool fits
                grown[way] = _grow_rows(X_binned, mapper, grad, hess, rows, seed=5, **params)
        serial, serial_leaves, serial_rows = grown["serial"]
        assert serial.n_nodes > 15
        for tree, leaves, rows_out in (grown["team of 1"], grown["team of 2"]):
            for name in ("feature", "split_bin", "default_left", "left", "value", "gain",
                         "cover"):
                np.testing.assert_array_equal(getattr(tree, name), getattr(serial, name))
            assert leaves == serial_leaves
            np.testing.assert_array_equal(rows_out, serial_rows)
    assert teams == [1, 2, 1, 2]  # the serial fits took no team


def test_a_standing_team_grows_each_tree_of_a_fit_as_one_thread_does():
    """On 2 threads the member stays in the team's loop from one tree to the next (no
    hand-off through Python), reading each tree's output, seed and row count from the
    team, which copies each tree's rows and column sample into arrays of its own (as
    subsample and colsample_bytree draw them): every tree equals one thread's, also after
    the member made way for other work on the pool, and none is left running once the
    grower is closed."""
    from ensembles._threads import run_parallel

    X, grad, hess = _data(41, n=20_000, n_features=6)
    mapper = BinMapper(max_bin=64).fit(X)
    X_binned = mapper.transform(X)
    rng = np.random.default_rng(3)
    G = np.column_stack([grad, grad * rng.uniform(-1, 1, grad.size), -grad]).astype(float)
    H = np.column_stack([hess, hess[::-1], np.ones_like(hess)]).astype(float)
    every_row = np.arange(X.shape[0], dtype=np.int32)
    every_feature = np.ones(X.shape[1], dtype=np.bool_)
    params = GrowthParams(max_depth=5, colsample_bynode=0.6)

    def sampled(seed):  # a round's own rows and columns
        rows = np.flatnonzero(rng.random(X.shape[0]) < 0.4 + 0.1 * (seed - 13))
        mask = rng.random(X.shape[1]) < 0.7
        return [(k, seed, rows.astype(np.int32), mask) for k in range(2)]

    # A member that joins on a sampled tree must take the next trees' row counts.
    trees = [(0, 11, every_row, every_feature), *sampled(13), *sampled(14)]
    trees += [(k, 12, every_row, every_feature) for k in range(3)]
    trees += [*sampled(15), (2, 16, every_row, every_feature)]

    def fields(tree):
        return [getattr(tree, name).tolist() for name in ("feature", "split_bin", "value")]

    with threads(1):
        one = TreeGrower(X_binned, mapper.edges_, mapper.n_bins_, params)
        expected = [fields(one.grow(G, H, k, rows, mask, seed)[0])
                    for k, seed, rows, mask in trees]
    assert len({str(e) for e in expected}) == len(trees)  # every input matters
    with threads(2):
        grower = TreeGrower(X_binned, mapper.edges_, mapper.n_bins_, params)
        grown = []
        for i, (k, seed, rows, mask) in enumerate(trees):
            # Nothing else between the trees: a member idle for a millisecond leaves.
            grown.append(grower.grow(G, H, k, rows, mask, seed)[:2])
            if i == 2:  # other work for the pool's thread: the member makes way
                run_parallel(lambda a, b: None, 2)
        team = grower._team
        grower.close()
        assert grower._team is None and team.tasks == []
    assert [fields(tree) for tree, _ in grown] == expected
    for (_, rows_out), (_, _, rows, _) in zip(grown, trees, strict=True):
        np.testing.assert_array_equal(np.sort(rows_out), rows)


@pytest.mark.parametrize("failing", ["leader", "member"])
def test_a_failing_team_member_stops_the_team_and_raises(failing, monkeypatch):
    """An error in either member reaches the caller, and the other member stops instead
    of waiting forever; the grower works again afterwards."""
    import threading

    import ensembles._engine.grower as grower_module

    X, grad, hess = _data(32, n=6_000, n_features=4)
    mapper = BinMapper(max_bin=32).fit(X)
    X_binned = mapper.transform(X)
    rows = np.arange(X.shape[0])
    member_ran = threading.Event()
    work = grower_module._team_work

    def patched(lead, *args):
        if not lead:
            member_ran.set()
        if lead == (failing == "leader"):
            raise ValueError("member failed")
        if lead:
            # A member no worker has started when the leader is done is skipped: make
            # sure the failing one runs.
            assert member_ran.wait(10)
        return work(lead, *args)

    with threads(2):
        expected, _, _ = _grow_rows(X_binned, mapper, grad, hess, rows, max_depth=4)
        with monkeypatch.context() as patch:
            patch.setattr(grower_module, "_team_work", patched)
            with pytest.raises(ValueError, match="member failed"):
                _grow_rows(X_binned, mapper, grad, hess, rows, max_depth=4)
        again, _, _ = _grow_rows(X_binned, mapper, grad, hess, rows, max_depth=4)
    np.testing.assert_array_equal(again.value, expected.value)


@pytest.mark.parametrize("params", [
    dict(max_depth=4),
    dict(max_depth=0, max_leaves=9, grow_policy="lossguide", colsample_bynode=0.5,
         colsample_bylevel=0.7, gamma=0.05),
    dict(max_depth=3, monotone_constraints=(1, -1) + (0,) * 12,
         interaction_constraints=[[0, 1, 13], list(range(2, 14))]),
])
def test_wide_data_grows_feature_parallel_the_one_thread_tree(params):
    """Several blocks of features (blocks of 3 here, 2,048 by default): with threads, the
    levels build, complete and search the histograms by feature blocks, and give the
    tree of one thread (the best split of the blocks is the first largest gain, as in
    one search), which the naive reference confirms when nothing samples features."""
    n_features = 14
    X, grad, hess = _data(21, n=300, n_features=n_features)
    # Signal in the last block too, so that blocks other than the first win splits.
    grad = grad - 3.0 * (np.nan_to_num(X[:, -1]) > 0.5)
    X[:, 7] = np.round(X[:, 7])  # few bins, and NaN
    mapper = BinMapper(max_bin=32).fit(X)
    X_binned = mapper.transform(X)
    rows = np.arange(X.shape[0]).astype(np.int32)
    grown = {}
    for n_jobs, block in ((1, 3), (2, 3), (3, 3), (2, 5), (2, 2048)):
        with threads(n_jobs):
            grower = TreeGrower(X_binned, mapper.edges_, mapper.n_bins_,
                                GrowthParams(**params), feature_block=block)
            assert grower.wide == (block < n_features)
            grown[n_jobs, block] = grower.grow(grad[:, None].astype(np.float64),
                                               hess[:, None].astype(np.float64), 0, rows,
                                               np.ones(n_features, dtype=np.bool_), 7)
    serial = grown[1, 3][0]
    assert serial.n_nodes > 5 and np.max(serial.feature) >= 12
    for key in ((2, 3), (3, 3), (2, 5), (2, 2048)):
        for name in ("feature", "split_bin", "default_left", "left", "value", "gain",
                     "cover"):
            np.testing.assert_array_equal(getattr(grown[key][0], name),
                                          getattr(serial, name))
    if "colsample_bynode" not in params and "monotone_constraints" not in params:
        tree, rows_out, leaves = grown[2, 3]
        expected = _reference_partition(X_binned, grad, hess, mapper.n_bins_,
                                        GrowthParams(**params))
        assert _leaf_partition(rows_out, [tuple(leaf) for leaf in leaves.tolist()]) == expected


@pytest.mark.parametrize("n_jobs", [1, 2])
@pytest.mark.parametrize("max_bin, missing, dtype, n_bins", [
    (256, 0.0, np.uint8, 256),  # 256 value bins use every uint8 code
    (256, 0.1, np.uint8, 255),  # ... so a feature with NaN keeps the top one for it
    (256, 0.1, np.uint16, 256),  # unless its 256 distinct values need exact bins
    (1000, 0.1, np.uint16, 256),
])
def test_wide_bins_split_like_the_reference(max_bin, missing, dtype, n_bins, n_jobs):
    """Up to and above 255 value bins: codes of 255 bins and more, and the missing code
    above them, route and sum as in the reference, on one chunk and on several."""
    for n in (400, 40_000):
        X, grad, hess = _data(17, n=n, missing=missing)
        X[:, 2] = np.round(X[:, 2] * 40)  # a discrete feature with exact bins
        if dtype == np.uint16 and max_bin == 256:
            # Every one of 256 values present, NaN only among the repeats.
            X[:, 0] = np.arange(n) % 256
            X[256::7, 0] = np.nan
        mapper = BinMapper(max_bin=max_bin).fit(X)
        X_binned = mapper.transform(X)
        assert X_binned.dtype == dtype and mapper.n_bins_[0] >= n_bins
        params = dict(max_depth=2 if n > 1000 else 3)
        with threads(n_jobs):
            tree, leaf_slices, rows = _grow_rows(X_binned, mapper, grad, hess,
                                                 np.arange(n), **params)
        if n > 1000:
            # The reference is too slow here: check that the chunked, threaded growth
            # gives the one-thread tree and that raw-value routing agrees.
            with threads(1):
                serial, _, _ = _grow_rows(X_binned, mapper, grad, hess, np.arange(n),
                                          **params)
            for name in ("feature", "split_bin", "default_left", "value", "gain"):
                np.testing.assert_array_equal(getattr(tree, name), getattr(serial, name))
        else:
            expected = _reference_partition(X_binned, grad, hess, mapper.n_bins_,
                                            GrowthParams(**params))
            assert _leaf_partition(rows, leaf_slices) == expected
        for leaf, start, stop in leaf_slices:
            members = rows[start:stop][:200]
            assert all(_route(tree, X[r]) == leaf for r in members)


def test_growing_on_a_row_subset_ignores_the_other_rows():
    X, grad, hess = _data(16)
    mapper = BinMapper(max_bin=16).fit(X)
    X_binned = mapper.transform(X)
    subset = np.flatnonzero(np.random.default_rng(16).random(X.shape[0]) < 0.5)
    scrambled = grad.copy()
    scrambled[np.setdiff1d(np.arange(X.shape[0]), subset)] = 1e6  # must not matter
    trees = []
    for g in (grad, scrambled):
        tree, leaf_slices, rows = _grow_rows(X_binned, mapper, g, hess, subset, max_depth=3)
        assert sorted(rows.tolist()) == subset.tolist()
        reference = _reference_partition(X_binned[subset], grad[subset], hess[subset],
                                         mapper.n_bins_, GrowthParams(max_depth=3))
        expected = {frozenset(subset[sorted(leaf)].tolist()) for leaf in reference}
        assert _leaf_partition(rows, leaf_slices) == expected
        trees.append(tree)
    for name in ("feature", "threshold", "left", "value"):
        np.testing.assert_array_equal(getattr(trees[0], name), getattr(trees[1], name))
