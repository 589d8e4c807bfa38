"""Training on a Dask LocalCluster: the same model as a single-node fit on the
concatenated data, predictions per partition, clear errors, and a worker killed mid-fit."""

import json
import os
import pickle
import signal
import threading
import time

import numpy as np
import pytest

pytest.importorskip("distributed")
dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")

from distributed import Client, LocalCluster  # noqa: E402

from ensembles import (  # noqa: E402
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRanker,
    GradientBoostingRegressor,
    RandomForestClassifier,
    TrainingCallback,
)
from ensembles.dask import (  # noqa: E402
    DaskExtraTreesRegressor,
    DaskGradientBoostingClassifier,
    DaskGradientBoostingRanker,
    DaskGradientBoostingRegressor,
    DaskRandomForestClassifier,
    DaskRandomForestRegressor,
    WorkerLostError,
    _worker,
)
from ensembles.dask._cluster import live_workers  # noqa: E402


@pytest.fixture(scope="module")
def cluster_client():
    """One LocalCluster of 3 worker processes for the module (starting one costs
    seconds): a fit runs on the workers holding its blocks, so :func:`_on` places data
    on two of them for the 2-worker fits."""
    # A worker compiling kernels on an empty numba cache (a fresh CI machine) holds the
    # GIL for minutes: it must not be taken for dead meanwhile.
    patient = {"distributed.scheduler.worker-ttl": None,
               "distributed.comm.timeouts.connect": "300s",
               "distributed.comm.timeouts.tcp": "600s"}
    with dask.config.set(patient):
        # The kernels the workers run, compiled (and cached) once here rather than by
        # three processes at once on a fresh numba cache: a small fit on a cluster of
        # threads in this process. (The tests fit their single-node references first,
        # which compiles the kernels the workers share with them.)
        X = np.random.default_rng(0).normal(size=(300, 3))
        X[::7, 1] = np.nan
        with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                          dashboard_address=None) as threads_only, \
                Client(threads_only, set_as_default=False) as in_process:
            DaskGradientBoostingRegressor(client=in_process, n_estimators=2).fit(
                da.from_array(X, chunks=100), da.from_array(X[:, 0], chunks=100))
        cluster = LocalCluster(n_workers=3, threads_per_worker=1, processes=True,
                               dashboard_address=None, worker_dashboard_address=None)
        client = Client(cluster, set_as_default=False)
        yield client
        client.close()
        cluster.close()


@pytest.fixture
def client(cluster_client):
    """The module's client, with its 3 workers: a test that killed one does not wait
    for the replacement; the next test does (only then)."""
    cluster_client.wait_for_workers(3, timeout=120)
    return cluster_client


def _on(client, n_workers, array, rows):
    """``array`` as a dask array of row blocks of ``rows`` rows (or ending at the rows
    listed), the blocks scattered round-robin over the first ``n_workers`` workers."""
    workers = sorted(live_workers(client))[:n_workers]
    if isinstance(rows, int):
        rows = range(rows, array.shape[0], rows)
    stops = [r for r in rows if r < array.shape[0]] + [array.shape[0]]
    starts = [0] + stops[:-1]
    pieces = []
    for i, (a, b) in enumerate(zip(starts, stops, strict=True)):
        block = array[a:b]
        # Not hashed: the next test scatters the same blocks while the scheduler may still
        # be forgetting this one's keys, and a shared key would be lost between the two.
        future = client.scatter(block, workers=[workers[i % n_workers]], hash=False)
        pieces.append(da.from_delayed(future, block.shape, dtype=block.dtype))
    # Persisted on those workers: the scheduler is otherwise free to compute the
    # concatenation's blocks on an idle worker, and the fit would use three.
    return client.persist(da.concatenate(pieces), workers=workers[:n_workers],
                          allow_other_workers=False)


def _held(client):
    """Fit ids whose shards any worker still holds."""
    return [fit for fits in client.run(_worker.held_fits).values() for fit in fits]


