"""Split finding with XGBoost's regularized gain and learned default directions.

For a node with gradient sum ``G`` and hessian sum ``H`` the optimal weight of the
second-order objective ``G w + (H + lambda) w^2 / 2 + alpha |w|`` is

    w* = -T_alpha(G) / (H + lambda),   T_alpha(G) = sign(G) max(|G| - alpha, 0),

clipped to ``[-max_delta_step, max_delta_step]`` when that is positive, and 0 when ``H`` is
below ``min_child_weight``. A node's score is ``T_alpha(G)^2 / (H + lambda)`` without
clipping and ``-(2 G w* + (H + lambda) w*^2)`` with it, as XGBoost's ``hist`` evaluator
computes them; a split's gain (XGBoost's ``loss_chg``) is
``score(left) + score(right) - score(parent)``.

A split is taken only when its gain exceeds :data:`MIN_SPLIT_GAIN` and is at least ``gamma``
(XGBoost's ``min_split_loss``, applied while growing, as its ``hist`` method does), and both
children have a positive hessian sum of at least ``min_child_weight``.

Histograms are compact (see :mod:`.histogram`): feature ``f`` owns rows
``offsets[f] : offsets[f] + n_bins[f]`` for its value bins and row
``offsets[f] + n_bins[f]`` for its missing values. Missing values are tried on both sides:
first every threshold with missing values on the right (ascending), then, when the node has
missing values of that feature, every threshold with them on the left (descending), and a
candidate replaces the best so far only with a strictly larger gain (compared in float32, as
XGBoost stores gains, unless a gain is too large for float32). Ties therefore go to the lower
feature, to missing-right, and to the first threshold met; this is XGBoost's order, which
matters on data with repeated values.

Monotone constraints follow XGBoost: a node carries bounds ``[lower, upper]`` on the weights
of its children (the root's are infinite). With any constraint in the model every candidate
is scored from its children's weights clipped to those bounds, ``-(2 G w + (H + lambda)
w^2)``, and the parent likewise; a split on a feature constrained to increase (decrease) is
refused when its left weight is above (below) its right one. The grower then narrows the
children's bounds at the midpoint of their weights (see :mod:`.grower`).

Categorical features (``is_cat[f]``; their bins are category codes, in no meaningful
order) are split by partitions, the left set written as a bitset to ``cat_out``. With
fewer than ``max_cat_to_onehot`` categories (XGBoost's rule) each category is tried alone
against the others (XGBoost's one-hot splits), with the missing values on either side.
Otherwise the categories with rows in the node are ordered by their smoothed gradient ratio
``G_c / (H_c + lambda + cat_smooth)`` (the smoothing keeps categories of few rows from
the ends of the order, where their noise would make them look best) and the best prefix of
that order is taken, scanned from both ends and with the missing values on either side,
listing at most ``max_cat_threshold`` categories on the left (the missing values alone
against all categories are a candidate too). For the squared loss without
smoothing the best prefix of the order by ``G_c / H_c`` is the best partition of all
(Fisher, 1958). A partition's gain is reduced by ``cat_penalty`` times the mean best gain
of the same search on the node's categories redrawn without signal (see
:func:`_null_gain`): choosing the luckiest order of many categories makes noise look like
signal, and the penalty removes that optimism. Candidates are scored with the same gain
as thresholds and compete with them; ties go to the earlier candidate (one-hot: lower
category, missing with the others first; partitions: missing alone, then forward before
backward, shorter prefix first).
"""

import numpy as np

from . import compiled_only
from .jit import njit

# XGBoost treats splits whose gain is at most this as no split at all (its ``kRtEps``).
MIN_SPLIT_GAIN = 1e-6
_FLOAT32_MAX = float(np.finfo(np.float32).max)

# Features of more bins than this score only the threshold candidates after a non-empty
# bin while a node fills few of their bins (see find_best_split).
_DENSE_SCAN_BINS = 32


