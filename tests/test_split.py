"""Tests for ensembles._engine.split: leaf weights and scores, and the best-split search."""

import numpy as np
import pytest

from ensembles._engine.grower import GrowthParams
from ensembles._engine.histogram import build_histogram, hist_offsets
from ensembles._engine.split import find_best_split, leaf_weight, node_score

MISSING = 255


# --- independent closed forms ------------------------------------------------------------

def _weight(G, H, lam, alpha, mds, mcw=0.0):
    if H <= 0 or H < mcw:
        return 0.0
    w = -np.sign(G) * max(abs(G) - alpha, 0.0) / (H + lam)
    return float(np.clip(w, -mds, mds)) if mds > 0 else w


def _objective(G, H, lam, alpha, w):
    return G * w + 0.5 * (H + lam) * w * w + alpha * abs(w)


def _score(G, H, lam, alpha, mds, mcw=0.0):
    """XGBoost's node score: the objective decrease without clipping; with it, the decrease
    of the alpha-free part at the clipped weight."""
    if H <= 0:
        return 0.0
    if mds == 0:
        return max(abs(G) - alpha, 0.0) ** 2 / (H + lam)
    w = _weight(G, H, lam, alpha, mds, mcw)
    return -(2.0 * G * w + (H + lam) * w * w)


@pytest.mark.parametrize("G, H, lam, alpha, mds, expected", [
    (3.0, 2.0, 1.0, 0.0, 0.0, -1.0),
    (-3.0, 2.0, 1.0, 0.0, 0.0, 1.0),
    (3.0, 2.0, 1.0, 1.0, 0.0, -2.0 / 3.0),     # soft threshold: (3 - 1) / 3
    (-3.0, 2.0, 1.0, 1.0, 0.0, 2.0 / 3.0),
    (3.0, 2.0, 1.0, 5.0, 0.0, 0.0),            # |G| <= alpha: no move
    (3.0, 2.0, 1.0, 0.0, 0.5, -0.5),           # clipped to max_delta_step
    (-3.0, 2.0, 1.0, 1.0, 0.25, 0.25),
    (3.0, 2.0, 1.0, 0.0, 2.0, -1.0),           # clip inactive
    (3.0, 0.0, 1.0, 0.0, 0.0, 0.0),            # empty node
])
def test_leaf_weight_hand_computed(G, H, lam, alpha, mds, expected):
    assert leaf_weight(G, H, lam, alpha, mds, 0.0) == pytest.approx(expected, abs=1e-15)


def test_leaf_weight_is_zero_below_min_child_weight():
    assert leaf_weight(3.0, 2.0, 1.0, 0.0, 0.0, 2.5) == 0.0
    assert leaf_weight(3.0, 2.0, 1.0, 0.0, 0.0, 2.0) == pytest.approx(-1.0)


@pytest.mark.parametrize("G, H, lam, alpha, mds, expected", [
    (3.0, 2.0, 1.0, 0.0, 0.0, 3.0),            # G^2 / (H + lambda)
    (3.0, 2.0, 1.0, 1.0, 0.0, 4.0 / 3.0),      # (|G| - alpha)^2 / (H + lambda)
    (0.5, 2.0, 1.0, 1.0, 0.0, 0.0),
    (3.0, 2.0, 1.0, 0.0, 0.5, 2.25),           # -(2 G w + (H + lambda) w^2) at w = -0.5
    (3.0, 2.0, 1.0, 1.0, 0.5, 2.25),           # alpha only moves the weight, as in XGBoost
    (3.0, -1.0, 1.0, 0.0, 0.0, 0.0),
])
def test_node_score_hand_computed(G, H, lam, alpha, mds, expected):
    assert node_score(G, H, lam, alpha, mds, 0.0) == pytest.approx(expected, abs=1e-15)


def _random_leaf_cases(n, seed):
    rng = np.random.default_rng(seed)
    G = rng.normal(scale=10.0, size=n)
    H = rng.uniform(0.0, 20.0, n)
    lam = rng.choice([0.0, 0.1, 1.0, 10.0], n)
    alpha = rng.choice([0.0, 0.5, 3.0], n)
    mds = rng.choice([0.0, 0.1, 0.7, 5.0], n)
    return zip(G, H, lam, alpha, mds, strict=True)


