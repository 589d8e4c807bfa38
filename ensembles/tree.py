"""Single decision trees grown on the histogram engine, with scikit-learn's API.

:class:`DecisionTreeClassifier` and :class:`DecisionTreeRegressor` take scikit-learn's
parameter names and defaults (plus ``max_bin``). Features are binned into at most
``max_bin`` quantile bins before the tree is grown (features with few distinct values keep
exact thresholds); missing values (NaN) are routed natively: each split learns which side
they go to. They are the default members of :mod:`ensembles.bagging` and
:mod:`ensembles.adaboost` and the members (``estimators_``) of :mod:`ensembles.forest`.
:func:`export_text` and :func:`plot_tree` show a fitted tree as :func:`sklearn.tree.export_text`
and :func:`sklearn.tree.plot_tree` do.
"""

import numbers

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, clone, is_classifier
from sklearn.utils import Bunch
from sklearn.utils.validation import check_is_fitted

from ._compat import StrOptions, _MPLTreeExporter
from ._engine.forest import cost_complexity_prune
from ._fitstate import fits_aside, reads_snapshot
from ._tree_base import (
    BaseTreeModel,
    ClassifierTargets,
    RegressorTargets,
    grow_tree,
    node_costs,
    tree_seeds,
)

__all__ = ["DecisionTreeClassifier", "DecisionTreeRegressor", "ExtraTreeClassifier",
           "ExtraTreeRegressor", "export_text", "plot_tree"]


class _BaseDecisionTree(BaseTreeModel):
    """Fitting and inspection of one tree."""

    _parameter_constraints = {
        **BaseTreeModel._parameter_constraints,
        "splitter": [StrOptions({"best", "random"})],
    }

    @fits_aside
    def fit(self, X, y, sample_weight=None):
        """Grow the tree.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Numeric features, and categorical ones (see ``categorical_features``);
            NaN marks a missing value.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels of any type (classifier) or real targets, one or several outputs
            (regressor).
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative row weights; a row of weight 0 is the same as no row.

        Returns
        -------
        self
        """
        self._validate_params()
        X, Y, codes, weight = self._validate_training_data(X, y, sample_weight)
        bin_seed, seed = tree_seeds(self.random_state)
        params = self._growth_params(X.shape[0], X.shape[1], self.splitter)
        bin_mapper, X_binned = self._bin(X, weight, bin_seed)
        bin_value = self._bin_values(X, X_binned, weight, self.splitter)
        if weight is None:
            weight = np.ones(X.shape[0])
        self.tree_ = grow_tree(X_binned, bin_mapper, Y, weight, params,
                               self.min_weight_fraction_leaf, seed, codes, bin_value,
                               self.ccp_alpha)._with_outputs(self._output_classes(),
                                                    self.n_features_in_)
        self._seed = int(seed)
        return self

    def cost_complexity_pruning_path(self, X, y, sample_weight=None):
        """The pruning path of minimal cost-complexity pruning (scikit-learn's).

        A tree is grown with these parameters (``ccp_alpha`` aside) and pruned step by
        step: each step turns into a leaf the internal node whose pruning raises the
        total leaf impurity least per leaf removed (its effective alpha), until only the
        root is left.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        ccp_path : Bunch
            ``ccp_alphas``: the effective alphas of the steps, increasing (0 first, the
            unpruned tree); ``impurities``: the total leaf impurity (weighted by the
            leaves' share of the training weight) of the tree pruned at each alpha.
        """
        model = clone(self).set_params(ccp_alpha=0.0)
        model.fit(X, y, sample_weight=sample_weight)
        alphas, impurities, n_steps, _, _ = cost_complexity_prune(
            model.tree_.left, model.tree_.right,
            node_costs(model.tree_.impurity, model.tree_.cover), np.inf)
        return Bunch(ccp_alphas=alphas[:n_steps], impurities=impurities[:n_steps])

    def _trees(self):
        return [self.tree_]

    def _tree_seeds(self):
        return [self._seed]

    def _restore(self, trees, seeds):
        if len(trees) != 1:
            raise ValueError(f"a decision tree model holds one tree, the file has {len(trees)}.")
        self.tree_ = trees[0]._with_outputs(self._output_classes(), self.n_features_in_)
        self._seed = seeds[0]

    def _predict_values(self, X):
        return self._mean_values(self._validate_X_predict(X))

    @reads_snapshot
    def apply(self, X):
        """Index of the leaf each row ends up in.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)

        Returns
        -------
        leaves : ndarray of int32, shape (n_samples,)
            Node ids into the arrays of ``tree_``.
        """
        X = self._validate_X_predict(X)  # raises NotFittedError before tree_ is touched
        return self.tree_.apply(X)

    def decision_path(self, X):
        """The nodes each row passes through, from the root to its leaf.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)

        Returns
        -------
        indicator : sparse matrix of shape (n_samples, n_nodes)
            CSR matrix whose nonzero entries (all 1) mark the nodes of each row's path.
        """
        X = self._validate_X_predict(X)
        return self.tree_.decision_path(X)

    def get_depth(self):
        """Depth of the tree: the longest path from the root to a leaf (0 for a lone leaf)."""
        check_is_fitted(self)
        return self.tree_.depth

    def get_n_leaves(self):
        """Number of leaves of the tree."""
        check_is_fitted(self)
        return self.tree_.n_leaves

    @property
    def feature_importances_(self):
        """ndarray of shape (n_features,): weighted impurity decrease per feature,
        normalized to sum to 1 (all zeros when the tree is a single leaf)."""
        check_is_fitted(self)
        return self.tree_.importances(self.n_features_in_)


