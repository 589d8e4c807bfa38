"""Plots of fitted models with matplotlib: importances, trees, learning curves, SHAP.

Every function draws on the given Axes (a new figure's when ``ax`` is None) and returns
it, so plots compose with the rest of a matplotlib figure. matplotlib is imported when a
function is called: the estimators never import this module, and ``ensembles`` does not
depend on matplotlib.
"""

import numpy as np

__all__ = ["plot_importance", "plot_metric", "plot_shap_summary", "plot_tree"]

IMPORTANCE_TYPES = ("weight", "gain", "cover", "total_gain", "total_cover")


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("ensembles.plotting needs matplotlib (pip install matplotlib).") \
            from None
    return plt


def _axes(ax, figsize=None):
    if ax is None:
        _, ax = _pyplot().subplots(figsize=figsize)
    return ax


def _feature_names(model, feature_names, n_features):
    if feature_names is not None:
        names = [str(name) for name in feature_names]
        if len(names) != n_features:
            raise ValueError(f"feature_names must hold one name per feature ({n_features}),"
                             f" got {len(names)}.")
        return names
    if model is not None and hasattr(model, "feature_names_in_"):
        return [str(name) for name in model.feature_names_in_]
    return [f"f{i}" for i in range(n_features)]


def _fitted_trees(model):
    """The flat trees of a fitted tree model: a booster's (round-major), a forest's or a
    single tree's."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(model)
    if hasattr(model, "_booster"):
        return model._booster.trees
    if hasattr(model, "_trees"):
        return model._trees()
    raise TypeError(f"{type(model).__name__} is not a tree model of ensembles (gradient "
                    f"boosting, forest or decision tree).")


def _raw_importance(model, importance_type):
    """Unnormalized importance of each feature, XGBoost's ``get_score`` quantities."""
    n = model.n_features_in_
    weight, gain, cover = np.zeros(n), np.zeros(n), np.zeros(n)
    for tree in _fitted_trees(model):
        split = tree.left != -1
        f = tree.feature[split]
        np.add.at(weight, f, 1.0)
        np.add.at(gain, f, tree.gain[split])
        np.add.at(cover, f, tree.cover[split])
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "weight": weight, "total_gain": gain, "total_cover": cover,
            "gain": np.where(weight > 0, gain / np.maximum(weight, 1), 0.0),
            "cover": np.where(weight > 0, cover / np.maximum(weight, 1), 0.0),
        }[importance_type]


def plot_importance(model, *, importance_type="weight", max_num_features=None,
                    feature_names=None, ax=None, title="Feature importance",
                    xlabel=None, ylabel="Features", height=0.2, show_values=True,
                    grid=True, **bar_kwargs):
    """Horizontal bars of feature importance, largest on top (as XGBoost's
    ``plot_importance``).

    Parameters
    ----------
    model : fitted estimator or dict
        A tree model of ``ensembles`` (its splits are counted and summed by
        ``importance_type``), any fitted estimator with ``feature_importances_`` (shown
        as they are), or a ``{feature name: score}`` dict.
    importance_type : {"weight", "gain", "cover", "total_gain", "total_cover"}
        For tree models: number of splits on the feature, mean or total loss reduction of
        those splits, mean or total cover.
    max_num_features : int, optional
        Show only the largest ones.
    feature_names : list of str, optional
        Default ``feature_names_in_``, else ``f0, f1, ...``.
    ax : matplotlib Axes, optional
    title, xlabel, ylabel : str
        ``xlabel`` defaults to the importance type (or "Importance").
    height : float
        Bar height.
    show_values : bool
        Write each score next to its bar.
    grid : bool
    **bar_kwargs
        Passed to ``Axes.barh``.

    Returns
    -------
    matplotlib Axes
    """
    if importance_type not in IMPORTANCE_TYPES:
        raise ValueError(f"importance_type must be one of {IMPORTANCE_TYPES}, got "
                         f"{importance_type!r}.")
    if isinstance(model, dict):
        names, scores = list(map(str, model)), np.asarray(list(model.values()), dtype=float)
        default_label = "Importance"
    elif hasattr(model, "_booster") or hasattr(model, "_trees"):
        scores = _raw_importance(model, importance_type)
        names = _feature_names(model, feature_names, len(scores))
        default_label = {"weight": "Number of splits (weight)", "gain": "Mean gain",
                         "cover": "Mean cover", "total_gain": "Total gain",
                         "total_cover": "Total cover"}[importance_type]
    elif hasattr(model, "feature_importances_"):
        scores = np.asarray(model.feature_importances_, dtype=float)
        names = _feature_names(model, feature_names, len(scores))
        default_label = "feature_importances_"
    else:
        raise TypeError("model must be a fitted estimator with feature_importances_, a tree "
                        "model of ensembles, or a {feature: score} dict.")
    keep = np.flatnonzero(scores > 0)
    if keep.size == 0:
        raise ValueError("No feature has a positive importance: the model has no splits.")
    if max_num_features is not None:
        if int(max_num_features) < 1:
            raise ValueError(f"max_num_features must be a positive int, got "
                             f"{max_num_features!r}.")
        keep = keep[np.argsort(-scores[keep], kind="stable")[: int(max_num_features)]]
    order = keep[np.argsort(scores[keep], kind="stable")]  # ascending: largest on top
    ax = _axes(ax)
    ylocs = np.arange(order.size)
    ax.barh(ylocs, scores[order], height=height, align="center", **bar_kwargs)
    if show_values:
        for y, value in zip(ylocs, scores[order], strict=True):
            text = f"{value:.0f}" if importance_type == "weight" else f"{value:.3g}"
            ax.text(value, y, " " + text, va="center")
    ax.set_yticks(ylocs)
    ax.set_yticklabels([names[i] for i in order])
    ax.set_xlim(0, scores[order].max() * 1.15)
    ax.set_ylim(-1, order.size)
    ax.set_title(title)
    ax.set_xlabel(xlabel if xlabel is not None else default_label)
    ax.set_ylabel(ylabel)
    ax.grid(grid)
    return ax