def test_leaf_weight_and_score_match_closed_forms_on_random_inputs():
    for G, H, lam, alpha, mds in _random_leaf_cases(500, seed=0):
        w = leaf_weight(G, H, lam, alpha, mds, 0.0)
        assert w == pytest.approx(_weight(G, H, lam, alpha, mds), rel=1e-12, abs=1e-15)
        assert node_score(G, H, lam, alpha, mds, 0.0) == pytest.approx(
            _score(G, H, lam, alpha, mds), rel=1e-10, abs=1e-12)
        if mds == 0.0 and alpha == 0.0 and H > 0:
            # Without clipping the score is twice the objective decrease at the optimum.
            assert node_score(G, H, lam, alpha, mds, 0.0) == pytest.approx(
                -2.0 * _objective(G, H, lam, alpha, w), rel=1e-10, abs=1e-12)
        if mds == 0.0 and H > 0:
            soft = max(abs(G) - alpha, 0.0)
            assert node_score(G, H, lam, alpha, mds, 0.0) == pytest.approx(
                soft * soft / (H + lam), rel=1e-10, abs=1e-12)


def test_leaf_weight_minimizes_the_regularized_objective():
    for G, H, lam, alpha, mds in _random_leaf_cases(100, seed=1):
        if H + lam <= 0:
            continue
        bound = mds if mds > 0 else 50.0
        grid = np.linspace(-bound, bound, 4001)
        w = leaf_weight(G, H, lam, alpha, mds, 0.0)
        assert abs(w) <= bound + 1e-12
        best_on_grid = _objective(G, H, lam, alpha, grid).min()
        assert _objective(G, H, lam, alpha, w) <= best_on_grid + 1e-12


# --- brute-force split search on rows -----------------------------------------------------

def _problem(seed, n_samples=400, n_features=4, missing=0.15, max_bins=20):
    rng = np.random.default_rng(seed)
    n_bins = rng.integers(1, max_bins, n_features).astype(np.int32)
    X_binned = (rng.random((n_samples, n_features)) * n_bins).astype(np.uint8)
    X_binned[rng.random(X_binned.shape) < missing] = MISSING
    X_binned[:, 0][X_binned[:, 0] == MISSING] = 0  # one feature without missing values
    # Gradients that depend on the features, so that splits have real gains.
    signal = (X_binned[:, 1] < n_bins[1] / 2) - 0.5 * (X_binned[:, 2] == MISSING)
    grad = (rng.normal(size=n_samples) + 2.0 * signal).astype(np.float32)
    hess = rng.uniform(0.1, 1.5, n_samples).astype(np.float32)
    return X_binned, grad, hess, n_bins


def _hist(X_binned, grad, hess, n_bins):
    offsets = hist_offsets(n_bins)
    hist = build_histogram(X_binned, grad, hess, np.arange(X_binned.shape[0]), n_bins)
    return hist, offsets


def _goes_left(codes, split_bin, default_left):
    return np.where(codes == MISSING, default_left, codes <= split_bin)


def _split_gain(X_binned, grad, hess, f, b, miss_left, reg):
    """Gain of one candidate from row sums, or None when a child is empty or too light."""
    lam, alpha, mds, mcw = reg
    g, h = grad.astype(np.float64), hess.astype(np.float64)
    left = _goes_left(X_binned[:, f], b, miss_left)
    if left.all() or not left.any():
        return None
    hl, hr = h[left].sum(), h[~left].sum()
    if hl < mcw or hr < mcw:
        return None
    return (_score(g[left].sum(), hl, lam, alpha, mds, mcw)
            + _score(g[~left].sum(), hr, lam, alpha, mds, mcw)
            - _score(g.sum(), h.sum(), lam, alpha, mds, mcw))


def _brute_force_best_gain(X_binned, grad, hess, n_bins, mask, reg):
    best = 0.0
    for f in np.flatnonzero(mask):
        for b in range(n_bins[f]):
            for miss_left in (False, True):
                gain = _split_gain(X_binned, grad, hess, f, b, miss_left, reg)
                if gain is not None and gain > best:
                    best = gain
    return best


