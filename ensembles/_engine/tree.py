"""Trees as flat arrays, and the numba kernels that predict with them.

A tree is a set of parallel arrays indexed by node id, node 0 being the root. Internal nodes
send a row left when ``x[feature] <= threshold`` (NaN goes left iff ``default_left``); leaves
have ``left == -1`` and carry a value vector of length ``n_values`` (1 for boosting trees,
the number of classes for classification forests). ``split_bin`` repeats the threshold in
bin space so training rows can be routed on their binned codes.

An ensemble is predicted in one kernel call: the trees' arrays are concatenated
(:func:`pack_trees`) and every tree adds its leaf vector to columns
``output[t] : output[t] + n_values`` of the raw prediction.
"""

import numpy as np
from numba import njit

from .._threads import run_parallel

TREE_FIELDS = (
    "feature", "threshold", "split_bin", "default_left", "left", "right", "value", "gain",
    "cover",
)

_INF_NAMES = {np.inf: "inf", -np.inf: "-inf"}
_INF_VALUES = {"inf": np.inf, "-inf": -np.inf}


class Tree:
    """One fitted tree as flat node arrays.

    Attributes
    ----------
    feature : ndarray of int32 (-1 at leaves)
    threshold : ndarray of float64 (``x <= threshold`` goes left; +inf splits off NaN only)
    split_bin : ndarray of uint8
    default_left : ndarray of bool
    left, right : ndarray of int32 (-1 at leaves)
    value : ndarray of float64, shape (n_nodes, n_values); learning rate already applied
    gain : ndarray of float64 (loss reduction of the split, 0 at leaves)
    cover : ndarray of float64 (hessian sum of the node's training rows)
    """

    def __init__(self, feature, threshold, split_bin, default_left, left, right, value, gain,
                 cover):
        self.feature = np.asarray(feature, dtype=np.int32)
        self.threshold = np.asarray(threshold, dtype=np.float64)
        self.split_bin = np.asarray(split_bin, dtype=np.uint8)
        self.default_left = np.asarray(default_left, dtype=np.bool_)
        self.left = np.asarray(left, dtype=np.int32)
        self.right = np.asarray(right, dtype=np.int32)
        self.value = np.asarray(value, dtype=np.float64).reshape(len(self.left), -1)
        self.gain = np.asarray(gain, dtype=np.float64)
        self.cover = np.asarray(cover, dtype=np.float64)

    @property
    def n_nodes(self):
        return len(self.left)

    @property
    def n_leaves(self):
        return int(np.sum(self.left == -1))

    @property
    def depth(self):
        depth = np.zeros(self.n_nodes, dtype=np.int64)
        for node in range(self.n_nodes):  # children always have larger ids than parents
            if self.left[node] != -1:
                depth[self.left[node]] = depth[self.right[node]] = depth[node] + 1
        return int(depth.max())

    def to_dict(self):
        """Plain lists, for the JSON model format."""
        out = {}
        for name in TREE_FIELDS:
            array = getattr(self, name)
            if name == "threshold":
                # JSON has no infinity; +inf marks "split off missing values only".
                out[name] = [_INF_NAMES.get(float(t), float(t)) for t in array]
            elif name == "value":
                out[name] = array.tolist()
            elif array.dtype == np.bool_:
                out[name] = [int(v) for v in array]
            else:
                out[name] = array.tolist()
        return out

    @classmethod
    def from_dict(cls, data):
        threshold = [_INF_VALUES[t] if isinstance(t, str) else t for t in data["threshold"]]
        return cls(**{**{k: data[k] for k in TREE_FIELDS}, "threshold": threshold})


