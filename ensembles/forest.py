"""Random forests and extra trees grown on the histogram engine, with scikit-learn's API.

Every member is grown by one compiled call (:func:`ensembles._engine.forest.grow_forest_nodes`)
that releases the GIL, so members grow in parallel threads. Each member owns a seed drawn
up front from ``random_state`` (its bootstrap sample, feature sampling and random thresholds
all come from it), so a forest is the same for any ``n_jobs``, and a warm-started forest is
the same as one fitted at once.

A classification forest grows one tree per member that splits on all classes at once (Gini
or entropy of the one-hot label matrix); ``predict_proba`` averages the members' leaf class
frequencies, as scikit-learn does.

Sample weights follow scikit-learn 1.9: with ``bootstrap=True`` rows are drawn with
probabilities proportional to ``sample_weight`` (times the class weights), so integer weights
act like repeated rows; without bootstrap the weights weigh the rows of every tree.
"""

import time
import warnings
from numbers import Integral

import numpy as np
from scipy import sparse
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.validation import check_is_fitted

from ._compat import Interval, RealNotInt, StrOptions
from ._fitstate import fits_aside, reads_snapshot
from ._threads import effective_n_jobs, run_items, seeded_random_state, threads
from ._tree_base import (
    MAX_SEED,
    BaseTreeModel,
    ClassifierTargets,
    RegressorTargets,
    apply_trees_of,
    grow_tree,
    tree_seeds,
)
from .bagging import _MemberSequence
from .tree import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    ExtraTreeClassifier,
    ExtraTreeRegressor,
)

__all__ = [
    "ExtraTreesClassifier",
    "ExtraTreesRegressor",
    "RandomForestClassifier",
    "RandomForestRegressor",
]

# Parameters a member tree shares with its forest.
_MEMBER_PARAMS = (
    "criterion", "max_depth", "min_samples_split", "min_samples_leaf",
    "min_weight_fraction_leaf", "max_features", "max_leaf_nodes", "min_impurity_decrease",
    "max_bin", "ccp_alpha",
)
# Categorical parameters, which the Dask forests' estimators may predate.
_CATEGORICAL_PARAMS = ("categorical_features", "max_cat_to_onehot", "min_data_per_category",
                       "cat_smooth")


def _bootstrap_indices(seed, n_samples, n_draws, weight):
    """Rows drawn with replacement, as scikit-learn draws them for a member of this seed.

    Rows are drawn uniformly, or with probabilities proportional to ``weight`` if given.
    """
    rng = seeded_random_state(seed)
    if weight is None:
        return rng.randint(0, n_samples, n_draws, dtype=np.int32)
    return rng.choice(n_samples, n_draws, replace=True, p=weight / weight.sum())


def _same_labels(a, b):
    """Whether two ``classes_`` (an array, or a list of arrays for several outputs) agree."""
    if isinstance(a, list) or isinstance(b, list):
        return (isinstance(a, list) and isinstance(b, list) and len(a) == len(b)
                and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True)))
    return np.array_equal(a, b)


class _MemberGrower:
    """Grows the member of a seed from the fit's binned data: its bootstrap sample (when
    ``n_draws`` is set), then the tree. A plain picklable object, so that the Dask forests
    can send it to every worker once and grow members there."""

    def __init__(self, X_binned, bin_mapper, Y, weight, params, min_weight_fraction_leaf,
                 codes, bin_value, ccp_alpha, n_draws, balanced_per_tree):
        self.X_binned = X_binned
        self.bin_mapper = bin_mapper
        self.Y = Y
        self.weight = weight
        self.params = params
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.codes = codes
        self.bin_value = bin_value
        self.ccp_alpha = ccp_alpha
        self.n_draws = n_draws
        self.balanced_per_tree = balanced_per_tree
        # Without weights or draws every member grows on unit weights: one array for all
        # (the growth only reads it), made at the first member's growth (not sent to Dask
        # workers with the rest).
        self.unit_weight = None

    def __call__(self, seed):
        n_samples = self.X_binned.shape[0]
        if self.n_draws is not None:
            drawn = _bootstrap_indices(seed, n_samples, self.n_draws, self.weight)
            # Drawing already applied the weights; the tree counts the draws.
            tree_weight = np.bincount(drawn, minlength=n_samples).astype(np.float64)
            if self.balanced_per_tree:
                tree_weight *= compute_sample_weight("balanced", self.codes, indices=drawn)
        else:
            if self.weight is None and self.unit_weight is None:
                self.unit_weight = np.ones(n_samples)  # two threads may both: both ones
            tree_weight = self.unit_weight if self.weight is None else self.weight
        # The growth seed a lone tree of random_state=seed draws (see _members).
        return grow_tree(self.X_binned, self.bin_mapper, self.Y, tree_weight, self.params,
                         self.min_weight_fraction_leaf, tree_seeds(seed)[1], self.codes,
                         self.bin_value, self.ccp_alpha)