def _tree_layout(tree):
    """(x, depth) of every node: leaves evenly spaced left to right, a parent centred
    over its children."""
    n = tree.n_nodes
    x, depth = np.zeros(n), np.zeros(n, dtype=int)
    next_leaf = 0
    # Post-order walk, left child first, without recursion (forest trees can be deep).
    stack = [(0, False)]
    while stack:
        node, done = stack.pop()
        left, right = tree.left[node], tree.right[node]
        if left == -1:
            x[node] = next_leaf
            next_leaf += 1
        elif done:
            x[node] = (x[left] + x[right]) / 2
        else:
            depth[left] = depth[right] = depth[node] + 1
            stack += [(node, True), (right, False), (left, False)]
    return x, depth


def plot_tree(model, tree_index=0, *, feature_names=None, ax=None, precision=3,
              show_stats=True, fontsize=8, title=None):
    """Draw one tree: each split with its feature, threshold, gain and cover, each leaf
    with its value and cover; edges say ``yes`` (``x <= threshold``, or for a split on a
    categorical feature, ``x`` in the listed categories) or ``no`` and which one missing
    values follow.

    Parameters
    ----------
    model : fitted tree model of ensembles
        Gradient boosting (trees in the order of its ``apply``), a forest (its members' trees)
        or a decision tree.
    tree_index : int, default=0
    feature_names : list of str, optional
    ax : matplotlib Axes, optional
        A new figure sized to the tree by default.
    precision : int, default=3
        Significant digits of the numbers shown.
    show_stats : bool, default=True
        Show gains and covers (the training weight of a forest's nodes).
    fontsize : float, default=8
    title : str, optional
        Default ``"tree <tree_index>"``.

    Returns
    -------
    matplotlib Axes
        Every node is one text artist with ``gid`` ``"node-<id>"``; every edge one line
        and one text label, both with ``gid`` ``"edge-<parent>-<child>"``.
    """
    trees = _fitted_trees(model)
    if not -len(trees) <= tree_index < len(trees):
        raise ValueError(f"tree_index must be in [0, {len(trees)}), got {tree_index}.")
    tree = trees[tree_index]
    names = _feature_names(model, feature_names, model.n_features_in_)
    categories = getattr(model, "categories_", None)
    value, gain = tree._values(), tree.gain
    x, depth = _tree_layout(tree)
    n_leaves = int(x.max()) + 1
    if ax is None:
        ax = _axes(None, figsize=(max(4.0, 1.6 * n_leaves), max(3.0, 1.4 * (depth.max() + 1))))
    fmt = f"{{:.{precision}g}}"
    box = {"boxstyle": "round,pad=0.3", "linewidth": 0.8}
    for node in range(tree.n_nodes):
        left, right = tree.left[node], tree.right[node]
        if left == -1:
            leaf_value = value[node]
            shown = (fmt.format(leaf_value[0]) if leaf_value.size == 1
                     else "[" + ", ".join(fmt.format(v) for v in leaf_value) + "]")
            lines = [f"leaf {shown}"]
            style = dict(box, facecolor="#e8f1e4", edgecolor="#5b8a4c")
        else:
            lines = [_split_label(tree, node, names, categories, fmt)]
            if show_stats:
                lines.append(f"gain {fmt.format(gain[node])}")
            style = dict(box, facecolor="#e6eef7", edgecolor="#4a6f96")
            for child, label in ((left, "yes"), (right, "no")):
                missing = (child == left) == bool(tree.default_left[node])
                gid = f"edge-{node}-{child}"
                ax.plot([x[node], x[child]], [-depth[node], -depth[child]], color="0.5",
                        lw=0.8, zorder=1, gid=gid)
                ax.text((x[node] + x[child]) / 2, -(depth[node] + depth[child]) / 2,
                        label + (", missing" if missing else ""), fontsize=fontsize - 1,
                        ha="center", va="center", color="0.3", gid=gid,
                        bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})
        if show_stats:
            lines.append(f"cover {fmt.format(tree.cover[node])}")
        ax.text(x[node], -depth[node], "\n".join(lines), ha="center", va="center",
                fontsize=fontsize, bbox=style, zorder=2, gid=f"node-{node}")
    ax.set_xlim(-0.7, n_leaves - 0.3)
    ax.set_ylim(-depth.max() - 0.6, 0.6)
    ax.set_axis_off()
    ax.set_title(title if title is not None else f"tree {tree_index}")
    return ax


