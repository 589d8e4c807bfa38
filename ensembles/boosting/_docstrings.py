"""The docstring entries that the boosting estimators share.

:class:`~ensembles.GradientBoostingRegressor` and
:class:`~ensembles.GradientBoostingClassifier` take the same constructor; their
docstrings differ only in a few parameters (the objective and what follows from it). Each
class docstring states those; :func:`shared_entries` adds the rest from here, so that the
composed ``__doc__`` (what ``help()``, numpydoc and the API reference read) lists every
parameter.
"""

import inspect
import re

# The ``Parameters`` entries the estimators share, as numpydoc entries indented as in a
# class docstring. Their order here does not matter: the composed section follows the
# constructor's signature.
PARAMETERS = """\
    learning_rate : float, default=0.3
        Shrinkage of every tree's leaf values (XGBoost's ``eta``).
    max_depth : int, default=6
        Maximum tree depth; 0 means unlimited (lossguide growth only).
    max_leaves : int, default=0
        Maximum leaves per tree; 0 means no limit.
    grow_policy : {"depthwise", "lossguide"}, default="depthwise"
        Grow level by level, or always split the leaf with the largest gain.
    min_child_weight : float, default=1
        Minimum hessian sum in a child.
    reg_lambda : float, default=1
        L2 penalty on leaf weights.
    reg_alpha : float, default=0
        L1 penalty on leaf weights.
    gamma : float, default=0
        Minimum loss reduction a split must achieve (splits below it are pruned).
    subsample : float, default=1
        Fraction of rows sampled (without replacement, per row) for each round.
    colsample_bytree, colsample_bylevel, colsample_bynode : float, default=1
        Fraction of features sampled per tree, per depth level and per node (nested).
    max_bin : int, default=256
        Maximum number of value bins per feature (2 to 65535), as XGBoost's ``max_bin``;
        missing values get a bin of their own on top. Binned data takes one byte per value
        up to 256 bins (256 only on features without missing values), two above.
    early_stopping_rounds : int, optional
        Stop when the last metric on the last eval set has not improved for this many rounds;
        ``best_iteration`` and ``best_score`` are set and prediction uses the best rounds.
    callbacks : list of TrainingCallback, optional
        Called around every round.
    importance_type : str, default="gain"
        Kind of ``feature_importances_``: gain, weight, cover, total_gain, total_cover.
    n_jobs : int, optional
        Threads; -1 uses all cores, and None the ``n_jobs`` of an enclosing
        ``joblib.parallel_config``, else ``OMP_NUM_THREADS``, else all cores. Results do
        not depend on it.
    random_state : int, RandomState or None
        Seed of row and column sampling, of dart's dropout and gblinear's feature order,
        and of the binning subsample.
    tree_method : {"hist", "auto"}, default="hist"
        XGBoost's name of the growth method; both mean histogram growth, the only one
        here (``"exact"`` and ``"approx"`` raise an error that says why).
    device : {"cpu"}, default="cpu"
        Where to train; other devices (``"cuda"``, ``"gpu"``) raise an error.
    verbosity : int, default=1
        XGBoost's levels 0 to 3; 0 silences the warnings of ``fit``.
    missing : float, default=np.nan
        A value read as missing in every ``X`` given to the model (NaN always is).
    scale_pos_weight : float, default=1
        Weight factor of the rows labelled 1 in the logistic objectives.
    num_parallel_tree : int, default=1
        Trees per output and round (boosted random forests), each with its own row and
        column samples and ``learning_rate / num_parallel_tree``.
    aft_loss_distribution : {"normal", "logistic", "extreme"}, default="normal"
        Noise distribution of ``survival:aft`` and ``aft-nloglik``.
    aft_loss_distribution_scale : float, default=1
        Scale of that distribution.
    monotone_constraints : str, sequence of int or dict, optional
        XGBoost's monotone constraints: one direction per feature (1 increasing, -1
        decreasing, 0 free), as a sequence or a string such as ``"(1,0,-1)"``, or a dict
        from feature name (or index) to direction. Predictions then never decrease
        (increase) along an increasing (decreasing) feature, the others held fixed.
    interaction_constraints : str or list of lists, optional
        Groups of features (indices or names) allowed to interact, as XGBoost takes them:
        below the root, a split may use the features already on its path and the features
        of every group that holds all of those.
    booster : {"gbtree", "dart", "gblinear"}, default="gbtree"
        Trees; trees with dropout (DART); or a boosted linear model (coordinate descent
        with ``reg_alpha``/``reg_lambda`` as elastic net penalties). See the user guide.
    rate_drop, skip_drop : float in [0, 1], default=0
        dart: the probability of dropping each tree in a round, and of a round dropping
        none.
    one_drop : bool, default=False
        dart: drop at least one tree per round.
    sample_type : {"uniform", "weighted"}, default="uniform"
        dart: drop trees with equal probabilities, or in proportion to their weights.
    normalize_type : {"tree", "forest"}, default="tree"
        dart: weigh the new tree ``1 / (k + learning_rate)`` and multiply the ``k``
        dropped ones by ``k / (k + learning_rate)``, or both by ``1 / (1 +
        learning_rate)``.
    updater : {"shotgun", "coord_descent"}, optional
        gblinear's algorithm (default ``"shotgun"``); only with ``booster="gblinear"``.
    feature_selector : {"cyclic", "shuffle", "random", "greedy", "thrifty"}, \
default="cyclic"
        gblinear: the order of the coordinates; shotgun takes cyclic and shuffle.
    top_k : int, default=0
        gblinear with greedy or thrifty selection: features updated per round (0: all).
    categorical_features : "from_dtype", array-like of int, str or bool, or None, \
            default="from_dtype"
        Features split by sets of categories rather than thresholds (scikit-learn's
        ``HistGradientBoosting`` meaning): ``"from_dtype"`` takes the pandas ``category``
        columns; indices, column names or a boolean mask name them (a named column's
        distinct values are its categories, of any type); None uses none (a ``category``
        column is then refused). See the user guide's section on categorical features.
    enable_categorical : bool, default=False
        XGBoost's switch, for ported code: True also takes the pandas ``category``
        columns, which ``"from_dtype"`` does anyway.
    max_cat_to_onehot : int, default=4
        A feature with fewer categories than this is split one category against the rest
        (XGBoost's rule); others by the best partition of their categories ordered by
        gradient ratio.
    max_cat_threshold : int, default=32
        Most categories a partition split sends to one side (the side listed), LightGBM's
        name and default.
    cat_smooth : float, default=10.0
        Added to a category's hessian sum (on top of ``reg_lambda``) when categories are
        ordered by their gradient ratio, so that categories of few rows do not take the
        ends of the order on noise (LightGBM's name and default).
    min_data_per_category : int, default=10
        Categories with fewer training rows (of positive weight) are not kept: at
        prediction they are missing values, as are categories never seen in training.
    cat_penalty : float, default=1.0
        Multiple of the selection penalty subtracted from a partition split's gain: the
        gain the same search finds when the node's categories are redrawn without signal
        (their gradient sums around the node's mean, with the tree's gradient variance).
        It keeps high-cardinality columns of noise from winning splits; 0 scores
        partitions as XGBoost does.
    cat_encoding : {"auto", "partition", "target"}, default="auto"
        How categorical features are split. ``"partition"``: by sets of categories (the
        parameters above). ``"target"``: each category is replaced by a target
        statistic, its smoothed mean target (cross-fitted over 5 seeded folds for the
        training rows, from all training rows at prediction), which the trees split by
        thresholds. ``"auto"``: target statistics for features with more than
        ``max_cat_to_partition`` distinct values in the training rows, partitions for
        the others. Target statistics need a regression objective (not survival) or two
        classes; multiclass, ranking and survival models always use partitions (and
        refuse ``"target"``). See the user guide's section on categorical features.
    max_cat_to_partition : int, default=255
        With ``cat_encoding="auto"``, the most distinct values a categorical feature may
        have and still be split by partitions.
    target_smooth : float or "auto", default="auto"
        Weight ``m`` of the prior in a category's target statistic ``(s + m * prior) /
        (n + m)`` (``n`` and ``s``: the category's weight and weighted target sums); a
        category of no weight (in the other folds, for the training rows) gets the prior.
        ``"auto"`` estimates it by empirical Bayes: the target's variance within
        categories over the variance of the categories' means, so that a column of noise
        is shrunk to the prior entirely.
    use_quantized_grad : bool, default=False
        Grow each tree on gradients and hessians rounded stochastically to a few integer
        levels (LightGBM's option, after Shi et al., "Quantized Training of Gradient
        Boosting Decision Trees", 2022): histograms then hold integer sums, half the
        memory of float sums, and build faster. Splits are chosen on the rounded sums;
        the rounding is unbiased and keyed by the tree's seed, so models stay the same
        for any ``n_jobs``. See the user guide's section on quantized gradients.
    num_grad_quant_bins : int, default=4
        With ``use_quantized_grad``: levels of the gradients (half on either side of 0)
        and of the hessians (2 to 254; LightGBM's name and default). The rows times this
        must stay below 2**31.
    quant_train_renew_leaf : bool, default=True
        With ``use_quantized_grad``: leaf values from the exact gradient sums of their
        rows (the paper's recommendation; LightGBM's default is False), rather than from
        the rounded sums the splits were chosen on.
"""