def _data(n=2400, n_features=6, seed=0, missing=0.1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    X[:, 1] = np.round(X[:, 1])  # repeated values: exact bins, ties between splits
    X[rng.random(X.shape) < missing] = np.nan
    signal_ = np.nansum(X[:, :3], axis=1) + 0.5 * np.nan_to_num(X[:, 3]) ** 2
    return X, signal_ + 0.3 * rng.normal(size=n)


def _same_trees(dask_model, local_model):
    a, b = dask_model._booster.trees, local_model._booster.trees
    assert len(a) == len(b)
    for ta, tb in zip(a, b, strict=True):
        np.testing.assert_array_equal(ta.feature, tb.feature)
        np.testing.assert_array_equal(ta.left, tb.left)
        np.testing.assert_array_equal(ta.split_bin, tb.split_bin)
        np.testing.assert_array_equal(ta.default_left, tb.default_left)
        np.testing.assert_allclose(ta.value, tb.value, rtol=0, atol=1e-9)


@pytest.mark.parametrize("params", [
    {"max_depth": 4},
    {"grow_policy": "lossguide", "max_depth": 0, "max_leaves": 9, "reg_alpha": 0.5},
    {"max_depth": 5, "max_leaves": 11, "colsample_bytree": 0.8, "colsample_bylevel": 0.7,
     "colsample_bynode": 0.6, "min_child_weight": 3.0, "gamma": 0.05},
])
def test_regression_matches_single_node(client, params):
    X, y = _data()
    # Uneven row blocks, y chunked otherwise, on two workers.
    dX, dy = _on(client, 2, X, 500), _on(client, 2, y, 700)
    local = GradientBoostingRegressor(n_estimators=8, random_state=3, **params).fit(X, y)
    model = DaskGradientBoostingRegressor(client=client, n_estimators=8, random_state=3,
                                          **params).fit(dX, dy)
    np.testing.assert_array_equal(model._bin_mapper.edges_, local._bin_mapper.edges_)
    _same_trees(model, local)
    pred = model.predict(dX)
    assert isinstance(pred, da.Array)
    np.testing.assert_allclose(client.compute(pred).result(), local.predict(X), rtol=0,
                               atol=1e-6)
    assert model.transfer_stats_["workers"] == 2
    assert model.transfer_stats_["histogram_bytes"] > 0
    assert _held(client) == []


def test_workers_in_one_process_keep_their_own_shards():
    """Workers of a cluster of threads (processes=False) share one registry of shards:
    keyed by the fit alone, the second worker's data replaced the first's, and a fit
    failed (KeyError) or trained on one worker's rows twice without a word."""
    X, y = _data(n=600)
    predictions = []
    for n_workers in (1, 2):
        with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=False,
                          dashboard_address=None) as threads_only, \
                Client(threads_only, set_as_default=False) as in_process:
            dX, dy = da.from_array(X, chunks=200), da.from_array(y, chunks=200)
            for params in ({}, {"max_depth": 1, "subsample": 0.9}):
                model = DaskGradientBoostingRegressor(client=in_process, n_estimators=6,
                                                      random_state=0, **params).fit(dX, dy)
                predictions.append(in_process.compute(model.predict(dX)).result())
            assert _held(in_process) == []
    local = GradientBoostingRegressor(n_estimators=6, random_state=0).fit(X, y)
    np.testing.assert_allclose(predictions[2], local.predict(X), rtol=0, atol=1e-6)
    # 1 and 2 workers: the same model, up to the order in which histograms add up.
    np.testing.assert_allclose(predictions[1], predictions[3], rtol=0, atol=1e-9)


def _failing_block(block):
    raise RuntimeError("this block cannot be computed")


def test_an_error_computing_the_data_reaches_the_caller():
    """It surfaced as an IndexError of the blocks' bookkeeping."""
    X, y = _data(n=300)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as threads_only, \
            Client(threads_only, set_as_default=False) as in_process:
        failing = da.from_array(X, chunks=100).map_blocks(_failing_block, dtype=float)
        model = DaskGradientBoostingRegressor(client=in_process, n_estimators=2)
        with pytest.raises(RuntimeError, match="this block cannot be computed"):
            model.fit(failing, da.from_array(y, chunks=100))
        assert not hasattr(model, "n_iterations_")


