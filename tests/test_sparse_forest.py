"""Forests, extra trees and trees on scipy sparse input: grown from binned sparse columns
(never a dense code matrix), the same trees as the dense fit of the same matrix."""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_svmlight_file
from sklearn.ensemble import RandomForestClassifier as SkRandomForestClassifier
from sklearn.metrics import accuracy_score

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
from ensembles._engine import forest as forest_kernel
from ensembles._engine import sparse_forest
from ensembles._engine.binning import BinMapper
from ensembles._engine.sparse import as_csr
from ensembles._engine.sparse_forest import SparseColumns, sparse_columns

from .conftest import dataset_path


def _data(seed=0, n=600, n_features=30, density=0.12):
    """CSR with negative values, stored zeros of both signs and stored NaN; a target of
    its values (NaN and absent read as 0)."""
    rng = np.random.default_rng(seed)
    X = sp.random(n, n_features, density=density, random_state=seed, format="csr")
    X.data = np.round(rng.normal(size=X.data.size) * 3, 2)
    X.data[rng.random(X.data.size) < 0.06] = np.nan
    X.data[rng.random(X.data.size) < 0.06] = 0.0
    X.data[rng.random(X.data.size) < 0.02] = -0.0
    D = X.toarray()
    y = np.nan_to_num(D[:, :5]) @ np.array([1.0, -2.0, 0.5, 1.5, 1.0]) + rng.normal(0, .3, n)
    return X, D, y


MODELS = [
    RandomForestClassifier(n_estimators=3, random_state=0),
    RandomForestClassifier(n_estimators=2, criterion="entropy", max_features=0.5,
                           min_samples_leaf=3, random_state=1),
    RandomForestRegressor(n_estimators=3, random_state=0),
    RandomForestRegressor(n_estimators=2, criterion="poisson", max_depth=6, random_state=0),
    ExtraTreesClassifier(n_estimators=3, random_state=0),
    ExtraTreesClassifier(n_estimators=2, bootstrap=True, max_leaf_nodes=20,
                         criterion="log_loss", random_state=2),
    ExtraTreesRegressor(n_estimators=3, random_state=0),
    ExtraTreesRegressor(n_estimators=2, criterion="friedman_mse", min_samples_split=6,
                        random_state=0),
    DecisionTreeClassifier(random_state=0),
    DecisionTreeRegressor(random_state=0, max_leaf_nodes=30),
    ExtraTreeClassifier(random_state=0),
    ExtraTreeRegressor(random_state=0, min_weight_fraction_leaf=0.01),
    # The absolute error reads each examined feature's codes from the code buffer.
    RandomForestRegressor(n_estimators=2, criterion="absolute_error", max_depth=6,
                          random_state=0),
    ExtraTreesRegressor(n_estimators=2, criterion="absolute_error", random_state=0),
    DecisionTreeRegressor(criterion="absolute_error", max_leaf_nodes=25, random_state=0),
]


def _targets(model, y):
    if "Classifier" in type(model).__name__:
        return np.digitize(y, [-1.5, 0.0, 1.5])  # four classes
    if getattr(model, "criterion", None) == "poisson":
        return np.exp(y / 4)
    return y


def _uses_sparse_columns(model, monkeypatch):
    """Record what the fit grows trees on."""
    seen = []
    real = sparse_forest.SparseColumns.kernel_input

    def spy(self, rows):
        seen.append(type(self))
        return real(self, rows)
    monkeypatch.setattr(sparse_forest.SparseColumns, "kernel_input", spy)
    return seen


@pytest.mark.parametrize("model", MODELS, ids=lambda m: type(m).__name__ + "-" + str(
    getattr(m, "criterion", "")))
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("fused_min_rows", [4, 256])
def test_sparse_fit_grows_the_dense_fit_trees(model, weighted, fused_min_rows, monkeypatch):
    # Extra trees' nodes of at least _FUSED_MIN_ROWS rows draw their thresholds first (see
    # _drawn_threshold_value): set to 256 (the upper levels) and to 4 (nearly every node).
    monkeypatch.setattr(forest_kernel, "_FUSED_MIN_ROWS", fused_min_rows)
    X, D, y = _data(3)
    y = _targets(model, y)
    rng = np.random.default_rng(1)
    weight = rng.random(len(y)) * 2 if weighted else None
    if weighted:
        weight[rng.random(len(y)) < 0.1] = 0.0
    dense = model.fit(D, y, sample_weight=weight)
    reference = dense.save_model()
    expected = dense.predict(D)
    seen = _uses_sparse_columns(model, monkeypatch)
    for matrix in (X, X.tocsc(), sp.csr_array(X), sp.csc_array(X)):
        seen.clear()
        fitted = model.fit(matrix, y, sample_weight=weight)
        # Every tree grew on the sparse columns, not on dense codes.
        assert seen and all(kind is SparseColumns for kind in seen)
        assert fitted.save_model() == reference  # same splits, values and gains
        np.testing.assert_array_equal(fitted.predict(matrix), expected)