_PARAMETERS_DOC = """
    splitter : {"best", "random"}, default="best"
        "best" tries every bin boundary of each examined feature; "random" draws one
        threshold per examined feature uniformly between the node's smallest and largest
        value (extremely randomized; the value is mapped to the nearest bin boundary).
    max_depth : int, default=None
        Maximum depth; None grows until the leaves are pure or other limits stop it.
    min_samples_split : int or float, default=2
        Minimum number of rows a node needs to be split (a float is a fraction of the
        training rows, rounded up).
    min_samples_leaf : int or float, default=1
        Minimum number of rows in each child of a split (a float is a fraction).
    min_weight_fraction_leaf : float, default=0.0
        Minimum weight of each child, as a fraction of the total training weight.
    max_features : int, float, {"sqrt", "log2"} or None, default=None
        Features examined per node (more while all examined are constant in it); None
        means all, a float a fraction of them.
    random_state : int, RandomState or None, default=None
        Seed of the feature order, of random thresholds and of the binning subsample.
    max_leaf_nodes : int, default=None
        Grow best-first with at most this many leaves; None means unlimited (depth-first).
    min_impurity_decrease : float, default=0.0
        A split must decrease the weighted impurity by at least this much, relative to
        the total training weight.
    max_bin : int, default=256
        Maximum number of bins per feature (2 to 256; at most 255 value bins, NaN has its
        own).
    ccp_alpha : float, default=0.0
        Complexity parameter of minimal cost-complexity pruning (scikit-learn's): after
        growing, the subtrees whose effective alpha is at most ``ccp_alpha`` are pruned;
        0 prunes nothing. See :meth:`cost_complexity_pruning_path`.
    monotonic_cst : array-like of int of shape (n_features,), default=None
        Monotonic constraint of each feature: 1 increasing, -1 decreasing, 0 none (None:
        no constraints). For single-output regression and binary classification (where
        it constrains the probability of the positive class, ``classes_[1]``); not with
        several outputs or more than two classes. See :ref:`monotonic_cst_forests`.
    categorical_features : "from_dtype", array-like of int, str or bool, or None, \
default="from_dtype"
        The categorical features, with scikit-learn's meaning: "from_dtype" takes the
        pandas ``category`` columns of a DataFrame; indices, column names or a boolean
        mask name them (their values, numbers or strings, are the categories); None
        uses none. A categorical feature is split by a set of its categories, not a
        threshold; unseen and missing categories follow the split's missing-value
        side. See :ref:`forest_categorical`.
    max_cat_to_onehot : int, default=4
        A categorical feature of fewer categories is split one category against the
        rest; otherwise by the best prefix of its categories ordered by their (smoothed)
        target mean in the node.
    min_data_per_category : int, default=5
        Categories with fewer training rows (of positive weight) are not kept: they are
        pooled with the missing values, as are categories beyond a feature's 255 most
        frequent.
    cat_smooth : float, default=10.0
        Pseudo-count of rows that pulls a category's mean towards its node's when the
        categories are ordered, so that categories of few rows rank in the middle.
"""