def test_binary_lossguide_three_workers_with_weights(client, monkeypatch):
    # Bin edges from a subsample of the rows of positive weight: the Dask fit draws the
    # single-node fit's subsample over its partitions (a small one here, as 200,000 rows
    # would be too slow for a test).
    import ensembles.boosting.estimators
    import ensembles.dask._boosting

    monkeypatch.setattr(ensembles.boosting.estimators, "_BINNING_SUBSAMPLE", 700)
    monkeypatch.setattr(ensembles.dask._boosting, "_BINNING_SUBSAMPLE", 700)
    X, y = _data(n=2000, seed=1)
    labels = np.where(y > 0.2, "yes", "no")
    w = np.random.default_rng(2).integers(0, 3, size=len(y)).astype(float)
    params = {"grow_policy": "lossguide", "max_leaves": 12, "n_estimators": 6,
              "learning_rate": 0.5, "random_state": 0}
    dX = _on(client, 3, X, 300)
    local = GradientBoostingClassifier(**params).fit(X, labels, sample_weight=w)
    model = DaskGradientBoostingClassifier(client=client, **params).fit(
        dX, _on(client, 3, labels, 300), sample_weight=_on(client, 3, w, 300))
    assert model.transfer_stats_["workers"] == 3
    np.testing.assert_array_equal(model._bin_mapper.edges_, local._bin_mapper.edges_)
    unsampled = GradientBoostingClassifier(**params)
    monkeypatch.setattr(ensembles.boosting.estimators, "_BINNING_SUBSAMPLE", 200_000)
    unsampled.fit(X, labels, sample_weight=w)
    assert not np.array_equal(unsampled._bin_mapper.edges_, local._bin_mapper.edges_)
    _same_trees(model, local)
    np.testing.assert_array_equal(model.classes_, ["no", "yes"])
    proba = client.compute(model.predict_proba(dX)).result()
    np.testing.assert_allclose(proba, local.predict_proba(X), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(client.compute(model.predict(dX)).result(), local.predict(X))
    assert _held(client) == []


def test_multiclass_dataframe_eval_set_early_stopping(client):
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    X, y = _data(n=1800, seed=4)
    classes = np.digitize(y, [-1.0, 1.0])
    names = [f"c{i}" for i in range(X.shape[1])]
    df = pd.DataFrame(X, columns=names)
    y_train, y_val = classes[:1200], classes[1200:]
    ddf = dd.from_pandas(df.iloc[:1200], npartitions=3)
    dval = dd.from_pandas(df.iloc[1200:], npartitions=2)
    params = {"n_estimators": 30, "max_depth": 5, "learning_rate": 0.6,
              "early_stopping_rounds": 2, "random_state": 5}
    local = GradientBoostingClassifier(**params).fit(
        df.iloc[:1200], y_train, eval_set=[(df.iloc[1200:], y_val)])
    model = DaskGradientBoostingClassifier(client=client, **params).fit(
        ddf, dd.from_pandas(pd.Series(y_train), npartitions=3),
        eval_set=[(dval, da.from_array(y_val, chunks=300))])
    assert model.n_classes_ == 3
    np.testing.assert_array_equal(model.feature_names_in_, names)
    assert model.best_iteration == local.best_iteration < 29
    np.testing.assert_allclose(model.evals_result_["validation_0"]["mlogloss"],
                               local.evals_result_["validation_0"]["mlogloss"], atol=1e-9)
    proba = model.predict_proba(dval)
    assert isinstance(proba, da.Array)
    np.testing.assert_allclose(client.compute(proba).result(),
                               local.predict_proba(df.iloc[1200:]), atol=1e-6)
    # In-memory X gets the local model's ndarray.
    np.testing.assert_allclose(model.predict_proba(df.iloc[1200:]),
                               local.predict_proba(df.iloc[1200:]), atol=1e-6)


def test_to_local_saves_loads_and_pickles(client, tmp_path):
    X, y = _data(n=1200, seed=6)
    model = DaskGradientBoostingRegressor(client=client, n_estimators=5, max_depth=3,
                                          objective="count:poisson", random_state=0)
    # Column blocks are merged into whole rows.
    model.fit(da.from_array(X, chunks=(400, 4)), da.from_array(np.exp(y / 3), chunks=400))
    from sklearn.base import clone

    copy = clone(model)  # the parameters cloned, the client (not copyable) shared
    assert copy.client is client and copy.get_params()["objective"] == "count:poisson"
    assert not hasattr(copy, "n_iterations_")
    local = model.to_local()
    assert type(local) is GradientBoostingRegressor
    assert "client" not in local.get_params()
    expected = client.compute(model.predict(da.from_array(X, chunks=400))).result()
    np.testing.assert_allclose(local.predict(X), expected, rtol=1e-12)
    local.save_model(tmp_path / "m.json")
    loaded = GradientBoostingRegressor().load_model(tmp_path / "m.json")
    np.testing.assert_array_equal(loaded.predict(X), local.predict(X))
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(local)).predict(X),
                                  local.predict(X))
    # The Dask estimator itself, holding its client (a connection): pickled and saved
    # without it, where both failed.
    unpickled = pickle.loads(pickle.dumps(model))
    assert unpickled.client is None and model.client is client
    np.testing.assert_array_equal(unpickled.predict(X), local.predict(X))
    document = model.save_model()
    assert "client" not in json.loads(document)["params"]
    # Known when the prediction is set up: refused there, not at compute().
    with pytest.raises(ValueError, match="X has 3 features, but .* expecting 6"):
        model.predict(da.from_array(X[:, :3], chunks=400))
    loaded = DaskGradientBoostingRegressor().load_model(document)
    np.testing.assert_array_equal(loaded.predict(X), local.predict(X))


