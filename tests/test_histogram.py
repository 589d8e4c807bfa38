"""Tests for ensembles._engine.histogram: compact sums per (feature, bin), chunk plans."""

import numpy as np
import pytest

from ensembles._engine.histogram import (
    CHUNK_ROWS,
    MAX_CHUNKS,
    PART_GAP,
    accumulate,
    build_histogram,
    hist_offsets,
    kernel_layout,
    n_chunks,
    part_features,
)


def _data(n_samples, n_features, seed, missing=0.1):
    rng = np.random.default_rng(seed)
    n_bins = rng.integers(1, 256, n_features).astype(np.int32)
    X_binned = (rng.random((n_samples, n_features)) * n_bins).astype(np.uint8)
    X_binned[rng.random(X_binned.shape) < missing] = 255
    grad = rng.normal(size=n_samples).astype(np.float32)
    hess = rng.uniform(0.01, 2.0, n_samples).astype(np.float32)
    return X_binned, grad, hess, n_bins, rng


def dense_histogram(hist, n_bins):
    """The compact ``hist`` laid out as ``(n_features, 256, 2)``, missing values at 255."""
    offsets = hist_offsets(n_bins)
    out = np.zeros((len(n_bins), 256, 2))
    for f, nb in enumerate(n_bins):
        out[f, :nb] = hist[offsets[f]:offsets[f] + nb]
        out[f, 255] = hist[offsets[f] + nb]
    return out


def _reference(X_binned, grad, hess, rows):
    """Straightforward per-feature scatter-add in float64, missing values at bin 255."""
    hist = np.zeros((X_binned.shape[1], 256, 2))
    for f in range(X_binned.shape[1]):
        np.add.at(hist[f, :, 0], X_binned[rows, f], grad[rows].astype(np.float64))
        np.add.at(hist[f, :, 1], X_binned[rows, f], hess[rows].astype(np.float64))
    return hist


def test_offsets_give_each_feature_its_bins_and_a_missing_row():
    offsets = hist_offsets(np.array([3, 1, 17], dtype=np.int32))
    assert offsets.tolist() == [0, 4, 6, 24]


@pytest.mark.parametrize("n_parts", [2, 3, 16])
def test_parts_of_the_features_start_two_cache_lines_apart(n_parts):
    # Threads build a histogram's parts of the features side by side: the last row of one
    # part and the first of the next must lie in different aligned pairs of 64-byte lines
    # (float pairs: 16 bytes a row), and every feature keeps its own rows.
    n_bins = np.full(126, 2, dtype=np.int32)
    offsets = hist_offsets(n_bins, n_parts)
    starts = {part_features(126, p, n_parts)[0] for p in range(1, n_parts)}
    for f in range(1, 126):
        gap = offsets[f] - (offsets[f - 1] + n_bins[f - 1] + 1)
        assert gap == (PART_GAP if f in starts else 0)
    assert 16 * PART_GAP >= 128 and 8 * PART_GAP >= 128  # float and packed rows
    assert offsets[-1] == 3 * 126 + PART_GAP * len(starts)
    np.testing.assert_array_equal(hist_offsets(n_bins, 1), hist_offsets(n_bins))


def test_parts_cover_every_feature_once():
    for n_features, n_parts in [(1, 2), (5, 2), (126, 3), (14, 16)]:
        runs = [part_features(n_features, p, n_parts) for p in range(n_parts)]
        assert runs[0][0] == 0 and runs[-1][1] == n_features
        assert all(a[1] == b[0] for a, b in zip(runs[:-1], runs[1:], strict=True))