class _BaseForest(_MemberSequence, BaseTreeModel):
    """Bootstrap, parallel growth, warm start, out-of-bag estimates of both kinds of forest.

    As scikit-learn's, a fitted forest is the sequence of its members: ``len(forest)``,
    ``forest[i]`` and ``iter(forest)``. Subclasses set ``_splitter`` ("best" or "random")
    and ``_member_class``.
    """

    _parameter_constraints = {
        **BaseTreeModel._parameter_constraints,
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "bootstrap": ["boolean"],
        "oob_score": ["boolean", callable],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "max_samples": [None, Interval(RealNotInt, 0.0, None, closed="neither"),
                        Interval(Integral, 1, None, closed="left")],
    }

    @fits_aside
    def fit(self, X, y, sample_weight=None):
        """Grow the forest (or, with ``warm_start``, add members up to ``n_estimators``).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Numeric features, and categorical ones (see ``categorical_features``);
            NaN marks a missing value.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels of any type (classifiers) or real targets, one or several outputs
            (regressors).
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative row weights; a row of weight 0 is the same as no row.

        Returns
        -------
        self
        """
        self._validate_params()
        if sparse.issparse(y):  # scikit-learn's forests' error (its single trees' differs)
            raise ValueError("sparse multilabel-indicator for y is not supported; pass y "
                             "dense (y.toarray()).")
        if not self.bootstrap and self.max_samples is not None:
            raise ValueError("max_samples needs bootstrap=True; set max_samples=None or "
                             "bootstrap=True.")
        if not self.bootstrap and self.oob_score:
            raise ValueError("oob_score needs bootstrap=True: without bootstrap samples no "
                             "row is out of bag.")
        X, Y, codes, weight = self._validate_training_data(X, y, sample_weight)
        n_samples, n_features = X.shape
        if (self.oob_score and self.n_outputs_ > 1 and hasattr(self, "classes_")
                and max(self.n_classes_) > 2):
            raise ValueError("oob_score supports one output or multilabel targets (two "
                             "classes per output), as scikit-learn does; y has outputs "
                             "with more classes.")

        members = self._kept_members(Y)
        n_more = self.n_estimators - len(members)
        rng = check_random_state(self.random_state)
        bin_seed = rng.randint(MAX_SEED)
        # Skip the seeds of the kept members, so that warm starts give the forest a single
        # fit would have given.
        rng.randint(MAX_SEED, size=len(members))
        seeds = rng.randint(MAX_SEED, size=n_more)

        n_draws = None
        if self.bootstrap:
            n_draws = self.max_samples
            if n_draws is None:
                n_draws = n_samples
            elif not isinstance(n_draws, Integral):
                total = n_samples if weight is None else weight.sum()
                n_draws = max(int(n_draws * total), 1)
                # scikit-learn's warning, at its threshold: a fraction of a small total
                # weight leaves each tree a handful of rows.
                if n_draws < max(10, n_samples ** (1 / 3)):
                    of = ("number of samples" if weight is None
                          else "total sum of sample weights")
                    warnings.warn(f"Using the fractional value max_samples="
                                  f"{self.max_samples!r} when the {of} is {total:g} results "
                                  f"in a low number ({n_draws}) of bootstrap samples. We "
                                  f"recommend passing `max_samples` as an integer instead.",
                                  UserWarning, stacklevel=3)
        params = self._growth_params(n_samples, n_features, self._splitter)
        with threads(self.n_jobs):
            bin_mapper, X_binned = self._bin(X, weight, bin_seed)
            bin_value = self._bin_values(X, X_binned, weight, self._splitter)

        grow = _MemberGrower(X_binned, bin_mapper, Y, weight, params,
                             self.min_weight_fraction_leaf, codes, bin_value, self.ccp_alpha,
                             n_draws if self.bootstrap else None,
                             self._balanced_per_tree())
        trees = self._grow_members(grow, seeds)
        self.estimator_ = self._member_class()  # the unfitted template, as scikit-learn's
        self.estimators_ = members + self._members(trees, seeds)
        self._n_samples = n_samples
        self._n_draws = n_draws
        self._draw_weight = weight

        if not self.oob_score:
            for attr in ("oob_score_", "oob_decision_function_", "oob_prediction_"):
                if hasattr(self, attr):
                    delattr(self, attr)
        elif n_more > 0 or not hasattr(self, "oob_score_"):
            self._set_oob(X, Y, codes)
        return self

    def _grow_members(self, grow, seeds):
        """``[grow(seed) for seed in seeds]``, on ``n_jobs`` threads (the Dask forests
        grow them on the cluster's workers instead)."""
        n_threads = min(effective_n_jobs(self.n_jobs), max(len(seeds), 1))
        verbose = getattr(self, "verbose", 0)  # models saved before it existed lack it

        def grow_member(i):
            if verbose > 1:
                print(f"building tree {i + 1} of {len(seeds)}", flush=True)
            return grow(seeds[i])

        started = time.perf_counter()
        if n_threads <= 1:
            members = [grow_member(i) for i in range(len(seeds))]
        else:
            # On an error or Ctrl-C the trees not started yet are dropped instead of grown.
            members = run_items(grow_member, len(seeds), n_threads)
        if verbose > 0:
            print(f"[{type(self).__name__}] grew {len(seeds)} trees in "
                  f"{time.perf_counter() - started:.2f} s on {n_threads} thread"
                  f"{'s' if n_threads > 1 else ''}", flush=True)
        return members

    def _kept_members(self, Y):
        """The members a warm start keeps (after checking they fit the new targets)."""
        if not self.warm_start or not hasattr(self, "estimators_"):
            return []
        members = list(self.estimators_)
        if members and (members[0].tree_.n_values != Y.shape[1] or not _same_labels(
                getattr(members[0], "classes_", ()), getattr(self, "classes_", ()))):
            # Validating y set the new targets' attributes on the staging copy only (see
            # ensembles._fitstate): the estimator keeps the first fit's.
            raise ValueError(
                f"warm_start=True needs the targets of the first fit: its members predict "
                f"{members[0].tree_.n_values} values (classes or outputs), y has "
                f"{Y.shape[1]}{' or other classes' if hasattr(self, 'classes_') else ''}. "
                f"Fit with warm_start=False to start over.")
        if members and members[0].n_features_in_ != self.n_features_in_:
            # The members' splits name the first fit's columns: on others their walks would
            # read past the end of a row. (Categorical columns keep the first fit's
            # categories: see _fit_categories.)
            raise ValueError(
                f"warm_start=True needs the columns of the first fit: its members were "
                f"fitted on {members[0].n_features_in_} features, X has "
                f"{self.n_features_in_}. Fit with warm_start=False to start over.")
        if self.n_estimators < len(members):
            raise ValueError(f"n_estimators={self.n_estimators} must be larger or equal to "
                             f"len(estimators_)={len(members)} when warm_start=True.")
        if self.n_estimators == len(members):
            warnings.warn("Warm-start fitting without increasing n_estimators does not fit "
                          "new trees.", UserWarning, stacklevel=3)
        return members

    def _members(self, trees, seeds):
        """Fitted member tree estimators around ``trees``, as scikit-learn's forests keep
        (what they share read once: a small tree grows in about the time a member takes
        to make)."""
        params = dict(
            {name: getattr(self, name) for name in _MEMBER_PARAMS},
            # The Dask forests' __init__ predates the parameter: no attribute, no
            # constraints.
            monotonic_cst=getattr(self, "monotonic_cst", None),
            **{name: getattr(self, name) for name in _CATEGORICAL_PARAMS
               if hasattr(self, name)},
            splitter=self._splitter,
        )
        output_classes = self._output_classes()
        fitted = {attr: getattr(self, attr)
                  for attr in ("n_features_in_", "n_outputs_", "max_features_", "classes_",
                               "n_classes_", "is_categorical_", "categories_")
                  if hasattr(self, attr)}
        members = []
        for tree, seed in zip(trees, seeds, strict=True):
            member = self._member_class(**params, random_state=int(seed))
            member.tree_ = tree._with_outputs(output_classes, self.n_features_in_)
            member._seed = int(seed)
            for attr, value in fitted.items():
                setattr(member, attr, value)
            members.append(member)
        return members

    def _set_oob(self, X, Y, codes):
        """Out-of-bag predictions: each row averaged over the members that did not draw it."""
        n_samples = X.shape[0]
        values = np.zeros((n_samples, Y.shape[1]))
        counts = np.zeros(n_samples)
        with threads(self.n_jobs):
            for member in self.estimators_:
                drawn = _bootstrap_indices(member._seed, n_samples, self._n_draws,
                                           self._draw_weight)
                out_of_bag = np.flatnonzero(np.bincount(drawn, minlength=n_samples) == 0)
                part = np.zeros((out_of_bag.size, Y.shape[1]))
                member.tree_.add_values(X[out_of_bag], part)
                values[out_of_bag] += part
                counts[out_of_bag] += 1
        if np.any(counts == 0):
            warnings.warn("Some inputs do not have OOB scores. This probably means too few "
                          "trees were used to compute any reliable OOB estimates; their "
                          "out-of-bag predictions are 0.", UserWarning, stacklevel=3)
        values /= np.maximum(counts, 1)[:, None]
        self._oob_result(values, Y, codes)

    def _balanced_per_tree(self):
        return self.bootstrap and getattr(self, "class_weight", None) == "balanced_subsample"

    # ------------------------------------------------------------------ model access
    def _trees(self):
        return [member.tree_ for member in self.estimators_]

    def _tree_seeds(self):
        return [member._seed for member in self.estimators_]

    def _restore(self, trees, seeds):
        for attr in ("_n_samples", "_n_draws", "_draw_weight"):
            self.__dict__.pop(attr, None)
        self.estimator_ = self._member_class()
        self.estimators_ = self._members(trees, seeds)

    def _predict_values(self, X):
        X = self._validate_X_predict(X)
        with threads(self.n_jobs):
            return self._mean_values(X)

    @reads_snapshot
    def apply(self, X):
        """Index of the leaf each row ends up in, in every member.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)

        Returns
        -------
        leaves : ndarray of int32, shape (n_samples, n_estimators)
            Node ids into the arrays of each member's ``tree_``.
        """
        X = self._validate_X_predict(X)
        with threads(self.n_jobs):
            return apply_trees_of(self._trees(), X)

    def decision_path(self, X):
        """The nodes each row passes through in every member, from the root to its leaf.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)

        Returns
        -------
        indicator : sparse matrix of shape (n_samples, n_nodes)
            CSR matrix whose nonzero entries (all 1) mark the nodes of each row's paths;
            the columns of member ``i`` are ``n_nodes_ptr[i]:n_nodes_ptr[i + 1]``.
        n_nodes_ptr : ndarray of shape (n_estimators + 1,)
            Where each member's columns start.
        """
        X = self._validate_X_predict(X)
        with threads(self.n_jobs):
            indicators = [member.tree_.decision_path(X) for member in self.estimators_]
        n_nodes_ptr = np.zeros(len(indicators) + 1, dtype=np.int64)
        np.cumsum([ind.shape[1] for ind in indicators], out=n_nodes_ptr[1:])
        return sparse.hstack(indicators, format="csr"), n_nodes_ptr

    @property
    def feature_importances_(self):
        """ndarray of shape (n_features,): the members' normalized impurity decreases,
        averaged over the members that split at all and normalized to sum to 1."""
        check_is_fitted(self)
        per_tree = [tree.importances(self.n_features_in_) for tree in self._trees()
                    if tree.n_nodes > 1]
        if not per_tree:
            return np.zeros(self.n_features_in_)
        mean = np.mean(per_tree, axis=0)
        return mean / mean.sum()

    @property
    def estimators_samples_(self):
        """list of ndarray: the rows drawn (with repeats) for each member; all rows without
        bootstrap. Only available on a forest fitted in this session (not loaded)."""
        check_is_fitted(self)
        if not hasattr(self, "_n_samples"):
            raise AttributeError("estimators_samples_ is not stored in model files; it is "
                                 "only available after fit.")
        if not self.bootstrap:
            return [np.arange(self._n_samples, dtype=np.int32) for _ in self.estimators_]
        return [_bootstrap_indices(m._seed, self._n_samples, self._n_draws, self._draw_weight)
                for m in self.estimators_]


