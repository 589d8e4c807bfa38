"""Categorical features at the estimators' edge: which columns, their categories, codes.

A fit learns, per categorical feature, the list of its category *values* (those with at
least ``min_data_per_category`` training rows of positive weight, in the order of a pandas
dtype's categories or sorted); the engine sees the position of a row's value in that list
as a float code, and NaN for a missing value, a category unseen at fit or one too rare to
keep. Prediction looks values up in the same list, so a DataFrame whose categories come in
another order, or carry extra levels, gives the same codes. Every other column goes
through scikit-learn's validation as numbers.
"""

import math
from numbers import Integral

import numpy as np

CATEGORICAL_OPTIONS = "'from_dtype', None, or feature indices, names or a boolean mask"


def _is_category_dtype(dtype):
    return getattr(dtype, "name", None) == "category"


def _is_dataframe(X):
    return hasattr(X, "columns") and hasattr(X, "dtypes") and hasattr(X, "iloc")


def categorical_mask(X, categorical_features, enable_categorical, n_features):
    """Boolean mask of the categorical columns of ``X``, or None when there are none.

    ``"from_dtype"`` (or ``enable_categorical=True``) selects the pandas ``category``
    columns; indices, names (DataFrames) or a boolean mask select columns explicitly.
    """
    mask = np.zeros(n_features, dtype=np.bool_)
    spec = categorical_features
    if isinstance(spec, str) and spec == "from_dtype" or enable_categorical:
        if _is_dataframe(X):
            mask |= np.array([_is_category_dtype(d) for d in X.dtypes], dtype=np.bool_)
    if spec is None or isinstance(spec, str) and spec == "from_dtype":
        pass
    elif isinstance(spec, str):
        raise ValueError(f"categorical_features must be {CATEGORICAL_OPTIONS}; got {spec!r}.")
    else:
        items = np.asarray(spec)
        if items.ndim != 1:
            raise ValueError(f"categorical_features must be {CATEGORICAL_OPTIONS}; got an "
                             f"array of shape {items.shape}.")
        if items.dtype.kind == "b":
            if items.size != n_features:
                raise ValueError(f"categorical_features as a boolean mask must have one "
                                 f"entry per feature ({n_features}), got {items.size}.")
            mask |= items
        elif items.dtype.kind in "iu":
            if items.size and (items.min() < -n_features or items.max() >= n_features):
                raise ValueError(f"categorical_features has indices outside "
                                 f"[0, {n_features}): {items.tolist()}.")
            mask[items] = True
        elif items.dtype.kind in "UO" and all(isinstance(v, str) for v in items.tolist()):
            if not _is_dataframe(X):
                raise ValueError("categorical_features given as names needs X as a "
                                 "DataFrame with those column names.")
            columns = [str(c) for c in X.columns]
            unknown = [v for v in items.tolist() if v not in columns]
            if unknown:
                raise ValueError(f"categorical_features names {unknown} are not columns "
                                 f"of X.")
            mask[[columns.index(v) for v in items.tolist()]] = True
        elif items.size:
            raise ValueError(f"categorical_features must be {CATEGORICAL_OPTIONS}; got "
                             f"{spec!r}.")
    return mask if mask.any() else None


def _column(X, j):
    return X.iloc[:, j] if _is_dataframe(X) else np.asarray(X)[:, j]


def _missing(values):
    """Missing entries of an object array: None and float NaN (pandas' NA too)."""
    out = np.zeros(len(values), dtype=np.bool_)
    for i, v in enumerate(values):
        out[i] = v is None or (isinstance(v, float) and math.isnan(v)) or (
            type(v).__name__ in ("NAType", "NaTType"))
    return out