def test_bad_input_and_unsupported_objective(client):
    X, y = _data(n=200)
    with pytest.raises(TypeError, match="dask array"):
        DaskGradientBoostingRegressor(client=client).fit(X, y)
    for estimator in (DaskGradientBoostingRegressor, DaskRandomForestRegressor):
        with pytest.raises(TypeError, match="client must be a distributed.Client or None"):
            estimator(client="scheduler:8786").fit(da.from_array(X, chunks=100),
                                                   da.from_array(y, chunks=100))
    with pytest.raises(ValueError, match="reg:absoluteerror"):
        DaskGradientBoostingRegressor(client=client, objective="reg:absoluteerror").fit(
            da.from_array(X, chunks=100), da.from_array(y, chunks=100))
    with pytest.raises(ValueError, match="at least 2 classes"):
        DaskGradientBoostingClassifier(client=client).fit(
            da.from_array(X, chunks=100), da.zeros(200, chunks=100))
    bad = X.copy()
    bad[3, 2] = np.inf
    model = DaskGradientBoostingRegressor(client=client, n_estimators=2)
    with pytest.raises(ValueError, match="infinity"):
        model.fit(da.from_array(bad, chunks=100), da.from_array(y, chunks=100))
    assert not hasattr(model, "n_iterations_")  # nothing published by a failed fit
    assert _held(client) == []
    # A category column (no numpy dtype) failed inside numpy's dtype test.
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    frame = pd.DataFrame(X[:, :2], columns=["a", "b"]).assign(
        c=pd.Categorical(np.where(X[:, 2] > 0, "x", "y")))
    for estimator in (DaskGradientBoostingRegressor(client=client, n_estimators=2),
                      DaskRandomForestRegressor(client=client, n_estimators=2)):
        with pytest.raises(ValueError, match=r"non-numeric columns \['c'\]"):
            estimator.fit(dd.from_pandas(frame, npartitions=2),
                          dd.from_pandas(pd.Series(y), npartitions=2))
    Xd, yd = da.from_array(X, chunks=100), da.from_array(y, chunks=100)
    for params, name in [(dict(monotone_constraints=(1, 0, 0, 0, 0)), "monotone"),
                         (dict(interaction_constraints=[[0, 1]]), "interaction"),
                         (dict(booster="dart"), "booster"),
                         (dict(num_parallel_tree=2), "num_parallel_tree"),
                         (dict(use_quantized_grad=True), "use_quantized_grad"),
                         (dict(objective="survival:cox"), "couples the rows")]:
        with pytest.raises(ValueError, match=name):
            DaskGradientBoostingRegressor(client=client, n_estimators=2, **params).fit(Xd, yd)
    # The eval sets get the single-node checks (same messages).
    model = DaskGradientBoostingRegressor(client=client, n_estimators=2)
    with pytest.raises(TypeError, match="list of \\(X, y\\) pairs"):
        model.fit(Xd, yd, eval_set=[Xd])
    with pytest.raises(ValueError, match="sample_weight_eval_set is given but eval_set"):
        model.fit(Xd, yd, sample_weight_eval_set=[None])
    with pytest.raises(ValueError, match="sample_weight_eval_set has 2 entries"):
        model.fit(Xd, yd, eval_set=[(Xd, yd)], sample_weight_eval_set=[None, None])
    for bad_weight in (-np.ones(200), np.full(200, np.nan)):
        with pytest.raises(ValueError, match=r"sample_weight_eval_set\[0\]: "):
            model.fit(Xd, yd, eval_set=[(Xd, yd)],
                      sample_weight_eval_set=[da.from_array(bad_weight, chunks=100)])
    assert not hasattr(model, "n_iterations_")


