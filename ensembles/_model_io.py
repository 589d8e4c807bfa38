"""The JSON model files of boosting, trees and forests: reading, writing, validating.

Loading parses JSON only (no pickle, no code) and checks every field before it is used, so
a malformed or tampered file fails with a ``ValueError`` that says what is wrong instead of
crashing a numba kernel later (an out-of-range child or feature index would read out of
bounds). The estimators validate the whole document before they change anything, and
publish the loaded model in one step (see :mod:`ensembles._fitstate`).

A model file can be given as a path (``str`` or ``os.PathLike``), an open file (text or
binary, anything with ``read``/``write``) or, for reading, the document itself as
``bytes``; ``save_model()`` without a destination returns the document as ``bytes``.
"""

import io
import json
import math
import os
import warnings

import numpy as np

from ._engine.binning import MAX_VALUE_BINS
from ._engine.tree import CAT_FIELDS, NODE_STAT_FIELDS, TREE_FIELDS, Tree
from ._threads import effective_n_jobs

_SOURCE_KINDS = "a path (str or os.PathLike), an open file, or bytes"

# More features than any array could index is a damaged file, not a model.
MAX_FEATURES = 2**31 - 1
# Categories of a feature of a tree or forest model (the forest kernels' byte codes, one
# of them for missing values).
MAX_FOREST_CATEGORIES = 255


def _name(source):
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    if isinstance(source, bytes | bytearray | memoryview):
        return "the model bytes"
    return str(getattr(source, "name", "the model file object"))


def fail(name, what):
    """Raise the ValueError of a rejected model file."""
    raise ValueError(f"{name} is not a valid ensembles model file: {what}.")


def write_document(doc, destination=None):
    """Write ``doc`` as JSON to a path or an open file; with no destination, return it as
    UTF-8 ``bytes``."""
    text = json.dumps(doc, allow_nan=False)
    if destination is None:
        return text.encode("utf-8")
    if isinstance(destination, str | os.PathLike):
        with open(destination, "w", encoding="utf-8") as fh:
            fh.write(text)
        return None
    if not callable(getattr(destination, "write", None)):
        raise TypeError(f"The model destination must be a path (str or os.PathLike), an open "
                        f"file, or None (to get bytes); got {type(destination).__name__}.")
    if isinstance(destination, io.TextIOBase):
        destination.write(text)
    elif isinstance(destination, io.BufferedIOBase | io.RawIOBase):
        destination.write(text.encode("utf-8"))
    else:
        try:
            destination.write(text)
        except TypeError:
            destination.write(text.encode("utf-8"))
    return None


def params_to_json(params):
    """The estimator's parameters as JSON holds them: numpy scalars and arrays as numbers
    and lists, tuples as lists, and a ``class_weight`` dictionary as ``[label, weight]``
    pairs (a list of them per output for a list of dictionaries), because JSON object keys
    are strings and labels need not be.

    Left out: ``callbacks``, callables (code, which a model file never holds; also a list
    holding one, such as an ``eval_metric``), random number generators (a ``RandomState``
    is state, not a setting) and a Dask estimator's ``client`` (a connection). Any other
    value JSON cannot hold (NaN, infinity, an object) raises a ``ValueError`` naming the
    parameter, rather than being dropped: a loaded model whose parameters differ would
    refit differently.
    """
    out = {}
    for name, value in params.items():
        if name in ("callbacks", "client") or _holds_code(value) or isinstance(
                value, np.random.RandomState | np.random.Generator):
            continue
        if name == "class_weight" and value is not None and not isinstance(value, str):
            value = (_weight_pairs(value) if isinstance(value, dict)
                     else [_weight_pairs(weights) for weights in value])
        written = _json_value(value)
        if written is _UNWRITABLE:
            raise ValueError(f"save_model cannot write the parameter {name}={value!r}: a model "
                             f"file holds numbers, strings, booleans, None and lists or "
                             f"string-keyed dictionaries of them, without NaN or infinity.")
        out[name] = written
    return out


_UNWRITABLE = object()


def _holds_code(value):
    return callable(value) or (isinstance(value, list | tuple)
                               and any(callable(v) for v in value))


