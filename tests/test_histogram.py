"""Tests for ensembles._engine.histogram: sums per (feature, bin), subtraction, determinism."""

import numpy as np
import pytest

from ensembles._engine.histogram import build_histogram, subtract_histogram
from ensembles._threads import threads


def _data(n_samples, n_features, seed, missing=0.1):
    rng = np.random.default_rng(seed)
    n_bins = rng.integers(1, 256, n_features)
    X_binned = (rng.random((n_samples, n_features)) * n_bins).astype(np.uint8)
    X_binned[rng.random(X_binned.shape) < missing] = 255
    grad = rng.normal(size=n_samples).astype(np.float32)
    hess = rng.uniform(0.01, 2.0, n_samples).astype(np.float32)
    return X_binned, grad, hess, rng


def _reference(X_binned, grad, hess, rows):
    """Straightforward per-feature scatter-add in float64."""
    hist = np.zeros((X_binned.shape[1], 256, 2))
    for f in range(X_binned.shape[1]):
        np.add.at(hist[f, :, 0], X_binned[rows, f], grad[rows].astype(np.float64))
        np.add.at(hist[f, :, 1], X_binned[rows, f], hess[rows].astype(np.float64))
    return hist


# Row counts on both sides of the chunking thresholds (4096 rows per chunk, at most 16 chunks).
@pytest.mark.parametrize("n_rows", [1, 2, 300, 4095, 4096, 8193, 70_001, 100_000])
def test_matches_scatter_add_reference(n_rows):
    X_binned, grad, hess, rng = _data(100_000, 3, seed=n_rows)
    rows = rng.choice(100_000, n_rows, replace=False)  # an unsorted subset
    hist = build_histogram(X_binned, grad, hess, rows)
    assert hist.shape == (3, 256, 2) and hist.dtype == np.float64
    np.testing.assert_allclose(hist, _reference(X_binned, grad, hess, rows), rtol=1e-10,
                               atol=1e-9)


def test_repeated_rows_count_each_time():
    X_binned, grad, hess, rng = _data(500, 4, seed=1)
    rows = rng.integers(0, 500, 900)  # a bootstrap-like sample with repeats
    hist = build_histogram(X_binned, grad, hess, rows)
    np.testing.assert_allclose(hist, _reference(X_binned, grad, hess, rows), rtol=1e-12,
                               atol=1e-12)


def test_empty_rows_give_a_zero_histogram():
    X_binned, grad, hess, _ = _data(50, 2, seed=2)
    hist = build_histogram(X_binned, grad, hess, np.empty(0, dtype=np.int64))
    assert hist.shape == (2, 256, 2)
    assert not hist.any()


def test_every_feature_sums_to_the_node_totals():
    X_binned, grad, hess, rng = _data(20_000, 5, seed=3)
    rows = np.flatnonzero(rng.random(20_000) < 0.6)
    hist = build_histogram(X_binned, grad, hess, rows)
    totals = hist.sum(axis=1)  # (n_features, 2)
    expected = [grad[rows].astype(np.float64).sum(), hess[rows].astype(np.float64).sum()]
    np.testing.assert_allclose(totals, np.tile(expected, (5, 1)), rtol=1e-10)


@pytest.mark.parametrize("n_rows", [3000, 30_000])
def test_subtraction_trick_equals_building_the_sibling(n_rows):
    X_binned, grad, hess, rng = _data(n_rows, 4, seed=4)
    rows = rng.permutation(n_rows)
    goes_left = X_binned[rows, 1] <= 40
    left, right = rows[goes_left], rows[~goes_left]
    parent = build_histogram(X_binned, grad, hess, rows)
    built_left = build_histogram(X_binned, grad, hess, left)
    built_right = build_histogram(X_binned, grad, hess, right)
    np.testing.assert_allclose(subtract_histogram(parent, built_left), built_right,
                               rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(subtract_histogram(parent, built_right), built_left,
                               rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("n_rows", [1000, 9000, 100_000])
def test_bit_identical_whatever_the_thread_count(n_rows):
    X_binned, grad, hess, rng = _data(n_rows, 6, seed=5)
    rows = rng.permutation(n_rows)
    results = []
    for n_jobs in (1, 2, 3):
        with threads(n_jobs):
            results.append(build_histogram(X_binned, grad, hess, rows))
    # Exact equality, not closeness: models must not depend on n_jobs.
    assert np.array_equal(results[0], results[1])
    assert np.array_equal(results[0], results[1])