def _plain(value, j):
    """A category as a JSON-able Python value."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or isinstance(value, str):
        return value
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"Categorical feature {j} has the non-finite category "
                             f"{value!r}.")
        return value
    raise TypeError(f"Categorical feature {j} has a category of type "
                    f"{type(value).__name__} ({value!r}); categories must be strings, "
                    f"integers, floats or booleans.")


def fit_categories(X, mask, keep_rows, min_count, max_categories=None):
    """Per categorical column, the list of its category values with at least
    ``min_count`` rows among ``keep_rows`` (a boolean row mask, or None for all rows);
    with ``max_categories``, only that many of them are kept, the most frequent (ties
    go to the earlier category), still listed in their own order."""
    categories = {}
    for j in np.flatnonzero(mask):
        col = _column(X, j)
        if _is_category_dtype(getattr(col, "dtype", None)):
            levels = list(col.cat.categories)
            codes = np.asarray(col.cat.codes, dtype=np.int64)
        else:
            values = np.asarray(col)
            if values.dtype.kind in "biuf":
                finite = values.astype(np.float64)
                if np.isinf(finite).any():
                    raise ValueError(f"Categorical feature {j} has infinite values.")
                present = ~np.isnan(finite)
                levels, inverse = np.unique(finite[present], return_inverse=True)
                if values.dtype.kind in "biu":
                    levels = levels.astype(values.dtype)
                levels = list(levels)
            else:
                values = values.astype(object)
                present = ~_missing(values)
                try:
                    levels, inverse = np.unique(values[present], return_inverse=True)
                except TypeError:
                    raise TypeError(f"Categorical feature {j} mixes values that cannot be "
                                    f"ordered: each argument must be a string or a number, "
                                    f"all of one kind.") from None
                levels = list(levels)
            codes = np.full(len(values), -1, dtype=np.int64)
            codes[present] = inverse.reshape(-1)
        counted = codes if keep_rows is None else codes[keep_rows]
        counts = np.bincount(counted[counted >= 0], minlength=len(levels))
        frequent = counts >= max(min_count, 1)
        if max_categories is not None and frequent.sum() > max_categories:
            # Stable sort on the negated counts: the most frequent first, ties in order.
            top = np.argsort(-np.where(frequent, counts, -1), kind="stable")[:max_categories]
            frequent = np.zeros(len(levels), dtype=np.bool_)
            frequent[top] = True
        kept = [_plain(v, j) for v, keep in zip(levels, frequent, strict=True) if keep]
        if len(set(kept)) != len(kept):
            raise ValueError(f"Categorical feature {j} has categories that are equal as "
                             f"values (such as 1 and 1.0 or True).")
        categories[int(j)] = kept
    return categories


def _lookup(values, categories):
    """Codes (float, NaN where missing or unknown) of ``values`` among ``categories``."""
    index = {v: i for i, v in enumerate(categories)}
    out = np.full(len(values), np.nan)
    for i, v in enumerate(values):
        if isinstance(v, np.generic):
            v = v.item()
        try:
            code = index.get(v)
        except TypeError:  # unhashable
            code = None
        if code is not None:
            out[i] = code
    return out


def encode_column(col, categories):
    """The float codes of one column (see the module notes)."""
    if _is_category_dtype(getattr(col, "dtype", None)):
        levels = _lookup(list(col.cat.categories), categories)
        codes = np.asarray(col.cat.codes, dtype=np.int64)
        return np.where(codes >= 0, levels[np.maximum(codes, 0)] if levels.size else np.nan,
                        np.nan)
    values = np.asarray(col)
    numeric = all(isinstance(c, int | float) and not isinstance(c, bool) for c in categories)
    if values.dtype.kind in "iuf" and numeric and categories:
        cats = np.asarray(categories, dtype=np.float64)
        order = np.argsort(cats, kind="stable")
        sorted_cats = cats[order]
        x = values.astype(np.float64)
        pos = np.clip(np.searchsorted(sorted_cats, x), 0, len(cats) - 1)
        found = sorted_cats[pos] == x
        return np.where(found, order[pos].astype(np.float64), np.nan)
    return _lookup(values.astype(object) if values.dtype.kind != "O" else values,
                   categories)


def _check_not_codes(col, categories, name):
    """Refuse numbers for a column whose categories are all strings: none of them can be
    a category, so every row would read as an unseen one (as if missing). Such numbers are
    most likely the category codes of a column that was a pandas ``category`` at fit."""
    dtype = getattr(col, "dtype", None)
    if (getattr(dtype, "kind", "O") not in "iuf" or _is_category_dtype(dtype)
            or not categories or not all(isinstance(c, str) for c in categories)):
        return
    values = np.asarray(col, dtype=np.float64)
    if np.isnan(values).all():
        return
    shown = ", ".join(map(repr, categories[:5])) + (", ..." if len(categories) > 5 else "")
    raise ValueError(f"Categorical column {name} was fitted with string categories "
                     f"({shown}), but X gives it numbers ({dtype}); pass the category values "
                     f"themselves (not their codes), or a pandas category column.")


def encode(X, mask, categories):
    """``X`` with its categorical columns replaced by float codes: a DataFrame stays a
    DataFrame (same column names), anything else becomes a float64 array."""
    if _is_dataframe(X):
        X = X.copy(deep=False)
        for j in np.flatnonzero(mask):
            _check_not_codes(X.iloc[:, j], categories[int(j)], repr(X.columns[j]))
            X.isetitem(int(j), encode_column(X.iloc[:, j], categories[int(j)]))
        return X
    X = np.asarray(X)
    if X.ndim != 2:
        return X
    out = np.empty(X.shape, dtype=np.float64)
    for j in range(X.shape[1]):
        if mask[j]:
            _check_not_codes(X[:, j], categories[j], str(j))
            out[:, j] = encode_column(X[:, j], categories[j])
        else:
            try:
                out[:, j] = X[:, j].astype(np.float64)
            except (TypeError, ValueError):
                raise ValueError(f"Feature {j} is not numeric and not categorical; name it "
                                 f"in categorical_features to use it as categories.") \
                    from None
    return out


def check_columns(X, mask):
    """Refuse pandas ``category`` columns and string columns that are not categorical
    features, naming the parameters that would use them."""
    if not _is_dataframe(X):
        if getattr(getattr(X, "dtype", None), "kind", None) == "O" and X.ndim == 2:
            # An object array (a DataFrame's values, say): scikit-learn's conversion would
            # name the string, not its column.
            for j in range(X.shape[1]):
                if mask is None or not mask[j]:
                    try:
                        X[:, j].astype(np.float64)
                    except ValueError:  # a TypeError (not a string either) says enough
                        raise ValueError(f"Feature {j} of X is not numeric and not "
                                         f"categorical (it holds {_not_a_number(X[:, j])!r}); "
                                         f"name it in categorical_features to use it as "
                                         f"categories, or encode it as numbers.") from None
        return
    for j, (name, dtype) in enumerate(zip(X.columns, X.dtypes, strict=True)):
        if mask is not None and mask[j]:
            continue
        if _is_category_dtype(dtype):
            raise ValueError(f"X has the pandas category column {name!r} but "
                             f"categorical_features does not select it; use "
                             f"categorical_features='from_dtype' (or enable_categorical=True) "
                             f"to split on its categories, or convert it to numbers.")
        if getattr(dtype, "kind", "f") in "mM":
            numbers = ("seconds" if dtype.kind == "m" else
                       "the year, month and day of week as columns, or seconds since a date")
            raise ValueError(f"X has the date or time column {name!r} ({dtype}); convert it "
                             f"to numbers first (such as {numbers}).")
        if getattr(dtype, "kind", "f") in "OUS" or str(dtype) == "string":
            raise ValueError(f"X has the non-numeric column {name!r} ({dtype}); convert it "
                             f"to the pandas category dtype (or name it in "
                             f"categorical_features) to use it as categories.")


def _not_a_number(values):
    """The first of ``values`` that is no number."""
    for value in values:
        try:
            float(value)
        except (TypeError, ValueError):
            return value
    return None


def _shape(X):
    """``X``'s shape without converting it: lists of rows are measured, anything else
    without a 2-d shape gives ``()`` (scikit-learn's validation explains it later)."""
    if hasattr(X, "shape"):
        return X.shape
    if isinstance(X, list | tuple) and len(X) and isinstance(X[0], list | tuple):
        return (len(X), len(X[0]))
    return ()


def fit_encode(X, categorical_features, sample_weight, min_count, max_categories=None,
               fitted=None, enable_categorical=False):
    """Find the categorical columns of a training ``X`` and their categories, and encode
    them. Returns ``(mask, categories, X)``: the boolean mask of the categorical columns
    (all False when there are none), the list of each column's categories (None for a
    numeric column) and ``X`` with the categorical columns as float codes (unchanged
    when there are none).

    Rows of zero ``sample_weight`` do not count towards a category's ``min_count``.
    ``fitted``, a ``(mask, categories)`` pair of an earlier fit, is reused instead (for
    a warm start, whose new members must read the codes the same way); the columns must
    then be the same.
    """
    if not hasattr(X, "shape") and hasattr(X, "__array__"):
        X = np.asarray(X)  # array-likes such as scikit-learn's _NotAnArray
    shape = _shape(X)
    n_features = shape[1] if len(shape) == 2 else 0
    if n_features == 0:  # no columns: scikit-learn's validation explains the problem
        return np.zeros(0, dtype=np.bool_), [], X
    if getattr(getattr(X, "dtype", None), "kind", None) == "c":
        raise ValueError("Complex data not supported: X has a complex dtype.")
    mask = categorical_mask(X, categorical_features, enable_categorical, n_features)
    if fitted is not None:
        old = fitted[0]
        if (mask is None) != (old is None or not np.any(old)) or (
                mask is not None and not np.array_equal(mask, old)):
            raise ValueError("warm_start=True needs the categorical features of the first "
                             "fit; fit with warm_start=False to start over.")
    if mask is None:
        check_columns(X, None)
        return np.zeros(n_features, dtype=np.bool_), [None] * n_features, X
    if hasattr(X, "toarray"):
        raise TypeError("Categorical features need dense X (a DataFrame or an array), not "
                        "a sparse matrix.")
    check_columns(X, mask)
    if not hasattr(X, "shape"):
        X = np.asarray(X, dtype=object)
    if fitted is not None:
        categories = {j: c for j, c in enumerate(fitted[1]) if c is not None}
    else:
        keep = None
        if sample_weight is not None:
            keep = np.asarray(sample_weight, dtype=np.float64).reshape(-1) > 0
            if keep.shape[0] != X.shape[0]:
                keep = None  # the weights' validation reports the mismatch
        categories = fit_categories(X, mask, keep, min_count, max_categories)
    return mask, [categories.get(j) for j in range(n_features)], encode(X, mask, categories)


def transform_encode(X, mask, categories):
    """``X`` at prediction: its categorical columns (``mask``, fitted ``categories``) as
    codes; without categorical features, only refuses category and string columns."""
    if mask is None or not np.any(mask):
        check_columns(X, None)
        return X
    if hasattr(X, "toarray"):
        raise TypeError("Categorical features need dense X (a DataFrame or an array), not "
                        "a sparse matrix.")
    if not hasattr(X, "shape"):
        X = np.asarray(X, dtype=object)
    if len(X.shape) != 2 or X.shape[1] != len(mask):
        return X  # scikit-learn's validation gives the error
    check_columns(X, mask)
    return encode(X, mask, {j: c for j, c in enumerate(categories) if c is not None})