class _ForestClassifier(ClassifierMixin, ClassifierTargets, _BaseForest):
    _member_class = DecisionTreeClassifier
    _parameter_constraints = {
        **_BaseForest._parameter_constraints,
        "criterion": [StrOptions({"gini", "entropy", "log_loss"})],
        "class_weight": [StrOptions({"balanced", "balanced_subsample"}), dict, list, None],
    }


class _ForestRegressor(RegressorMixin, RegressorTargets, _BaseForest):
    _member_class = DecisionTreeRegressor
    _parameter_constraints = {
        **_BaseForest._parameter_constraints,
        "criterion": [StrOptions({"squared_error", "friedman_mse", "poisson",
                                    "absolute_error"})],
    }


_SHARED_PARAMETERS_DOC = """
    max_depth : int, default=None
        Maximum depth of each tree; None grows until the leaves are pure or other limits
        stop it.
    min_samples_split : int or float, default=2
        Minimum number of (distinct, in-bag) rows a node needs to be split; a float is a
        fraction of the training rows, rounded up.
    min_samples_leaf : int or float, default=1
        Minimum number of rows in each child of a split (a float is a fraction).
    min_weight_fraction_leaf : float, default=0.0
        Minimum weight of each child, as a fraction of the tree's total weight.
    max_leaf_nodes : int, default=None
        Grow best-first with at most this many leaves per tree; None means unlimited.
    min_impurity_decrease : float, default=0.0
        A split must decrease the weighted impurity by at least this much, relative to
        the tree's total weight.
    max_samples : int or float, default=None
        With bootstrap, rows drawn per tree: None draws ``n_samples``, an int that many, a
        float that fraction of ``n_samples`` (of the total weight, with sample weights).
    n_jobs : int, default=None
        Threads growing the trees and predicting; -1 uses all cores, and None the
        ``n_jobs`` of an enclosing ``joblib.parallel_config``, else ``OMP_NUM_THREADS``,
        else all cores. The forest does not depend on it.
    random_state : int, RandomState or None, default=None
        Seed of the members' seeds (bootstrap samples, feature sampling, random
        thresholds) and of the binning subsample.
    verbose : int, default=0
        1 prints a line when the members are grown (how many, in how long, on how many
        threads); 2 and more also a line as each member starts ("building tree 3 of
        100", as scikit-learn's forests print).
    warm_start : bool, default=False
        Keep the fitted members and add new ones up to ``n_estimators``.
    max_bin : int, default=256
        Maximum number of bins per feature (2 to 256; at most 255 value bins, NaN has its
        own). Features with fewer distinct values keep exact thresholds.
    ccp_alpha : float, default=0.0
        Complexity parameter of minimal cost-complexity pruning, applied to each member
        after it is grown (on its own bootstrap sample); 0 prunes nothing.
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

_CLASSIFIER_DOC = """
    Parameters
    ----------
    n_estimators : int, default=100
        Number of trees.
    criterion : {{"gini", "entropy", "log_loss"}}, default="gini"
        Impurity measure ("log_loss" is the entropy).
    max_features : int, float, {{"sqrt", "log2"}} or None, default="sqrt"
        Features examined per node (more while all examined are constant in it); None
        means all, a float a fraction of them.
    bootstrap : bool, default={bootstrap}
        Grow each tree on a bootstrap sample (rows drawn with replacement).
    oob_score : bool or callable, default=False
        Estimate the accuracy on the out-of-bag rows (bootstrap only); a callable
        ``score(y_true, y_pred)`` is given label codes (indices into ``classes_``).
    class_weight : dict, "balanced", "balanced_subsample" or None, default=None
        Class weights multiplied into ``sample_weight``; "balanced" weighs classes
        inversely to their frequency, "balanced_subsample" does so on each tree's
        bootstrap sample.
    {shared}
    Attributes
    ----------
    estimator_ : DecisionTreeClassifier or ExtraTreeClassifier
        The members' class with its default parameters, unfitted (scikit-learn's template;
        the members carry the forest's tree parameters).
    estimators_ : list of DecisionTreeClassifier or ExtraTreeClassifier
        The fitted members; ``estimators_[i].tree_`` holds the node arrays.
    classes_ : ndarray of shape (n_classes,), or a list of them
        Class labels (any type); with several outputs (a 2-d ``y``), one array per
        output.
    n_classes_ : int or list of int
    n_outputs_ : int
        Number of outputs (columns of ``y``); several are fitted by one tree whose leaves
        hold every output's class frequencies.
    max_features_ : int
        Resolved ``max_features``.
    feature_importances_ : ndarray of shape (n_features,)
        Impurity-based importances, normalized.
    oob_score_ : float
        Out-of-bag accuracy (or the ``oob_score`` callable's value).
    oob_decision_function_ : ndarray of shape (n_samples, n_classes)
        Out-of-bag class probabilities of the training rows.
    estimators_samples_ : list of ndarray
        Rows drawn for each member.
    n_features_in_, feature_names_in_ : as in scikit-learn
"""

_REGRESSOR_DOC = """
    Parameters
    ----------
    n_estimators : int, default=100
        Number of trees.
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
    max_features : int, float, {{"sqrt", "log2"}} or None, default=1.0
        Features examined per node (more while all examined are constant in it); None or 1.0
        means all, a float a fraction of them.
    bootstrap : bool, default={bootstrap}
        Grow each tree on a bootstrap sample (rows drawn with replacement).
    oob_score : bool or callable, default=False
        Estimate the R^2 on the out-of-bag rows (bootstrap only), or the callable
        ``score(y_true, y_pred)``.
    {shared}
    Attributes
    ----------
    estimator_ : DecisionTreeRegressor or ExtraTreeRegressor
        The members' class with its default parameters, unfitted (scikit-learn's template;
        the members carry the forest's tree parameters).
    estimators_ : list of DecisionTreeRegressor or ExtraTreeRegressor
        The fitted members; ``estimators_[i].tree_`` holds the node arrays.
    n_outputs_ : int
    max_features_ : int
        Resolved ``max_features``.
    feature_importances_ : ndarray of shape (n_features,)
        Impurity-based importances, normalized.
    oob_score_ : float
        Out-of-bag R^2 (or the ``oob_score`` callable's value).
    oob_prediction_ : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        Out-of-bag predictions of the training rows.
    estimators_samples_ : list of ndarray
        Rows drawn for each member.
    n_features_in_, feature_names_in_ : as in scikit-learn
"""


def _doc(summary, template, bootstrap, example):
    body = template.format(bootstrap=bootstrap, shared=_SHARED_PARAMETERS_DOC.strip() + "\n")
    return f"{summary}\n{body}\n    Examples\n    --------\n{example}"


class RandomForestClassifier(_ForestClassifier):
    __doc__ = _doc(
        """A random forest classifier grown on binned features.

    Each member is a tree grown on a bootstrap sample that examines ``max_features``
    random features per node and tries all their bin boundaries; predictions average the
    members' leaf class frequencies.
""", _CLASSIFIER_DOC, "True", """\
    >>> from sklearn.datasets import load_breast_cancer
    >>> from ensembles.forest import RandomForestClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> forest = RandomForestClassifier(n_estimators=20, oob_score=True, random_state=0)
    >>> forest.fit(X, y).oob_score_ > 0.9
    True
""")
    _splitter = "best"

    def __init__(self, n_estimators=100, *, criterion="gini", max_depth=None,
                 min_samples_split=2, min_samples_leaf=1, min_weight_fraction_leaf=0.0,
                 max_features="sqrt", max_leaf_nodes=None, min_impurity_decrease=0.0,
                 bootstrap=True, oob_score=False, n_jobs=None, random_state=None,
                 verbose=0, warm_start=False, class_weight=None, max_samples=None, max_bin=256,
                 ccp_alpha=0.0, monotonic_cst=None, categorical_features="from_dtype",
                 max_cat_to_onehot=4, min_data_per_category=5, cat_smooth=10.0):
        self.n_estimators = n_estimators
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.max_features = max_features
        self.max_leaf_nodes = max_leaf_nodes
        self.min_impurity_decrease = min_impurity_decrease
        self.bootstrap = bootstrap
        self.oob_score = oob_score
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.class_weight = class_weight
        self.max_samples = max_samples
        self.max_bin = max_bin
        self.ccp_alpha = ccp_alpha
        self.monotonic_cst = monotonic_cst
        self.categorical_features = categorical_features
        self.max_cat_to_onehot = max_cat_to_onehot
        self.min_data_per_category = min_data_per_category
        self.cat_smooth = cat_smooth


class ExtraTreesClassifier(_ForestClassifier):
    __doc__ = _doc(
        """An extremely randomized trees classifier grown on binned features.

    Each member examines ``max_features`` random features per node and draws one random
    threshold for each (uniformly between the node's smallest and largest value), keeping
    the best of those; by default every member sees all rows.
""", _CLASSIFIER_DOC, "False", """\
    >>> from sklearn.datasets import load_breast_cancer
    >>> from ensembles.forest import ExtraTreesClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> forest = ExtraTreesClassifier(n_estimators=20, random_state=0).fit(X, y)
    >>> len(forest.estimators_)
    20
""")
    _splitter = "random"
    _member_class = ExtraTreeClassifier

    def __init__(self, n_estimators=100, *, criterion="gini", max_depth=None,
                 min_samples_split=2, min_samples_leaf=1, min_weight_fraction_leaf=0.0,
                 max_features="sqrt", max_leaf_nodes=None, min_impurity_decrease=0.0,
                 bootstrap=False, oob_score=False, n_jobs=None, random_state=None,
                 verbose=0, warm_start=False, class_weight=None, max_samples=None, max_bin=256,
                 ccp_alpha=0.0, monotonic_cst=None, categorical_features="from_dtype",
                 max_cat_to_onehot=4, min_data_per_category=5, cat_smooth=10.0):
        self.n_estimators = n_estimators
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.max_features = max_features
        self.max_leaf_nodes = max_leaf_nodes
        self.min_impurity_decrease = min_impurity_decrease
        self.bootstrap = bootstrap
        self.oob_score = oob_score
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.class_weight = class_weight
        self.max_samples = max_samples
        self.max_bin = max_bin
        self.ccp_alpha = ccp_alpha
        self.monotonic_cst = monotonic_cst
        self.categorical_features = categorical_features
        self.max_cat_to_onehot = max_cat_to_onehot
        self.min_data_per_category = min_data_per_category
        self.cat_smooth = cat_smooth


class RandomForestRegressor(_ForestRegressor):
    __doc__ = _doc(
        """A random forest regressor grown on binned features.

    Each member is a tree grown on a bootstrap sample that examines ``max_features``
    random features per node (all of them by default) and tries all their bin
    boundaries; predictions average the members' leaf means.
""", _REGRESSOR_DOC, "True", """\
    >>> from sklearn.datasets import load_diabetes
    >>> from ensembles.forest import RandomForestRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> forest = RandomForestRegressor(n_estimators=20, random_state=0).fit(X, y)
    >>> forest.predict(X[:2]).shape
    (2,)
""")
    _splitter = "best"

    def __init__(self, n_estimators=100, *, criterion="squared_error", max_depth=None,
                 min_samples_split=2, min_samples_leaf=1, min_weight_fraction_leaf=0.0,
                 max_features=1.0, max_leaf_nodes=None, min_impurity_decrease=0.0,
                 bootstrap=True, oob_score=False, n_jobs=None, random_state=None,
                 verbose=0, warm_start=False, max_samples=None, max_bin=256, ccp_alpha=0.0,
                 monotonic_cst=None, categorical_features="from_dtype",
                 max_cat_to_onehot=4, min_data_per_category=5, cat_smooth=10.0):
        self.n_estimators = n_estimators
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.max_features = max_features
        self.max_leaf_nodes = max_leaf_nodes
        self.min_impurity_decrease = min_impurity_decrease
        self.bootstrap = bootstrap
        self.oob_score = oob_score
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.max_samples = max_samples
        self.max_bin = max_bin
        self.ccp_alpha = ccp_alpha
        self.monotonic_cst = monotonic_cst
        self.categorical_features = categorical_features
        self.max_cat_to_onehot = max_cat_to_onehot
        self.min_data_per_category = min_data_per_category
        self.cat_smooth = cat_smooth


class ExtraTreesRegressor(_ForestRegressor):
    __doc__ = _doc(
        """An extremely randomized trees regressor grown on binned features.

    Each member examines ``max_features`` random features per node and draws one random
    threshold for each (uniformly between the node's smallest and largest value), keeping
    the best of those; by default every member sees all rows.
""", _REGRESSOR_DOC, "False", """\
    >>> from sklearn.datasets import load_diabetes
    >>> from ensembles.forest import ExtraTreesRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> forest = ExtraTreesRegressor(n_estimators=20, random_state=0).fit(X, y)
    >>> forest.score(X, y) > 0.9
    True
""")
    _splitter = "random"
    _member_class = ExtraTreeRegressor

    def __init__(self, n_estimators=100, *, criterion="squared_error", max_depth=None,
                 min_samples_split=2, min_samples_leaf=1, min_weight_fraction_leaf=0.0,
                 max_features=1.0, max_leaf_nodes=None, min_impurity_decrease=0.0,
                 bootstrap=False, oob_score=False, n_jobs=None, random_state=None,
                 verbose=0, warm_start=False, max_samples=None, max_bin=256, ccp_alpha=0.0,
                 monotonic_cst=None, categorical_features="from_dtype",
                 max_cat_to_onehot=4, min_data_per_category=5, cat_smooth=10.0):
        self.n_estimators = n_estimators
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.max_features = max_features
        self.max_leaf_nodes = max_leaf_nodes
        self.min_impurity_decrease = min_impurity_decrease
        self.bootstrap = bootstrap
        self.oob_score = oob_score
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.max_samples = max_samples
        self.max_bin = max_bin
        self.ccp_alpha = ccp_alpha
        self.monotonic_cst = monotonic_cst
        self.categorical_features = categorical_features
        self.max_cat_to_onehot = max_cat_to_onehot
        self.min_data_per_category = min_data_per_category
        self.cat_smooth = cat_smooth