def _split_label(tree, node, names, categories, fmt, max_shown=6):
    """``feature <= threshold``, or ``feature in {a, b, ...}`` at a categorical split (the
    categories that go left, the first ``max_shown`` of them)."""
    name = names[tree.feature[node]]
    if getattr(tree, "cat_start", None) is not None and tree.cat_start[node] >= 0:
        codes = tree.left_categories(node)
        values = categories[tree.feature[node]] if categories is not None else None
        shown = [str(values[c]) if values is not None and c < len(values) else str(c)
                 for c in codes[:max_shown]]
        more = f", ... (+{len(codes) - max_shown})" if len(codes) > max_shown else ""
        return f"{name} in {{{', '.join(shown)}{more}}}"
    t = tree.threshold[node]
    return f"{name} <= {fmt.format(t)}" if np.isfinite(t) else f"{name} is not missing"


def plot_metric(model, metric=None, *, dataset_names=None, ax=None, title="Metric during "
                "training", xlabel="Iterations", ylabel=None, grid=True):
    """Learning curves: one metric per boosting round, one line per eval set.

    Parameters
    ----------
    model : fitted boosting estimator or dict
        Its ``evals_result_``, or such a dict (``{"validation_0": {"rmse": [...]}}``).
    metric : str, optional
        Required when the eval sets recorded several metrics.
    dataset_names : list of str, optional
        Eval sets to draw; default all.
    ax : matplotlib Axes, optional
    title, xlabel : str
    ylabel : str, optional
        Default the metric's name.
    grid : bool

    Returns
    -------
    matplotlib Axes
        One line per eval set, labelled with its name.
    """
    results = model if isinstance(model, dict) else getattr(model, "evals_result_", None)
    if results is None:
        raise TypeError("model must be a fitted boosting estimator or an evals_result "
                        "dict.")
    if not results:
        raise ValueError("No evaluation results: fit with eval_set=[(X, y), ...] to record "
                         "metrics.")
    names = list(results) if dataset_names is None else list(dataset_names)
    unknown = [n for n in names if n not in results]
    if unknown:
        raise ValueError(f"dataset_names {unknown} are not among the eval sets "
                         f"{list(results)}.")
    metrics = list(dict.fromkeys(m for n in names for m in results[n]))
    if metric is None:
        if len(metrics) != 1:
            raise ValueError(f"The eval sets recorded several metrics {metrics}; choose one "
                             f"with metric=.")
        metric = metrics[0]
    elif metric not in metrics:
        raise ValueError(f"metric {metric!r} was not recorded; recorded: {metrics}.")
    ax = _axes(ax)
    for name in names:
        values = results[name].get(metric)
        if values:
            ax.plot(np.arange(1, len(values) + 1), values, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel if ylabel is not None else metric)
    ax.set_title(title)
    ax.legend()
    ax.grid(grid)
    return ax