def _find(X_binned, grad, hess, n_bins, mask, reg):
    lam, alpha, mds, mcw = reg
    G = float(grad.astype(np.float64).sum())
    H = float(hess.astype(np.float64).sum())
    hist, offsets = _hist(X_binned, grad, hess, n_bins)
    return find_best_split(hist, offsets, n_bins, mask, G, H, lam, alpha, mds, mcw,
                           None, -np.inf, np.inf, None, GrowthParams().cat_arrays(),
                           np.zeros(1, dtype=np.uint32))


def _assert_split_reaches(expected, X_binned, grad, hess, n_bins, mask, reg):
    """The search finds the brute force's best gain (no split when it is 0) with a split
    that reaches it and the sums of that split's left rows; returns the left hessian."""
    gain, f, b, default_left, GL, HL = _find(X_binned, grad, hess, n_bins, mask, reg)
    if expected == 0.0:
        assert f == -1
        return HL
    assert f >= 0
    assert gain == pytest.approx(expected, rel=1e-9)
    assert _split_gain(X_binned, grad, hess, f, b, default_left, reg) == pytest.approx(
        expected, rel=1e-9)
    left = _goes_left(X_binned[:, f], b, default_left)
    assert GL == pytest.approx(grad[left].astype(np.float64).sum(), rel=1e-9, abs=1e-9)
    assert HL == pytest.approx(hess[left].astype(np.float64).sum(), rel=1e-9)
    return HL


REGS = [  # reg_lambda, reg_alpha, max_delta_step, min_child_weight
    (1.0, 0.0, 0.0, 1.0),
    (0.0, 0.0, 0.0, 0.0),
    (5.0, 2.0, 0.0, 0.5),
    (1.0, 0.0, 0.05, 1.0),
    (0.5, 3.0, 0.2, 20.0),
]


@pytest.mark.parametrize("reg", REGS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_find_best_split_equals_brute_force(seed, reg):
    X_binned, grad, hess, n_bins = _problem(seed)
    mask = np.ones(X_binned.shape[1], dtype=np.bool_)
    expected = _brute_force_best_gain(X_binned, grad, hess, n_bins, mask, reg)
    assert expected > 0
    HL = _assert_split_reaches(expected, X_binned, grad, hess, n_bins, mask, reg)
    min_child_weight = reg[3]
    assert HL >= min_child_weight and hess.astype(np.float64).sum() - HL >= min_child_weight


@pytest.mark.parametrize("reg", REGS)
@pytest.mark.parametrize(("seed", "n_samples"), [(3, 30), (4, 90), (5, 3000)])
def test_find_best_split_equals_brute_force_with_many_bins(seed, n_samples, reg):
    # Features of many bins that a small node fills sparsely score only the candidates
    # after a non-empty bin; a large node fills them densely and scores every candidate.
    X_binned, grad, hess, n_bins = _problem(seed, n_samples=n_samples, n_features=5,
                                            max_bins=250)
    n_bins = np.maximum(n_bins, 40).astype(np.int32)
    mask = np.ones(X_binned.shape[1], dtype=np.bool_)
    expected = _brute_force_best_gain(X_binned, grad, hess, n_bins, mask, reg)
    _assert_split_reaches(expected, X_binned, grad, hess, n_bins, mask, reg)


def test_missing_values_go_to_the_better_side():
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 10, 300).astype(np.uint8)
    missing = rng.random(300) < 0.2
    codes[missing] = MISSING
    high = (codes >= 5) & ~missing
    for missing_like_high in (True, False):
        grad = np.where(high | (missing & missing_like_high), -1.0, 1.0).astype(np.float32)
        hess = np.ones(300, dtype=np.float32)
        _, f, b, default_left, _, _ = _find(codes[:, None], grad, hess, np.array([10], np.int32),
                                            np.ones(1, np.bool_), (1.0, 0.0, 0.0, 1.0))
        assert (f, b) == (0, 4)
        assert default_left == (not missing_like_high)


def test_a_single_bin_feature_with_missing_values_splits_present_from_missing():
    codes = np.array([0] * 50 + [MISSING] * 30, dtype=np.uint8)[:, None]
    grad = np.r_[np.full(50, 1.0), np.full(30, -1.0)].astype(np.float32)
    hess = np.ones(80, dtype=np.float32)
    gain, f, b, default_left, GL, HL = _find(codes, grad, hess, np.array([1], np.int32),
                                             np.ones(1, np.bool_), (1.0, 0.0, 0.0, 1.0))
    assert (f, b, default_left) == (0, 0, False)
    assert (GL, HL) == (50.0, 50.0)
    assert gain == pytest.approx(50**2 / 51 + 30**2 / 31 - 20**2 / 81)