class DecisionTreeClassifier(ClassifierMixin, ClassifierTargets, _BaseDecisionTree):
    __doc__ = f"""A classification tree grown on binned features.

    One tree splits on all classes at once (impurity of the one-hot label matrix); each
    leaf holds the weighted class frequencies of its training rows.

    Parameters
    ----------
    criterion : {{"gini", "entropy", "log_loss"}}, default="gini"
        Impurity measure ("log_loss" is the entropy).
    {_PARAMETERS_DOC.strip()}
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes ({{label: weight}}), multiplied into ``sample_weight``;
        "balanced" weighs classes inversely to their frequency.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,), or a list of them
        Class labels (any type); with several outputs (a 2-d ``y``), one array per
        output.
    n_classes_ : int or list of int
    n_outputs_ : int
        Number of outputs (columns of ``y``); several are fitted by one tree whose leaves
        hold every output's class frequencies.
    max_features_ : int
        Resolved ``max_features``.
    tree_ : FittedTree
        The node arrays (``feature``, ``threshold``, ``value``, ``left``, ``right``, ...).
    feature_importances_ : ndarray of shape (n_features,)
    n_features_in_, feature_names_in_ : as in scikit-learn

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from ensembles.tree import DecisionTreeClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    >>> tree.get_depth()
    3
    """

    _parameter_constraints = {
        **_BaseDecisionTree._parameter_constraints,
        "criterion": [StrOptions({"gini", "entropy", "log_loss"})],
        "class_weight": [StrOptions({"balanced"}), dict, list, None],
    }

    def __init__(self, *, criterion="gini", splitter="best", max_depth=None,
                 min_samples_split=2, min_samples_leaf=1, min_weight_fraction_leaf=0.0,
                 max_features=None, random_state=None, max_leaf_nodes=None,
                 min_impurity_decrease=0.0, class_weight=None, max_bin=256, ccp_alpha=0.0,
                 monotonic_cst=None, categorical_features="from_dtype",
                 max_cat_to_onehot=4, min_data_per_category=5, cat_smooth=10.0):
        self.criterion = criterion
        self.splitter = splitter
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.max_features = max_features
        self.random_state = random_state
        self.max_leaf_nodes = max_leaf_nodes
        self.min_impurity_decrease = min_impurity_decrease
        self.class_weight = class_weight
        self.max_bin = max_bin
        self.ccp_alpha = ccp_alpha
        self.monotonic_cst = monotonic_cst
        self.categorical_features = categorical_features
        self.max_cat_to_onehot = max_cat_to_onehot
        self.min_data_per_category = min_data_per_category
        self.cat_smooth = cat_smooth