@compiled_only
def _soft_threshold(G, reg_alpha):
    if G > reg_alpha:
        return G - reg_alpha
    if G < -reg_alpha:
        return G + reg_alpha
    return 0.0


@njit(cache=True, nogil=True)
def leaf_weight(G, H, reg_lambda, reg_alpha, max_delta_step, min_child_weight):
    """Optimal leaf weight, before the learning rate (XGBoost's ``CalcWeight``)."""
    if H < min_child_weight or H <= 0.0:
        return 0.0
    w = -_soft_threshold(G, reg_alpha) / (H + reg_lambda)
    if max_delta_step > 0.0:
        if w > max_delta_step:
            w = max_delta_step
        elif w < -max_delta_step:
            w = -max_delta_step
    return w


@njit(cache=True, nogil=True)
def node_score(G, H, reg_lambda, reg_alpha, max_delta_step, min_child_weight):
    """The score whose increase over the parent is a split's gain (see the module notes)."""
    if H <= 0.0:
        return 0.0
    g = _soft_threshold(G, reg_alpha)
    if max_delta_step <= 0.0:
        return g * g / (H + reg_lambda)
    # leaf_weight's clipped value, computed here rather than called: one level less of
    # compiled calls to link (compile time)
    if H < min_child_weight:
        return 0.0
    w = min(max(-g / (H + reg_lambda), -max_delta_step), max_delta_step)
    return -(2.0 * G * w + (H + reg_lambda) * w * w)


@compiled_only
def _rounded(gain):
    """``gain`` rounded to float32 (XGBoost's precision, hence its ties) where float32
    holds it; larger gains (huge targets) compare in float64 rather than as infinity."""
    if gain < _FLOAT32_MAX:
        return np.float64(np.float32(gain))
    return gain


@compiled_only
def _split_gain(GL, HL, GR, HR, parent, reg_lambda, reg_alpha, max_delta_step,
                min_child_weight):
    """Gain of a candidate split, or 0 when a child is empty or lighter than
    ``min_child_weight`` (no candidate with gain 0 is ever taken)."""
    if HL < min_child_weight or HR < min_child_weight or HL <= 0.0 or HR <= 0.0:
        return 0.0
    return (node_score(GL, HL, reg_lambda, reg_alpha, max_delta_step, min_child_weight)
            + node_score(GR, HR, reg_lambda, reg_alpha, max_delta_step, min_child_weight)
            - parent)


@compiled_only
def clipped_weight(G, H, lower, upper, reg_lambda, reg_alpha, max_delta_step,
                   min_child_weight):
    """:func:`leaf_weight` clipped to a node's monotone bounds ``[lower, upper]``."""
    w = leaf_weight(G, H, reg_lambda, reg_alpha, max_delta_step, min_child_weight)
    return min(max(w, lower), upper)


@compiled_only
def _gain_given_weight(G, H, w, reg_lambda):
    if H <= 0.0:
        return 0.0
    return -(2.0 * G * w + (H + reg_lambda) * w * w)


@compiled_only
def _constrained_gain(GL, HL, GR, HR, parent, direction, lower, upper, reg_lambda, reg_alpha,
                      max_delta_step, min_child_weight):
    """Gain of a candidate split under monotone constraints (see the module notes): 0
    when a child is too light or the weights break the feature's ``direction``."""
    if HL < min_child_weight or HR < min_child_weight or HL <= 0.0 or HR <= 0.0:
        return 0.0
    wl = clipped_weight(GL, HL, lower, upper, reg_lambda, reg_alpha, max_delta_step,
                        min_child_weight)
    wr = clipped_weight(GR, HR, lower, upper, reg_lambda, reg_alpha, max_delta_step,
                        min_child_weight)
    if (direction > 0 and wl > wr) or (direction < 0 and wl < wr):
        return 0.0
    return (_gain_given_weight(GL, HL, wl, reg_lambda)
            + _gain_given_weight(GR, HR, wr, reg_lambda) - parent)