def test_min_child_weight_too_large_means_no_split():
    X_binned, grad, hess, n_bins = _problem(4)
    H = float(hess.astype(np.float64).sum())
    mask = np.ones(X_binned.shape[1], dtype=np.bool_)
    gain, f, *_ = _find(X_binned, grad, hess, n_bins, mask, (1.0, 0.0, 0.0, H / 2 + 1))
    assert f == -1 and gain == 0.0


@pytest.mark.parametrize("case", ["zero_gradients", "alpha_absorbs_all", "one_bin_no_missing",
                                  "constant_ratio"])
def test_no_split_when_no_gain_is_positive(case):
    X_binned, grad, hess, n_bins = _problem(5)
    reg = (1.0, 0.0, 0.0, 0.0)
    if case == "zero_gradients":
        grad = np.zeros_like(grad)
    elif case == "alpha_absorbs_all":
        reg = (1.0, float(np.abs(grad).sum()) + 1.0, 0.0, 0.0)
    elif case == "one_bin_no_missing":
        X_binned = np.zeros_like(X_binned)
        n_bins = np.ones_like(n_bins)
    else:  # every child has the parent's G/H, so no split improves on it (lambda = 0)
        hess = np.ones_like(hess)
        grad = np.full_like(grad, 0.5)
        reg = (0.0, 0.0, 0.0, 0.0)
    gain, f, *_ = _find(X_binned, grad, hess, n_bins, np.ones(4, np.bool_), reg)
    assert f == -1 and gain == 0.0


def test_feature_mask_is_respected():
    X_binned, grad, hess, n_bins = _problem(6)
    reg = REGS[0]
    full = np.ones(4, dtype=np.bool_)
    _, best_feature, *_ = _find(X_binned, grad, hess, n_bins, full, reg)
    mask = full.copy()
    mask[best_feature] = False
    gain, f, *_ = _find(X_binned, grad, hess, n_bins, mask, reg)
    assert f != best_feature and mask[f]
    assert gain == pytest.approx(_brute_force_best_gain(X_binned, grad, hess, n_bins, mask, reg),
                                 rel=1e-9)
    gain, f, *_ = _find(X_binned, grad, hess, n_bins, np.zeros(4, np.bool_), reg)
    assert f == -1 and gain == 0.0


def test_ties_go_to_the_lower_feature_and_the_lower_bin():
    rng = np.random.default_rng(7)
    # Codes 3 and 4 are never used, so thresholds 2, 3 and 4 make the same partition.
    codes = rng.choice(np.array([0, 1, 2, 5, 6, 7], dtype=np.uint8), 200)
    X_binned = np.column_stack([codes, codes])  # two identical features
    grad = np.where(codes <= 2, -1.0, 1.0).astype(np.float32)
    hess = np.ones(200, dtype=np.float32)
    n_bins = np.array([8, 8], dtype=np.int32)
    _, f, b, _, _, _ = _find(X_binned, grad, hess, n_bins, np.ones(2, np.bool_),
                             REGS[0])
    assert (f, b) == (0, 2)
    _, f, b, _, _, _ = _find(X_binned, grad, hess, n_bins, np.array([False, True]), REGS[0])
    assert (f, b) == (1, 2)
    # The same among many bins, most of them empty (the scan skips those).
    wide = np.array([200, 200], dtype=np.int32)
    _, f, b, _, _, _ = _find(X_binned, grad, hess, wide, np.ones(2, np.bool_), REGS[0])
    assert (f, b) == (0, 2)
    # Missing values on the left scan the bins downwards: of thresholds 4, 3 and 2 (the
    # same partition), the first found, 4, as with few bins.
    X_missing = X_binned.copy()
    X_missing[:20] = MISSING
    grad_missing = np.where(X_missing[:, 0] == MISSING, -1.0, grad).astype(np.float32)
    for bins in (n_bins, wide):
        _, f, b, default_left, _, _ = _find(X_missing, grad_missing, hess, bins,
                                            np.ones(2, np.bool_), REGS[0])
        assert (f, b, default_left) == (0, 4, True)
