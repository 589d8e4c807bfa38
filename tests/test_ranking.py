"""Learning to rank: GradientBoostingRanker against XGBRanker (same trees), the ranking
metrics against XGBoost's and scikit-learn's, the documented XGBoost example, NDCG on the
shared rank data against XGBoost and LightGBM, and the default objective on other data."""

import io

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import ndcg_score

from ensembles import GradientBoostingRanker, GradientBoostingRegressor
from ensembles.boosting.metrics import make_metric
from ensembles.boosting.ranking import group_pointer, make_ranking_metric

from .conftest import dataset_path

xgb = pytest.importorskip("xgboost")


def ranking_data(seed=0, n_queries=40, n_features=5, levels=5):
    """Queries of 5 to 25 documents, features with few distinct values (exact bins in both
    libraries), graded labels driven by the features."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(5, 26, size=n_queries)
    n = int(sizes.sum())
    X = rng.integers(0, 8, size=(n, n_features)).astype(float)
    score = X[:, 0] - 0.5 * X[:, 1] + 0.3 * X[:, 2] * X[:, 3] / 8 + rng.normal(size=n)
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, levels + 1)[1:-1]))
    qid = np.repeat(np.arange(n_queries), sizes)
    return X, y.astype(float), qid, sizes


ORACLE_CASES = {
    "ndcg": dict(objective="rank:ndcg"),
    "pairwise": dict(objective="rank:pairwise"),
    "map": dict(objective="rank:map"),
    "ndcg-top5": dict(objective="rank:ndcg", lambdarank_num_pair_per_sample=5),
    "ndcg-unbiased": dict(objective="rank:ndcg", lambdarank_unbiased=True),
    "ndcg-linear-gain": dict(objective="rank:ndcg", ndcg_exp_gain=False,
                             lambdarank_normalization=False),
    "ndcg-no-score-norm": dict(objective="rank:ndcg", lambdarank_score_normalization=False,
                               lambdarank_bias_norm=0.5),
}


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "group-weights"])
@pytest.mark.parametrize("case", list(ORACLE_CASES))
def test_same_model_as_xgbranker(case, weighted):
    params = dict(n_estimators=12, max_depth=4, learning_rate=0.3, base_score=0.0,
                  **ORACLE_CASES[case])
    X, y, qid, sizes = ranking_data()
    Xt, yt, qidt, _ = ranking_data(seed=1, n_queries=15)
    if params["objective"] == "rank:map":
        y, yt = (y >= 3).astype(float), (yt >= 3).astype(float)
    w = np.random.default_rng(2).uniform(0.5, 2.0, size=sizes.size) if weighted else None
    ours = GradientBoostingRanker(**params).fit(X, y, qid=qid, sample_weight=w,
                                                eval_set=[(Xt, yt)], eval_qid=[qidt])
    theirs = xgb.XGBRanker(tree_method="hist", n_jobs=1, **params).fit(
        X, y, qid=qid, sample_weight=w, eval_set=[(Xt, yt)], eval_qid=[qidt])
    p_ours, p_theirs = ours.predict(Xt), theirs.predict(Xt)
    np.testing.assert_allclose(p_ours, p_theirs, rtol=1e-5, atol=1e-5 * np.abs(p_theirs).max())
    # Same default metric (name and values) on the eval set, round by round.
    (name, ours_log), = ours.evals_result_["validation_0"].items()
    (xgb_name, xgb_log), = theirs.evals_result()["validation_0"].items()
    assert name == xgb_name
    np.testing.assert_allclose(ours_log, xgb_log, atol=1e-6)


def _xgb_metric(name, y, pred, sizes, weights=None):
    """XGBoost's value of metric ``name`` for the scores ``pred``: a model whose trees add
    nothing (learning rate 0) evaluated on data whose starting margin is ``pred``."""
    X = np.zeros((y.size, 1))
    d = xgb.DMatrix(X, y, base_margin=pred, group=sizes, weight=weights)
    booster = xgb.train({"eta": 0.0, "eval_metric": name, "objective": "rank:ndcg",
                         "base_score": 0.0}, d, num_boost_round=1)
    return float(booster.eval(d).split(":")[-1])


@pytest.mark.parametrize("name", ["ndcg", "ndcg@5", "ndcg@3-", "map", "map@4", "map@4-",
                                  "pre@5", "pre"])
def test_metrics_match_xgboost(name):
    rng = np.random.default_rng(3)
    _, y, _, sizes = ranking_data(seed=3)
    if name.startswith(("map", "pre")):
        y = (y >= 3).astype(float)
    pred = rng.normal(size=y.size).astype(np.float32).astype(float)
    w = rng.uniform(0.5, 2.0, size=sizes.size)
    ptr = group_pointer(y.size, group=sizes)
    metric = make_metric(name)
    assert metric.name == name and metric.higher_is_better
    # Group weights (no query without relevant documents: XGBoost's NDCG counts such a
    # query as 1 whatever its weight, here as its weight).
    assert y[:sizes[0]].max() > 0
    expected_w = _xgb_metric(name, y, pred, sizes, w)
    weights = np.repeat(w, sizes)
    assert metric(y, pred, weights, group_ptr=ptr) == pytest.approx(expected_w, abs=1e-6)
    y[:sizes[0]] = 0  # a query without relevant documents ("-" scores it 0, else 1)
    expected = _xgb_metric(name, y, pred, sizes)
    assert metric(y, pred, group_ptr=ptr) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("k", [None, 3, 10])
def test_linear_gain_ndcg_matches_scikit_learn(k):
    rng = np.random.default_rng(4)
    _, y, _, sizes = ranking_data(seed=4)
    pred = rng.normal(size=y.size)
    ptr = group_pointer(y.size, group=sizes)
    metric = make_ranking_metric("ndcg" if k is None else f"ndcg@{k}", exp_gain=False)
    expected = np.mean([ndcg_score([y[a:b]], [pred[a:b]], k=k)
                        for a, b in zip(ptr[:-1], ptr[1:], strict=True)])
    assert metric(y, pred, group_ptr=ptr) == pytest.approx(expected, rel=1e-12)


def test_group_pointer_and_its_errors():
    np.testing.assert_array_equal(group_pointer(6, qid=[7, 7, 2, 2, 2, 9]), [0, 2, 5, 6])
    np.testing.assert_array_equal(group_pointer(6, group=[2, 3, 1]), [0, 2, 5, 6])
    with pytest.raises(ValueError, match="contiguous"):
        group_pointer(4, qid=[1, 2, 1, 2])
    with pytest.raises(ValueError, match="sum to 5, but X has 6"):
        group_pointer(6, group=[2, 3])
    with pytest.raises(ValueError, match="needs the query groups"):
        group_pointer(6)
    with pytest.raises(ValueError, match="not both"):
        group_pointer(2, qid=[1, 1], group=[2])


def test_ranker_interface_errors():
    X, y, qid, sizes = ranking_data()
    with pytest.raises(ValueError, match="needs the query groups"):
        GradientBoostingRanker().fit(X, y)
    with pytest.raises(ValueError, match="contiguous"):
        GradientBoostingRanker().fit(X, y, qid=qid[::-1].copy() % 2)
    with pytest.raises(ValueError, match="one weight per query group"):
        GradientBoostingRanker().fit(X, y, qid=qid, sample_weight=np.ones(len(y)))
    with pytest.raises(ValueError, match="not a ranking objective"):
        GradientBoostingRanker(objective="reg:squarederror").fit(X, y, qid=qid)
    with pytest.raises(ValueError, match="lambdarank_pair_method"):
        GradientBoostingRanker(lambdarank_pair_method="all").fit(X, y, qid=qid)
    with pytest.raises(ValueError, match="lambdarank_num_pair_per_sample"):
        GradientBoostingRanker(lambdarank_num_pair_per_sample=0).fit(X, y, qid=qid)
    with pytest.raises(ValueError, match="binary relevance"):
        GradientBoostingRanker(objective="rank:map").fit(X, y, qid=qid)
    with pytest.raises(ValueError, match=r"integers in \[0, 31\]"):
        GradientBoostingRanker().fit(X, y + 0.5, qid=qid)
    with pytest.raises(ValueError, match="eval_set\\[0\\] has no query groups"):
        GradientBoostingRanker().fit(X, y, qid=qid, eval_set=[(X, y)])
    with pytest.raises(TypeError, match="list of \\(X, y\\) pairs"):
        GradientBoostingRanker().fit(X, y, qid=qid, eval_set=[X])
    for name in ("eval_qid", "eval_group", "sample_weight_eval_set"):
        with pytest.raises(ValueError, match=f"{name} has 2 entries but eval_set has 1"):
            GradientBoostingRanker().fit(X, y, qid=qid, eval_set=[(X, y)],
                                         **{name: [None, None]})
    with pytest.raises(ValueError, match=r"sample_weight_eval_set\[0\] holds one weight"):
        GradientBoostingRanker().fit(X, y, qid=qid, eval_set=[(X, y)], eval_qid=[qid],
                                     sample_weight_eval_set=[np.ones(len(y))])
    with pytest.raises(TypeError, match="unexpected keyword"):
        GradientBoostingRanker(lambdarank_typo=1)
    # A failed fit leaves the estimator unfitted.
    ranker = GradientBoostingRanker(objective="rank:map")
    with pytest.raises(ValueError):
        ranker.fit(X, y, qid=qid)
    assert not hasattr(ranker, "n_iterations_")


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_qid_column_eval_set_early_stopping_and_score():
    pd = pytest.importorskip("pandas")
    X, y, qid, sizes = ranking_data(n_queries=60)
    Xt, yt, qidt, _ = ranking_data(seed=5, n_queries=20)
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    df["qid"] = qid
    df_t = pd.DataFrame(Xt, columns=df.columns[:-1])
    df_t["qid"] = qidt
    params = dict(n_estimators=200, learning_rate=0.3, max_depth=3,
                  lambdarank_num_pair_per_sample=8, early_stopping_rounds=5)
    ranker = GradientBoostingRanker(**params).fit(df, y, eval_set=[(df_t, yt)])
    assert list(ranker.feature_names_in_) == list(df.columns[:-1])
    log = ranker.evals_result_["validation_0"]["ndcg@8"]
    assert ranker.n_iterations_ < 200
    assert ranker.best_iteration == int(np.argmax(log))  # NDCG is maximized
    assert ranker.best_score == pytest.approx(max(log))
    # score: ndcg@8 of the best rounds, with the qid column or the qid argument.
    assert ranker.score(df_t, yt) == pytest.approx(ranker.best_score)
    assert ranker.score(Xt, yt, qid=qidt) == pytest.approx(ranker.best_score)
    np.testing.assert_array_equal(ranker.predict(df_t), ranker.predict(Xt))
    # Same model with the groups given as arrays.
    again = GradientBoostingRanker(**params).fit(X, y, group=sizes, eval_set=[(Xt, yt)],
                                                 eval_qid=[qidt])
    np.testing.assert_array_equal(again.predict(Xt), ranker.predict(Xt))


def test_group_weights_are_normalized_and_mean_pairs_are_seeded():
    X, y, qid, sizes = ranking_data()
    base = GradientBoostingRanker(n_estimators=10).fit(X, y, qid=qid)
    scaled = GradientBoostingRanker(n_estimators=10).fit(X, y, qid=qid,
                                                         sample_weight=np.full(sizes.size, 3.))
    # XGBoost normalizes the group weights to mean 1: a common factor changes nothing.
    np.testing.assert_allclose(scaled.predict(X), base.predict(X), rtol=1e-12, atol=1e-12)
    mean = dict(n_estimators=20, lambdarank_pair_method="mean",
                lambdarank_num_pair_per_sample=4, random_state=0)
    a = GradientBoostingRanker(**mean).fit(X, y, qid=qid)
    b = GradientBoostingRanker(**mean).fit(X, y, qid=qid)
    c = GradientBoostingRanker(**{**mean, "random_state": 1}).fit(X, y, qid=qid)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert not np.array_equal(a.predict(X), c.predict(X))
    assert a.evals_result_ == {}
    ptr = group_pointer(len(y), qid=qid)
    ndcg = make_ranking_metric("ndcg")
    assert ndcg(y, a.predict(X), group_ptr=ptr) > ndcg(y, -a.predict(X), group_ptr=ptr) + 0.2


def test_save_load_clone_and_xgboost_format():
    X, y, qid, _ = ranking_data()
    ranker = GradientBoostingRanker(n_estimators=8, objective="rank:pairwise",
                                    lambdarank_num_pair_per_sample=6).fit(X, y, qid=qid)
    loaded = GradientBoostingRanker().load_model(io.BytesIO(ranker.save_model()))
    np.testing.assert_array_equal(loaded.predict(X), ranker.predict(X))
    assert loaded.get_params() == ranker.get_params()
    assert clone(ranker).get_params() == ranker.get_params()
    with pytest.raises(ValueError, match="GradientBoostingRanker"):
        GradientBoostingRegressor().load_model(ranker.save_model())
    booster = xgb.Booster()
    booster.load_model(bytearray(ranker.save_model(format="xgboost")))
    np.testing.assert_allclose(booster.predict(xgb.DMatrix(X)), ranker.predict(X), rtol=1e-5,
                               atol=1e-5)


@pytest.mark.filterwarnings("ignore:X has feature names")
def test_xgboost_documented_example_without_tree_method():
    """XGBoost's learning-to-rank tutorial (scikit-learn interface), the one parameter
    this branch does not have yet (tree_method) left out; see the next test."""
    from sklearn.datasets import make_classification

    seed = 1994
    X, y = make_classification(random_state=seed)
    rng = np.random.default_rng(seed)
    qid = rng.integers(0, 3, size=X.shape[0])
    sorted_idx = np.argsort(qid)
    X, y, qid = X[sorted_idx, :], y[sorted_idx], qid[sorted_idx]
    params = dict(lambdarank_num_pair_per_sample=8, objective="rank:ndcg",
                  lambdarank_pair_method="topk")
    ours = GradientBoostingRanker(**params).fit(X, y, qid=qid)
    theirs = xgb.XGBRanker(tree_method="hist", **params).fit(X, y, qid=qid)
    df = pytest.importorskip("pandas").DataFrame(X, columns=[str(i) for i in range(X.shape[1])])
    df["qid"] = qid
    assert ours.score(df, y) == pytest.approx(theirs.score(df, y), rel=0.01)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-5, atol=1e-5)
    from sklearn.model_selection import StratifiedGroupKFold, cross_val_score

    kfold = StratifiedGroupKFold(n_splits=3, shuffle=False)  # see the next test
    cv_ours = cross_val_score(ours.fit(df, y), df, y, cv=kfold, groups=df.qid)
    cv_xgb = cross_val_score(theirs.fit(df, y), df, y, cv=kfold, groups=df.qid)
    np.testing.assert_allclose(cv_ours, cv_xgb, rtol=0.01)


def _has_tree_method():
    return "tree_method" in GradientBoostingRanker().get_params()


@pytest.mark.skipif(not _has_tree_method(),
                    reason="tree_method comes with the everyday parameters (branch xgbparams)")
def test_xgboost_documented_ranking_example():
    """XGBoost's learning-to-rank tutorial, scikit-learn part, with only the import
    changed; scores within 1% of XGBoost's. One change to the tutorial for both
    libraries: ``StratifiedGroupKFold`` gets ``n_splits=3``, since its default of 5 splits
    is refused by scikit-learn for the tutorial's 3 query groups."""
    pd = pytest.importorskip("pandas")
    from sklearn.datasets import make_classification
    from sklearn.model_selection import StratifiedGroupKFold, cross_val_score

    import ensembles as xgb_like

    def run(lib):
        seed = 1994
        X, y = make_classification(random_state=seed)
        rng = np.random.default_rng(seed)
        n_query_groups = 3
        qid = rng.integers(0, n_query_groups, size=X.shape[0])
        sorted_idx = np.argsort(qid)
        X = X[sorted_idx, :]
        y = y[sorted_idx]
        qid = qid[sorted_idx]
        Ranker = lib.GradientBoostingRanker if lib is xgb_like else lib.XGBRanker
        ranker = Ranker(tree_method="hist", lambdarank_num_pair_per_sample=8,
                        objective="rank:ndcg", lambdarank_pair_method="topk")
        ranker.fit(X, y, qid=qid)
        df = pd.DataFrame(X, columns=[str(i) for i in range(X.shape[1])])
        df["qid"] = qid
        ranker.fit(df, y)
        kfold = StratifiedGroupKFold(n_splits=3, shuffle=False)
        cv = cross_val_score(ranker, df, y, cv=kfold, groups=df.qid)
        scores = ranker.predict(X)
        sorted_idx = np.argsort(scores)[::-1]
        return cv, scores[sorted_idx], ranker.score(df, y)

    cv_ours, scores_ours, score_ours = run(xgb_like)
    cv_xgb, scores_xgb, score_xgb = run(xgb)
    assert score_ours == pytest.approx(score_xgb, rel=0.01)
    np.testing.assert_allclose(cv_ours, cv_xgb, rtol=0.01)
    assert np.all(np.diff(scores_ours) <= 0)


