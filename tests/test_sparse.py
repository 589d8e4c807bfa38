"""scipy sparse input: the same models as the dense fit, and never a dense float copy."""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import load_svmlight_file
from sklearn.metrics import accuracy_score

from ensembles import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRanker,
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from ensembles._engine.binning import BinMapper
from ensembles._engine.sparse import as_csr
from ensembles._engine.sparse_grower import sparse_codes, worth_sparse_codes

from .conftest import dataset_path


def _sparse_data(seed=0, n=400, n_features=25, density=0.15):
    """A CSR matrix with negative values, stored zeros (both signs) and stored NaN, and a
    target that depends on its values."""
    rng = np.random.default_rng(seed)
    X = sp.random(n, n_features, density=density, random_state=seed, format="csr")
    X.data = np.round(rng.normal(size=X.data.size) * 3, 1)
    X.data[rng.random(X.data.size) < 0.08] = np.nan
    X.data[rng.random(X.data.size) < 0.08] = 0.0
    X.data[rng.random(X.data.size) < 0.03] = -0.0
    D = X.toarray()
    y = np.nan_to_num(D[:, :4]) @ np.array([1.0, -2.0, 0.5, 1.5]) + rng.normal(0, 0.3, n)
    return X, D, y


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csr_array])
def test_int64_indices_are_read_as_int32_and_fit_the_same_model(container):
    # The compiled kernels read int32 indices: int64 ones (scipy's for concatenated or
    # very large matrices, scikit-learn's checks) are converted, not compiled for again.
    X, D, y = _sparse_data()
    narrow = container(X)
    wide = container(X)
    wide.indices, wide.indptr = wide.indices.astype(np.int64), wide.indptr.astype(np.int64)
    read = as_csr(wide)
    assert type(read) is container
    assert read.indices.dtype == np.int32 and read.indptr.dtype == np.int32
    np.testing.assert_array_equal(read.toarray(), D)
    assert wide.indices.dtype == np.int64 and wide.indptr.dtype == np.int64  # untouched
    for model in (RandomForestRegressor(n_estimators=3, random_state=0),
                  GradientBoostingRegressor(n_estimators=3)):
        expected = clone(model).fit(narrow, y).predict(narrow)
        np.testing.assert_array_equal(clone(model).fit(wide, y).predict(wide), expected)


