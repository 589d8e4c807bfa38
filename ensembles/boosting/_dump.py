"""Boosted trees as text, JSON dumps and tables, in XGBoost's layouts.

The layouts are those of ``xgboost.Booster.get_dump`` and ``trees_to_dataframe``, with
one difference that the text says: a split sends ``x <= threshold`` to its ``yes`` child
(XGBoost's ``x < split_condition``), so the dump writes ``[f<=t]`` and the table's
``Split`` is that ``t``. A split whose threshold is ``inf`` separates the missing values
(which follow ``missing``) from all others.

A categorical split lists the categories (their values) that go to ``yes``: ``[f:{a,b}]``
in the text, ``"split_condition"`` a list in JSON and the ``Category`` column of the table,
whose ``Split`` is then NaN, as XGBoost's.
"""

import json

import numpy as np

DUMP_FORMATS = ("text", "json")
DATAFRAME_COLUMNS = ("Tree", "Node", "ID", "Feature", "Split", "Yes", "No", "Missing",
                     "Gain", "Cover", "Category")


def feature_names_of(estimator, feature_names):
    """The names a dump shows: ``feature_names`` if given, else ``feature_names_in_``,
    else ``f0, f1, ...`` (XGBoost's default names)."""
    n = estimator.n_features_in_
    if feature_names is None:
        if hasattr(estimator, "feature_names_in_"):
            return [str(name) for name in estimator.feature_names_in_]
        return [f"f{i}" for i in range(n)]
    names = [str(name) for name in feature_names]
    if len(names) != n:
        raise ValueError(f"feature_names must hold one name per feature ({n}), got "
                         f"{len(names)}.")
    return names


def _number(value):
    return f"{float(value):.9g}"


def _preorder(tree):
    """(node, depth) in depth-first order, the ``yes`` (left) child first."""
    stack = [(0, 0)]
    while stack:
        node, depth = stack.pop()
        yield node, depth
        if tree.left[node] != -1:
            stack.append((int(tree.right[node]), depth + 1))
            stack.append((int(tree.left[node]), depth + 1))


def _missing(tree, node):
    return int(tree.left[node] if tree.default_left[node] else tree.right[node])


def _left_values(tree, node, categories):
    """The category values that go left at categorical split ``node``."""
    values = categories[tree.feature[node]]
    return [values[c] for c in tree.left_categories(node) if c < len(values)]


def _condition(tree, node, names, categories):
    name = names[tree.feature[node]]
    if tree.cat_start[node] >= 0:
        values = ",".join(str(v) for v in _left_values(tree, node, categories))
        return f"{name}:{{{values}}}"
    return f"{name}<={_number(tree.threshold[node])}"


def dump_text(tree, names, with_stats, categories=None):
    lines = []
    for node, depth in _preorder(tree):
        indent = "\t" * depth
        if tree.left[node] == -1:
            line = f"{indent}{node}:leaf={_number(tree.value[node, 0])}"
            if with_stats:
                line += f",cover={_number(tree.cover[node])}"
        else:
            line = (f"{indent}{node}:[{_condition(tree, node, names, categories)}] "
                    f"yes={tree.left[node]},"
                    f"no={tree.right[node]},missing={_missing(tree, node)}")
            if with_stats:
                line += (f",gain={_number(tree.gain[node])},"
                         f"cover={_number(tree.cover[node])}")
        lines.append(line)
    return "\n".join(lines) + "\n"


def _json_node(tree, node, depth, names, with_stats, categories):
    if tree.left[node] == -1:
        out = {"nodeid": node, "leaf": float(tree.value[node, 0])}
        if with_stats:
            out["cover"] = float(tree.cover[node])
        return out
    threshold = float(tree.threshold[node])
    if tree.cat_start[node] >= 0:
        condition = _left_values(tree, node, categories)
    else:
        condition = threshold if np.isfinite(threshold) else str(threshold)
    out = {"nodeid": node, "depth": depth, "split": names[tree.feature[node]],
           "split_condition": condition,
           "yes": int(tree.left[node]), "no": int(tree.right[node]),
           "missing": _missing(tree, node)}
    if with_stats:
        out["gain"] = float(tree.gain[node])
        out["cover"] = float(tree.cover[node])
    out["children"] = [_json_node(tree, int(child), depth + 1, names, with_stats,
                                  categories)
                       for child in (tree.left[node], tree.right[node])]
    return out


def dump_json(tree, names, with_stats, categories=None):
    return json.dumps(_json_node(tree, 0, 0, names, with_stats, categories), indent=2)


def trees_table(trees, names, first_tree=0, categories=None):
    """Columns (a dict of lists) of :data:`DATAFRAME_COLUMNS`, one row per node, trees in
    order and nodes by id."""
    columns = {name: [] for name in DATAFRAME_COLUMNS}
    for t, tree in enumerate(trees, start=first_tree):
        for node in range(tree.n_nodes):
            leaf = tree.left[node] == -1
            columns["Tree"].append(t)
            columns["Node"].append(node)
            columns["ID"].append(f"{t}-{node}")
            columns["Feature"].append("Leaf" if leaf else names[tree.feature[node]])
            categorical = not leaf and tree.cat_start[node] >= 0
            columns["Split"].append(np.nan if leaf or categorical
                                    else float(tree.threshold[node]))
            for key, child in (("Yes", tree.left[node]), ("No", tree.right[node])):
                columns[key].append(None if leaf else f"{t}-{child}")
            columns["Missing"].append(None if leaf else f"{t}-{_missing(tree, node)}")
            # XGBoost's table puts a leaf's value in the Gain column.
            columns["Gain"].append(float(tree.value[node, 0] if leaf else tree.gain[node]))
            columns["Cover"].append(float(tree.cover[node]))
            columns["Category"].append(_left_values(tree, node, categories) if categorical
                                       else np.nan)
    return columns
