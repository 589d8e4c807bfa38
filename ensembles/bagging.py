"""Bagging: bootstrap aggregation around any scikit-learn estimator.

Every member is fitted on its own random draw of rows (with or without replacement) and,
optionally, of columns; the members' outputs are then averaged: class probabilities (or
votes, for members without ``predict_proba``) for classification, predictions for
regression.

A member's draws are a pure function of its seed, so the ensemble is the same whatever
``n_jobs`` is, ``warm_start`` appends exactly the members a single larger fit would have
grown, and the in-bag rows need not be stored: out-of-bag estimates and
``estimators_samples_`` redraw them from the seeds.
"""

import numbers
import warnings

import numpy as np
from joblib import effective_n_jobs
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils import check_random_state, column_or_1d, get_tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted, has_fit_parameter, validate_data

from ensembles._fitstate import fits_aside, reads_snapshot
from ensembles.tree import DecisionTreeClassifier, DecisionTreeRegressor

__all__ = ["BaggingClassifier", "BaggingRegressor"]

_MAX_SEED = np.iinfo(np.int32).max


def _default_tree(task, max_depth=None):
    """Return the default member, a decision tree for ``task``.

    Parameters
    ----------
    task : {"classification", "regression"}
        Which kind of tree to build.
    max_depth : int or None, default=None
        Depth limit of the tree.

    Returns
    -------
    estimator : estimator instance
        An unfitted decision tree.
    """
    tree = DecisionTreeClassifier if task == "classification" else DecisionTreeRegressor
    return tree(max_depth=max_depth)


def _seed_estimator(estimator, rng):
    """Fix every ``random_state`` parameter of ``estimator``, nested ones included.

    The keys are visited in sorted order so that the seeds depend on ``rng`` alone.
    """
    keys = sorted(
        key
        for key in estimator.get_params(deep=True)
        if key == "random_state" or key.endswith("__random_state")
    )
    if keys:
        estimator.set_params(**{key: int(rng.randint(_MAX_SEED)) for key in keys})


def _is_bool(value):
    return isinstance(value, (bool, np.bool_))


def _is_int(value):
    return isinstance(value, numbers.Integral) and not _is_bool(value)


def _resolve_count(value, name, total, *, allow_none):
    """Turn an int count or a float fraction of ``total`` into a count of at least one."""
    if value is None and allow_none:
        return total
    if _is_int(value):
        if value < 1:
            raise ValueError(f"{name} must be at least 1 when it is an int; got {value}.")
        return int(value)
    if isinstance(value, numbers.Real) and not _is_bool(value):
        if not 0.0 < value <= 1.0:
            raise ValueError(f"{name} must be in (0, 1] when it is a float; got {value}.")
        return max(1, int(value * total))
    accepted = "an int >= 1 or a float in (0, 1]"
    if allow_none:
        accepted = "None, " + accepted
    raise TypeError(f"{name} must be {accepted}; got {value!r}.")


def _check_sample_weight(sample_weight, n_samples):
    """Validate ``sample_weight`` as finite, non-negative weights with a positive sum."""
    if sample_weight is None:
        return None
    try:
        weight = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError("sample_weight must be an array-like of numbers.") from exc
    if weight.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must be a 1-D array of shape ({n_samples},), one weight per "
            f"sample; got shape {weight.shape}."
        )
    if not np.all(np.isfinite(weight)) or np.any(weight < 0):
        raise ValueError("sample_weight must hold finite, non-negative numbers.")
    if weight.sum() <= 0:
        raise ValueError("sample_weight must not be all zeros: its sum must be positive.")
    return weight