def load_rank_data():
    from sklearn.datasets import load_svmlight_file

    train, test = dataset_path("rank.train"), dataset_path("rank.test")
    X, y = load_svmlight_file(str(train))
    Xt, yt = load_svmlight_file(str(test), n_features=X.shape[1])
    g = np.loadtxt(dataset_path("rank.train.query"), dtype=int)
    gt = np.loadtxt(dataset_path("rank.test.query"), dtype=int)
    return X.toarray(), y, g, Xt.toarray(), yt, gt


def test_default_ndcg_on_rank_data_against_xgboost_and_lightgbm():
    """NDCG@10 on the test part of the shared rank data (LightGBM's lambdarank example) at
    the benchmark suite's settings (100 rounds of depth 6 at learning rate 0.1): the
    default ranker at least every peer's default minus 0.005 (LightGBM with its own 31
    leaves and with the suite's full depth-6 tree of 64), and each objective the same
    model as XGBRanker's."""
    lgb = pytest.importorskip("lightgbm")
    X, y, g, Xt, yt, gt = load_rank_data()
    ndcg10 = make_ranking_metric("ndcg@10")
    ptr = group_pointer(len(yt), group=gt)
    # One thread each: OpenMP peers slow down badly on a busy machine; the scores do not
    # depend on the thread count.
    common = dict(n_estimators=100, max_depth=6, learning_rate=0.1, n_jobs=1)
    ours = ndcg10(yt, GradientBoostingRanker(**common).fit(X, y, group=g).predict(Xt),
                  group_ptr=ptr)
    peers = {"xgb": xgb.XGBRanker(tree_method="hist", **common)}
    for leaves in (31, 64):
        peers[f"lgbm-{leaves}"] = lgb.LGBMRanker(num_leaves=leaves, verbose=-1, **common)
    scores = {name: ndcg10(yt, est.fit(X, y, group=g).predict(Xt), group_ptr=ptr)
              for name, est in peers.items()}
    assert ours >= max(scores.values()) - 0.005, (ours, scores)
    # XGBoost parity with the objective named: the same trees, the same score.
    for objective in ("rank:ndcg", "rank:pairwise"):
        mine = GradientBoostingRanker(objective=objective, **common).fit(X, y, group=g)
        theirs = xgb.XGBRanker(objective=objective, tree_method="hist", **common).fit(
            X, y, group=g)
        assert ndcg10(yt, mine.predict(Xt), group_ptr=ptr) == pytest.approx(
            ndcg10(yt, theirs.predict(Xt), group_ptr=ptr), abs=1e-4)