@pytest.mark.parametrize("seed", range(6))
def test_bin_edges_and_codes_equal_the_dense_fit(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 3000))
    X = sp.random(n, 6, density=[0.002, 0.05, 0.4, 1.0, 0.1, 0.7][seed], random_state=seed,
                  format="csc")
    # Few distinct values (exact bins) in some columns, many (quantile edges) in others.
    X.data = np.round(rng.normal(size=X.data.size) * 100, seed % 3)
    X.data[rng.random(X.data.size) < 0.1] = np.nan
    X.data[rng.random(X.data.size) < 0.1] = 0.0
    D = X.toarray()
    for max_bin in (2, 16, 256, 1000):
        # A subsample below the rows exercises the row sampling, which must pick the
        # dense fit's rows.
        for subsample in (None, max(1, n // 3)):
            dense = BinMapper(max_bin, subsample, seed).fit(D)
            for matrix in (X, X.tocsr(), sp.csr_array(X)):
                fitted = BinMapper(max_bin, subsample, seed).fit(matrix)
                np.testing.assert_array_equal(fitted.n_bins_, dense.n_bins_)
                np.testing.assert_array_equal(fitted.edges_, dense.edges_)
            np.testing.assert_array_equal(fitted.transform(as_csr(X)), dense.transform(D))


def _formats(X):
    return [X, X.tocsc(), sp.csr_array(X), sp.csc_array(X)]


def _ranker_fit(model, X, y):
    return model.fit(X, y, qid=np.repeat(np.arange(len(y) // 20), 20))


BOOSTING = [
    ("regression", GradientBoostingRegressor(n_estimators=8, max_depth=4)),
    ("binary", GradientBoostingClassifier(n_estimators=6, max_depth=3, subsample=0.8,
                                          random_state=0)),
    ("multiclass", GradientBoostingClassifier(n_estimators=4, max_depth=3)),
    ("ranking", GradientBoostingRanker(n_estimators=5, max_depth=3)),
]


def _target(task, y):
    if task == "binary":
        return (y > 0).astype(int)
    if task == "multiclass":
        return np.digitize(y, [-1.0, 1.0])
    if task == "ranking":
        return np.clip(np.round(y), 0, 3).astype(int)
    return y


@pytest.mark.parametrize(("task", "model"), BOOSTING, ids=[t for t, _ in BOOSTING])
def test_boosting_sparse_fit_equals_dense_fit(task, model):
    X, D, y = _sparse_data()
    y = _target(task, y)
    fit = _ranker_fit if task == "ranking" else (lambda m, A, b: m.fit(A, b))
    dense = fit(model, D, y)
    reference = dense.save_model()
    expected = {"predict": dense.predict(D), "margin": dense.predict(D, output_margin=True),
                "leaf": dense.apply(D), "contribs": dense.predict_contribs(D)}
    if task != "ranking":
        expected["staged"] = np.array(list(dense.staged_predict(D)))
    for matrix in _formats(X):
        fitted = fit(model, matrix, y)
        assert fitted.save_model() == reference
        for A in (matrix, X):
            np.testing.assert_array_equal(fitted.predict(A), expected["predict"])
            np.testing.assert_array_equal(fitted.predict(A, output_margin=True),
                                          expected["margin"])
            np.testing.assert_array_equal(fitted.apply(A), expected["leaf"])
            np.testing.assert_allclose(fitted.predict_contribs(A), expected["contribs"],
                                       rtol=0, atol=1e-12)
            if task != "ranking":
                np.testing.assert_array_equal(np.array(list(fitted.staged_predict(A))),
                                              expected["staged"])


def test_boosting_sparse_eval_sets_and_continued_training():
    X, D, y = _sparse_data(1)
    model = GradientBoostingRegressor(n_estimators=5, max_depth=3)
    dense = model.fit(D[:300], y[:300], eval_set=[(D[300:], y[300:])])
    log = dense.evals_result()
    more = GradientBoostingRegressor(n_estimators=3, max_depth=3).fit(
        D[:300], y[:300], xgb_model=dense).predict(D)
    fitted = model.fit(X[:300], y[:300], eval_set=[(X[300:], y[300:])])
    assert fitted.evals_result() == log
    np.testing.assert_array_equal(
        GradientBoostingRegressor(n_estimators=3, max_depth=3).fit(
            X[:300], y[:300], xgb_model=fitted).predict(X), more)


FORESTS = [
    RandomForestClassifier(n_estimators=4, random_state=0),
    RandomForestRegressor(n_estimators=4, max_depth=6, random_state=0),
    ExtraTreesClassifier(n_estimators=4, random_state=0),
    ExtraTreesRegressor(n_estimators=4, random_state=0, bootstrap=True, oob_score=True),
    DecisionTreeClassifier(random_state=0),
    DecisionTreeRegressor(random_state=0, ccp_alpha=0.01),
    DecisionTreeRegressor(random_state=0, criterion="absolute_error", max_depth=4,
                          ccp_alpha=0.01),
]


@pytest.mark.parametrize("model", FORESTS, ids=lambda m: type(m).__name__)
def test_trees_and_forests_sparse_fit_equals_dense_fit(model):
    X, D, y = _sparse_data(2)
    classifier = "Classifier" in type(model).__name__
    if classifier:
        y = np.digitize(y, [-1.0, 1.0])
    weight = np.random.default_rng(0).integers(0, 3, len(y)).astype(float)
    dense = model.fit(D, y, sample_weight=weight)
    reference = dense.save_model()
    expected = [dense.predict(D), dense.apply(D), dense.decision_path(D)[0].toarray()
                if isinstance(dense.decision_path(D), tuple)
                else dense.decision_path(D).toarray(), dense.predict_contribs(D)]
    if classifier:
        expected.append(dense.predict_proba(D))
    oob = getattr(dense, "oob_score_", None)
    for matrix in _formats(X):
        fitted = model.fit(matrix, y, sample_weight=weight)
        assert fitted.save_model() == reference
        assert getattr(fitted, "oob_score_", None) == oob
        for A in (matrix, X):
            path = fitted.decision_path(A)
            got = [fitted.predict(A), fitted.apply(A),
                   (path[0] if isinstance(path, tuple) else path).toarray(),
                   fitted.predict_contribs(A)]
            if classifier:
                got.append(fitted.predict_proba(A))
            for g, e in zip(got, expected, strict=True):
                np.testing.assert_allclose(g, e, rtol=0, atol=1e-12)


def _no_densify(monkeypatch):
    """Make every way of turning a scipy sparse matrix or array dense raise."""
    def refuse(self, *args, **kwargs):
        raise AssertionError("a sparse matrix was densified")
    for cls in {sp.csr_matrix, sp.csc_matrix, sp.csr_array, sp.csc_array, sp.coo_matrix,
                sp.coo_array} | {c for k in (sp.csr_matrix, sp.csr_array) for c in k.__mro__
                                 if c.__module__.startswith("scipy")}:
        for name in ("toarray", "todense", "__array__"):
            if hasattr(cls, name):
                monkeypatch.setattr(cls, name, refuse, raising=False)


@pytest.mark.parametrize("model", [
    GradientBoostingClassifier(n_estimators=3, max_depth=3),
    RandomForestClassifier(n_estimators=3, random_state=0),
    ExtraTreesClassifier(n_estimators=3, random_state=0),
    DecisionTreeClassifier(max_depth=5, ccp_alpha=0.001, random_state=0),
], ids=lambda m: type(m).__name__)
def test_sparse_input_is_never_densified(model, monkeypatch):
    X, _, y = _sparse_data(3)
    y = (y > 0).astype(int)
    with pytest.raises(AssertionError, match="densified"):
        _no_densify(monkeypatch)
        X.toarray()
    for matrix in (X, X.tocsc(), sp.csr_array(X)):
        model.fit(matrix, y)
        model.predict(matrix)
        model.predict_proba(matrix)
        model.apply(matrix)
        if hasattr(model, "decision_path"):
            model.decision_path(matrix)
        if hasattr(model, "staged_predict"):
            list(model.staged_predict(matrix))


def test_memory_stays_far_below_the_dense_matrix():
    # 20,000 x 5,000 at 0.1% density: 100,000 stored values (1.6 MB), 800 MB dense.
    n, n_features = 20_000, 5_000
    X = sp.random(n, n_features, density=0.001, random_state=0, format="csr")
    y = np.asarray(X[:, :50].sum(axis=1)).ravel() > 0.3
    dense_bytes = n * n_features * 8
    model = GradientBoostingClassifier(n_estimators=2, max_depth=2)
    model.fit(X[:200], y[:200])  # compile outside the measurement
    tracemalloc.start()
    try:
        model.fit(X, y)
        model.predict_proba(X)
        model.apply(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Sparse codes (see test_sparse_codes_*): no dense code matrix either; what remains
    # is per row (gradients, margins) and per feature (bin edges, histograms).
    assert peak < 0.05 * dense_bytes
    tracemalloc.start()
    try:
        model.predict_proba(X)
        model.apply(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Prediction reads the CSR arrays: its memory is the output's.
    assert peak < 0.01 * dense_bytes


def test_agaricus_sparse_fit_matches_xgboost_accuracy():
    xgb = pytest.importorskip("xgboost")
    X, y = load_svmlight_file(str(dataset_path("agaricus.txt.train")))
    X_test, y_test = load_svmlight_file(str(dataset_path("agaricus.txt.test")),
                                        n_features=X.shape[1])
    assert sp.issparse(X)
    params = {"n_estimators": 10, "max_depth": 3, "learning_rate": 0.3}
    ours = accuracy_score(y_test, GradientBoostingClassifier(**params).fit(X, y)
                          .predict(X_test))
    # XGBoost reads absent entries as missing, we read them as zeros: compare accuracy.
    theirs = accuracy_score(y_test, xgb.XGBClassifier(**params, tree_method="hist")
                            .fit(X, y).predict(X_test))
    assert ours >= 0.99 and theirs >= 0.99
    assert ours >= theirs - 0.005
    forest = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    assert accuracy_score(y_test, forest.predict(X_test)) >= 0.99


def test_bad_sparse_input():
    X, D, y = _sparse_data(4)
    model = GradientBoostingRegressor(n_estimators=3, max_depth=3)
    expected = model.fit(D, y).predict(D)
    # COO (and other formats) are converted as scikit-learn converts them.
    np.testing.assert_array_equal(model.fit(X.tocoo(), y).predict(X.tocoo()), expected)
    np.testing.assert_array_equal(model.predict(sp.lil_matrix(X)), expected)
    bad = X.copy()
    bad.data[0] = np.inf
    for estimator in (model, RandomForestRegressor(n_estimators=2)):
        with pytest.raises(ValueError, match="[Ii]nfinity"):
            estimator.fit(bad, y)
        estimator.fit(X, y)
        with pytest.raises(ValueError, match="[Ii]nfinity"):
            estimator.predict(bad)
    with pytest.raises(ValueError, match="missing=0"):
        GradientBoostingRegressor(n_estimators=2, missing=0.0).fit(X, y)
    # Another `missing` value marks the stored entries equal to it, as in dense X.
    marked = GradientBoostingRegressor(n_estimators=3, max_depth=3, missing=-0.5)
    D2 = np.where(D == -0.5, np.nan, D)
    np.testing.assert_array_equal(marked.fit(X, y).predict(X), model.fit(D2, y).predict(D2))


@pytest.mark.parametrize("selector", ["cyclic", "greedy", "thrifty"])
def test_linear_booster_sparse_fit_equals_dense_fit(selector, monkeypatch):
    X, D, y = _sparse_data(5)
    model = GradientBoostingClassifier(booster="gblinear", n_estimators=6,
                                       updater="coord_descent", feature_selector=selector)
    y = np.digitize(y, [-1.0, 1.0])
    dense = model.fit(D, y)
    expected = dense.predict_proba(D), dense.predict_contribs(D)
    _no_densify(monkeypatch)
    for matrix in _formats(X):
        fitted = model.fit(matrix, y)
        # Coordinate descent sums the same terms (zeros add nothing); the margins' matrix
        # products may add them in another order.
        np.testing.assert_allclose(fitted.predict_proba(matrix), expected[0], rtol=1e-12)
        np.testing.assert_allclose(fitted.predict_contribs(matrix), expected[1], rtol=1e-10,
                                   atol=1e-12)


def _text_like(n, n_features, per_row=10, seed=0):
    """A CSR matrix of ``per_row`` small counts per row (bag-of-words-like), with a target
    carried by a few of its columns."""
    rng = np.random.default_rng(seed)
    columns = np.sort(rng.integers(0, n_features, size=(n, per_row)), axis=1)
    X = sp.csr_matrix((rng.integers(1, 5, n * per_row).astype(float), columns.ravel(),
                       np.arange(0, n * per_row + 1, per_row)), shape=(n, n_features))
    X.sum_duplicates()
    X.data[rng.random(X.data.size) < 0.02] = np.nan
    signal = np.nan_to_num(X[:, : n_features // 20].toarray()).sum(axis=1)
    return X, signal + rng.normal(0, 0.5, n)


def test_sparse_codes_are_the_dense_codes_off_the_zero_code():
    X, _ = _text_like(3000, 300)
    mapper = BinMapper(256, None, 0).fit(X)
    dense = mapper.transform(X)
    codes = sparse_codes(mapper, X)
    zero = mapper.zero_codes()
    rebuilt = np.tile(zero.astype(dense.dtype), (X.shape[0], 1))
    rows = np.repeat(np.arange(X.shape[0]), np.diff(codes.indptr))
    rebuilt[rows, codes.features] = codes.codes
    np.testing.assert_array_equal(rebuilt, dense)
    assert np.all(codes.codes != zero[codes.features])
    assert codes.nbytes < 0.5 * (X.data.nbytes + X.indices.nbytes + X.indptr.nbytes)


def _assert_same_trees(sparse_model, dense_model):
    """The same splits; leaf values equal up to rounding (a zero bin of a sparse
    histogram is the node's total minus the other bins, not the dense sum)."""
    sparse_trees, dense_trees = sparse_model._booster.trees, dense_model._booster.trees
    assert len(sparse_trees) == len(dense_trees)
    for a, b in zip(sparse_trees, dense_trees, strict=True):
        for name in ("feature", "split_bin", "default_left", "left", "right", "threshold"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        np.testing.assert_allclose(a.value, b.value, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(a.cover, b.cover, rtol=1e-9, atol=1e-12)


SPARSE_GROWER = [
    ("regression", GradientBoostingRegressor(n_estimators=6, max_depth=5)),
    ("lossguide", GradientBoostingRegressor(n_estimators=5, grow_policy="lossguide",
                                            max_leaves=12, subsample=0.7,
                                            colsample_bynode=0.5, random_state=0)),
    ("dart", GradientBoostingRegressor(n_estimators=5, booster="dart", rate_drop=0.3,
                                       random_state=0)),
    ("binary", GradientBoostingClassifier(n_estimators=5, max_depth=4)),
    ("multiclass", GradientBoostingClassifier(n_estimators=3, max_depth=4)),
    ("ranking", GradientBoostingRanker(n_estimators=4, max_depth=4)),
]


@pytest.mark.parametrize(("task", "model"), SPARSE_GROWER, ids=[t for t, _ in SPARSE_GROWER])
def test_sparse_codes_grow_the_dense_fit_trees(task, model):
    X, y = _text_like(4000, 400)
    assert worth_sparse_codes(X)
    y = _target("multiclass" if task == "multiclass" else
                "binary" if task == "binary" else
                "ranking" if task == "ranking" else "regression", y - np.median(y))
    fit = _ranker_fit if task == "ranking" else (lambda m, A, b: m.fit(A, b))
    dense = fit(clone(model), X.toarray(), y)
    fitted = fit(clone(model), X, y)
    _assert_same_trees(fitted, dense)
    np.testing.assert_allclose(fitted.predict(X, output_margin=True),
                               dense.predict(X.toarray(), output_margin=True),
                               rtol=1e-9, atol=1e-9)


def test_sparse_codes_threaded_growth_equals_the_dense_fit():
    # Above 32,768 rows and with two threads, trees grow level by level on the threads.
    X, y = _text_like(40_000, 500, seed=1)
    model = GradientBoostingRegressor(n_estimators=4, max_depth=6, n_jobs=2)
    _assert_same_trees(clone(model).fit(X, y), clone(model).fit(X.toarray(), y))
    serial = clone(model).set_params(n_jobs=1).fit(X, y)
    threaded = clone(model).fit(X, y)
    # The sums do not depend on the number of threads.
    for a, b in zip(serial._booster.trees, threaded._booster.trees, strict=True):
        for name in ("feature", "split_bin", "left", "value", "cover", "gain"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_boosting_fit_memory_is_within_three_times_the_matrix():
    # The target: a fit peaks at <= 3x the sparse matrix's own bytes.
    X, y = _text_like(100_000, 2_000)
    matrix_bytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    model = GradientBoostingClassifier(n_estimators=3, max_depth=6)
    model.fit(X[:2000], y[:2000] > np.median(y))  # compile outside the measurement
    tracemalloc.start()
    try:
        model.fit(X, y > np.median(y))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * matrix_bytes