def _draw(seed, n_samples, n_features, n_draw, max_features, bootstrap, bootstrap_features,
          p):
    """Draw one member's columns and rows from its seed.

    Returns the column indices, the drawn row indices (repeated where drawn more than
    once) and the generator, positioned after the draws, for seeding the member itself.
    """
    rng = np.random.RandomState(seed)
    if bootstrap_features:
        features = rng.randint(0, n_features, max_features)
    elif max_features == n_features:
        features = np.arange(n_features)
    else:
        # Sorted, so a member sees its columns in the order of X.
        features = np.sort(rng.choice(n_features, max_features, replace=False))
    if p is not None:
        rows = rng.choice(n_samples, n_draw, replace=bootstrap, p=p)
    elif bootstrap:
        rows = rng.randint(0, n_samples, n_draw)
    else:
        rows = rng.choice(n_samples, n_draw, replace=False)
    return features, rows, rng


def _same_sampling(old, new):
    """Whether two sampling descriptions draw the same rows and columns from a seed."""
    if (old["p"] is None) != (new["p"] is None):
        return False
    if old["p"] is not None and not np.array_equal(old["p"], new["p"]):
        return False
    return all(old[key] == new[key] for key in old if key != "p")


def _take(X, rows, features):
    """``X[rows][:, features]`` for arrays and sparse matrices; ``rows=None`` keeps all.

    Skips the copies of a full column selection, the common case.
    """
    if rows is not None:
        X = X[rows]
    if len(features) == X.shape[1] and np.array_equal(features, np.arange(X.shape[1])):
        return X
    return X[:, features]


def _fit_members(base, X, y, sample_weight, seeds, sampling, pass_weight):
    """Fit one batch of members, one per seed."""
    members, member_features = [], []
    for seed in seeds:
        features, rows, rng = _draw(seed, **sampling)
        member = clone(base)
        _seed_estimator(member, rng)
        if pass_weight:
            # Draw counts as weights on the distinct rows: the same fit as repeating the
            # rows for an estimator that honours sample_weight, with less data copied.
            counts = np.bincount(rows, minlength=X.shape[0])
            kept = np.flatnonzero(counts)
            weight = counts[kept].astype(np.float64)
            if sample_weight is not None:
                weight *= sample_weight[kept]
            member.fit(_take(X, kept, features), y[kept], sample_weight=weight)
        else:
            member.fit(_take(X, rows, features), y[rows])
        members.append(member)
        member_features.append(features)
    return members, member_features


def _sum_outputs(member_output, members, features, X):
    """Sum ``member_output(member, X_member)`` over one batch of members."""
    return sum(
        member_output(member, _take(X, None, cols))
        for member, cols in zip(members, features, strict=True)
    )


def _member_predict(member, X):
    return member.predict(X)


