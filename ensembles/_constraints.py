"""Monotone and interaction constraints as users write them, resolved to feature indices.

XGBoost takes both in several forms; these functions accept each of them and turn it into
what the grower reads (:class:`~ensembles._engine.grower.GrowthParams`), or raise a
ValueError/TypeError that names the parameter and what it accepts.
"""

import json
from numbers import Integral

import numpy as np


def _feature_index(key, name, n_features, feature_names):
    """The column index of ``key``: an index, or a name of ``feature_names``."""
    if isinstance(key, (Integral, np.integer)) and not isinstance(key, bool):
        if not 0 <= key < n_features:
            raise ValueError(f"{name} refers to feature {key}, outside [0, {n_features}).")
        return int(key)
    if isinstance(key, str):
        if feature_names is None:
            raise ValueError(f"{name} names the feature {key!r}, but X has no feature names "
                             f"(fit on a DataFrame, or use column indices).")
        matches = np.flatnonzero(np.asarray(feature_names, dtype=object) == key)
        if matches.size == 0:
            raise ValueError(f"{name} names the feature {key!r}, which X does not have.")
        return int(matches[0])
    raise TypeError(f"{name} entries must be feature indices or names, got {key!r}.")


def _parsed(spec, name):
    """XGBoost's string forms, "(1,0,-1)" and "[[0,1],[2,3]]", as Python lists."""
    if not isinstance(spec, str):
        return spec
    text = spec.strip().replace("(", "[").replace(")", "]")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise ValueError(f"{name}={spec!r} is not a valid constraint string; write it as "
                         f"XGBoost does, e.g. '(1,0,-1)' or '[[0, 1], [2, 3]]'.") from None


def monotone_directions(spec, n_features, feature_names=None, name="monotone_constraints"):
    """Per-feature directions (1 increasing, -1 decreasing, 0 free) from ``spec``.

    Parameters
    ----------
    spec : None, str, sequence of int or dict
        None; XGBoost's string ``"(1,0,-1)"``; one direction per feature; or a dict from
        feature name (or index) to direction, unlisted features being free.
    n_features : int
    feature_names : array-like of str, optional
        The fitted ``feature_names_in_``, to resolve names.

    Returns
    -------
    tuple of int
        Empty when nothing is constrained.
    """
    spec = _parsed(spec, name)
    if spec is None:
        return ()
    directions = [0] * n_features
    if isinstance(spec, dict):
        items = [(_feature_index(k, name, n_features, feature_names), v)
                 for k, v in spec.items()]
    else:
        try:
            values = list(spec)
        except TypeError:
            raise TypeError(f"{name} must be None, a string, a sequence with one direction "
                            f"per feature or a dict by feature, got {spec!r}.") from None
        if len(values) != n_features:
            raise ValueError(f"{name} has {len(values)} entries but X has {n_features} "
                             f"features; give one direction per feature (or a dict).")
        items = list(enumerate(values))
    for f, v in items:
        if isinstance(v, bool) or not isinstance(v, (Integral, np.integer)) or v not in (
                -1, 0, 1):
            raise ValueError(f"{name} directions must be -1, 0 or 1, got {v!r}.")
        directions[f] = int(v)
    return tuple(directions) if any(directions) else ()


def interaction_groups(spec, n_features, feature_names=None, name="interaction_constraints"):
    """Groups of interacting features (as sorted index tuples) from ``spec``.

    Parameters
    ----------
    spec : None, str or sequence of sequences
        None; XGBoost's string ``"[[0, 1], [2, 3]]"``; or a list of groups of feature
        indices or names.

    Returns
    -------
    tuple of tuple of int
        Empty when there is no constraint.
    """
    spec = _parsed(spec, name)
    if spec is None:
        return ()
    if isinstance(spec, (str, bytes, dict)) or not hasattr(spec, "__iter__"):
        raise TypeError(f"{name} must be a list of feature groups, got {spec!r}.")
    groups = []
    for group in spec:
        if isinstance(group, (str, bytes, dict)) or not hasattr(group, "__iter__"):
            raise TypeError(f"{name} must be a list of feature groups (lists of indices or "
                            f"names), got the entry {group!r}.")
        groups.append(tuple(sorted({_feature_index(k, name, n_features, feature_names)
                                    for k in group})))
    return tuple(groups)