def test_forests_match_single_node(client):
    X, y = _data(n=900, seed=8)
    labels = np.digitize(y, [-1.0, 1.0])
    dX = _on(client, 3, X, 200)
    params = {"n_estimators": 7, "max_depth": 6, "random_state": 11}
    local = RandomForestClassifier(oob_score=True, **params).fit(X, labels)
    forest = DaskRandomForestClassifier(client=client, oob_score=True, **params).fit(
        dX, _on(client, 3, labels, 200))
    np.testing.assert_array_equal(client.compute(forest.predict_proba(dX)).result(),
                                  local.predict_proba(X))
    assert forest.oob_score_ == local.oob_score_
    assert type(forest.to_local()) is RandomForestClassifier
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(forest.to_local())).predict(X),
                                  local.predict(X))
    w = np.random.default_rng(0).random(len(y))
    # With scikit-learn's monotonic constraints, which the members apply on the workers.
    params["monotonic_cst"] = [1, 0, -1, 0, 0, 0]
    local = ExtraTreesRegressor(**params).fit(X, y, sample_weight=w)
    extra = DaskExtraTreesRegressor(client=client, **params).fit(
        dX, _on(client, 3, y, 200), sample_weight=_on(client, 3, w, 200))
    np.testing.assert_array_equal(client.compute(extra.predict(dX)).result(), local.predict(X))
    with pytest.raises(TypeError, match="dask array"):
        DaskExtraTreesRegressor(client=client).fit(X, y)