class DecisionTreeRegressor(RegressorMixin, RegressorTargets, _BaseDecisionTree):
    __doc__ = f"""A regression tree grown on binned features.

    Multi-output targets are fitted by one tree whose leaves hold the mean of every output.

    Parameters
    ----------
    criterion : {{"squared_error", "friedman_mse", "poisson", "absolute_error"}}, \
default="squared_error"
        Impurity measure: "squared_error" is variance reduction ("friedman_mse" is the
        same, as in scikit-learn 1.9); "poisson" is the reduction of the Poisson deviance
        (non-negative targets of positive sum; a split may not leave a child of zero
        sum), at the same histogram speed; leaves hold means. "absolute_error" is the
        reduction of the weighted absolute deviation from the median, and leaves hold
        weighted medians; medians are no sums, so each examined feature costs
        O(n log n) in a node of n rows instead of O(n): fits are several times slower
        (at 20,000 x 10, 6x for random forests, 3x for extra trees).
    {_PARAMETERS_DOC.strip()}

    Attributes
    ----------
    n_outputs_ : int
    max_features_ : int
        Resolved ``max_features``.
    tree_ : FittedTree
        The node arrays (``feature``, ``threshold``, ``value``, ``left``, ``right``, ...).
    feature_importances_ : ndarray of shape (n_features,)
    n_features_in_, feature_names_in_ : as in scikit-learn

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from ensembles.tree import DecisionTreeRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> tree = DecisionTreeRegressor(max_leaf_nodes=8, random_state=0).fit(X, y)
    >>> tree.get_n_leaves()
    8
    """

    _parameter_constraints = {
        **_BaseDecisionTree._parameter_constraints,
        "criterion": [StrOptions({"squared_error", "friedman_mse", "poisson",
                                    "absolute_error"})],
    }

    def __init__(self, *, criterion="squared_error", splitter="best", max_depth=None,
                 min_samples_split=2, min_samples_leaf=1, min_weight_fraction_leaf=0.0,
                 max_features=None, random_state=None, max_leaf_nodes=None,
                 min_impurity_decrease=0.0, max_bin=256, ccp_alpha=0.0,
                 monotonic_cst=None, categorical_features="from_dtype",
                 max_cat_to_onehot=4, min_data_per_category=5, cat_smooth=10.0):
        self.criterion = criterion
        self.splitter = splitter
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.max_features = max_features
        self.random_state = random_state
        self.max_leaf_nodes = max_leaf_nodes
        self.min_impurity_decrease = min_impurity_decrease
        self.max_bin = max_bin
        self.ccp_alpha = ccp_alpha
        self.monotonic_cst = monotonic_cst
        self.categorical_features = categorical_features
        self.max_cat_to_onehot = max_cat_to_onehot
        self.min_data_per_category = min_data_per_category
        self.cat_smooth = cat_smooth


def _extra_parameters_doc(max_features_default):
    """The parameter list of the extra trees: other defaults for splitter and max_features."""
    return (_PARAMETERS_DOC.strip()
            .replace('{"best", "random"}, default="best"', '{"best", "random"}, default="random"')
            .replace('or None, default=None\n        Features examined',
                     f'or None, default={max_features_default}\n        Features examined'))


class ExtraTreeClassifier(DecisionTreeClassifier):
    __doc__ = f"""An extremely randomized classification tree (one member of extra trees).

    :class:`DecisionTreeClassifier` with scikit-learn's extra-tree defaults:
    ``splitter="random"`` (one random threshold per examined feature, drawn uniformly
    between the node's smallest and largest value) and ``max_features="sqrt"``. Mostly
    useful inside an ensemble, such as :class:`~ensembles.BaggingClassifier`.

    Parameters
    ----------
    criterion : {{"gini", "entropy", "log_loss"}}, default="gini"
        Impurity measure ("log_loss" is the entropy).
    {_extra_parameters_doc('"sqrt"')}
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes ({{label: weight}}), multiplied into ``sample_weight``.

    Attributes
    ----------
    classes_, n_classes_, n_outputs_, max_features_, tree_, feature_importances_
        As in :class:`DecisionTreeClassifier`.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from ensembles.tree import ExtraTreeClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> ExtraTreeClassifier(random_state=0).fit(X, y).score(X, y)
    1.0
    """

    def __init__(self, *, criterion="gini", splitter="random", max_depth=None,
                 min_samples_split=2, min_samples_leaf=1, min_weight_fraction_leaf=0.0,
                 max_features="sqrt", random_state=None, max_leaf_nodes=None,
                 min_impurity_decrease=0.0, class_weight=None, max_bin=256, ccp_alpha=0.0,
                 monotonic_cst=None, categorical_features="from_dtype",
                 max_cat_to_onehot=4, min_data_per_category=5, cat_smooth=10.0):
        super().__init__(
            criterion=criterion, splitter=splitter, max_depth=max_depth,
            min_samples_split=min_samples_split, min_samples_leaf=min_samples_leaf,
            min_weight_fraction_leaf=min_weight_fraction_leaf, max_features=max_features,
            random_state=random_state, max_leaf_nodes=max_leaf_nodes,
            min_impurity_decrease=min_impurity_decrease, class_weight=class_weight,
            max_bin=max_bin, ccp_alpha=ccp_alpha,
            monotonic_cst=monotonic_cst,
            categorical_features=categorical_features, max_cat_to_onehot=max_cat_to_onehot,
            min_data_per_category=min_data_per_category, cat_smooth=cat_smooth)