@pytest.mark.parametrize("n_rows", [1, 2, 300, 4096, 70_001])
def test_matches_scatter_add_reference(n_rows):
    X_binned, grad, hess, n_bins, rng = _data(80_000, 3, seed=n_rows)
    rows = rng.choice(80_000, n_rows, replace=False)  # an unsorted subset
    hist = build_histogram(X_binned, grad, hess, rows, n_bins)
    assert hist.shape == (int(n_bins.sum()) + 3, 2) and hist.dtype == np.float64
    np.testing.assert_allclose(dense_histogram(hist, n_bins),
                               _reference(X_binned, grad, hess, rows), rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("n_rows", [1, 2, 3, 5, 7, 300, 4097])
def test_each_bin_sums_its_rows_in_row_order(n_rows):
    # The build adds each row's pair as one vector, four rows at a time: every bin must
    # still get its rows one after the other, in the order given (np.add.at's order), so
    # the sums are the same floats as a scalar sweep's, whatever the unrolling's tail.
    X_binned, grad, hess, n_bins, rng = _data(5_000, 7, seed=n_rows)
    X_binned[:, 2] = rng.integers(0, 2, 5_000)  # few bins: rows share them
    n_bins[2] = 2
    rows = rng.choice(5_000, n_rows, replace=False)
    hist = build_histogram(X_binned, grad, hess, rows, n_bins)
    np.testing.assert_array_equal(dense_histogram(hist, n_bins),
                                  _reference(X_binned, grad, hess, rows))


def test_add_pair_names_what_it_accepts():
    # The vector update reads a pair of float64 at a flat position: other arrays are
    # refused when the calling kernel is compiled, naming the argument.
    from numba import njit
    from numba.core.errors import TypingError

    from ensembles._engine.histogram import add_pair

    @njit
    def add(flat, b, g, h):
        add_pair(flat, b, g, h)

    flat = np.zeros(6)
    add(flat, 1, 0.5, 2.0)
    add(flat, 1, 0.25, 1.0)
    np.testing.assert_array_equal(flat, [0, 0, 0.75, 3.0, 0, 0])
    with pytest.raises(TypingError, match="flat must be a C-contiguous 1-D array of float64"):
        add(np.zeros(6, dtype=np.float32), 1, 0.5, 2.0)
    with pytest.raises(TypingError, match="flat must be a C-contiguous 1-D array of float64"):
        add(np.zeros(12)[::2], 1, 0.5, 2.0)


@pytest.mark.parametrize("packed", [False, True])
@pytest.mark.parametrize("n_bins", [(254, 255, 256), (255, 3, 256), (255, 256, 256)])
def test_features_with_about_as_many_bins_as_codes_keep_their_missing_values(n_bins, packed):
    # The missing code (255) is clamped to the missing row of a feature with fewer value
    # bins (254, 3); with 255 it is that row, and 256 value bins leave no code over.
    rng = np.random.default_rng(3)
    n_bins = np.array(n_bins, dtype=np.int32)
    X = (rng.random((5000, len(n_bins))) * n_bins).astype(np.uint8)
    X[(rng.random(X.shape) < 0.1) & (n_bins < 256)] = 255
    if packed:
        gh = ((rng.integers(-2, 3, 5000) << 32) + rng.integers(0, 5, 5000))[:, None]
    else:
        gh = rng.normal(size=(5000, 2))
    rows = np.sort(rng.choice(5000, 4000, replace=False)).astype(np.int32)
    hist = np.zeros((int(hist_offsets(n_bins)[-1]), gh.shape[1]), dtype=gh.dtype)
    accumulate(X, gh, rows, 0, len(rows), *kernel_layout(n_bins), hist)
    expected = np.zeros_like(hist)
    for f, nb in enumerate(n_bins):
        np.add.at(expected, hist_offsets(n_bins)[f] + np.minimum(X[rows, f], nb), gh[rows])
    np.testing.assert_allclose(hist, expected, rtol=1e-12, atol=1e-12)


def test_repeated_rows_count_each_time():
    X_binned, grad, hess, n_bins, rng = _data(500, 4, seed=1)
    rows = rng.integers(0, 500, 900)  # a bootstrap-like sample with repeats
    hist = build_histogram(X_binned, grad, hess, rows, n_bins)
    np.testing.assert_allclose(dense_histogram(hist, n_bins),
                               _reference(X_binned, grad, hess, rows), rtol=1e-12, atol=1e-12)


def test_every_feature_sums_to_the_node_totals():
    X_binned, grad, hess, n_bins, rng = _data(20_000, 5, seed=3)
    rows = np.flatnonzero(rng.random(20_000) < 0.6)
    hist = build_histogram(X_binned, grad, hess, rows, n_bins)
    offsets = hist_offsets(n_bins)
    totals = [hist[offsets[f]:offsets[f + 1]].sum(axis=0) for f in range(5)]
    expected = [grad[rows].astype(np.float64).sum(), hess[rows].astype(np.float64).sum()]
    np.testing.assert_allclose(totals, np.tile(expected, (5, 1)), rtol=1e-10)


def test_subtraction_trick_equals_building_the_sibling():
    X_binned, grad, hess, n_bins, rng = _data(3000, 4, seed=4)
    rows = rng.permutation(3000)
    goes_left = X_binned[rows, 1] <= 40
    left, right = rows[goes_left], rows[~goes_left]
    parent = build_histogram(X_binned, grad, hess, rows, n_bins)
    built_left = build_histogram(X_binned, grad, hess, left, n_bins)
    built_right = build_histogram(X_binned, grad, hess, right, n_bins)
    np.testing.assert_allclose(parent - built_left, built_right, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("n_rows, expected", [
    (1, 1), (CHUNK_ROWS - 1, 1), (2 * CHUNK_ROWS, 2), (2 * CHUNK_ROWS + 5, 2),
    (100 * CHUNK_ROWS, MAX_CHUNKS),
])
def test_chunk_count_depends_only_on_the_rows(n_rows, expected):
    assert n_chunks(n_rows) == expected