def _ranking_data(n_queries, seed):
    """Features, graded labels and sorted query ids of ``n_queries`` queries of 4 to 30
    documents, with the row at which each query starts."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(4, 31, size=n_queries)
    qid = np.repeat(np.arange(n_queries) * 3 + 100, sizes)
    X = rng.normal(size=(qid.size, 5))
    X[:, 2] = np.round(X[:, 2])
    X[rng.random(X.shape) < 0.05] = np.nan
    score = np.nan_to_num(X[:, 0]) - 0.5 * np.nan_to_num(X[:, 1]) + rng.normal(size=qid.size)
    y = np.digitize(score, [-1.0, 0.0, 1.0, 2.0]).astype(float)
    return X, y, qid, np.concatenate([[0], np.cumsum(sizes)])


@pytest.mark.parametrize("params", [
    {"objective": "rank:ndcg"},
    {"objective": "rank:pairwise", "lambdarank_pair_method": "mean",
     "lambdarank_num_pair_per_sample": 2, "random_state": 4},
    {"objective": "rank:map", "grow_policy": "lossguide", "max_leaves": 7},
])
def test_ranker_matches_single_node(client, params):
    X, y, qid, starts = _ranking_data(40, seed=12)
    Xe, ye, qe, starts_e = _ranking_data(10, seed=13)
    if params["objective"] == "rank:map":
        y, ye = (y >= 2).astype(float), (ye >= 2).astype(float)
    weights = np.random.default_rng(3).uniform(0.5, 2.0, size=40)
    # Row blocks at query boundaries, uneven, on three workers.
    cuts = starts[[7, 15, 29]]
    on3 = [_on(client, 3, a, cuts) for a in (X, y, qid)]
    eval_on = [_on(client, 3, a, starts_e[[4]]) for a in (Xe, ye, qe)]
    common = dict(n_estimators=6, max_depth=4, learning_rate=0.3, **params)
    local = GradientBoostingRanker(**common).fit(
        X, y, qid=qid, sample_weight=weights, eval_set=[(Xe, ye)], eval_qid=[qe])
    model = DaskGradientBoostingRanker(client=client, **common).fit(
        on3[0], on3[1], qid=on3[2], sample_weight=weights, eval_set=[eval_on[:2]],
        eval_qid=[eval_on[2]])
    _same_trees(model, local)
    ours, theirs = model.evals_result_["validation_0"], local.evals_result_["validation_0"]
    assert ours.keys() == theirs.keys()
    for name in ours:
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-9)
    pred = model.predict(on3[0])
    assert isinstance(pred, da.Array)
    np.testing.assert_allclose(client.compute(pred).result(), local.predict(X), rtol=0,
                               atol=1e-6)
    assert type(model.to_local()) is GradientBoostingRanker
    assert model.transfer_stats_["workers"] == 3
    assert _held(client) == []


def test_ranker_refuses_queries_across_blocks_and_missing_qid(client):
    X, y, qid, starts = _ranking_data(12, seed=14)
    split = _on(client, 2, X, [starts[5] + 1]), _on(client, 2, y, [starts[5] + 1])
    q = _on(client, 2, qid, [starts[5] + 1])
    with pytest.raises(ValueError, match="spans row blocks 0 and 1"):
        DaskGradientBoostingRanker(client=client, n_estimators=2).fit(*split, qid=q)
    with pytest.raises(ValueError, match="qid is required"):
        DaskGradientBoostingRanker(client=client, n_estimators=2).fit(*split)
    with pytest.raises(ValueError, match="lambdarank_unbiased"):
        DaskGradientBoostingRanker(client=client, n_estimators=2,
                                   lambdarank_unbiased=True).fit(*split, qid=q)
    assert _held(client) == []


def test_worker_tree_rows_match_direct_histograms_and_partition():
    """A worker's tree buffers (no cluster): a node of several chunks, summed from
    partials on 2 threads, and its children after a split, against the engine's direct
    histogram of the same rows; the children's rows in their original order; the leaf
    values added to the margins through the ranges and through a split never applied."""
    from types import SimpleNamespace

    from ensembles._engine.histogram import build_histogram, kernel_layout
    from ensembles._threads import threads

    rng = np.random.default_rng(0)
    n, n_bins = 3 * 16384 + 100, np.array([20, 9, 20, 5], dtype=np.int32)
    Xb = (rng.random((n, 4)) * n_bins).astype(np.uint8)
    Xb[rng.random((n, 4)) < 0.05] = 255  # missing values
    grad, hess = rng.normal(size=(n, 1)), rng.random((n, 1))
    rows = np.flatnonzero(rng.random(n) < 0.9).astype(np.int32)  # a row sample
    offsets_u, n_bins_u = kernel_layout(n_bins)
    tree = SimpleNamespace(left=np.array([1, -1, -1]),
                           value=np.array([[0.0], [0.5], [-0.25]]))
    # node 0 on feature 1 at bin 3, missing values left, into nodes 1 and 2
    splits = np.array([[0, 1, 3, 1, 1, 2]])
    code = Xb[rows, 1]
    goes_left = (code <= 3) | (code >= n_bins[1])
    expected_raw = np.zeros((n, 1))
    expected_raw[rows, 0] = np.where(goes_left, 0.5, -0.25)
    tree_rows = _worker.TreeRows(Xb, n)
    with threads(2):
        tree_rows.start(grad, hess, 0, rows)
        root = np.empty((1, int(offsets_u[-1]), 2))
        tree_rows.build([0], offsets_u, n_bins_u, root)
        np.testing.assert_allclose(root[0], build_histogram(Xb, grad[:, 0], hess[:, 0],
                                                            rows, n_bins), atol=1e-9)
        tree_rows.split(splits, n_bins)
        children = np.empty((2, int(offsets_u[-1]), 2))
        tree_rows.build([1, 2], offsets_u, n_bins_u, children)
        for j, part in enumerate((rows[goes_left], rows[~goes_left])):
            np.testing.assert_allclose(children[j], build_histogram(
                Xb, grad[:, 0], hess[:, 0], part, n_bins), atol=1e-9)
            buffer, start, stop = tree_rows.nodes[j + 1]
            np.testing.assert_array_equal(tree_rows.ids[buffer, start:stop], part)
        raw = np.zeros((n, 1))
        tree_rows.add_leaves(raw, 0, tree, None, n_bins)
        np.testing.assert_array_equal(raw, expected_raw)
        # The same tree whose last split the client never sent.
        tree_rows.start(grad, hess, 0, rows)
        raw = np.zeros((n, 1))
        tree_rows.add_leaves(raw, 0, tree, splits, n_bins)
        np.testing.assert_array_equal(raw, expected_raw)


# The tests that kill a worker come last: the module's later tests would otherwise wait
# for its replacement and pay its imports.

def _forest_keys(dask_scheduler=None):
    return [str(k) for k in dask_scheduler.tasks if str(k).startswith("ensembles-tree-")]


def test_forest_worker_killed_mid_fit_gives_the_same_forest(client):
    """The data goes to every worker, so the tree tasks a killed worker was running run
    again on another: the forest is the single-node one, and nothing is left behind."""
    X, y = _data(n=10_000, seed=9)
    labels = (y > 0).astype(int)
    dX, dy = _on(client, 3, X, 2500), _on(client, 3, labels, 2500)
    params = {"n_estimators": 40, "random_state": 5}
    pids = client.run(os.getpid)
    victim = sorted(pids)[0]
    killed = threading.Event()

    def kill_when_growing():
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if any(str(k).startswith("ensembles-tree-")
                   for k in client.processing().get(victim, ())):
                os.kill(pids[victim], signal.SIGKILL)
                killed.set()
                return
            time.sleep(0.005)

    local = RandomForestClassifier(**params).fit(X, labels)
    killer = threading.Thread(target=kill_when_growing)
    killer.start()
    try:
        forest = DaskRandomForestClassifier(client=client, **params).fit(dX, dy)
    finally:
        killer.join()
    assert killed.is_set()
    np.testing.assert_array_equal(forest.to_local().predict_proba(X), local.predict_proba(X))
    deadline = time.monotonic() + 30
    while client.run_on_scheduler(_forest_keys) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert client.run_on_scheduler(_forest_keys) == []


class _KillWorker(TrainingCallback):
    """Kill one worker process (SIGKILL) after the second round."""

    def __init__(self, pid):
        self.pid = pid

    def after_iteration(self, model, iteration, evals_log):
        if iteration == 1:
            os.kill(self.pid, signal.SIGKILL)
        return False


def test_worker_killed_mid_fit_gives_clear_error(client):
    X, y = _data(n=1200, seed=7)
    dX, dy = _on(client, 2, X, 300), _on(client, 2, y, 300)
    pids = client.run(os.getpid)
    victim = sorted(pids)[0]
    model = DaskGradientBoostingRegressor(client=client, n_estimators=50, max_depth=3,
                                          callbacks=[_KillWorker(pids[victim])])
    start = time.monotonic()
    with pytest.raises(WorkerLostError, match="left the cluster"):
        model.fit(dX, dy)
    assert time.monotonic() - start < 60
    assert not hasattr(model, "n_iterations_")
    # Nothing left on the workers that survived (their replacement holds nothing; the
    # next test waits for it).
    survivors = [w for w in pids if w != victim]
    assert [fit for fits in client.run(_worker.held_fits, workers=survivors).values()
            for fit in fits] == []
