"""Target statistics of high-cardinality categorical features (boosting).

A categorical feature with many levels gives a partition search thousands of ways to
fit noise, and its rare levels barely move a gradient ratio. Target encoding replaces
the feature's categories by one number each, the smoothed mean target of the category,
and the trees split that number by thresholds like any numeric feature.

Computed on the training rows themselves, a category's mean contains the row's own
target, which the trees would learn to read (a category seen once predicts its row
perfectly). So the training rows get *cross-fitted* statistics: the rows are dealt into
``N_FOLDS`` folds by a seeded permutation, and a row's value is its category's smoothed
mean over the rows of the other folds, shrunk towards the mean target of all rows (the
prior). Prediction uses the statistics of all training rows. A category of weight ``n``
and weighted target sum ``s`` (in the rows counted) gets the m-estimate

    (s + m * prior) / (n + m),

where ``m`` is ``target_smooth``, or with ``"auto"`` the empirical-Bayes (Bühlmann)
credibility constant ``m = sigma2 / tau2``: the pooled variance of the target within
categories over the variance of the categories' true means, estimated by the method of
moments of the one-way random-effects model on all training rows. A column of pure noise
has ``tau2`` near or below zero, so every category is shrunk (entirely, for ``tau2 <=
0``) to the prior and the column carries nothing to overfit. Sample weights weigh the
sums (as frequencies in the variance estimate). Missing values, and at prediction the
categories never seen in training, are NaN: they follow the learned missing direction.
"""

import numpy as np

from .._threads import weighted_sum

# Folds of the cross-fitting (CatBoost's ordered statistics and scikit-learn's
# TargetEncoder default to 5 folds too).
N_FOLDS = 5
# Mixed into the fold permutation's seed so that it differs from the other random
# streams derived from the same random_state.
_FOLD_STREAM = 0x7A46


def int_codes(codes):
    """Float category codes (NaN for missing) as int64, -1 for missing."""
    codes = np.asarray(codes, dtype=np.float64)
    return np.where(np.isnan(codes), -1, codes).astype(np.int64)


def _sums(codes, y, w, n_levels):
    """Per category, the weight and the weighted target sums (rows with code >= 0)."""
    valid = codes >= 0
    c = codes[valid]
    return (np.bincount(c, weights=w[valid], minlength=n_levels),
            np.bincount(c, weights=(w * y)[valid], minlength=n_levels))


def auto_smoothing(codes, y, w, n_levels):
    """The empirical-Bayes m of the module notes (``inf`` when the categories' means do
    not vary beyond what their sampling noise explains)."""
    valid = codes >= 0
    c, yv, wv = codes[valid], y[valid], w[valid]
    n_c, s_c = _sums(c, yv, wv, n_levels)
    present = n_c > 0
    k = int(present.sum())
    total = float(n_c.sum())
    if k < 2 or total <= k:
        return np.inf
    mean_c = np.where(present, s_c / np.where(present, n_c, 1.0), 0.0)
    mean = s_c.sum() / total
    within = float(np.sum(wv * (yv - mean_c[c]) ** 2)) / (total - k)
    between_ss = float(np.sum(n_c[present] * (mean_c[present] - mean) ** 2))
    n0 = (total - float(np.sum(n_c[present] ** 2)) / total) / (k - 1)
    tau2 = (between_ss / (k - 1) - within) / n0
    if not tau2 > 0:
        return np.inf
    return within / tau2


def _smoothed(n, s, prior, m):
    """``(s + m * prior) / (n + m)`` per category; a category of no weight gets the prior
    (its limit for any ``m > 0``: with ``m = 0`` the ratio is undefined)."""
    if np.isinf(m):
        return np.full(n.shape, prior)
    total = n + m
    weighed = total > 0
    return np.where(weighed, (s + m * prior) / np.where(weighed, total, 1.0), prior)


def prior_mean(y, w):
    """The mean target every category is shrunk towards: that of all training rows
    (those of a missing category too)."""
    total = float(w.sum())
    return weighted_sum(w, y) / total if total > 0 else 0.0