def plot_shap_summary(model, X, *, output=None, max_display=20, feature_names=None,
                      ax=None, cmap="coolwarm", seed=0, title=None):
    """SHAP summary (beeswarm): per feature, one dot per row at its SHAP value, coloured by
    the feature's value; features sorted by mean absolute SHAP value, largest on top.

    Parameters
    ----------
    model : fitted tree model of ensembles, or ndarray
        A model with ``predict_contribs`` (its contributions on ``X`` are computed), or
        the contributions themselves (``(n_samples, n_features)`` or with the bias column,
        or with an output axis as ``predict_contribs`` returns).
    X : array-like of shape (n_samples, n_features)
        The rows explained (their values colour the dots; NaN is grey).
    output : int, optional
        Which class (or output) to show when there are several; default the positive
        class when there are two, required otherwise.
    max_display : int, default=20
        Features shown.
    feature_names : list of str, optional
    ax : matplotlib Axes, optional
    cmap : str, default="coolwarm"
        Low feature values at one end, high at the other.
    seed : int, default=0
        Seed of the vertical jitter of the dots.
    title : str, optional

    Returns
    -------
    matplotlib Axes
        One scatter collection per feature shown (from top to bottom), the ticks naming
        them, and a colour bar for the feature values.
    """
    X_values = X.to_numpy(dtype=float) if hasattr(X, "to_numpy") else np.asarray(X, float)
    if X_values.ndim != 2:
        raise ValueError(f"X must be 2-dimensional, got shape {X_values.shape}.")
    if hasattr(model, "predict_contribs"):
        contribs = np.asarray(model.predict_contribs(X))
    else:
        contribs = np.asarray(model, dtype=float)
    n_samples, n_features = X_values.shape
    if contribs.ndim == 3:
        if output is None:
            if contribs.shape[1] != 2:
                raise ValueError(f"The model has {contribs.shape[1]} outputs; choose one "
                                 f"with output=.")
            output = 1
        if not -contribs.shape[1] <= output < contribs.shape[1]:
            raise ValueError(f"output must be in [0, {contribs.shape[1]}), got {output}.")
        contribs = contribs[:, output]
    if contribs.ndim != 2 or contribs.shape[0] != n_samples or contribs.shape[1] not in (
            n_features, n_features + 1):
        raise ValueError(f"contributions of shape {contribs.shape} do not match X of shape "
                         f"{X_values.shape}.")
    contribs = contribs[:, :n_features]  # drop the bias
    if feature_names is None and hasattr(X, "columns"):
        feature_names = [str(c) for c in X.columns]
    names = _feature_names(model if hasattr(model, "predict_contribs") else None,
                           feature_names, n_features)
    order = np.argsort(-np.abs(contribs).mean(axis=0), kind="stable")[:max_display]
    plt = _pyplot()
    ax = _axes(ax, figsize=(8, 0.4 * len(order) + 1.5))
    colormap = plt.get_cmap(cmap)
    rng = np.random.default_rng(seed)
    for rank, f in enumerate(order):
        y = len(order) - 1 - rank
        values = X_values[:, f]
        finite = np.isfinite(values)
        lo, hi = (np.nanpercentile(values, [5, 95]) if finite.any() else (0.0, 1.0))
        scaled = np.clip((values - lo) / (hi - lo), 0, 1) if hi > lo else np.full_like(
            values, 0.5)
        colors = np.where(finite[:, None], colormap(np.nan_to_num(scaled, nan=0.5)),
                          (0.6, 0.6, 0.6, 1.0))
        # Jitter grows with the local density of the dots, so the swarm shows it.
        shap_f = contribs[:, f]
        span = np.ptp(shap_f) or 1.0
        bins = np.round((shap_f - shap_f.min()) / span * 50).astype(int)
        density = np.bincount(bins, minlength=51)[bins] / max(n_samples, 1)
        width = 0.4 * np.sqrt(density / density.max()) if density.size else 0.0
        jitter = rng.uniform(-1, 1, n_samples) * width
        ax.scatter(shap_f, y + jitter, c=colors, s=8, linewidths=0, rasterized=True,
                   gid=f"feature-{names[f]}")
    ax.axvline(0.0, color="0.6", lw=0.8, zorder=0)
    ax.set_yticks(np.arange(len(order)))
    ax.set_yticklabels([names[f] for f in order[::-1]])
    ax.set_ylim(-0.7, len(order) - 0.3)
    ax.set_xlabel("SHAP value (contribution to the model output)")
    if title is not None:
        ax.set_title(title)
    mappable = plt.cm.ScalarMappable(cmap=colormap)
    bar = ax.figure.colorbar(mappable, ax=ax, ticks=[0, 1], aspect=40, pad=0.02)
    bar.set_ticklabels(["low", "high"])
    bar.set_label("feature value")
    return ax