def pack_trees(trees, outputs):
    """Concatenate trees into the arrays :func:`predict_raw` takes.

    Child pointers stay relative to their tree; ``offsets[t]`` is tree ``t``'s root.
    """
    sizes = np.array([t.n_nodes for t in trees], dtype=np.int64)
    offsets = np.zeros(len(trees) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    n_values = trees[0].value.shape[1] if trees else 1
    cat = (lambda name: np.concatenate([getattr(t, name) for t in trees])) if trees else None
    if not trees:
        empty = np.empty(0)
        return dict(feature=empty.astype(np.int32), threshold=empty,
                    default_left=empty.astype(np.bool_), left=empty.astype(np.int32),
                    right=empty.astype(np.int32), value=np.empty((0, 1)), offsets=offsets,
                    outputs=np.asarray(outputs, dtype=np.int64))
    return dict(
        feature=cat("feature"), threshold=cat("threshold"), default_left=cat("default_left"),
        left=cat("left"), right=cat("right"),
        value=np.ascontiguousarray(np.concatenate([t.value for t in trees]).reshape(-1, n_values)),
        offsets=offsets, outputs=np.asarray(outputs, dtype=np.int64),
    )


@njit(cache=True, nogil=True, inline="always")
def _find_leaf(X, i, base, feature, threshold, default_left, left, right):
    """Leaf (absolute node id) that row ``i`` of ``X`` reaches in the tree rooted at ``base``.

    Takes the matrix and a row number rather than a row view (creating views in the hot
    loop costs reference-count updates that threads contend on), and indexes with unsigned
    integers, which spares numba's negative-index wraparound on every access (about a
    third of the time of this loop).
    """
    k = np.uint64(base)
    while left[k] != -1:
        x = X[i, np.uint64(feature[k])]
        go_right = (x > threshold[k]) | (np.isnan(x) & ~default_left[k])
        k = np.uint64(base) + np.uint64(right[k] if go_right else left[k])
    return k


# Fewer rows than this per thread are not worth a thread.
_MIN_ROWS_PER_THREAD = 2048


@njit(cache=True, nogil=True)
def _predict_rows(r0, r1, X, feature, threshold, default_left, left, right, value, offsets,
                  outputs, start, stop, out):
    n_values = value.shape[1]
    for i in range(r0, r1):
        for t in range(start, stop):
            leaf = _find_leaf(X, i, offsets[t], feature, threshold, default_left, left, right)
            col = outputs[t]
            for v in range(n_values):
                out[i, col + v] += value[leaf, v]


def predict_raw(X, feature, threshold, default_left, left, right, value, offsets, outputs,
                start, stop, out):
    """Add the leaf values of trees ``start:stop`` to ``out`` (n_samples, n_outputs)."""
    run_parallel(_predict_rows, X.shape[0], X, feature, threshold, default_left, left, right,
                 value, offsets, outputs, start, stop, out, min_items=_MIN_ROWS_PER_THREAD)


@njit(cache=True, nogil=True)
def _apply_rows(r0, r1, X, feature, threshold, default_left, left, right, offsets, start,
                stop, out):
    for i in range(r0, r1):
        for t in range(start, stop):
            out[i, t - start] = _find_leaf(X, i, offsets[t], feature, threshold,
                                           default_left, left, right) - offsets[t]


def apply_trees(X, feature, threshold, default_left, left, right, offsets, start, stop):
    """Leaf id reached in each tree ``start:stop`` by each row: (n_samples, stop - start)."""
    out = np.empty((X.shape[0], stop - start), dtype=np.int32)
    run_parallel(_apply_rows, X.shape[0], X, feature, threshold, default_left, left, right,
                 offsets, start, stop, out, min_items=_MIN_ROWS_PER_THREAD)
    return out


@njit(cache=True, nogil=True)
def _predict_binned_rows(r0, r1, X_binned, feature, split_bin, default_left, left, right,
                         value, scale, out, col):
    n_values = value.shape[1]
    for i in range(r0, r1):
        node = 0
        while left[node] != -1:
            b = X_binned[i, feature[node]]
            if b == 255:
                go_left = default_left[node]
            else:
                go_left = b <= split_bin[node]
            node = left[node] if go_left else right[node]
        for v in range(n_values):
            out[i, col + v] += scale * value[node, v]


def predict_binned_add(X_binned, feature, split_bin, default_left, left, right, value, scale,
                       out, col):
    """Add one tree's leaf values (times ``scale``) to ``out[:, col:]`` routing binned rows."""
    run_parallel(_predict_binned_rows, X_binned.shape[0], X_binned, feature, split_bin,
                 default_left, left, right, value, scale, out, col,
                 min_items=_MIN_ROWS_PER_THREAD)