def full_statistics(codes, y, w, n_levels, m):
    """Per category (``n_levels`` of them), the smoothed mean target over all rows."""
    n, s = _sums(codes, y, w, n_levels)
    return _smoothed(n, s, prior_mean(y, w), m)


def fold_assignment(n_rows, seed):
    """Each row's fold: a seeded permutation dealt round-robin into ``N_FOLDS`` folds (as
    equal as ``n_rows`` allows)."""
    rng = np.random.default_rng([int(seed), _FOLD_STREAM])
    folds = np.empty(n_rows, dtype=np.int64)
    folds[rng.permutation(n_rows)] = np.arange(n_rows) % N_FOLDS
    return folds


def cross_fitted(codes, y, w, n_levels, m, folds):
    """Each row's statistic from the rows of the other folds (NaN where ``codes < 0``).

    Every fold shrinks towards the same prior, the mean target of all rows: the mean of
    the other folds would differ from fold to fold against the fold's own mean (it is
    lower where the fold has more positives), a signal the trees could read through the
    categories that have no row in the other folds.
    """
    n_folds = int(folds.max()) + 1 if folds.size else 0
    valid = codes >= 0
    n_all, s_all = _sums(codes, y, w, n_levels)
    prior = prior_mean(y, w)
    out = np.full(codes.shape[0], np.nan)
    key = folds[valid] * n_levels + codes[valid]
    n_k = np.bincount(key, weights=w[valid], minlength=n_folds * n_levels).reshape(
        n_folds, n_levels)
    s_k = np.bincount(key, weights=(w * y)[valid], minlength=n_folds * n_levels).reshape(
        n_folds, n_levels)
    # Rows, not weights, tell a category absent from the other folds: the weight left by
    # a subtraction may be a rounding residue, which with m = 0 would be its statistic's
    # denominator.
    rows_k = np.bincount(key, minlength=n_folds * n_levels).reshape(n_folds, n_levels)
    rows_all = rows_k.sum(axis=0)
    for k in range(n_folds):
        absent = rows_all == rows_k[k]
        stats = _smoothed(np.where(absent, 0.0, n_all - n_k[k]),
                          np.where(absent, 0.0, s_all - s_k[k]), prior, m)
        rows = valid & (folds == k)
        out[rows] = stats[codes[rows]]
    return out


def lookup(codes, stats):
    """The statistics of float category codes (NaN stays NaN)."""
    codes = np.asarray(codes, dtype=np.float64)
    out = np.full(codes.shape, np.nan)
    known = ~np.isnan(codes)
    if stats.size:
        out[known] = stats[codes[known].astype(np.int64)]
    return out


def read_target_stats(name, doc, categories, fail):
    """The model file's ``target_stats`` field, validated: per feature None or
    ``(category values, statistics array)``. Files without the field (format versions 1
    and 2) have none. ``fail(name, what)`` raises the file's error."""
    from .._model_io import is_finite_number

    n_features = len(categories)
    field = doc.get("target_stats")
    if field is None:
        return [None] * n_features
    if not isinstance(field, list) or len(field) != n_features:
        fail(name, "target_stats must be null or hold one entry per feature")
    out = []
    for j, entry in enumerate(field):
        if entry is None:
            out.append(None)
            continue
        if not (isinstance(entry, dict) and set(entry) == {"categories", "statistics"}):
            fail(name, "target_stats entries must be null or objects with 'categories' and "
                       "'statistics'")
        values, stats = entry["categories"], entry["statistics"]
        if (not isinstance(values, list) or not isinstance(stats, list)
                or len(values) != len(stats)
                or not all(isinstance(v, str | bool) or is_finite_number(v) for v in values)
                or len(set(map(repr, values))) != len(values)
                or not all(is_finite_number(v) for v in stats)):
            fail(name, "a target_stats entry needs distinct category values (strings, "
                       "numbers or booleans) and one finite statistic per value")
        if categories[j] is not None:
            fail(name, f"feature {j} cannot have both categories and target_stats")
        out.append((values, np.asarray(stats, dtype=np.float64)))
    return out