# The ``Attributes`` entries they share, listed after a class's own attributes.
ATTRIBUTES = """\
    n_features_in_, feature_names_in_ : as in scikit-learn
    n_iterations_ : int
        Rounds fitted.
    best_iteration, best_score : int, float
        Set by early stopping.
    is_categorical_ : ndarray of bool, shape (n_features,)
        The categorical features.
    categories_ : list
        Per feature, the list of its category values (in the order of their codes in the
        trees, or of ``target_stats_``), or None for a numeric feature.
    target_stats_ : list
        Per feature, the target statistics of its categories (an array aligned with
        ``categories_``) for a target-encoded feature, or None.
    evals_result_ : dict
        Metric values per round, also returned by :meth:`evals_result`.
"""

_SECTION_HEADER = re.compile(r"^    (\w+)\n    -+\n", re.MULTILINE)
_ENTRY_HEAD = re.compile(r"    (\w+)")


def _entries(body):
    """The entries of a numpydoc section's body, by the first name of each entry's head
    line (an entry runs from its head, indented by four spaces, to the next head)."""
    entries = {}
    name = None
    for line in body.strip("\n").rstrip().splitlines(keepends=True):
        head = _ENTRY_HEAD.match(line)
        if head:
            name = head.group(1)
            entries[name] = ""
        elif name is None:
            raise ValueError(f"A section of entries starts with {line.strip()!r}, not with "
                             f"an entry's head line (indented by four spaces).")
        entries[name] += line
    return {name: text.rstrip() + "\n" for name, text in entries.items()}


