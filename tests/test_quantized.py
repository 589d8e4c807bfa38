"""Quantized gradients (``use_quantized_grad``): the rounding, the packed integer
histograms, the trees grown on them and the estimators' option.

The reference for the packed path is the float grower fed the rounded gradients as the
floats they stand for: it must grow the same trees.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification, make_regression
from sklearn.metrics import log_loss, r2_score, roc_auc_score

from ensembles import GradientBoostingClassifier, GradientBoostingRegressor
from ensembles._engine.binning import BinMapper
from ensembles._engine.grower import GrowthParams, TreeGrower
from ensembles._engine.histogram import (
    ROUNDING_KEY,
    accumulate,
    kernel_layout,
    quantization_steps,
    quantize,
)


def _unpack(packed):
    h = packed & 0xFFFFFFFF
    return (packed - h) >> 32, h


def _gradients(n, seed=0):
    rng = np.random.default_rng(seed)
    grad = rng.normal(size=(n, 1)) * rng.choice([0.1, 1.0, 5.0], size=(n, 1))
    hess = rng.uniform(0.05, 2.0, size=(n, 1))
    return grad, hess


def test_rounding_stays_on_its_levels_and_is_unbiased():
    n, levels = 200_000, 4
    grad, hess = _gradients(n)
    g_step = 2 * np.abs(grad).max() / levels
    h_step = hess.max() / levels
    packed = np.empty((n, 1), dtype=np.int64)
    quantize(0, n, grad, hess, 0, g_step, h_step, np.uint64(7), packed)
    g, h = _unpack(packed[:, 0])
    assert g.min() >= -levels // 2 and g.max() <= levels // 2
    assert h.min() >= 0 and h.max() <= levels
    # Each value rounds to one of the two levels around it...
    assert np.all(np.abs(g * g_step - grad[:, 0]) < g_step)
    assert np.all(np.abs(h * h_step - hess[:, 0]) < h_step)
    # ...up with probability its fractional part: the error averages out (5 sigma).
    for q, step, exact in ((g, g_step, grad[:, 0]), (h, h_step, hess[:, 0])):
        error = q * step - exact
        assert abs(error.mean()) < 5 * error.std() / np.sqrt(n)
    # The draws are keyed by row, so a block quantized alone gets the same integers.
    part = np.empty((n, 1), dtype=np.int64)
    quantize(1000, 2000, grad, hess, 0, g_step, h_step, np.uint64(7), part)
    assert_array_equal(part[1000:2000], packed[1000:2000])
    other = np.empty((n, 1), dtype=np.int64)
    quantize(0, n, grad, hess, 0, g_step, h_step, np.uint64(8), other)
    assert not np.array_equal(other, packed)


def test_packed_histogram_holds_both_integer_sums():
    rng = np.random.default_rng(1)
    n, n_features = 5000, 4
    n_bins = np.array([7, 255, 2, 40])
    X = np.column_stack([rng.integers(0, b + 1, n) for b in n_bins]).astype(np.uint8)
    X[X == n_bins] = 255  # a missing code above every value bin
    g = rng.integers(-127, 128, n)
    h = rng.integers(0, 255, n)
    packed = ((g << 32) + h).astype(np.int64)[:, None]
    # The histogram of some of the rows, as a node's (by row id, in increasing order).
    rows = np.flatnonzero(rng.random(n) < 0.7).astype(np.int32)
    offsets, nb = kernel_layout(n_bins)
    hist = np.zeros((int(offsets[-1]), 1), dtype=np.int64)
    accumulate(X, packed, rows, 0, len(rows), offsets, nb, hist)
    G, H = _unpack(hist[:, 0])
    for f in range(n_features):
        bins = np.minimum(X[rows, f], n_bins[f])
        G_ref = np.bincount(bins, weights=g[rows], minlength=n_bins[f] + 1)
        H_ref = np.bincount(bins, weights=h[rows], minlength=n_bins[f] + 1)
        span = slice(int(offsets[f]), int(offsets[f + 1]))
        assert_array_equal(G[span], G_ref)
        assert_array_equal(H[span], H_ref)


@pytest.mark.parametrize("params", [
    dict(max_depth=6),
    dict(grow_policy="lossguide", max_leaves=24, max_depth=0, reg_alpha=0.3, gamma=0.2),
    dict(max_depth=5, colsample_bynode=0.5, min_child_weight=5.0, max_delta_step=0.5,
         monotone_constraints=(1, 0, -1, 0, 0)),
])
@pytest.mark.parametrize("n", [700, 5000])
def test_packed_growth_is_float_growth_on_the_rounded_gradients(params, n):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(n, 5))
    X[rng.random(X.shape) < 0.1] = np.nan
    grad, hess = _gradients(n, seed=3)
    grad[:, 0] += np.nan_to_num(X[:, 0]) - np.sin(np.nan_to_num(X[:, 2]))
    mapper = BinMapper(64, n, 0).fit(X)
    Xb = mapper.transform(X)
    rows = np.arange(n, dtype=np.int32)
    mask = np.ones(5, dtype=np.bool_)
    quantized = TreeGrower(Xb, mapper.edges_, mapper.n_bins_,
                           GrowthParams(quantized_bins=16, renew_leaves=False, **params))
    tree, rows_out, leaves = quantized.grow(grad, hess, 0, rows, mask, 11)
    # The same rounding, by the same key, as floats.
    packed = np.empty((n, 1), dtype=np.int64)
    g_step, h_step = quantization_steps(grad, hess, 0, 16)
    quantize(0, n, grad, hess, 0, g_step, h_step, np.uint64(11) ^ ROUNDING_KEY, packed)
    g, h = _unpack(packed)
    exact = TreeGrower(Xb, mapper.edges_, mapper.n_bins_, GrowthParams(**params))
    ref, ref_rows, ref_leaves = exact.grow(g * g_step, h * h_step, 0, rows, mask, 11)
    assert tree.feature.size > 3
    assert_array_equal(tree.feature, ref.feature)
    assert_array_equal(tree.split_bin, ref.split_bin)
    assert_array_equal(tree.default_left, ref.default_left)
    assert_array_equal(rows_out, ref_rows)
    assert_array_equal(leaves, ref_leaves)
    assert_allclose(tree.value, ref.value, rtol=1e-9, atol=1e-12)
    assert_allclose(tree.cover, ref.cover, rtol=1e-9)


def test_leaf_values_come_from_the_exact_sums():
    X, y = make_regression(3000, 8, noise=5.0, random_state=0)
    params = dict(n_estimators=1, learning_rate=0.5, reg_lambda=2.0, base_score=0.0,
                  use_quantized_grad=True, random_state=0)
    renewed = GradientBoostingRegressor(**params).fit(X, y)
    rounded = GradientBoostingRegressor(quant_train_renew_leaf=False, **params).fit(X, y)
    leaf = renewed.apply(X)[:, 0]
    value = renewed.predict(X)
    # squared error at margin 0: gradient -y, hessian 1
    for node in np.unique(leaf):
        rows = leaf == node
        expected = 0.5 * y[rows].sum() / (rows.sum() + 2.0)
        assert_allclose(value[rows], expected, rtol=1e-10)
    # The same splits, but leaf values from the rounded sums differ.
    assert_array_equal(rounded.apply(X), renewed.apply(X))
    assert np.abs(rounded.predict(X) - value).max() > 1e-3


def test_accuracy_is_that_of_exact_gradients():
    X, y = make_classification(12_000, 20, n_informative=10, random_state=0)
    Xt, yt, X, y = X[:4000], y[:4000], X[4000:], y[4000:]
    params = dict(n_estimators=60, learning_rate=0.1, random_state=0)
    exact = GradientBoostingClassifier(**params).fit(X, y)
    quantized = GradientBoostingClassifier(use_quantized_grad=True, **params).fit(X, y)
    auc = roc_auc_score(yt, exact.predict_proba(Xt)[:, 1])
    assert abs(roc_auc_score(yt, quantized.predict_proba(Xt)[:, 1]) - auc) < 0.003
    assert not np.array_equal(quantized.predict_proba(Xt), exact.predict_proba(Xt))

    X, y = make_classification(9000, 20, n_informative=10, n_classes=4, random_state=1)
    Xt, yt, X, y = X[:3000], y[:3000], X[3000:], y[3000:]
    exact = GradientBoostingClassifier(**params).fit(X, y)
    quantized = GradientBoostingClassifier(use_quantized_grad=True, **params).fit(X, y)
    loss = log_loss(yt, exact.predict_proba(Xt))
    assert log_loss(yt, quantized.predict_proba(Xt)) < 1.05 * loss

    X, y = make_regression(9000, 20, n_informative=10, noise=10.0, random_state=2)
    Xt, yt, X, y = X[:3000], y[:3000], X[3000:], y[3000:]
    exact = GradientBoostingRegressor(**params).fit(X, y)
    quantized = GradientBoostingRegressor(use_quantized_grad=True, **params).fit(X, y)
    assert r2_score(yt, quantized.predict(Xt)) > r2_score(yt, exact.predict(Xt)) - 0.01


@pytest.mark.parametrize("shape, params", [
    ((3000, 10), dict()),                   # a team of threads
    ((3000, 10), dict(n_classes=3)),        # a multiclass round's trees side by side
    ((40_000, 6), dict(max_depth=12)),      # deep trees level by level
    ((60, 5000), dict()),                   # wide data, feature blocks
])
def test_same_model_for_any_n_jobs(shape, params):
    n_classes = params.pop("n_classes", 2)
    X, y = make_classification(shape[0], shape[1], n_informative=4, n_redundant=1,
                               n_classes=n_classes, random_state=0)
    fits = [GradientBoostingClassifier(n_estimators=4, use_quantized_grad=True, n_jobs=n_jobs,
                                       random_state=0, **params).fit(X, y)
            for n_jobs in (1, 2)]
    assert_array_equal(fits[0].predict_proba(X), fits[1].predict_proba(X))


def test_sparse_input_grows_the_dense_model():
    X, y = make_regression(2000, 30, random_state=0)
    X[np.abs(X) < 1.0] = 0.0
    params = dict(n_estimators=10, use_quantized_grad=True, random_state=0)
    dense = GradientBoostingRegressor(**params).fit(X, y)
    sparse = GradientBoostingRegressor(**params).fit(sp.csr_matrix(X), y)
    assert_allclose(sparse.predict(X), dense.predict(X), rtol=1e-9)


def test_monotone_constraints_hold_with_renewed_leaves():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(4000, 3))
    y = X[:, 0] + np.sin(3 * X[:, 0]) + X[:, 1] + 0.3 * rng.normal(size=4000)
    model = GradientBoostingRegressor(n_estimators=40, use_quantized_grad=True,
                                      monotone_constraints=(1, 0, 0), random_state=0)
    model.fit(X, y)
    grid = np.tile(X[:200], (50, 1))
    grid[:, 0] = np.repeat(np.linspace(-2, 2, 50), 200)
    along = model.predict(grid).reshape(50, 200)
    assert np.all(np.diff(along, axis=0) >= -1e-12)


def test_bad_levels_are_refused():
    X, y = make_regression(100, 3, random_state=0)
    with pytest.raises(ValueError, match="num_grad_quant_bins"):
        GradientBoostingRegressor(use_quantized_grad=True, num_grad_quant_bins=1).fit(X, y)
    with pytest.raises(ValueError, match="'gblinear' grows no trees"):
        GradientBoostingRegressor(booster="gblinear", use_quantized_grad=True).fit(X, y)
    too_many = GradientBoostingRegressor(use_quantized_grad=True, num_grad_quant_bins=254)
    with pytest.raises(ValueError, match="num_grad_quant_bins=254 is too many levels"):
        too_many._quantized_bins(2**24)
    assert too_many._quantized_bins(2**20) == 254
    with pytest.raises(ValueError, match="Use use_quantized_grad=False"):
        GradientBoostingRegressor(use_quantized_grad=True)._quantized_bins(2**30 + 1)


def test_save_and_load_keep_the_options(tmp_path):
    X, y = make_classification(1500, 6, random_state=0)
    model = GradientBoostingClassifier(n_estimators=5, use_quantized_grad=True,
                                       num_grad_quant_bins=8, quant_train_renew_leaf=False)
    model.fit(X, y)
    model.save_model(tmp_path / "m.json")
    restored = GradientBoostingClassifier().load_model(tmp_path / "m.json")
    assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    assert restored.get_params()["num_grad_quant_bins"] == 8
    assert restored.get_params()["quant_train_renew_leaf"] is False