def _weight_pairs(weights):
    return [[label, weight] for label, weight in weights.items()]


def _json_value(value):
    """``value`` as JSON holds it, or ``_UNWRITABLE``."""
    if isinstance(value, np.generic | np.ndarray):
        value = value.tolist()
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else _UNWRITABLE
    if isinstance(value, list | tuple):
        items = [_json_value(v) for v in value]
        return _UNWRITABLE if any(v is _UNWRITABLE for v in items) else items
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        items = {k: _json_value(v) for k, v in value.items()}
        return _UNWRITABLE if any(v is _UNWRITABLE for v in items.values()) else items
    return _UNWRITABLE


def read_header(source, fmt, version, estimator):
    """Parse a model file and check its format name, version and estimator kind.

    Returns ``(document, name)``: the parsed JSON document, every other field still
    unchecked, and the name of the source for error messages.
    """
    name = _name(source)
    if isinstance(source, str | os.PathLike):
        try:
            with open(source, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise ValueError(f"Cannot read model file {name}: {exc}") from None
    elif isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif callable(getattr(source, "read", None)):
        data = source.read()
    else:
        raise TypeError(f"A model file must be {_SOURCE_KINDS}; got {type(source).__name__}.")
    if not isinstance(data, str):
        if not isinstance(data, bytes | bytearray):
            fail(name, f"reading it gave a {type(data).__name__}, not text or bytes")
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            fail(name, f"it is not UTF-8 text ({exc})")
    try:
        # NaN and Infinity (not JSON, but Python's json reads them) are refused by the
        # finiteness checks of the fields that hold numbers.
        doc = json.loads(data)
    except ValueError as exc:  # json.JSONDecodeError included
        fail(name, f"invalid JSON ({exc})")
    except RecursionError:
        fail(name, "its JSON is nested too deeply")
    if not isinstance(doc, dict) or doc.get("format") != fmt:
        fail(name, f"'format' must be {fmt!r}")
    versions = version if isinstance(version, tuple) else (version,)
    if doc.get("version") not in versions or isinstance(doc.get("version"), bool):
        known = (f"versions {', '.join(map(str, versions[:-1]))} and {versions[-1]}"
                 if len(versions) > 1 else f"version {versions[0]}")
        fail(name, f"unsupported format version {doc.get('version')!r} (this library reads "
                   f"{known})")
    if doc.get("estimator") != estimator:
        fail(name, f"it holds a model of {doc.get('estimator')!r}, not of {estimator}")
    return doc, name


def is_int(value):
    """Whether a JSON value is an integer (not a boolean)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value):
    """Whether a JSON value is a number (not a boolean)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_finite_number(value):
    """Whether a JSON value is a finite number that a float64 holds."""
    if not is_number(value):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer beyond float64's range
        return False


def check_fields(name, doc, required):
    """Check that ``doc[key]`` is a ``kind`` for every ``key: kind`` of ``required``
    (``int`` excludes booleans)."""
    for key, kind in required.items():
        value = doc.get(key)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            fail(name, f"field {key!r} is missing or not a {kind.__name__}")


def check_feature_names(name, doc, n_features):
    """``feature_names_in`` must be null or one string per feature."""
    names = doc.get("feature_names_in")
    if names is not None and (not isinstance(names, list) or len(names) != n_features
                              or not all(isinstance(n, str) for n in names)):
        fail(name, "feature_names_in must be null or one string per feature")


def check_classes(name, doc, min_classes):
    """The ``classes`` and ``classes_dtype`` fields of a classifier's file, as an array."""
    classes = doc.get("classes")
    if not isinstance(classes, list) or len(classes) < min_classes:
        fail(name, f"classes must list at least {min_classes} label(s)")
    if not all(isinstance(c, str) or is_number(c) or isinstance(c, bool) for c in classes):
        fail(name, "classes must be strings, numbers or booleans")
    dtype_str = doc.get("classes_dtype")
    try:
        if not isinstance(dtype_str, str):
            raise TypeError("not a string")
        dtype = np.dtype(dtype_str)
        if dtype.kind not in "biufUSO":
            raise TypeError(f"kind {dtype.kind!r} cannot hold labels")
        with warnings.catch_warnings():
            # numpy < 2 wraps out-of-range integers with a DeprecationWarning.
            warnings.simplefilter("ignore", DeprecationWarning)
            array = np.asarray(classes, dtype=dtype)
        if array.tolist() != classes:
            raise ValueError("the labels do not survive the conversion (out of range or "
                             "truncated)")
    except (TypeError, ValueError, OverflowError) as exc:
        fail(name, f"classes_dtype {dtype_str!r} is not a numpy dtype of the classes ({exc})")
    if array.ndim != 1 or len(set(array.tolist())) != len(classes):
        fail(name, "classes must be distinct labels of the stored dtype")
    return array


def check_tree(name, i, data, n_features, n_values, n_categories=None, node_stats=False):
    """Validate tree ``i`` of a file and return it as a :class:`Tree`; ``n_categories``
    (categories per feature, 0 for numeric ones) allows categorical splits, and
    ``node_stats`` each node's rows and impurity (:data:`NODE_STAT_FIELDS`; a tree read
    from a file of an earlier version and saved again has none)."""
    extras = [()] + ([NODE_STAT_FIELDS] if node_stats else [])
    if n_categories is not None:
        extras += [CAT_FIELDS + extra for extra in extras]
    if not isinstance(data, dict) or set(data) not in [set(TREE_FIELDS + extra)
                                                       for extra in extras]:
        fail(name, f"tree {i} must have exactly the fields {sorted(TREE_FIELDS)}"
                   + (f", plus {list(CAT_FIELDS)} with categorical splits"
                      if n_categories is not None else "")
                   + (f", and may have {list(NODE_STAT_FIELDS)}" if node_stats else ""))
    if "cat_start" in data:
        _check_cat_fields(name, i, data, n_categories)
    if not all(isinstance(data[k], list) for k in TREE_FIELDS):
        fail(name, f"tree {i} has node arrays that are not lists")
    n = len(data["left"])
    if n == 0 or any(len(data[k]) != n for k in TREE_FIELDS):
        fail(name, f"tree {i} has node arrays of different or zero lengths")
    if "impurity" in data and not (
            all(isinstance(data[k], list) and len(data[k]) == n for k in NODE_STAT_FIELDS)
            and all(is_int(v) and 0 <= v < 2**63 for v in data["n_node_samples"])
            and all(is_finite_number(v) for v in data["impurity"])):
        fail(name, f"tree {i} must have one n_node_samples integer >= 0 and one finite "
                   f"impurity per node")
    if not all(isinstance(t, str) and t in ("inf", "-inf") or is_number(t)
               for t in data["threshold"]):
        fail(name, f"tree {i} has thresholds that are neither numbers nor 'inf'/'-inf'")
    for key in ("feature", "split_bin", "left", "right"):
        if not all(is_int(v) for v in data[key]):
            fail(name, f"tree {i} has non-integer entries in {key!r}")
    if not all(v in (0, 1) and not isinstance(v, float) for v in data["default_left"]):
        fail(name, f"tree {i} has default_left entries other than 0 and 1")
    if not all(isinstance(v, list) and len(v) == n_values and all(is_number(x) for x in v)
               for v in data["value"]):
        fail(name, f"tree {i} must hold a list of {n_values} number(s) per node in 'value'")
    for key in ("gain", "cover"):
        if not all(is_number(v) for v in data[key]):
            fail(name, f"tree {i} has non-numeric entries in {key!r}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # numpy < 2 wraps instead
            tree = Tree.from_dict(data)
        for key in ("feature", "split_bin", "left", "right"):
            if getattr(tree, key).tolist() != data[key]:
                raise ValueError(f"{key!r} has entries beyond its integer type")
    except (TypeError, ValueError, OverflowError, KeyError) as exc:
        fail(name, f"tree {i} holds values out of range for its arrays ({exc})")
    if np.any((tree.split_bin < -1) | (tree.split_bin >= MAX_VALUE_BINS)):
        fail(name, f"tree {i} has split_bin entries out of range [-1, {MAX_VALUE_BINS})")
    internal = tree.left != -1
    ids = np.arange(n)
    # Children must come after their parent: this rules out cycles and out-of-range ids.
    if np.any(internal & ((tree.left <= ids) | (tree.right <= ids) | (tree.left >= n)
                          | (tree.right >= n))):
        fail(name, f"tree {i} has child indices that are out of range or not after the parent")
    if np.any(~internal & ((tree.right != -1) | (tree.left != -1))):
        fail(name, f"tree {i} has a leaf with a child")
    if np.any(internal & ((tree.feature < 0) | (tree.feature >= n_features))):
        fail(name, f"tree {i} splits on a feature index outside [0, {n_features})")
    if np.any(np.isnan(tree.threshold)) or not np.all(np.isfinite(tree.value)):
        fail(name, f"tree {i} has NaN thresholds or non-finite leaf (node) values")
    if not (np.all(np.isfinite(tree.gain)) and np.all(np.isfinite(tree.cover))):
        fail(name, f"tree {i} has non-finite gains or covers")
    if tree.has_categorical:
        cat = tree.cat_start >= 0
        words = (np.asarray(n_categories)[np.maximum(tree.feature, 0)] + 31) // 32
        if np.any(cat & (~internal | (words == 0)
                         | (tree.cat_start + words > tree.cat_bits.size))):
            fail(name, f"tree {i} has a categorical split on a leaf, on a numeric feature or "
                       f"past the end of cat_bits")
        if np.any(internal & ~cat & (words > 0) & (np.asarray(n_categories)[
                np.maximum(tree.feature, 0)] > 0)):
            fail(name, f"tree {i} splits a categorical feature by a threshold")
    children = np.concatenate([tree.left[internal], tree.right[internal]])
    if np.unique(children).size != children.size or children.size != n - 1:
        fail(name, f"tree {i} is not a tree (a node has two parents or none)")
    return tree


def _check_cat_fields(name, i, data, n_categories):
    if not (isinstance(data["cat_start"], list) and isinstance(data["cat_bits"], list)
            and len(data["cat_start"]) == len(data["left"])
            and all(is_int(v) and v >= -1 for v in data["cat_start"])
            and all(is_int(v) and 0 <= v < 2**32 for v in data["cat_bits"])):
        fail(name, f"tree {i} must have one cat_start integer >= -1 per node and cat_bits "
                   f"of 32-bit unsigned integers")


def check_categories(name, doc, n_features):
    """The ``categories`` field: null, or per feature null or a list of distinct strings,
    integers, finite floats or booleans. Returns categories per feature (0: numeric),
    or None when no feature is categorical."""
    categories = doc.get("categories")
    if categories is None:
        return None
    if not isinstance(categories, list) or len(categories) != n_features:
        fail(name, "categories must be null or hold one entry per feature")
    counts = []
    for c in categories:
        if c is None:
            counts.append(0)
            continue
        if (not isinstance(c, list) or len(c) > 65535 or not all(
                isinstance(v, str | bool) or is_finite_number(v) for v in c)
                or len(set(map(repr, c))) != len(c)):
            fail(name, "categories entries must be null or lists of at most 65535 distinct "
                       "strings, numbers or booleans")
        counts.append(len(c))
    return counts if any(counts) else None


def read_boosting_document(source, fmt, version, estimator, max_edges):
    """Parse and validate a gradient boosting model file.

    Returns ``(document, name)``, the document's ``booster`` replaced by a validated
    :class:`~ensembles.boosting.booster.Booster` (or, for ``booster="gblinear"``, a
    :class:`~ensembles.boosting.linear.LinearBooster`) and its ``classes`` (classifiers) by
    an array of the stored dtype.

    A tree booster's ``booster`` holds ``base_margin`` and ``trees``, plus ``tree_weights``
    (one per tree) for ``dart``; a linear booster's holds ``base_margin``, ``n_features``
    and ``linear_rounds`` (per round, ``n_features + 1`` rows of ``n_outputs`` numbers:
    the change of the weights, then of the bias). Files without these keys (written
    before the dart and linear boosters) read as before.
    """
    from .boosting.booster import Booster
    from .boosting.linear import LinearBooster

    doc, name = read_header(source, fmt, version, estimator)
    check_fields(name, doc, {"params": dict, "n_features_in": int, "n_iterations": int,
                             "bin_edges": list, "booster": dict})
    n_features = doc["n_features_in"]
    if n_features < 1 or len(doc["bin_edges"]) != n_features:
        fail(name, "bin_edges must hold one list per feature")
    for edges in doc["bin_edges"]:
        if (not isinstance(edges, list) or len(edges) > max_edges
                or not all(is_finite_number(e) for e in edges)
                or np.any(np.diff(np.asarray(edges, dtype=np.float64)) < 0)):
            fail(name, f"bin_edges entries must be sorted lists of at most {max_edges} "
                       f"finite numbers")
    check_feature_names(name, doc, n_features)
    n_categories = check_categories(name, doc, n_features)
    if n_categories is not None and any(
            n > 0 and len(e) > 0 for n, e in zip(n_categories, doc["bin_edges"], strict=True)):
        fail(name, "a categorical feature's bin_edges must be empty")
    booster_doc = doc["booster"]
    base = booster_doc.get("base_margin")
    if not isinstance(base, list) or not base or not all(is_finite_number(b) for b in base):
        fail(name, "booster.base_margin must be a non-empty list of finite numbers")
    linear = "linear_rounds" in booster_doc
    trees = booster_doc.get("trees")
    # Files written before num_parallel_tree existed grow one tree per output and round.
    n_parallel = booster_doc.get("num_parallel_tree", 1)
    if not is_int(n_parallel) or n_parallel < 1:
        fail(name, "booster.num_parallel_tree must be a positive integer")
    if linear:
        rounds = booster_doc["linear_rounds"]
        if (booster_doc.get("n_features") != n_features or not isinstance(rounds, list)
                or len(rounds) != doc["n_iterations"] or doc["n_iterations"] < 0):
            fail(name, "a linear booster needs n_features equal to n_features_in and "
                       "n_iterations linear_rounds")
        for delta in rounds:
            if (not isinstance(delta, list) or len(delta) != n_features + 1
                    or not all(isinstance(row, list) and len(row) == len(base)
                               and all(is_finite_number(v) for v in row) for row in delta)):
                fail(name, f"each linear round must hold {n_features + 1} rows of "
                           f"{len(base)} finite number(s)")
    elif (doc["n_iterations"] < 0 or not isinstance(trees, list)
            or len(trees) != doc["n_iterations"] * len(base) * n_parallel):
        fail(name, "booster.trees must hold n_iterations * len(base_margin) * "
                   "num_parallel_tree trees")
    weights = booster_doc.get("tree_weights")
    if weights is not None and (linear or not isinstance(weights, list)
                                or len(weights) != len(trees)
                                or not all(is_finite_number(w) for w in weights)):
        fail(name, "booster.tree_weights must hold one finite number per tree")
    if "classes" in doc:
        classes = check_classes(name, doc, 2)
        n_outputs = 1 if len(classes) == 2 else len(classes)
        if len(base) != n_outputs:
            fail(name, f"{len(classes)} classes need {n_outputs} outputs, not {len(base)}")
        doc["classes"] = classes
    # A regression model's number of outputs (several quantiles) is checked against its
    # objective by the estimator.
    if linear:
        booster = LinearBooster.from_dict(booster_doc)
    else:
        booster = Booster(base, n_parallel)
        booster.append([check_tree(name, i, t, n_features, 1, n_categories)
                        for i, t in enumerate(trees)], weights)
    best = doc.get("best_iteration")
    if best is not None and not (is_int(best) and 0 <= best < doc["n_iterations"]):
        fail(name, "best_iteration must be null or a round index below n_iterations")
    score = doc.get("best_score")
    if score is not None and not is_finite_number(score):
        fail(name, "best_score must be a finite number or null")
    doc["booster"] = booster
    return doc, name


# ---------------------------------------------------------------------- trees and forests
def _params_from_json(params):
    params = dict(params)
    weights = params.get("class_weight")
    if isinstance(weights, list):
        per_output = bool(weights) and all(
            isinstance(pairs, list) and all(isinstance(p, list) for p in pairs)
            for pairs in weights)
        params["class_weight"] = ([_weights_of_pairs(pairs) for pairs in weights]
                                  if per_output else _weights_of_pairs(weights))
    return params


def _weights_of_pairs(pairs):
    if not all(isinstance(p, list) and len(p) == 2 and not isinstance(p[0], list | dict)
               for p in pairs):
        raise ValueError("class_weight must be a list of [label, weight] pairs, or a list "
                         "of such lists (one per output)")
    return {label: weight for label, weight in pairs}


def read_trees_document(source, cls, fmt, version):
    """Parse and validate a tree or forest model file for the estimator class ``cls``.

    Returns ``(document, params, trees)``: the document (its ``classes`` an array of the
    stored dtype), the estimator parameters, and the validated trees as
    :class:`~ensembles._tree_base.FittedTree`.
    """
    from ._tree_base import MAX_SEED, ClassifierTargets, FittedTree

    doc, name = read_header(source, fmt, version, cls.__name__)
    check_fields(name, doc, {"params": dict, "n_features_in": int, "max_features": int,
                             "n_outputs": int, "trees": list, "random_states": list})
    n_features = doc["n_features_in"]
    if not 1 <= doc["max_features"] <= n_features <= MAX_FEATURES:
        fail(name, f"n_features_in and max_features must satisfy 1 <= max_features <= "
                   f"n_features_in <= {MAX_FEATURES}")
    check_feature_names(name, doc, n_features)
    try:
        params = _params_from_json(doc["params"])
        probe = cls(**params)
        probe._validate_params()
        if "n_jobs" in params:  # a model that could not predict is refused now
            effective_n_jobs(params["n_jobs"])
    except (TypeError, ValueError) as exc:
        fail(name, f"bad parameters ({exc})")
    if "classes" in doc:
        if not issubclass(cls, ClassifierTargets):
            fail(name, "only a classifier's file lists classes")
        n_outputs = doc["n_outputs"]
        if n_outputs == 1:
            doc["classes"] = check_classes(name, doc, 1)
            n_values = len(doc["classes"])
        else:
            # Several outputs: one list of labels and one dtype per output; the leaves hold
            # every output's class frequencies one after the other.
            classes, dtypes = doc["classes"], doc.get("classes_dtype")
            if (not isinstance(classes, list) or len(classes) != n_outputs
                    or not isinstance(dtypes, list) or len(dtypes) != n_outputs):
                fail(name, "with n_outputs > 1, classes and classes_dtype hold one entry "
                           "per output")
            doc["classes"] = [check_classes(name, {"classes": c, "classes_dtype": d}, 1)
                              for c, d in zip(classes, dtypes, strict=True)]
            n_values = sum(len(c) for c in doc["classes"])
    elif issubclass(cls, ClassifierTargets):
        fail(name, "a classifier's file must list its classes")
    else:
        n_values = doc["n_outputs"]
    if n_values < 1 or not doc["trees"]:
        fail(name, "there must be at least one tree and one output")
    seeds = doc["random_states"]
    if len(seeds) != len(doc["trees"]) or not all(
            is_int(s) and 0 <= s <= MAX_SEED for s in seeds):
        fail(name, f"random_states must hold one seed in [0, {MAX_SEED}] per tree")
    # Version 2: categorical features (their category values, and bitsets in the trees).
    n_categories = check_categories(name, doc, n_features) if doc["version"] >= 2 else None
    if n_categories is not None and max(n_categories) > MAX_FOREST_CATEGORIES:
        fail(name, f"a categorical feature of a tree model has at most "
                   f"{MAX_FOREST_CATEGORIES} categories")
    # Version 3: each node's rows and impurity.
    node_stats = doc["version"] >= 3
    trees = [FittedTree(**{field: getattr(t, field)
                           for field in TREE_FIELDS + CAT_FIELDS + NODE_STAT_FIELDS})
             for t in (check_tree(name, i, data, n_features, n_values, n_categories,
                                  node_stats)
                       for i, data in enumerate(doc["trees"]))]
    oob = doc.get("oob_score")
    if oob is not None and not is_finite_number(oob):
        fail(name, "oob_score must be a finite number or null")
    return doc, params, trees
