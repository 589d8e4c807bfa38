"""scipy sparse input: canonical CSR, tree traversal and helpers that never densify it.

An absent entry of a sparse matrix is a zero (scikit-learn's meaning); a stored NaN is a
missing value. Fitting bins the stored values (see :meth:`~.binning.BinMapper.fit`);
prediction writes one row at a time into a dense scratch row (its stored entries only,
zeroed again after the row), walks every tree on it, and moves on, so memory stays that
of the matrix plus a row per thread. These kernels are compiled only when sparse input
arrives: the dense path never calls them.
"""

import numpy as np
from scipy import sparse

from .._threads import run_parallel
from .jit import njit

# Rows per thread below which a prediction thread does not pay.
_MIN_ROWS_PER_THREAD = 2048
# Bytes of the dense row blocks that the SHAP kernels read (their output, one float per
# row and feature, is dense anyway).
_BLOCK_BYTES = 8 << 20


def is_sparse(X):
    """Whether ``X`` is a scipy sparse matrix or array."""
    return sparse.issparse(X)


def as_csr(X):
    """``X`` (a validated scipy CSR or CSC matrix or array) as canonical CSR: float64
    values, int32 indices where they fit, sorted column indices without duplicates
    (summed, as scipy does). The input is not modified; a copy is made only when
    something has to change."""
    X = X.tocsr()
    if X.data.dtype != np.float64:
        X = X.astype(np.float64)
    if (X.indices.dtype != np.int32 or X.indptr.dtype != np.int32) and max(
            X.nnz, *X.shape) < np.iinfo(np.int32).max:
        # The kernels compiled ahead of time read int32 indices (scipy's own choice for
        # matrices this small): int64 ones would compile another copy of every kernel.
        X = type(X)((X.data, X.indices.astype(np.int32), X.indptr.astype(np.int32)),
                    shape=X.shape)
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    return X


@njit(cache=True, nogil=True, inline="always")
def _load_row(indptr, indices, data, i, x):
    """Write row ``i``'s stored values into the dense row ``x`` (zeros elsewhere)."""
    for p in range(indptr[i], indptr[i + 1]):
        x[indices[p]] = data[p]


@njit(cache=True, nogil=True, inline="always")
def _clear_row(indptr, indices, i, x):
    """Zero again the entries of ``x`` that :func:`_load_row` wrote."""
    for p in range(indptr[i], indptr[i + 1]):
        x[indices[p]] = 0.0


@njit(cache=True, nogil=True, inline="always")
def _find_leaf(x, base, feature, threshold, default_left, left, right):
    k = base
    while left[k] != -1:
        v = x[feature[k]]
        if v > threshold[k]:
            k = base + right[k]
        elif v <= threshold[k] or default_left[k]:
            k = base + left[k]
        else:
            k = base + right[k]
    return k


@njit(cache=True, nogil=True)
def _predict_rows(r0, r1, indptr, indices, data, n_features, feature, threshold,
                  default_left, left, right, value, offsets, outputs, start, stop, out):
    n_values = value.shape[1]
    x = np.zeros(n_features)
    for i in range(r0, r1):
        _load_row(indptr, indices, data, i, x)
        for t in range(start, stop):
            leaf = _find_leaf(x, offsets[t], feature, threshold, default_left, left, right)
            col = outputs[t]
            for v in range(n_values):
                out[i, col + v] += value[leaf, v]
        _clear_row(indptr, indices, i, x)


@njit(cache=True, nogil=True)
def _apply_rows(r0, r1, indptr, indices, data, n_features, feature, threshold, default_left,
                left, right, offsets, start, stop, out):
    x = np.zeros(n_features)
    for i in range(r0, r1):
        _load_row(indptr, indices, data, i, x)
        for t in range(start, stop):
            out[i, t - start] = _find_leaf(x, offsets[t], feature, threshold, default_left,
                                           left, right) - offsets[t]
        _clear_row(indptr, indices, i, x)


def predict_raw(X, feature, threshold, default_left, left, right, value, offsets, outputs,
                start, stop, out):
    """:func:`ensembles._engine.tree.predict_raw` on a canonical CSR matrix ``X``."""
    run_parallel(_predict_rows, X.shape[0], X.indptr, X.indices, X.data, X.shape[1],
                 feature, threshold, default_left, left, right, value, offsets, outputs,
                 start, stop, out, min_items=_MIN_ROWS_PER_THREAD)


def apply_trees(X, feature, threshold, default_left, left, right, offsets, start, stop):
    """:func:`ensembles._engine.tree.apply_trees` on a canonical CSR matrix ``X``."""
    out = np.empty((X.shape[0], stop - start), dtype=np.int32)
    run_parallel(_apply_rows, X.shape[0], X.indptr, X.indices, X.data, X.shape[1], feature,
                 threshold, default_left, left, right, offsets, start, stop, out,
                 min_items=_MIN_ROWS_PER_THREAD)
    return out


def _check_numeric(packed):
    if packed.get("categorical"):
        # Categorical features need dense input (the estimators refuse sparse X first).
        raise TypeError("Trees with categorical splits predict dense X, not a sparse "
                        "matrix.")


def predict_packed(X, packed, start, stop, out):
    """:func:`ensembles._engine.tree.predict_packed` on a canonical CSR matrix ``X``."""
    _check_numeric(packed)
    p = packed
    predict_raw(X, p["feature"], p["threshold"], p["default_left"], p["left"], p["right"],
                p["value"], p["offsets"], p["outputs"], start, stop, out)


def apply_packed(X, packed, start, stop):
    """:func:`ensembles._engine.tree.apply_packed` on a canonical CSR matrix ``X``."""
    _check_numeric(packed)
    p = packed
    return apply_trees(X, p["feature"], p["threshold"], p["default_left"], p["left"],
                       p["right"], p["offsets"], start, stop)


@njit(cache=True, nogil=True)
def _scatter_rows(indptr, indices, data, r0, r1, out):
    for i in range(r0, r1):
        for k in range(indptr[i], indptr[i + 1]):
            out[i - r0, indices[k]] = data[k]


def dense_row_blocks(X):
    """Yield ``(r0, r1, block)``: rows ``r0:r1`` of the canonical CSR matrix ``X`` as a
    dense float64 block of about ``_BLOCK_BYTES`` (at least one row). The block's memory
    is reused: use it before asking for the next one."""
    n, n_features = X.shape
    rows = max(1, min(n, _BLOCK_BYTES // max(1, 8 * n_features)))
    block = np.zeros((rows, n_features))
    for r0 in range(0, n, rows):
        r1 = min(n, r0 + rows)
        block[:] = 0.0
        _scatter_rows(X.indptr, X.indices, X.data, r0, r1, block)
        yield r0, r1, block[: r1 - r0]


def explain(method, X, n_trees, n_features):
    """``method(X, 0, n_trees, n_features)`` (a :class:`~.explain.TreeExplainer`'s
    ``contributions`` or ``interactions``); a sparse ``X`` is explained by dense row
    blocks of bounded size, each much smaller than the explanations themselves."""
    if not is_sparse(X):
        return method(X, 0, n_trees, n_features)
    return np.concatenate([method(block, 0, n_trees, n_features)
                           for _, _, block in dense_row_blocks(X)])


def contiguous(X):
    """A validated ``X`` as the kernels read it: canonical CSR (:func:`as_csr`) when
    sparse, else C-contiguous."""
    return as_csr(X) if is_sparse(X) else np.ascontiguousarray(X)
