"""Tests for ensembles._engine.binning: bin edges, uint8/uint16 codes and the edge/code
invariant."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ensembles._engine import binning
from ensembles._engine.binning import MISSING_BIN, BinMapper, find_bin_edges


def _bin(X, **kwargs):
    mapper = BinMapper(**kwargs).fit(X)
    return mapper, mapper.transform(X)


def _check_edge_code_invariant(X, mapper, codes):
    """What prediction relies on: ``x <= edges[f, b]`` exactly when ``code <= b``."""
    n_samples, n_features = X.shape
    assert codes.shape == X.shape and codes.dtype in (np.uint8, np.uint16)
    # The narrow dtype whenever every code fits in it.
    fits_uint8 = all(n <= 255 or not np.isnan(X[:, f]).any()
                     for f, n in enumerate(mapper.n_bins_))
    assert (codes.dtype == np.uint8) == (fits_uint8 and mapper.n_bins_.max() <= 256)
    missing_code = np.iinfo(codes.dtype).max
    for f in range(n_features):
        x = X[:, f].astype(np.float64)
        c = codes[:, f].astype(np.int64)
        missing = np.isnan(x)
        assert np.all(c[missing] == missing_code)
        x, c = x[~missing], c[~missing]
        n_bins = int(mapper.n_bins_[f])
        assert 1 <= n_bins <= missing_code + (not missing.any())
        assert np.all(c < n_bins)
        edges = mapper.edges_[f]
        used = edges[: n_bins - 1]
        assert np.all(np.diff(used) > 0), "edges must be strictly increasing"
        assert edges.size >= n_bins and np.all(np.isposinf(edges[n_bins - 1:])), (
            "padding past the last edge is +inf")
        np.testing.assert_array_equal(x[:, None] <= edges[None, :],
                                      c[:, None] <= np.arange(edges.size)[None, :])


# Values drawn from a small pool (duplicates, huge and tiny magnitudes, signed zeros) mixed
# with arbitrary finite floats, so both the exact and the quantile path get exercised.
_POOL = [0.0, -0.0, 1.0, -1.0, 1e-300, -1e-300, 5e-324, 1e300, -1e300, 1.7e308, -1.7e308,
         3.4e38, 1e-45, 0.1, 0.2, 0.3]


def _column(width):
    pool = _POOL
    if width == 32:
        pool = [float(np.float32(v)) for v in _POOL if abs(v) < 3e38]
    finite = st.floats(allow_nan=False, allow_infinity=False, width=width)
    return st.one_of(st.sampled_from(pool), finite, st.just(float("nan")))


@st.composite
def _matrices(draw):
    width = draw(st.sampled_from([32, 64]))
    dtype = np.float32 if width == 32 else np.float64
    n_rows = draw(st.integers(1, 400))
    n_cols = draw(st.integers(1, 3))
    return draw(arrays(dtype, (n_rows, n_cols), elements=_column(width)))


@settings(max_examples=100, deadline=None)
@given(X=_matrices(), max_bin=st.integers(2, 256))
def test_edge_code_invariant_property(X, max_bin):
    mapper, codes = _bin(X, max_bin=max_bin)
    assert np.all(mapper.n_bins_ <= min(max_bin, 255))
    _check_edge_code_invariant(X, mapper, codes)


@settings(max_examples=60, deadline=None)
@given(X=_matrices())
def test_codes_are_monotone_in_x(X):
    mapper, codes = _bin(X, max_bin=8)
    for f in range(X.shape[1]):
        present = ~np.isnan(X[:, f])
        order = np.argsort(X[present, f], kind="stable")
        assert np.all(np.diff(codes[present, f][order].astype(int)) >= 0)


@pytest.mark.parametrize("n_distinct, max_bin", [(1, 2), (2, 2), (7, 10), (32, 32),
                                                 (200, 256), (255, 256), (255, 255)])
def test_few_distinct_values_get_one_bin_each(n_distinct, max_bin):
    rng = np.random.default_rng(n_distinct)
    values = np.sort(rng.choice(np.linspace(-50, 50, 1001), n_distinct, replace=False))
    x = rng.permutation(np.concatenate([values, rng.choice(values, 300)]))
    mapper, codes = _bin(x[:, None], max_bin=max_bin)
    assert mapper.n_bins_[0] == n_distinct
    # Exact bins: a value's code is its rank among the distinct values.
    np.testing.assert_array_equal(codes[:, 0], np.searchsorted(values, x))


def test_adjacent_floats_keep_separate_bins():
    a = np.float64(1.0)
    values = np.array([a, np.nextafter(a, 2), np.nextafter(np.nextafter(a, 2), 2)])
    mapper, codes = _bin(values[:, None])
    np.testing.assert_array_equal(codes[:, 0], [0, 1, 2])


@pytest.mark.parametrize("max_bin", [2, 3, 16, 64, 255, 256])
def test_max_bin_respected_for_continuous_data(max_bin):
    X = np.random.default_rng(1).normal(size=(3000, 2))
    mapper, codes = _bin(X, max_bin=max_bin)
    # Quantile edges are unique, so a continuous feature uses (nearly) every allowed bin.
    assert np.all(mapper.n_bins_ <= max_bin)
    assert np.all(mapper.n_bins_ >= max_bin - 1)
    assert codes.max() < max_bin
    assert codes.dtype == np.uint8  # no NaN: even 256 value bins fit one byte
    _check_edge_code_invariant(X, mapper, codes)


def test_256_values_get_256_bins_and_nan_its_own_code():
    # XGBoost's max_bin=256 separates 256 distinct values; with NaN on top the codes need
    # a 257th value, so the matrix switches to uint16.
    x = np.tile(np.arange(256.0), 4)
    mapper, codes = _bin(x[:, None], max_bin=256)
    assert mapper.n_bins_[0] == 256 and codes.dtype == np.uint8
    np.testing.assert_array_equal(codes[:, 0], x)
    with_nan = np.r_[x, np.nan][:, None]
    codes = mapper.transform(with_nan)
    assert codes.dtype == np.uint16
    np.testing.assert_array_equal(codes[:-1, 0], x)
    assert codes[-1, 0] == np.iinfo(np.uint16).max
    _check_edge_code_invariant(with_nan, mapper, codes)
    # Fewer bins leave the top uint8 code to NaN.
    small = BinMapper(max_bin=255).fit(with_nan)
    assert small.n_bins_[0] == 255 and small.transform(with_nan).dtype == np.uint8


@pytest.mark.parametrize("as_sparse", [False, True])
def test_features_with_nan_keep_uint8_codes_at_256_bins(as_sparse):
    # A continuous feature with NaN gets 255 value bins, so that the missing code fits a
    # byte; the one without NaN keeps 256. Dense and sparse input bin alike.
    from scipy import sparse

    rng = np.random.default_rng(5)
    X = rng.normal(size=(5000, 2))
    X[rng.random(5000) < 0.1, 0] = np.nan
    X[rng.random(5000) < 0.05, 0] = 0.0  # absent entries of the sparse form
    data = sparse.csr_matrix(X) if as_sparse else X
    mapper = BinMapper(max_bin=256).fit(data)
    # Feature 0 binned as with max_bin=255, feature 1 with all 256 bins.
    np.testing.assert_array_equal(mapper.edges_list()[0],
                                  BinMapper(max_bin=255).fit(X[:, :1]).edges_list()[0])
    assert mapper.n_bins_[1] == 256
    codes = mapper.transform(data)
    assert codes.dtype == np.uint8
    _check_edge_code_invariant(X, mapper, codes if not as_sparse else mapper.transform(X))


@pytest.mark.parametrize("max_bin", [257, 1024, 5000])
def test_more_than_256_bins_use_uint16_codes(max_bin):
    rng = np.random.default_rng(6)
    X = rng.normal(size=(20_000, 3))
    X[rng.random(X.shape) < 0.05] = np.nan
    X[:, 2] = np.round(X[:, 2] * 2)  # a discrete feature keeps exact bins
    mapper, codes = _bin(X, max_bin=max_bin)
    assert codes.dtype == np.uint16
    assert mapper.n_bins_[0] >= max_bin - 1 and mapper.n_bins_[0] <= max_bin
    # The edge rows are padded to the smallest 2**k - 1 that holds the widest feature's
    # edges and its +inf "missing only" threshold.
    n_edges = mapper.n_bins_.max() - 1
    assert mapper.edges_.shape[1] == max(2 ** int(np.ceil(np.log2(n_edges + 1))) - 1,
                                         n_edges + 1)
    _check_edge_code_invariant(X, mapper, codes)


def test_edges_round_trip_through_from_edges():
    rng = np.random.default_rng(7)
    X = np.column_stack([rng.normal(size=500), rng.integers(0, 3, 500), np.full(500, 2.0)])
    mapper = BinMapper(max_bin=40).fit(X)
    again = BinMapper.from_edges(mapper.edges_list(), max_bin=40)
    np.testing.assert_array_equal(again.n_bins_, mapper.n_bins_)
    np.testing.assert_array_equal(again.edges_, mapper.edges_)
    np.testing.assert_array_equal(again.transform(X), mapper.transform(X))


@pytest.mark.parametrize("max_bin", [10, 32, 100])
def test_quantile_bins_are_roughly_equal_mass(max_bin):
    n = 20_000
    x = np.random.default_rng(2).lognormal(size=n)
    mapper, codes = _bin(x[:, None], max_bin=max_bin)
    counts = np.bincount(codes[:, 0], minlength=max_bin)
    assert counts.size == max_bin
    np.testing.assert_allclose(counts, n / max_bin, rtol=0.05)


def test_subsampled_edges_are_still_roughly_equal_mass():
    n = 50_000
    x = np.random.default_rng(3).normal(size=n)
    mapper, codes = _bin(x[:, None], max_bin=20, subsample=5_000, random_state=7)
    counts = np.bincount(codes[:, 0], minlength=20)
    np.testing.assert_allclose(counts, n / 20, rtol=0.25)
    # The subsample is seeded: same random_state, same edges; another one, other edges.
    again = BinMapper(max_bin=20, subsample=5_000, random_state=7).fit(x[:, None])
    other = BinMapper(max_bin=20, subsample=5_000, random_state=8).fit(x[:, None])
    np.testing.assert_array_equal(again.edges_, mapper.edges_)
    assert not np.array_equal(other.edges_, mapper.edges_)


def test_subsample_keeps_exact_bins_of_discrete_features():
    rng = np.random.default_rng(4)
    values = np.array([-3.0, 0.5, 2.0, 2.25, 10.0])
    x = rng.choice(values, 20_000)
    mapper, codes = _bin(x[:, None], subsample=1_000)
    assert mapper.n_bins_[0] == values.size
    np.testing.assert_array_equal(codes[:, 0], np.searchsorted(values, x))


def test_constant_and_all_nan_columns():
    X = np.column_stack([np.full(50, 3.5), np.full(50, np.nan), np.r_[np.full(25, 1.0),
                                                                       np.full(25, np.nan)]])
    mapper, codes = _bin(X)
    np.testing.assert_array_equal(mapper.n_bins_, [1, 1, 1])
    assert np.all(codes[:, 0] == 0)
    assert np.all(codes[:, 1] == MISSING_BIN)
    np.testing.assert_array_equal(codes[:, 2], np.r_[np.zeros(25), np.full(25, MISSING_BIN)])
    assert np.all(np.isposinf(mapper.edges_))
    # Unseen values of a constant feature still land in its only bin.
    new = mapper.transform(np.array([[-1e9, 0.0, 7.0], [1e9, np.nan, -7.0]]))
    np.testing.assert_array_equal(new, [[0, 0, 0], [0, MISSING_BIN, 0]])


def test_unseen_values_are_clamped_to_the_outer_bins():
    X = np.arange(10.0)[:, None]
    mapper = BinMapper().fit(X)
    codes = mapper.transform(np.array([[-100.0], [4.6], [4.5], [100.0], [np.nan]]))
    np.testing.assert_array_equal(codes[:, 0], [0, 5, 4, 9, MISSING_BIN])


def test_float32_input_bins_like_its_float64_copy():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(2000, 3)).astype(np.float32)
    X[rng.random(X.shape) < 0.1] = np.nan
    X[:, 2] = np.round(X[:, 2])  # a discrete feature, exact bins
    m32, c32 = _bin(X, max_bin=64)
    m64, c64 = _bin(X.astype(np.float64), max_bin=64)
    np.testing.assert_array_equal(m32.edges_, m64.edges_)
    np.testing.assert_array_equal(c32, c64)
    _check_edge_code_invariant(X, m32, c32)


@pytest.mark.parametrize("order", ["C", "F"])
def test_edges_do_not_depend_on_the_transpose_bands(monkeypatch, order):
    """The fit transposes the features a band of rows at a time; bands that do not
    divide the rows (and a band of at least 16 rows on wide data) give the edges of
    the whole columns."""
    rng = np.random.default_rng(6)
    X = np.asarray(rng.normal(size=(1003, 40)).astype(np.float32), order=order)
    X[rng.random(X.shape) < 0.05] = np.nan
    X[:, 7] = np.round(X[:, 7])
    whole = BinMapper(max_bin=32).fit(X)
    monkeypatch.setattr(binning, "_TRANSPOSE_BYTES", 8 * 40 * 37)  # bands of 37 rows
    banded = BinMapper(max_bin=32).fit(X)
    monkeypatch.setattr(binning, "_TRANSPOSE_BYTES", 8)  # the smallest band: 16 rows
    np.testing.assert_array_equal(banded.edges_, whole.edges_)
    np.testing.assert_array_equal(BinMapper(max_bin=32).fit(X).edges_, whole.edges_)
    np.testing.assert_array_equal(
        binning._feature_rows(X, 3, 29), np.asarray(X[:, 3:29].T, dtype=np.float64))


def test_find_bin_edges_ignores_nan_and_returns_sorted_midpoints():
    edges = find_bin_edges(np.array([3.0, np.nan, 1.0, 2.0, 1.0, np.nan]), 255)
    np.testing.assert_array_equal(edges, [1.5, 2.5])
    assert find_bin_edges(np.array([np.nan, np.nan]), 255).size == 0


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_quantile_edges_of_huge_finite_values_stay_finite():
    rng = np.random.default_rng(6)
    x = np.concatenate([-1.7e308 * (1 + rng.random(300) * 1e-3),
                        1.7e308 * (1 + rng.random(300) * 1e-3)])
    mapper, codes = _bin(x[:, None], max_bin=2)
    assert np.all(np.isfinite(mapper.edges_[0, : mapper.n_bins_[0] - 1]))
    # Two bins for two well-separated clusters: negatives in one, positives in the other.
    np.testing.assert_array_equal(codes[:, 0], (x > 0).astype(np.uint8))


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.integers(1, 400), elements=_column(64)),
       st.integers(2, 64))
def test_quantile_edges_follow_numpys_lower_percentiles(column, max_bin):
    """The edges taken from one sort follow numpy's own "lower" percentiles, each moved
    halfway to the next distinct value (and are the exact midpoints when few values are
    distinct), so the bins hold numpy's quantiles and no value sits on an edge."""
    present = column[~np.isnan(column)]
    edges = find_bin_edges(column, max_bin)
    if present.size == 0:
        assert edges.size == 0
        return
    distinct = np.unique(present)
    if distinct.size <= max_bin:
        mid = distinct[:-1] / 2.0 + distinct[1:] / 2.0
        np.testing.assert_array_equal(edges, np.where(mid >= distinct[1:], distinct[:-1], mid))
        return
    lower = np.unique(np.percentile(present, np.linspace(0.0, 100.0, max_bin + 1)[1:-1],
                                    method="lower"))
    lower = lower[lower < distinct[-1]]
    above = distinct[np.searchsorted(distinct, lower, side="right")]
    mid = lower / 2.0 + above / 2.0
    np.testing.assert_array_equal(edges, np.where(mid >= above, lower, mid))
    assert not np.isin(present, edges[edges != lower]).any()


def test_property_tests_are_reproducible_and_keep_no_database():
    current = settings()
    assert current.derandomize and current.database is None
