"""Reading and validating the JSON model format.

Loading parses JSON only (no pickle, no code) and checks every field before it is used, so
a malformed or tampered file fails with a ``ValueError`` that says what is wrong instead of
crashing a numba kernel later (an out-of-range child or feature index would read out of
bounds).
"""

import json

import numpy as np

from .._engine.tree import TREE_FIELDS, Tree
from .booster import Booster


def _fail(path, what):
    raise ValueError(f"{path} is not a valid ensembles model file: {what}.")


def _check_tree(path, i, data, n_features, n_outputs_per_tree):
    if not isinstance(data, dict) or set(data) != set(TREE_FIELDS):
        _fail(path, f"tree {i} must have exactly the fields {sorted(TREE_FIELDS)}")
    n = len(data["left"])
    if n == 0 or any(not isinstance(data[k], list) or len(data[k]) != n for k in TREE_FIELDS):
        _fail(path, f"tree {i} has node arrays of different or zero lengths")
    try:
        tree = Tree.from_dict(data)
    except (TypeError, ValueError, OverflowError, KeyError) as exc:
        _fail(path, f"tree {i} holds values of the wrong type ({exc})")
    internal = tree.left != -1
    ids = np.arange(n)
    # Children must come after their parent: this rules out cycles and out-of-range ids.
    if np.any(internal & ((tree.left <= ids) | (tree.right <= ids) | (tree.left >= n)
                          | (tree.right >= n))):
        _fail(path, f"tree {i} has child indices that are out of range or not after the parent")
    if np.any(~internal & (tree.right != -1)):
        _fail(path, f"tree {i} has a leaf with a right child")
    if np.any(internal & ((tree.feature < 0) | (tree.feature >= n_features))):
        _fail(path, f"tree {i} splits on a feature index outside [0, {n_features})")
    if np.any(np.isnan(tree.threshold)) or not np.all(np.isfinite(tree.value)):
        _fail(path, f"tree {i} has NaN thresholds or non-finite leaf values")
    if tree.value.shape[1] != n_outputs_per_tree:
        _fail(path, f"tree {i} has leaf vectors of length {tree.value.shape[1]}")
    children = np.concatenate([tree.left[internal], tree.right[internal]])
    if np.unique(children).size != children.size or children.size != n - 1:
        _fail(path, f"tree {i} is not a tree (a node has two parents or none)")
    return tree


def read_header(path, fmt, version, estimator):
    """Parse a model file and check its format name, version and estimator kind.

    Returns the parsed JSON document; every other field is still unchecked.
    """
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"Cannot read model file {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        _fail(path, f"invalid JSON ({exc})")
    if not isinstance(doc, dict) or doc.get("format") != fmt:
        _fail(path, f"'format' must be {fmt!r}")
    if doc.get("version") != version:
        _fail(path, f"unsupported format version {doc.get('version')!r} (this library reads "
                    f"version {version})")
    if doc.get("estimator") != estimator:
        _fail(path, f"it holds a {doc.get('estimator')!r}, not a {estimator}")
    return doc


def read_model_document(path, fmt, version, estimator):
    """Parse and validate a model file; returns the document with a ``Booster`` inside."""
    doc = read_header(path, fmt, version, estimator)
    required = {"params": dict, "n_features_in": int, "n_iterations": int, "bin_edges": list,
                "booster": dict}
    for key, kind in required.items():
        if not isinstance(doc.get(key), kind):
            _fail(path, f"field {key!r} is missing or not a {kind.__name__}")
    n_features = doc["n_features_in"]
    if n_features < 1 or len(doc["bin_edges"]) != n_features:
        _fail(path, "bin_edges must hold one list per feature")
    for edges in doc["bin_edges"]:
        if (not isinstance(edges, list) or len(edges) > 254
                or not all(isinstance(e, int | float) and np.isfinite(e) for e in edges)):
            _fail(path, "bin_edges entries must be lists of at most 254 finite numbers")
    names = doc.get("feature_names_in")
    if names is not None and (not isinstance(names, list) or len(names) != n_features):
        _fail(path, "feature_names_in must be null or one name per feature")
    booster_doc = doc["booster"]
    base = booster_doc.get("base_margin")
    if (not isinstance(base, list) or not base
            or not all(isinstance(b, int | float) for b in base)
            or not np.all(np.isfinite(base))):
        _fail(path, "booster.base_margin must be a non-empty list of finite numbers")
    trees = booster_doc.get("trees")
    if not isinstance(trees, list) or len(trees) != doc["n_iterations"] * len(base):
        _fail(path, "booster.trees must hold n_iterations * len(base_margin) trees")
    booster = Booster(base)
    booster.append([_check_tree(path, i, t, n_features, 1) for i, t in enumerate(trees)])
    if "classes" in doc:
        classes = doc["classes"]
        if not isinstance(classes, list) or len(classes) < 2:
            _fail(path, "classes must list at least 2 labels")
        n_outputs = 1 if len(classes) == 2 else len(classes)
        if len(base) != n_outputs:
            _fail(path, f"{len(classes)} classes need {n_outputs} outputs, not {len(base)}")
        try:
            np.dtype(doc.get("classes_dtype"))
        except TypeError:
            _fail(path, "classes_dtype is not a numpy dtype")
    for key in ("best_iteration", "best_score"):
        if doc.get(key) is not None and not isinstance(doc[key], int | float):
            _fail(path, f"{key} must be a number or null")
    doc["booster"] = booster
    return doc