class ExtraTreeRegressor(DecisionTreeRegressor):
    __doc__ = f"""An extremely randomized regression tree (one member of extra trees).

    :class:`DecisionTreeRegressor` with scikit-learn's extra-tree defaults:
    ``splitter="random"`` (one random threshold per examined feature, drawn uniformly
    between the node's smallest and largest value) and ``max_features=1.0``. Mostly
    useful inside an ensemble, such as :class:`~ensembles.BaggingRegressor`.

    Parameters
    ----------
    criterion : {{"squared_error", "friedman_mse", "poisson", "absolute_error"}}, \
default="squared_error"
        Impurity measure: "squared_error" is variance reduction ("friedman_mse" is the
        same, as in scikit-learn 1.9); "poisson" is the reduction of the Poisson deviance
        (non-negative targets of positive sum; a split may not leave a child of zero
        sum), at the same histogram speed; leaves hold means. "absolute_error" is the
        reduction of the weighted absolute deviation from the median, and leaves hold
        weighted medians; medians are no sums, so each examined feature costs
        O(n log n) in a node of n rows instead of O(n): fits are several times slower
        (at 20,000 x 10, 6x for random forests, 3x for extra trees).
    {_extra_parameters_doc('1.0')}

    Attributes
    ----------
    n_outputs_, max_features_, tree_, feature_importances_
        As in :class:`DecisionTreeRegressor`.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from ensembles.tree import ExtraTreeRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> ExtraTreeRegressor(random_state=0).fit(X, y).get_n_leaves() > 100
    True
    """

    def __init__(self, *, criterion="squared_error", splitter="random", max_depth=None,
                 min_samples_split=2, min_samples_leaf=1, min_weight_fraction_leaf=0.0,
                 max_features=1.0, random_state=None, max_leaf_nodes=None,
                 min_impurity_decrease=0.0, max_bin=256, ccp_alpha=0.0,
                 monotonic_cst=None, categorical_features="from_dtype",
                 max_cat_to_onehot=4, min_data_per_category=5, cat_smooth=10.0):
        super().__init__(
            criterion=criterion, splitter=splitter, max_depth=max_depth,
            min_samples_split=min_samples_split, min_samples_leaf=min_samples_leaf,
            min_weight_fraction_leaf=min_weight_fraction_leaf, max_features=max_features,
            random_state=random_state, max_leaf_nodes=max_leaf_nodes,
            min_impurity_decrease=min_impurity_decrease, max_bin=max_bin,
            ccp_alpha=ccp_alpha, monotonic_cst=monotonic_cst,
            categorical_features=categorical_features, max_cat_to_onehot=max_cat_to_onehot,
            min_data_per_category=min_data_per_category, cat_smooth=cat_smooth)