@pytest.mark.parametrize("model", [
    RandomForestRegressor(n_estimators=2, random_state=0),
    ExtraTreesRegressor(n_estimators=2, random_state=0),
    DecisionTreeRegressor(random_state=0, max_depth=5),
    DecisionTreeRegressor(criterion="absolute_error", random_state=0, max_depth=5),
    ExtraTreeRegressor(criterion="absolute_error", random_state=0, max_depth=5),
], ids=lambda m: type(m).__name__ + "-" + m.criterion)
def test_monotonic_constraints_on_sparse_input(model):
    X, D, y = _data(4)
    cst = np.zeros(X.shape[1], dtype=int)
    cst[0] = 1
    cst[1] = -1
    model.set_params(monotonic_cst=cst)
    reference = model.fit(D, y).save_model()
    assert model.fit(X, y).save_model() == reference


def test_binned_columns_are_the_dense_codes():
    X, _, _ = _data(5, n=300, n_features=12)
    X.data[::17] = np.nan
    D = X.toarray()
    mapper = BinMapper(255, None, 0).fit(as_csr(X))
    columns, entry_code = sparse_columns(mapper, as_csr(X))
    codes = mapper.transform(D)
    assert entry_code.shape == (X.nnz,)
    zero = mapper.zero_codes()
    for f in range(X.shape[1]):
        rows = columns.rows[columns.indptr[f]:columns.indptr[f + 1]]
        got = np.full(X.shape[0], zero[f])
        got[rows] = columns.codes[columns.indptr[f]:columns.indptr[f + 1]]
        np.testing.assert_array_equal(got, codes[:, f])
        # Sorted row ids, and only codes that differ from the zero's.
        assert np.all(np.diff(rows.astype(np.int64)) > 0)
        assert np.all(columns.codes[columns.indptr[f]:columns.indptr[f + 1]] != zero[f])


def test_fit_never_holds_dense_codes():
    # 40,000 x 1,000 at 0.5%: dense codes would be 40 MB, the CSR matrix is about 2.6 MB.
    n, n_features = 40_000, 1_000
    X = sp.random(n, n_features, density=0.005, random_state=0, format="csr")
    X.data = np.ceil(X.data * 4)
    total = np.asarray(X[:, :100].sum(axis=1)).ravel()
    y = (total > 1.0).astype(int)
    matrix_bytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    dense_codes = n * n_features
    for model, target in (
            (RandomForestClassifier(n_estimators=2, max_depth=8, random_state=0, n_jobs=1),
             y),
            (ExtraTreesClassifier(n_estimators=2, max_depth=8, random_state=0, n_jobs=1), y),
            (RandomForestRegressor(n_estimators=1, criterion="absolute_error", max_depth=6,
                                   random_state=0, n_jobs=1), total)):
        model.fit(X[:500], target[:500])  # compile outside the measurement
        tracemalloc.start()
        try:
            model.fit(X, target)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        # Per row: the tree's positions, weights, labels and buffers (tens of bytes);
        # per entry: the codes. Dense codes alone would be 40 MB.
        assert peak < 0.25 * dense_codes, (type(model).__name__, peak)
        assert peak < 4 * matrix_bytes + 64 * n, (type(model).__name__, peak)


def test_agaricus_sparse_forest_matches_dense_and_scikit_learn():
    X, y = load_svmlight_file(str(dataset_path("agaricus.txt.train")))
    X_test, y_test = load_svmlight_file(str(dataset_path("agaricus.txt.test")),
                                        n_features=X.shape[1])
    assert sp.issparse(X)
    params = {"n_estimators": 10, "random_state": 0}
    for ours in (RandomForestClassifier(**params), ExtraTreesClassifier(**params)):
        sparse_model = ours.fit(X, y).save_model()
        predicted = ours.predict(X_test)
        assert ours.fit(X.toarray(), y).save_model() == sparse_model
        np.testing.assert_array_equal(ours.predict(X_test.toarray()), predicted)
        theirs = SkRandomForestClassifier(**params).fit(X, y).predict(X_test)
        assert accuracy_score(y_test, predicted) >= accuracy_score(y_test, theirs) - 0.005
        assert accuracy_score(y_test, predicted) >= 0.99


def test_dense_fit_compiles_no_sparse_kernel():
    # A fresh process: a dense fit must not compile (or load) the sparse kernels.
    import subprocess
    import sys
    code = (
        "import numpy as np\n"
        "from ensembles import RandomForestClassifier, ExtraTreesRegressor\n"
        "from ensembles._engine import sparse_forest, forest\n"
        "X = np.random.default_rng(0).normal(size=(200, 5))\n"
        "RandomForestClassifier(n_estimators=2).fit(X, X[:, 0] > 0)\n"
        "ExtraTreesRegressor(n_estimators=2).fit(X, X[:, 1])\n"
        "names = [n for n in dir(sparse_forest)\n"
        "         if hasattr(getattr(sparse_forest, n), 'signatures')\n"
        "         and getattr(sparse_forest, n).py_func.__module__ == sparse_forest.__name__]\n"
        "assert names, 'no kernels found'\n"
        "compiled = [n for n in names if getattr(sparse_forest, n).signatures]\n"
        "assert not compiled, compiled\n"
        "assert not any(key[4] for key in forest._NODE_LOOPS), list(forest._NODE_LOOPS)\n"
        "print('ok')\n")
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=600, cwd=root)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("ok")