# Slots of the categorical parameters array.
CAT_ONEHOT, CAT_THRESHOLD, CAT_SMOOTH, CAT_PENALTY, CAT_UNIT = range(5)
N_CAT_PARAMS = 5
# Null draws averaged for a partition's selection penalty (see _null_gain).
_NULL_DRAWS = 2


@compiled_only
def _hash(x):
    """SplitMix64's finalizer."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


_SQRT3 = float(np.sqrt(3.0))


@compiled_only
def _normal(key):
    """A draw of mean 0 and variance 1 determined by ``key``: the sum of the four 16-bit
    uniforms of one hash, centred and scaled (Irwin-Hall; close to normal, and several
    times cheaper than Box-Muller, which matters at one draw per category and node)."""
    a = _hash(key)
    total = 0.0
    for i in range(4):
        total += np.float64((a >> np.uint64(16 * i)) & np.uint64(0xFFFF)) + 0.5
    return (total / 65536.0 - 2.0) * _SQRT3


@compiled_only
def _null_gain(hist, first, present, m, G, H, limit, smooth, unit, reg_lambda, reg_alpha,
               max_delta_step, min_child_weight, g_null, ratio):
    """The mean best prefix gain of the node's categories when they carry no signal:
    each category's gradient sum redrawn around the node's mean ratio with the variance
    ``unit * H_c`` (``unit``: the tree's sum of squared gradients per unit of hessian), the
    same order-and-scan search run on it. Subtracted from a partition's gain, it removes
    the optimism of choosing among many orders of many categories, which makes noise
    categories look good (see the module notes)."""
    mean = G / H if H > 0.0 else 0.0
    key0 = _hash(np.uint64(first) * np.uint64(0xD6E8FEB86659FD93) ^ np.uint64(m))
    key0 ^= _hash(np.uint64(np.int64(H * 4096.0)))
    total = 0.0
    for r in range(_NULL_DRAWS):
        Gn = G
        for j in range(m):
            h = hist[first + present[j], 1]
            z = _normal(key0 + np.uint64(r * 1000003 + j))
            g_null[j] = mean * h + z * np.sqrt(max(h, 0.0) * unit)
            Gn += g_null[j] - hist[first + present[j], 0]
            ratio[j] = g_null[j] / (h + smooth)
        parent = node_score(Gn, H, reg_lambda, reg_alpha, max_delta_step, min_child_weight)
        order = np.argsort(ratio[:m])
        best = 0.0
        for direction in (0, 1):
            GL = 0.0
            HL = 0.0
            for j in range(limit):
                q = order[j] if direction == 0 else order[m - 1 - j]
                GL += g_null[q]
                HL += hist[first + present[q], 1]
                gain = _split_gain(GL, HL, Gn - GL, H - HL, parent, reg_lambda, reg_alpha,
                                   max_delta_step, min_child_weight)
                best = max(best, gain)
        total += best
    return total / _NULL_DRAWS


@compiled_only
def _candidate_gain(GL, HL, GR, HR, parent, constrained, lower, upper, reg_lambda, reg_alpha,
                    max_delta_step, min_child_weight):
    if constrained:
        return _constrained_gain(GL, HL, GR, HR, parent, 0, lower, upper, reg_lambda,
                                 reg_alpha, max_delta_step, min_child_weight)
    return _split_gain(GL, HL, GR, HR, parent, reg_lambda, reg_alpha, max_delta_step,
                       min_child_weight)


@compiled_only
def _categorical_split(hist, first, nb, G, H, parent, constrained, lower, upper, reg_lambda,
                       reg_alpha, max_delta_step, min_child_weight, cat_params, present,
                       ordered, ratio, g_null, best, cat_out):
    """The best partition of categorical feature whose histogram starts at ``first`` (see
    the module notes), if its rounded gain beats ``best``; then its left set is written to
    ``cat_out``. Returns ``(key, gain, default_left, GL, HL)``, ``key == best`` when no
    candidate beats it."""
    g_miss = hist[first + nb, 0]
    h_miss = hist[first + nb, 1]
    has_missing = not (h_miss <= 0.0 and g_miss == 0.0)
    m = 0
    for b in range(nb):
        if hist[first + b, 1] > 0.0 or hist[first + b, 0] != 0.0:
            present[m] = b
            m += 1
    best_gain = 0.0
    best_left = False
    best_GL = 0.0
    best_HL = 0.0
    kind = 0  # 1: one category (code ``chosen``), 2: the first ``chosen``, 3: the last
    chosen = 0
    if nb < cat_params[CAT_ONEHOT]:
        # Every category, those without rows in the node too: with the missing values,
        # such a category is the split of the missing values from the rest (as XGBoost).
        for b in range(nb):
            for with_missing in (False, True):
                if with_missing and not has_missing:
                    continue
                GL = hist[first + b, 0] + (g_miss if with_missing else 0.0)
                HL = hist[first + b, 1] + (h_miss if with_missing else 0.0)
                gain = _candidate_gain(GL, HL, G - GL, H - HL, parent, constrained, lower,
                                       upper, reg_lambda, reg_alpha, max_delta_step,
                                       min_child_weight)
                key = _rounded(gain)
                if key > best:
                    best = key
                    best_gain, best_left, best_GL, best_HL = gain, with_missing, GL, HL
                    kind, chosen = 1, b
    elif m >= 1:
        smooth = reg_lambda + cat_params[CAT_SMOOTH]
        for j in range(m):
            b = present[j]
            ratio[j] = hist[first + b, 0] / (hist[first + b, 1] + smooth)
        order = np.argsort(ratio[:m], kind="mergesort")
        for j in range(m):
            ordered[j] = present[order[j]]
        limit = min(m - 1, np.int64(cat_params[CAT_THRESHOLD]))
        if has_missing:  # the missing values alone against every category
            gain = _candidate_gain(g_miss, h_miss, G - g_miss, H - h_miss, parent,
                                   constrained, lower, upper, reg_lambda, reg_alpha,
                                   max_delta_step, min_child_weight)
            key = _rounded(gain)
            if key > best:
                best = key
                best_gain, best_left, best_GL, best_HL = gain, True, g_miss, h_miss
                kind, chosen = 2, 0
        # The best prefix first; the selection penalty, the same for every prefix, is
        # computed only when that prefix could win with it.
        p_key = 0.0
        p_gain = 0.0
        p_left = False
        p_GL = 0.0
        p_HL = 0.0
        p_kind = 0
        p_chosen = 0
        for direction in (2, 3):
            GL = 0.0
            HL = 0.0
            for j in range(limit):
                b = ordered[j] if direction == 2 else ordered[m - 1 - j]
                GL += hist[first + b, 0]
                HL += hist[first + b, 1]
                for with_missing in (False, True):
                    if with_missing and not has_missing:
                        continue
                    gl = GL + (g_miss if with_missing else 0.0)
                    hl = HL + (h_miss if with_missing else 0.0)
                    gain = _candidate_gain(gl, hl, G - gl, H - hl, parent, constrained,
                                           lower, upper, reg_lambda, reg_alpha,
                                           max_delta_step, min_child_weight)
                    key = _rounded(gain)
                    if key > p_key:
                        p_key = key
                        p_gain, p_left, p_GL, p_HL = gain, with_missing, gl, hl
                        p_kind, p_chosen = direction, j + 1
        if p_kind != 0 and p_key > best:
            if cat_params[CAT_PENALTY] > 0.0:
                p_gain -= cat_params[CAT_PENALTY] * _null_gain(
                    hist, first, present, m, G, H, limit, smooth, cat_params[CAT_UNIT],
                    reg_lambda, reg_alpha, max_delta_step, min_child_weight, g_null, ratio)
                p_key = _rounded(p_gain)
            if p_key > best:
                best = p_key
                best_gain, best_left, best_GL, best_HL = p_gain, p_left, p_GL, p_HL
                kind, chosen = p_kind, p_chosen
    if kind != 0:
        for w in range((nb + 31) // 32):
            cat_out[w] = 0
        for j in range(chosen if kind != 1 else 1):
            if kind == 1:
                b = chosen
            elif kind == 2:
                b = ordered[j]
            else:
                b = ordered[m - 1 - j]
            cat_out[b >> 5] |= np.uint32(1) << np.uint32(b & 31)
    return best, best_gain, best_left, best_GL, best_HL, kind != 0


@njit(cache=True, nogil=True, no_cpython_wrapper=True, no_cfunc_wrapper=True,
      error_model="numpy")
def _threshold_gains(hist, first, nb, G, H, parent, reg_lambda, reg_alpha, min_child_weight,
                     missing_left, sums, gains):
    """The gains of a feature's threshold candidates in scan order (see the module notes):
    missing values right, bins ascending, or left, bins descending down to "every value
    right". Writes each candidate's child sums to ``sums`` (GL, HL, GR, HR) and its gain to
    ``gains`` (0 when a child is too light), for thresholds without monotone constraints
    or ``max_delta_step``.

    The sums are accumulated first, then the gains computed without a branch (the numpy
    error model: no division check), which the compiler vectorizes: the same operations
    as :func:`_split_gain` on the same sums, so the same gains bit for bit."""
    if missing_left:
        GR = 0.0
        HR = 0.0
        for c in range(nb):  # bin nb - 2 - c, from nb - 2 down to -1
            GR += hist[first + nb - 1 - c, 0]
            HR += hist[first + nb - 1 - c, 1]
            sums[0, c] = G - GR
            sums[1, c] = H - HR
            sums[2, c] = GR
            sums[3, c] = HR
    else:
        GL = 0.0
        HL = 0.0
        for c in range(nb):
            GL += hist[first + c, 0]
            HL += hist[first + c, 1]
            sums[0, c] = GL
            sums[1, c] = HL
            sums[2, c] = G - GL
            sums[3, c] = H - HL
    for c in range(nb):
        GL, HL, GR, HR = sums[0, c], sums[1, c], sums[2, c], sums[3, c]
        # _soft_threshold without a branch (exactly: the negation and |G| are exact).
        sl = np.copysign(max(abs(GL) - reg_alpha, 0.0), GL)
        sr = np.copysign(max(abs(GR) - reg_alpha, 0.0), GR)
        gain = sl * sl / (HL + reg_lambda) + sr * sr / (HR + reg_lambda) - parent
        valid = ((HL >= min_child_weight) & (HR >= min_child_weight) & (HL > 0.0)
                 & (HR > 0.0))
        gains[c] = gain if valid else 0.0


@compiled_only
def _nonempty_bins(hist, first, nb, compact):
    """Copy the non-empty bins of a feature's histogram (rows ``first:first + nb``) to
    the first rows of ``compact``, in order, each with its bin in column 2; returns their
    number. Without a branch: every bin is written, and the next overwrites it unless it
    held rows."""
    m = 0
    for b in range(nb):
        g = hist[first + b, 0]
        h = hist[first + b, 1]
        compact[m, 0] = g
        compact[m, 1] = h
        compact[m, 2] = b
        m += (g != 0.0) | (h != 0.0)
    return m


@njit(cache=True, nogil=True)
def find_best_split(hist, offsets, n_bins, feature_mask, G, H, reg_lambda, reg_alpha,
                    max_delta_step, min_child_weight, monotone, lower, upper, is_cat,
                    cat_params, cat_out):
    """Best split of a node over the allowed features.

    Parameters
    ----------
    hist : ndarray of float64, shape (n_hist_bins, 2)
        The node's compact histogram (gradient and hessian sums).
    offsets : ndarray of int64, shape (n_features + 1,)
    n_bins : ndarray of int32, shape (n_features,)
        Value bins per feature.
    feature_mask : ndarray of bool, shape (n_features,)
        Features this node may split on.
    G, H : float
        Gradient and hessian sums of the node.
    monotone : ndarray of int8, shape (n_features,), or None
        Monotone constraint per feature: 1 increasing, -1 decreasing, 0 none. Given, every
        candidate is scored from clipped weights, as XGBoost does when a model has
        monotone constraints; None when it has none.
    lower, upper : float
        The node's bounds on its children's weights.
    is_cat : ndarray of bool, shape (n_features,), or None
        Categorical features (their bins are category codes); None when there are none.
    cat_params : ndarray of float64
        ``max_cat_to_onehot``, ``max_cat_threshold`` and ``cat_smooth`` (slots
        :data:`CAT_ONEHOT`, :data:`CAT_THRESHOLD`, :data:`CAT_SMOOTH`).
    cat_out : ndarray of uint32
        Receives the left set's bitset when the best split is categorical (at least
        ``ceil(n_bins[f] / 32)`` words for every categorical ``f``).

    Returns
    -------
    gain, feature, bin, default_left, G_left, H_left
        ``feature == -1`` when no candidate with both children valid has a positive gain.
        Rows whose bin is ``<= bin`` go left (none when ``bin`` is -1); missing values go
        left iff ``default_left``. A categorical split has ``bin == -1`` and sends left the
        categories of ``cat_out``.

    Notes
    -----
    ``monotone`` and ``is_cat`` are None, not arrays of zeros, in a model without
    constraints or categorical features: numba then compiles a version of this function
    without their code (branches on ``is not None`` are pruned before typing), which
    shortens the first fit's compile by the partition search and its sorts.
    """
    if monotone is not None:
        w = clipped_weight(G, H, lower, upper, reg_lambda, reg_alpha, max_delta_step,
                           min_child_weight)
        parent = _gain_given_weight(G, H, w, reg_lambda)
    else:
        parent = node_score(G, H, reg_lambda, reg_alpha, max_delta_step, min_child_weight)
    best = 0.0
    best_gain = 0.0
    best_feature = -1
    best_bin = 0
    best_left = False
    best_GL = 0.0
    best_HL = 0.0
    max_cat = 0
    if is_cat is not None:
        for f in range(n_bins.shape[0]):
            if is_cat[f]:
                max_cat = max(max_cat, n_bins[f])
    present = np.empty(max_cat, dtype=np.int64)
    ordered = np.empty(max_cat, dtype=np.int64)
    ratio = np.empty(max_cat)
    g_null = np.empty(max_cat)
    # Thresholds without constraints or max_delta_step: gains computed by the vector.
    vector = monotone is None and max_delta_step <= 0.0
    max_bins = 0
    if vector:
        for f in range(n_bins.shape[0]):
            max_bins = max(max_bins, n_bins[f])
    sums = np.empty((4, max_bins))
    gains = np.empty(max_bins)
    compact_hist = np.empty((max_bins, 3))  # a histogram's two columns, then the bin
    sparse_node = True
    for f in range(n_bins.shape[0]):
        if not feature_mask[f]:
            continue
        first = offsets[f]
        nb = np.int64(n_bins[f])  # one signature of _threshold_gains for both calls
        if is_cat is not None:
            if is_cat[f]:
                key, gain, dl, GL, HL, found = _categorical_split(
                    hist, first, nb, G, H, parent, monotone is not None, lower, upper,
                    reg_lambda, reg_alpha, max_delta_step, min_child_weight, cat_params,
                    present, ordered, ratio, g_null, best, cat_out)
                if found:
                    best = key
                    best_gain, best_feature, best_bin, best_left = gain, f, -1, dl
                    best_GL, best_HL = GL, HL
                continue
        g_miss = hist[first + nb, 0]
        h_miss = hist[first + nb, 1]
        if vector:
            # A feature of many bins in a small node: its non-empty bins only, as a feature
            # of that many bins. An empty bin repeats the previous candidate's partition,
            # which wins the tie, so the candidates, sums and gains are the full scan's; a
            # node whose features fill half their bins is large, and its other features
            # scan every bin.
            compact = sparse_node and nb > _DENSE_SCAN_BINS
            m = nb
            if compact:
                m = _nonempty_bins(hist, first, nb, compact_hist)
                sparse_node = 2 * m < nb
            for missing_left in (False, True):
                if missing_left and h_miss <= 0.0 and g_miss == 0.0:
                    break
                if compact:
                    _threshold_gains(compact_hist, np.int64(0), m, G, H, parent, reg_lambda,
                                     reg_alpha, min_child_weight, missing_left, sums, gains)
                else:
                    _threshold_gains(hist, first, nb, G, H, parent, reg_lambda, reg_alpha,
                                     min_child_weight, missing_left, sums, gains)
                for j in range(m):
                    key = _rounded(gains[j])
                    if key > best:
                        best = key
                        best_gain, best_feature, best_left = gains[j], f, missing_left
                        # Candidate j: the threshold at scanned bin j (ascending), or
                        # just below scanned bin m - 1 - j (descending).
                        best_bin = m - 2 - j if missing_left else j
                        if compact:
                            best_bin = (np.int64(compact_hist[m - 1 - j, 2]) - 1
                                        if missing_left else np.int64(compact_hist[j, 2]))
                        best_GL, best_HL = sums[0, j], sums[1, j]
            continue
        # Missing values on the right: left sums accumulate upwards.
        GL = 0.0
        HL = 0.0
        for b in range(nb):
            g_bin = hist[first + b, 0]
            h_bin = hist[first + b, 1]
            if g_bin == 0.0 and h_bin == 0.0 and b > 0:
                continue  # an empty bin repeats the previous candidate, which cannot win
            GL += g_bin
            HL += h_bin
            if monotone is not None:
                gain = _constrained_gain(GL, HL, G - GL, H - HL, parent, monotone[f], lower,
                                         upper, reg_lambda, reg_alpha, max_delta_step,
                                         min_child_weight)
            else:
                gain = _split_gain(GL, HL, G - GL, H - HL, parent, reg_lambda, reg_alpha,
                                   max_delta_step, min_child_weight)
            key = _rounded(gain)
            if key > best:
                best = key
                best_gain, best_feature, best_bin, best_left = gain, f, b, False
                best_GL, best_HL = GL, HL
        if h_miss <= 0.0 and g_miss == 0.0:
            continue
        # Missing values on the left: right sums accumulate downwards, down to the
        # candidate with every value on the right (bin -1), which a monotone constraint
        # may prefer to its mirror image, every value on the left.
        GR = 0.0
        HR = 0.0
        for b in range(nb - 2, -2, -1):
            g_bin = hist[first + b + 1, 0]
            h_bin = hist[first + b + 1, 1]
            if g_bin == 0.0 and h_bin == 0.0 and b < nb - 2:
                continue
            GR += g_bin
            HR += h_bin
            GL = G - GR
            HL = H - HR
            if monotone is not None:
                gain = _constrained_gain(GL, HL, GR, HR, parent, monotone[f], lower, upper,
                                         reg_lambda, reg_alpha, max_delta_step,
                                         min_child_weight)
            else:
                gain = _split_gain(GL, HL, GR, HR, parent, reg_lambda, reg_alpha,
                                   max_delta_step, min_child_weight)
            key = _rounded(gain)
            if key > best:
                best = key
                best_gain, best_feature, best_bin, best_left = gain, f, b, True
                best_GL, best_HL = GL, HL
    return best_gain, best_feature, best_bin, best_left, best_GL, best_HL
