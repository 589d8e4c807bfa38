"""Split finding with XGBoost's regularized gain and learned default directions.

For a leaf with gradient sum ``G`` and hessian sum ``H`` the optimal weight of the
second-order objective ``G w + (H + lambda) w^2 / 2 + alpha |w|`` is

    w* = -T_alpha(G) / (H + lambda),   T_alpha(G) = sign(G) max(|G| - alpha, 0),

clipped to ``[-max_delta_step, max_delta_step]`` when that is positive, and the leaf's
"score" (twice the objective decrease) is ``-(2 G w* + (H + lambda) w*^2 + 2 alpha |w*|)``,
which without clipping equals ``T_alpha(G)^2 / (H + lambda)``. A split's gain is
``score(left) + score(right) - score(parent)``; ``gamma`` is applied afterwards by pruning,
as XGBoost does. Children need a hessian sum of at least ``min_child_weight`` (and > 0).

Missing values (bin 255) are tried on both sides of every threshold; the better side
becomes the node's default direction.
"""

from numba import njit

from .binning import MISSING_BIN


@njit(cache=True, nogil=True)
def leaf_weight(G, H, reg_lambda, reg_alpha, max_delta_step):
    """Optimal leaf weight, before the learning rate."""
    if H <= 0.0:
        return 0.0
    if G > reg_alpha:
        g = G - reg_alpha
    elif G < -reg_alpha:
        g = G + reg_alpha
    else:
        g = 0.0
    w = -g / (H + reg_lambda)
    if max_delta_step > 0.0:
        if w > max_delta_step:
            w = max_delta_step
        elif w < -max_delta_step:
            w = -max_delta_step
    return w


@njit(cache=True, nogil=True)
def leaf_score(G, H, reg_lambda, reg_alpha, max_delta_step):
    """Twice the objective decrease a leaf achieves with its optimal weight."""
    if H <= 0.0:
        return 0.0
    if max_delta_step <= 0.0:
        if G > reg_alpha:
            g = G - reg_alpha
        elif G < -reg_alpha:
            g = G + reg_alpha
        else:
            return 0.0
        return g * g / (H + reg_lambda)
    w = leaf_weight(G, H, reg_lambda, reg_alpha, max_delta_step)
    return -(2.0 * G * w + (H + reg_lambda) * w * w + 2.0 * reg_alpha * abs(w))


@njit(cache=True, nogil=True)
def find_best_split(hist, n_bins, feature_mask, G, H, reg_lambda, reg_alpha, max_delta_step,
                    min_child_weight):
    """Best split of a node over the allowed features.

    Parameters
    ----------
    hist : ndarray of shape (n_features, 256, 2)
    n_bins : ndarray of int32, shape (n_features,)
        Value bins per feature.
    feature_mask : ndarray of bool, shape (n_features,)
        Features this node may split on.
    G, H : float
        Gradient and hessian sums of the node.

    Returns
    -------
    gain, feature, bin, default_left, G_left, H_left
        ``feature == -1`` when no valid split exists. Rows whose bin is ``<= bin`` go left;
        missing values go left iff ``default_left``. Ties go to the lower feature index and
        the lower bin, then to missing-right.
    """
    parent = leaf_score(G, H, reg_lambda, reg_alpha, max_delta_step)
    best_gain = 0.0
    best_feature = -1
    best_bin = 0
    best_left = False
    best_GL = 0.0
    best_HL = 0.0
    for f in range(hist.shape[0]):
        if not feature_mask[f]:
            continue
        g_miss = hist[f, MISSING_BIN, 0]
        h_miss = hist[f, MISSING_BIN, 1]
        has_missing = h_miss > 0.0
        # Without missing values the last bin cannot be a threshold (right side empty);
        # with them it separates "missing" from "present".
        last = n_bins[f] if has_missing else n_bins[f] - 1
        GL = 0.0
        HL = 0.0
        for b in range(last):
            GL += hist[f, b, 0]
            HL += hist[f, b, 1]
            for miss_left in range(2 if has_missing else 1):
                gl = GL + g_miss * miss_left
                hl = HL + h_miss * miss_left
                hr = H - hl
                if hl < min_child_weight or hr < min_child_weight or hl <= 0.0 or hr <= 0.0:
                    continue
                gain = (leaf_score(gl, hl, reg_lambda, reg_alpha, max_delta_step)
                        + leaf_score(G - gl, hr, reg_lambda, reg_alpha, max_delta_step)
                        - parent)
                if gain > best_gain:
                    best_gain = gain
                    best_feature = f
                    best_bin = b
                    best_left = miss_left == 1
                    best_GL = gl
                    best_HL = hl
    return best_gain, best_feature, best_bin, best_left, best_GL, best_HL