def shared_entries(cls):
    """Class decorator: complete ``cls.__doc__`` with the shared entries.

    The entries of :data:`PARAMETERS` join the class's own ``Parameters`` entries, the
    whole section in the order of the constructor's signature (an own entry replaces a
    shared one of the same first name). The entries of :data:`ATTRIBUTES` follow the
    class's own ``Attributes`` entries, in a section right after ``Parameters``. Other
    sections stay as they are. The docstring is read as a module-level class's: section
    headers and entry heads indented by four spaces.

    Raises
    ------
    ValueError
        If the class docstring has no ``Parameters`` section, or an entry names no
        parameter of the constructor (a misspelt or removed parameter).
    """
    parts = _SECTION_HEADER.split(cls.__doc__)
    preamble, sections = parts[0], dict(zip(parts[1::2], parts[2::2], strict=True))
    if "Parameters" not in sections:
        raise ValueError(f"{cls.__name__}'s docstring has no Parameters section.")
    order = list(inspect.signature(cls.__init__).parameters)
    params = {**_entries(PARAMETERS), **_entries(sections["Parameters"])}
    unknown = sorted(set(params) - set(order))
    if unknown:
        raise ValueError(f"{cls.__name__}'s docstring documents {unknown}, which are not "
                         f"parameters of its constructor.")
    attributes = {**_entries(sections.pop("Attributes", "")), **_entries(ATTRIBUTES)}
    composed = {}
    for name, body in sections.items():
        composed[name] = body
        if name == "Parameters":
            composed[name] = "".join(params[p] for p in sorted(params, key=order.index))
            composed["Attributes"] = "".join(attributes.values())
    cls.__doc__ = preamble + "\n".join(
        f"    {name}\n    {'-' * len(name)}\n{body.rstrip()}\n"
        for name, body in composed.items()) + "    "
    return cls