def export_text(decision_tree, *, feature_names=None, class_names=None, max_depth=10,
                spacing=3, decimals=2, show_weights=False):
    """The rules of a fitted decision tree as indented text, as
    :func:`sklearn.tree.export_text` writes them.

    scikit-learn's function accepts only its own tree classes; this one takes the trees of
    this library (also a forest's ``estimators_[i]``) and scikit-learn's, with the same
    parameters and, for the same tree, the same text. A split on a categorical feature is
    written ``name in {a, b}`` on its left branch and ``name not in {a, b}`` on its right
    one. A multi-output classifier's leaves name one class per output.

    Parameters
    ----------
    decision_tree : fitted tree estimator
        Anything with a fitted ``tree_`` in scikit-learn's layout: the decision and extra
        trees of :mod:`ensembles.tree` and of :mod:`sklearn.tree`.
    feature_names : array-like of shape (n_features,), optional
        Default ``feature_0``, ``feature_1``, ...
    class_names : array-like of shape (n_classes,), optional
        Names of the classes in the order of ``classes_`` (one output only); default
        ``classes_``.
    max_depth : int, default=10
        Levels written; deeper branches are summarized as ``truncated branch of depth d``.
    spacing : int, default=3
        Width of one level of indentation.
    decimals : int, default=2
        Digits after the decimal point of thresholds and values.
    show_weights : bool, default=False
        Write each classification leaf's training weight per class.

    Returns
    -------
    str
        One line per split side and per leaf, depth first, left before right.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from ensembles.tree import DecisionTreeClassifier, export_text
    >>> X, y = load_iris(return_X_y=True)
    >>> tree = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X[:, 3:], y)
    >>> print(export_text(tree, feature_names=["petal width"]), end="")
    |--- petal width <= 0.80
    |   |--- class: 0
    |--- petal width >  0.80
    |   |--- petal width <= 1.75
    |   |   |--- class: 1
    |   |--- petal width >  1.75
    |   |   |--- class: 2
    """
    for name, value, low in (("max_depth", max_depth, 0), ("spacing", spacing, 1),
                             ("decimals", decimals, 0)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must be an integer, got {value!r}.")
        if value < low:
            raise ValueError(f"{name} must be >= {low}, got {value}.")
    tree, leaf_text = _exported_tree(decision_tree, class_names, show_weights, decimals)
    if feature_names is None:
        names = [f"feature_{f}" for f in range(tree.n_features)]
    else:
        names = [str(name) for name in feature_names]
        if len(names) != tree.n_features:
            raise ValueError(f"feature_names must contain {tree.n_features} elements, got "
                             f"{len(names)}.")
    left, right, feature = tree.children_left, tree.children_right, tree.feature
    height = np.ones(tree.node_count, dtype=np.int64)  # levels in each node's subtree
    for node in range(tree.node_count - 1, -1, -1):  # children come after their parent
        if left[node] != -1:
            height[node] = 1 + max(height[left[node]], height[right[node]])
    cat_start = getattr(tree, "cat_start", None)
    categories = getattr(decision_tree, "categories_", None)
    lines = []
    stack = [(0, 1)]  # (node, depth) to write, or the line of a right branch
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            lines.append(item)
            continue
        node, depth = item
        indent = ("|" + " " * spacing) * (depth - 1) + "|" + "-" * spacing
        if left[node] == -1:
            lines.append(f"{indent} {leaf_text(node)}")
        elif depth > max_depth + 1:
            lines.append(f"{indent} truncated branch of depth {height[node]}")
        else:
            name = names[feature[node]]
            if cat_start is not None and cat_start[node] >= 0:
                values = None if categories is None else categories[feature[node]]
                left_set = "{" + ", ".join(
                    str(values[c]) if values is not None and c < len(values) else str(c)
                    for c in tree.left_categories(node)) + "}"
                sides = (f"{name} in {left_set}", f"{name} not in {left_set}")
            else:
                threshold = f"{tree.threshold[node]:.{decimals}f}"
                sides = (f"{name} <= {threshold}", f"{name} >  {threshold}")
            stack += [(right[node], depth + 1), f"{indent} {sides[1]}",
                      (left[node], depth + 1)]
            lines.append(f"{indent} {sides[0]}")
    return "".join(line + "\n" for line in lines)


def plot_tree(decision_tree, *, max_depth=None, feature_names=None, class_names=None,
              label="all", filled=False, impurity=True, node_ids=False, proportion=False,
              rounded=False, precision=3, ax=None, fontsize=None):
    """Draw a fitted decision tree with matplotlib, as :func:`sklearn.tree.plot_tree`
    draws it.

    scikit-learn's function accepts only its own tree classes; this one draws the trees of
    this library (also a forest's ``estimators_[i]``) through scikit-learn's drawing code,
    with the same parameters and the same boxes. A tree with categorical splits is
    refused (scikit-learn's boxes show thresholds only): draw it with
    :func:`ensembles.plotting.plot_tree`. Needs matplotlib.

    Parameters
    ----------
    decision_tree : fitted tree estimator
        The decision and extra trees of :mod:`ensembles.tree` (and of :mod:`sklearn.tree`).
    max_depth : int, optional
        Levels drawn; default all.
    feature_names : array-like of str, optional
        Default ``x[0]``, ``x[1]``, ...
    class_names : array-like of str or bool, optional
        Names of the classes in the order of ``classes_``; True for ``y[0]``, ``y[1]``, ...
    label : {"all", "root", "none"}, default="all"
        Which boxes show what their numbers are.
    filled : bool, default=False
        Colour the boxes by majority class (classification) or by value (regression).
    impurity : bool, default=True
        Show each node's impurity.
    node_ids : bool, default=False
        Show each node's id.
    proportion : bool, default=False
        Show proportions instead of counts.
    rounded : bool, default=False
        Boxes with rounded corners.
    precision : int, default=3
        Digits of the numbers shown.
    ax : matplotlib Axes, optional
        Default the current Axes.
    fontsize : int, optional
        Default fitted to the figure.

    Returns
    -------
    list of matplotlib Annotation
        One box per node drawn.
    """
    tree = _fitted_tree_arrays(decision_tree)
    if getattr(tree, "cat_start", None) is not None:
        raise ValueError("this tree has categorical splits, which scikit-learn's drawing "
                         "cannot show; use ensembles.plotting.plot_tree.")
    from .plotting import _pyplot

    _pyplot()  # a clear error without matplotlib
    exporter = _MPLTreeExporter(
        max_depth=max_depth, feature_names=feature_names, class_names=class_names,
        label=label, filled=filled, impurity=impurity, node_ids=node_ids,
        proportion=proportion, rounded=rounded, precision=precision, fontsize=fontsize)
    return exporter.export(decision_tree, ax=ax)


def _fitted_tree_arrays(decision_tree):
    """``decision_tree``'s ``tree_``, once it is fitted and a single tree."""
    check_is_fitted(decision_tree)
    tree = getattr(decision_tree, "tree_", None)
    if tree is None:
        raise TypeError("decision_tree must be a fitted decision tree (with a tree_; for a "
                        f"forest, one of its estimators_), got {type(decision_tree).__name__}.")
    return tree


def _exported_tree(decision_tree, class_names, show_weights, decimals):
    """``decision_tree``'s fitted ``tree_`` and a function writing a leaf's text (its
    class or values) for :func:`export_text`."""
    tree = _fitted_tree_arrays(decision_tree)
    if not isinstance(show_weights, bool | np.bool_):
        raise TypeError(f"show_weights must be a bool, got {show_weights!r}.")
    value = tree.value

    def numbers_text(row):
        return "[" + ", ".join(f"{v:.{decimals}f}" for v in row) + "]"

    if not is_classifier(decision_tree):
        return tree, lambda node: "value: " + numbers_text(value[node][:, 0])
    classes = decision_tree.classes_
    if tree.n_outputs == 1:
        classes = [classes]
        if class_names is not None:
            if len(class_names) != len(classes[0]):
                raise ValueError(
                    "class_names must hold one name per class of classes_ "
                    f"({len(classes[0])}), got {len(class_names)}.")
            classes = [np.asarray(class_names, dtype=object)]
    elif class_names is not None:
        raise ValueError("class_names is for a tree of one output; this one has "
                         f"{tree.n_outputs}.")
    n_classes = tree.n_classes

    def leaf_text(node):
        chosen = [classes[k][np.argmax(value[node, k, :n_classes[k]])]
                  for k in range(tree.n_outputs)]
        text = "class: " + (str(chosen[0]) if len(chosen) == 1
                            else "[" + ", ".join(str(c) for c in chosen) + "]")
        if not show_weights:
            return text
        weight = tree.weighted_n_node_samples[node]
        counts = [numbers_text(value[node, k, :n_classes[k]] * weight)
                  for k in range(tree.n_outputs)]
        shown = counts[0] if len(counts) == 1 else "[" + ", ".join(counts) + "]"
        return f"weights: {shown} {text}"

    return tree, leaf_text