def long_query_data(seed=0, n_queries=50):
    """Web-search-like queries of 30 to 120 documents: a nonlinear, noisy relevance score
    with a per-query offset, cut into grades 0-4 of which grade 0 and 1 are most."""
    from sklearn.datasets import make_regression

    rng = np.random.default_rng(seed)
    sizes = rng.integers(30, 121, size=n_queries)
    n = int(sizes.sum())
    X, s = make_regression(n_samples=n, n_features=20, n_informative=8, random_state=seed)
    s = s + 0.5 * s.std() * np.sin(2 * X[:, 0]) + rng.normal(scale=0.6 * s.std(), size=n)
    s = s + np.repeat(rng.normal(scale=0.5 * s.std(), size=n_queries), sizes)
    y = np.digitize(s, np.quantile(s, [0.2, 0.6, 0.9, 0.97])).astype(float)
    return X, y, sizes


def test_default_objective_not_worse_on_other_ranking_data():
    """The default objective (rank:pairwise) was chosen on more than the shared rank data:
    on synthetic queries of another shape (long ones), in 3-fold cross-validation over
    the queries at the benchmark's settings, it ranks at least as well as rank:ndcg
    (XGBRanker's default since XGBoost 2) by NDCG@10."""
    X, y, sizes = long_query_data()
    ptr = np.concatenate([[0], np.cumsum(sizes)])
    ndcg10 = make_ranking_metric("ndcg@10")
    queries = np.arange(sizes.size)
    scores = {None: [], "rank:ndcg": []}
    for fold in range(3):
        parts = [queries[queries % 3 != fold], queries[queries % 3 == fold]]
        (X_a, y_a), (X_b, y_b) = [
            (X[r], y[r]) for r in (np.concatenate([np.arange(ptr[q], ptr[q + 1]) for q in p])
                                   for p in parts)]
        for objective in scores:
            model = GradientBoostingRanker(objective=objective, n_estimators=100,
                                           max_depth=6, learning_rate=0.1, n_jobs=1)
            model.fit(X_a, y_a, group=sizes[parts[0]])
            scores[objective].append(ndcg10(y_b, model.predict(X_b),
                                            group_ptr=group_pointer(len(y_b),
                                                                    group=sizes[parts[1]])))
    assert np.mean(scores[None]) >= np.mean(scores["rank:ndcg"]), scores


def test_relevance_labels_of_text_are_refused():
    """Labels such as "2" parsed as numbers without a word."""
    rng = np.random.RandomState(0)
    X = rng.randn(60, 3)
    qid = np.repeat(np.arange(6), 10)
    y = rng.randint(0, 3, 60)
    for text in (y.astype(str), y.astype(str).astype(object)):
        with pytest.raises(ValueError, match="numeric relevance labels, got text"):
            GradientBoostingRanker(n_estimators=2).fit(X, text, qid=qid)
    numbers = GradientBoostingRanker(n_estimators=2).fit(X, y.astype(object), qid=qid)
    np.testing.assert_array_equal(numbers.predict(X),
                                  GradientBoostingRanker(n_estimators=2).fit(X, y, qid=qid)
                                  .predict(X))