def _batches(n_items, n_jobs):
    """Split ``range(n_items)`` into at most ``effective_n_jobs(n_jobs)`` contiguous slices."""
    n_batches = max(1, min(effective_n_jobs(n_jobs), n_items))
    bounds = np.linspace(0, n_items, n_batches + 1).astype(int)
    return [slice(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]


class _BaseBagging(BaseEstimator):
    """Fitting, sampling and out-of-bag logic shared by the bagging estimators."""

    _task = None

    def __init__(
        self,
        estimator=None,
        n_estimators=10,
        *,
        max_samples=None,
        max_features=1.0,
        bootstrap=True,
        bootstrap_features=False,
        oob_score=False,
        warm_start=False,
        n_jobs=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.max_features = max_features
        self.bootstrap = bootstrap
        self.bootstrap_features = bootstrap_features
        self.oob_score = oob_score
        self.warm_start = warm_start
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _base_estimator(self):
        return _default_tree(self._task) if self.estimator is None else self.estimator

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        base = self._base_estimator()
        if not hasattr(base, "__sklearn_tags__"):
            return tags  # not an estimator: fit will say so
        base_tags = get_tags(base)
        # Rows and columns are only indexed, so the ensemble takes what its members take.
        tags.input_tags.sparse = base_tags.input_tags.sparse
        tags.input_tags.allow_nan = base_tags.input_tags.allow_nan
        return tags

    def _validate_data(self, X, y, **kwargs):
        """Validate X and y; a warm start must see as many features as the first fit."""
        return validate_data(
            self, X, y, accept_sparse=["csr", "csc"], dtype=None, ensure_all_finite=False,
            reset=not (self.warm_start and hasattr(self, "estimators_")), **kwargs,
        )

    def _check_params(self, n_samples, n_features):
        """Check the hyper-parameters and resolve the row and column counts."""
        base = self._base_estimator()
        if not (hasattr(base, "fit") and hasattr(base, "predict")):
            raise TypeError(
                "estimator must be None or an estimator with fit and predict methods; "
                f"got {base!r}."
            )
        if not _is_int(self.n_estimators):
            raise TypeError(f"n_estimators must be an int; got {self.n_estimators!r}.")
        if self.n_estimators < 1:
            raise ValueError(f"n_estimators must be at least 1; got {self.n_estimators}.")
        for name in ("bootstrap", "bootstrap_features", "oob_score", "warm_start"):
            if not _is_bool(getattr(self, name)):
                raise TypeError(f"{name} must be a bool; got {getattr(self, name)!r}.")
        if self.n_jobs is not None and not _is_int(self.n_jobs):
            raise TypeError(f"n_jobs must be None or an int; got {self.n_jobs!r}.")
        n_draw = _resolve_count(self.max_samples, "max_samples", n_samples, allow_none=True)
        if not self.bootstrap and n_draw > n_samples:
            raise ValueError(
                f"max_samples={self.max_samples} asks for {n_draw} rows, more than the "
                f"{n_samples} that can be drawn without replacement (bootstrap=False)."
            )
        max_features = _resolve_count(
            self.max_features, "max_features", n_features, allow_none=False
        )
        if max_features > n_features:
            raise ValueError(
                f"max_features={self.max_features} exceeds the {n_features} features of X."
            )
        if self.oob_score and not self.bootstrap:
            raise ValueError("oob_score=True needs bootstrap=True.")
        return clone(base), n_draw, max_features

    def _fit(self, X, y, sample_weight):
        n_samples, n_features = X.shape
        base, n_draw, max_features = self._check_params(n_samples, n_features)
        sample_weight = _check_sample_weight(sample_weight, n_samples)
        pass_weight = has_fit_parameter(base, "sample_weight")
        if sample_weight is not None and not pass_weight and not self.bootstrap:
            raise ValueError(
                f"{type(base).__name__}.fit takes no sample_weight, so the weights can act "
                "only through weighted resampling, which needs bootstrap=True."
            )
        # Weights reach a member through its fit or, if it takes none, through rows
        # drawn with probability proportional to their weight.
        p = None if pass_weight or sample_weight is None else sample_weight / sample_weight.sum()
        sampling = dict(
            n_samples=n_samples,
            n_features=n_features,
            n_draw=n_draw,
            max_features=max_features,
            bootstrap=self.bootstrap,
            bootstrap_features=self.bootstrap_features,
            p=p,
        )

        estimators, features, old_seeds = [], [], np.empty(0, dtype=np.int64)
        if self.warm_start and hasattr(self, "estimators_"):
            if self.n_estimators < len(self.estimators_):
                raise ValueError(
                    f"n_estimators={self.n_estimators} must be at least the "
                    f"{len(self.estimators_)} members already fitted when warm_start=True."
                )
            if not _same_sampling(self._sampling, sampling):
                # The old members' draws are replayed from this description (OOB rows,
                # estimators_samples_), so it must not change under them.
                raise ValueError(
                    "warm_start=True needs the same number of rows, sample_weight mode and "
                    "sampling parameters as the previous fit; set warm_start=False to refit."
                )
            if self.n_estimators == len(self.estimators_):
                warnings.warn(
                    "warm_start=True with n_estimators unchanged adds no member.",
                    UserWarning,
                    stacklevel=3,
                )
                return self
            estimators, features = list(self.estimators_), list(self.estimators_features_)
            old_seeds = self._seeds

        # Drawing every seed, old ones included, makes a warm-started ensemble equal to
        # one grown in a single fit with the same random_state.
        seeds = check_random_state(self.random_state).randint(_MAX_SEED, size=self.n_estimators)
        new_seeds = seeds[len(estimators):]
        # Threads share X without copying it, and tree members release the GIL.
        results = Parallel(n_jobs=self.n_jobs, prefer="threads")(
            delayed(_fit_members)(
                base, X, y, sample_weight, new_seeds[part], sampling, pass_weight
            )
            for part in _batches(len(new_seeds), self.n_jobs)
        )
        for batch_members, batch_features in results:
            estimators += batch_members
            features += batch_features

        self.estimator_ = base
        self.estimators_ = estimators
        self.estimators_features_ = features
        self._seeds = np.concatenate([old_seeds, new_seeds])
        self._sampling = sampling
        for name in ("oob_score_", "oob_decision_function_", "oob_prediction_"):
            self.__dict__.pop(name, None)
        if self.oob_score:
            self._set_oob(X, y)
        return self

    @property
    def estimators_samples_(self):
        """list of ndarray: the rows each member drew, repeated as drawn.

        Redrawn from the members' seeds on each access rather than stored.
        """
        check_is_fitted(self)
        return [_draw(seed, **self._sampling)[1] for seed in self._seeds]

    def _oob_masks(self):
        """Yield, member by member, the mask of the training rows it did not draw."""
        for rows in self.estimators_samples_:
            mask = np.ones(self._sampling["n_samples"], dtype=bool)
            mask[rows] = False
            yield mask

    def _mean_over_members(self, X, member_output):
        """Mean of ``member_output(member, X_member)`` over the members."""
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse=["csr", "csc"], dtype=None, ensure_all_finite=False,
            reset=False,
        )

        totals = Parallel(n_jobs=self.n_jobs, prefer="threads")(
            delayed(_sum_outputs)(
                member_output, self.estimators_[part], self.estimators_features_[part], X
            )
            for part in _batches(len(self.estimators_), self.n_jobs)
        )
        return sum(totals) / len(self.estimators_)

    def _oob_rows(self, covered):
        """Warn about rows without an out-of-bag prediction; say whether any row has one."""
        if not covered.all():
            warnings.warn(
                f"{np.sum(~covered)} of the {covered.size} training rows were drawn by every "
                "member, so they have no out-of-bag prediction and are left out of "
                "oob_score_; use more estimators for a reliable estimate.",
                UserWarning,
                stacklevel=4,
            )
        return covered.any()


class BaggingClassifier(ClassifierMixin, _BaseBagging):
    """Bagging classifier: members fitted on random draws of rows and columns.

    The prediction is the class with the highest mean member probability; members
    without ``predict_proba`` vote instead, each vote counting as a one-hot probability.

    Parameters
    ----------
    estimator : estimator instance or None, default=None
        The classifier cloned and fitted on each draw; it needs ``fit`` and ``predict``.
        None means a decision tree.
    n_estimators : int, default=10
        Number of members.
    max_samples : int, float or None, default=None
        Rows drawn for each member: None means ``n_samples``, an int that many rows, a
        float in (0, 1] that fraction of ``n_samples`` (at least one).
    max_features : int or float, default=1.0
        Columns drawn for each member: an int that many, a float in (0, 1] that fraction
        of ``n_features_in_`` (at least one).
    bootstrap : bool, default=True
        Whether rows are drawn with replacement.
    bootstrap_features : bool, default=False
        Whether columns are drawn with replacement.
    oob_score : bool, default=False
        Whether to measure the accuracy on the rows each member did not draw. Needs
        ``bootstrap=True``.
    warm_start : bool, default=False
        Whether ``fit`` keeps the fitted members and only adds new ones up to
        ``n_estimators``. With an int ``random_state`` the result equals a single fit with
        the final ``n_estimators``. Needs the same rows and sampling parameters.
    n_jobs : int or None, default=None
        Number of joblib workers (threads unless a ``joblib.parallel_config`` says
        otherwise) for fitting and prediction; None means 1, -1 all cores. The model does
        not depend on it.
    random_state : int, RandomState instance or None, default=None
        Seeds the draws of rows and columns and the members' own ``random_state``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_classes_ : int
        Number of classes.
    estimator_ : estimator instance
        The unfitted template cloned for every member.
    estimators_ : list of estimators
        The fitted members; they were fitted on class codes ``0 .. n_classes_ - 1``.
    estimators_features_ : list of ndarray
        The columns each member was fitted on.
    estimators_samples_ : list of ndarray
        The rows each member drew, repeated as drawn.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names seen in ``fit``, when X had string column names.
    oob_score_ : float
        Out-of-bag accuracy over the rows that some member did not draw; only with
        ``oob_score=True``.
    oob_decision_function_ : ndarray of shape (n_samples, n_classes)
        Mean out-of-bag class probabilities of the training rows; NaN for rows that every
        member drew. Only with ``oob_score=True``.

    See Also
    --------
    BaggingRegressor : The regression counterpart.
    sklearn.ensemble.BaggingClassifier : scikit-learn's estimator with these parameters.

    Notes
    -----
    ``sample_weight`` reaches a member whose ``fit`` takes it as the weight times the
    number of times the row was drawn. Members without it get rows drawn with probability
    proportional to their weight instead.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from ensembles.bagging import BaggingClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = BaggingClassifier(n_estimators=20, oob_score=True, random_state=0).fit(X, y)
    >>> bool(clf.oob_score_ > 0.9)
    True
    """

    _task = "classification"

    @fits_aside
    def fit(self, X, y, sample_weight=None):
        """Fit the members on random draws of (X, y).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; sparse input only if the members accept it.
        y : array-like of shape (n_samples,)
            Class labels of any type.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights (see Notes).

        Returns
        -------
        self : BaggingClassifier
            The fitted ensemble.
        """
        X, y = self._validate_data(X, y)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        classes, codes = np.unique(y, return_inverse=True)
        if (
            self.warm_start
            and hasattr(self, "estimators_")
            and not np.array_equal(classes, self.classes_)
        ):
            raise ValueError(
                "warm_start=True needs the classes of the previous fit, "
                f"{self.classes_.tolist()}; got {classes.tolist()}."
            )
        self.classes_ = classes
        self.n_classes_ = len(classes)
        return self._fit(X, codes, sample_weight)

    def _member_proba(self, member, X):
        """A member's probabilities over all classes (one-hot votes without proba)."""
        proba = np.zeros((X.shape[0], self.n_classes_))
        if hasattr(member, "predict_proba"):
            # A member whose draw missed a class knows only some of the codes.
            proba[:, np.asarray(member.classes_, dtype=np.intp)] = member.predict_proba(X)
        else:
            votes = np.asarray(member.predict(X), dtype=np.intp)
            proba[np.arange(X.shape[0]), votes] = 1.0
        return proba

    @reads_snapshot
    def predict_proba(self, X):
        """Mean member class probabilities (vote shares for members without them).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities, columns ordered as ``classes_``.
        """
        return self._mean_over_members(X, self._member_proba)

    @reads_snapshot
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, ``-inf`` where a probability is zero.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log class probabilities, columns ordered as ``classes_``.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    @reads_snapshot
    def predict(self, X):
        """Class with the highest mean member probability.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def _set_oob(self, X, y):
        totals = np.zeros((X.shape[0], self.n_classes_))
        members = zip(
            self.estimators_, self.estimators_features_, self._oob_masks(), strict=True
        )
        for member, cols, mask in members:
            if mask.any():
                totals[mask] += self._member_proba(member, _take(X, mask, cols))
        sums = totals.sum(axis=1, keepdims=True)
        covered = sums[:, 0] > 0
        with np.errstate(invalid="ignore"):
            self.oob_decision_function_ = np.where(covered[:, None], totals / sums, np.nan)
        self.oob_score_ = np.nan
        if self._oob_rows(covered):
            self.oob_score_ = accuracy_score(y[covered], np.argmax(totals[covered], axis=1))


class BaggingRegressor(RegressorMixin, _BaseBagging):
    """Bagging regressor: the mean of members fitted on random draws of rows and columns.

    Multi-output targets are supported when the members support them.

    Parameters
    ----------
    estimator : estimator instance or None, default=None
        The regressor cloned and fitted on each draw; it needs ``fit`` and ``predict``.
        None means a decision tree.
    n_estimators : int, default=10
        Number of members.
    max_samples : int, float or None, default=None
        Rows drawn for each member: None means ``n_samples``, an int that many rows, a
        float in (0, 1] that fraction of ``n_samples`` (at least one).
    max_features : int or float, default=1.0
        Columns drawn for each member: an int that many, a float in (0, 1] that fraction
        of ``n_features_in_`` (at least one).
    bootstrap : bool, default=True
        Whether rows are drawn with replacement.
    bootstrap_features : bool, default=False
        Whether columns are drawn with replacement.
    oob_score : bool, default=False
        Whether to measure the R^2 on the rows each member did not draw. Needs
        ``bootstrap=True``.
    warm_start : bool, default=False
        Whether ``fit`` keeps the fitted members and only adds new ones up to
        ``n_estimators``. With an int ``random_state`` the result equals a single fit with
        the final ``n_estimators``. Needs the same rows and sampling parameters.
    n_jobs : int or None, default=None
        Number of joblib workers (threads unless a ``joblib.parallel_config`` says
        otherwise) for fitting and prediction; None means 1, -1 all cores. The model does
        not depend on it.
    random_state : int, RandomState instance or None, default=None
        Seeds the draws of rows and columns and the members' own ``random_state``.

    Attributes
    ----------
    estimator_ : estimator instance
        The unfitted template cloned for every member.
    estimators_ : list of estimators
        The fitted members.
    estimators_features_ : list of ndarray
        The columns each member was fitted on.
    estimators_samples_ : list of ndarray
        The rows each member drew, repeated as drawn.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names seen in ``fit``, when X had string column names.
    oob_score_ : float
        Out-of-bag R^2 over the rows that some member did not draw; only with
        ``oob_score=True``.
    oob_prediction_ : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        Mean out-of-bag prediction of the training rows; NaN for rows that every member
        drew. Only with ``oob_score=True``.

    See Also
    --------
    BaggingClassifier : The classification counterpart.
    sklearn.ensemble.BaggingRegressor : scikit-learn's estimator with these parameters.

    Notes
    -----
    ``sample_weight`` reaches a member whose ``fit`` takes it as the weight times the
    number of times the row was drawn. Members without it get rows drawn with probability
    proportional to their weight instead.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from ensembles.bagging import BaggingRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = BaggingRegressor(n_estimators=20, random_state=0).fit(X, y)
    >>> reg.predict(X[:2]).shape
    (2,)
    """

    _task = "regression"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    @fits_aside
    def fit(self, X, y, sample_weight=None):
        """Fit the members on random draws of (X, y).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; sparse input only if the members accept it.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights (see Notes).

        Returns
        -------
        self : BaggingRegressor
            The fitted ensemble.
        """
        X, y = self._validate_data(X, y, multi_output=True, y_numeric=True)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return self._fit(X, y, sample_weight)

    @reads_snapshot
    def predict(self, X):
        """Mean of the members' predictions.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted values.
        """
        return self._mean_over_members(X, _member_predict)

    def _set_oob(self, X, y):
        totals = np.zeros(y.shape)
        counts = np.zeros(X.shape[0])
        members = zip(
            self.estimators_, self.estimators_features_, self._oob_masks(), strict=True
        )
        for member, cols, mask in members:
            if mask.any():
                totals[mask] += member.predict(_take(X, mask, cols))
                counts[mask] += 1
        covered = counts > 0
        # Broadcast the per-row counts over the outputs of a multi-output target.
        counts = counts.reshape((-1,) + (1,) * (y.ndim - 1))
        with np.errstate(invalid="ignore"):
            self.oob_prediction_ = np.where(counts > 0, totals / counts, np.nan)
        self.oob_score_ = np.nan
        if self._oob_rows(covered):
            self.oob_score_ = r2_score(y[covered], self.oob_prediction_[covered])
