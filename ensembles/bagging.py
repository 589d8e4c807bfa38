"""Bagging: bootstrap aggregation around any scikit-learn estimator.

Every member is fitted on its own random draw of rows (with or without replacement) and,
optionally, of columns; the members' outputs are then averaged: class probabilities (or
votes, for members without ``predict_proba``) for classification, predictions for
regression.

A member's draws are a pure function of its seed, so the ensemble is the same whatever
``n_jobs`` is, ``warm_start`` appends exactly the members a single larger fit would have
grown, and the in-bag rows need not be stored: out-of-bag estimates and
``estimators_samples_`` redraw them from the seeds. The seeds, the draws made from them
and the members' own ``random_state`` follow scikit-learn's ``BaggingClassifier`` step by
step, so with the same ``random_state`` both libraries fit the same members.
"""

import numbers
import warnings

import numpy as np
from joblib import effective_n_jobs
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    RegressorMixin,
    clone,
)
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils import check_random_state, column_or_1d, get_tags
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    get_routing_for_object,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.random import sample_without_replacement
from sklearn.utils.validation import check_is_fitted, has_fit_parameter, validate_data

from ensembles._fitstate import fits_aside, reads_snapshot
from ensembles._routing import raise_for_params, route, routing_enabled, take_rows
from ensembles._threads import seeded_random_state
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
    """Validate ``sample_weight`` as finite, non-negative weights with a positive sum (a
    number stands for that weight on every sample, as in scikit-learn)."""
    if sample_weight is None:
        return None
    try:
        weight = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError("sample_weight must be a number or an array-like of numbers.") \
            from exc
    if weight.ndim == 0:
        weight = np.full(n_samples, weight)
    if weight.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must be a 1-D array of shape ({n_samples},), one weight per "
            f"sample; got sample_weight.shape == {weight.shape}, expected ({n_samples},)."
        )
    if np.any(weight < 0):
        raise ValueError(
            "Negative values in data passed to `sample_weight`: it must hold finite, "
            "non-negative numbers."
        )
    if not np.all(np.isfinite(weight)):
        raise ValueError("sample_weight must hold finite, non-negative numbers.")
    if weight.sum() <= 0:
        raise ValueError("sample_weight must not be all zeros: its sum must be positive.")
    return weight


def _draw(seed, n_samples, n_features, n_draw, max_features, bootstrap, bootstrap_features,
          p):
    """Draw one member's columns and rows from its seed, as scikit-learn draws them.

    Returns the column indices (in the order drawn) and the drawn row indices (repeated
    where drawn more than once). With sample weights, ``p`` holds them normalized and the
    rows are drawn with those probabilities.
    """
    rng = seeded_random_state(seed)
    if bootstrap_features:
        features = rng.randint(0, n_features, max_features)
    else:
        features = sample_without_replacement(n_features, max_features, random_state=rng)
    if p is not None:
        rows = rng.choice(n_samples, n_draw, replace=bootstrap, p=p)
    elif bootstrap:
        rows = rng.randint(0, n_samples, n_draw)
    else:
        rows = sample_without_replacement(n_samples, n_draw, random_state=rng)
    return features, rows


def _same_sampling(old, new):
    """Whether two sampling descriptions draw the same rows and columns from a seed."""
    if (old["p"] is None) != (new["p"] is None):
        return False
    if old["p"] is not None and not np.array_equal(old["p"], new["p"]):
        return False
    return all(old[key] == new[key] for key in old if key != "p")


def _all_columns(features, n_features):
    return len(features) == n_features and np.array_equal(features, np.arange(n_features))


def _take(X, rows, features):
    """``X[rows][:, features]`` for arrays and sparse matrices; ``rows=None`` keeps all.

    Skips the copy of a selection of every column in order, the common case.
    """
    if rows is not None:
        X = X[rows]
    if _all_columns(features, X.shape[1]):
        return X
    return X[:, features]


def _consumes_sample_weight(estimator):
    """Whether ``estimator.fit`` gets ``sample_weight``: requested (routing) or accepted."""
    if routing_enabled():
        return bool(get_routing_for_object(estimator).consumes("fit", ("sample_weight",)))
    return has_fit_parameter(estimator, "sample_weight")


def _fit_members(base, X, y, seeds, sampling, pass_weight, fit_params, verbose, total):
    """Fit one batch of members, one per seed."""
    members, member_features = [], []
    n_samples = X.shape[0]
    for number, seed in enumerate(seeds, start=1):
        if verbose > 1:
            print(f"Building estimator {number} of {len(seeds)} for this parallel run "
                  f"(total {total})...")
        features, rows = _draw(seed, **sampling)
        member = clone(base)
        _seed_estimator(member, seeded_random_state(seed))
        if pass_weight:
            # Every row reaches the member, weighted by the number of times it was drawn
            # (zero for the rows left out): the same fit as repeating the rows for an
            # estimator that honours sample_weight, and every class stays in y even when
            # a draw misses one.
            counts = np.bincount(rows, minlength=n_samples).astype(np.float64)
            member.fit(_take(X, None, features), y, sample_weight=counts, **fit_params)
        else:
            member.fit(
                _take(X, rows, features), y[rows], **take_rows(fit_params, rows, n_samples)
            )
        members.append(member)
        member_features.append(features)
    return members, member_features


def _reduce_outputs(member_output, members, features, X, combine):
    """Combine ``member_output(member, X_member)`` over one batch of members."""
    total = None
    for member, cols in zip(members, features, strict=True):
        out = member_output(member, _take(X, None, cols))
        total = out if total is None else combine(total, out)
    return total


def _batches(n_items, n_jobs):
    """Split ``range(n_items)`` into at most ``effective_n_jobs(n_jobs)`` contiguous slices."""
    n_batches = max(1, min(effective_n_jobs(n_jobs), n_items))
    bounds = np.linspace(0, n_items, n_batches + 1).astype(int)
    return [slice(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]


def _n_draw(max_samples, n_samples, sample_weight):
    """Rows drawn per member; a float is a fraction of the weighted number of rows."""
    if max_samples is None:
        return n_samples
    if _is_int(max_samples):
        return _resolve_count(max_samples, "max_samples", n_samples, allow_none=False)
    _resolve_count(max_samples, "max_samples", n_samples, allow_none=False)  # type, range
    weighted = n_samples if sample_weight is None else float(sample_weight.sum())
    n_draw = max(int(max_samples * weighted), 1)
    if n_draw < max(10, n_samples ** (1 / 3)):
        what = (
            f"the number of samples is {n_samples}" if sample_weight is None
            else f"the total sum of sample weights is {weighted}"
        )
        warnings.warn(
            f"Using the fractional value max_samples={max_samples} when {what} results "
            f"in a low number ({n_draw}) of bootstrap samples. We recommend passing "
            "`max_samples` as an integer instead.",
            UserWarning,
            stacklevel=4,
        )
    return n_draw


class _MemberSequence:
    """A fitted ensemble as the sequence of its members, as scikit-learn's ensembles are.

    ``len(ensemble)``, ``ensemble[i]`` (a list for a slice) and ``iter(ensemble)`` read
    ``estimators_``; before ``fit`` they raise AttributeError.
    """

    def __len__(self):
        """Number of fitted members."""
        return len(self.estimators_)

    def __getitem__(self, index):
        """The ``index``-th fitted member (a list for a slice)."""
        return self.estimators_[index]

    def __iter__(self):
        """Iterate over the fitted members."""
        return iter(self.estimators_)


class _BaseBagging(_MemberSequence, MetaEstimatorMixin, BaseEstimator):
    """Fitting, sampling and out-of-bag logic shared by the bagging estimators.

    As scikit-learn's ensembles, a fitted ensemble is a sequence of its members:
    ``len(ensemble)``, ``ensemble[i]`` and ``iter(ensemble)``.
    """

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
        verbose=0,
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
        self.verbose = verbose

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

    def _check_params(self, n_samples, n_features, sample_weight):
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
        if not (_is_int(self.verbose) or _is_bool(self.verbose)) or self.verbose < 0:
            raise TypeError(f"verbose must be an int >= 0 or a bool; got {self.verbose!r}.")
        if not (self.max_samples is None or _is_int(self.max_samples)) and not (
            isinstance(self.max_samples, numbers.Real) and not _is_bool(self.max_samples)
        ):
            raise TypeError(
                "max_samples must be None, an int >= 1 or a float in (0, 1]; got "
                f"{self.max_samples!r}."
            )
        n_draw = _n_draw(self.max_samples, n_samples, sample_weight)
        if not self.bootstrap and n_draw > n_samples:
            raise ValueError(
                f"max_samples={n_draw} must be <= n_samples={n_samples} to be able to "
                "sample without replacement. Draw fewer rows or set bootstrap=True."
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

    def _fit(self, X, y, sample_weight, fit_params):
        n_samples, n_features = X.shape
        sample_weight = _check_sample_weight(sample_weight, n_samples)
        if sample_weight is not None and self.bootstrap is False:
            warnings.warn(
                f"When fitting {type(self).__name__} with sample_weight it is recommended "
                "to use bootstrap=True: only draws with replacement give the weights their "
                "meaning of row frequencies.",
                UserWarning,
                stacklevel=3,
            )
        base, n_draw, max_features = self._check_params(n_samples, n_features, sample_weight)
        routed = route(self, "fit", {"estimator": {"fit": fit_params}}, **fit_params)
        pass_weight = _consumes_sample_weight(base)
        # Weights act through the draws: rows are drawn with probability proportional to
        # their weight, as scikit-learn does.
        p = None if sample_weight is None else sample_weight / sample_weight.sum()
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
                    f"n_estimators={self.n_estimators} must be larger or equal to "
                    f"len(estimators_)={len(self.estimators_)} when warm_start=True."
                )
            if not _same_sampling(self._sampling, sampling):
                # The old members' draws are replayed from this description (OOB rows,
                # estimators_samples_), so it must not change under them.
                raise ValueError(
                    "warm_start=True needs the same number of rows, sample_weight and "
                    "sampling parameters as the previous fit; set warm_start=False to refit."
                )
            if self.n_estimators == len(self.estimators_):
                warnings.warn(
                    "Warm-start fitting without increasing n_estimators does not fit new "
                    "members.",
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
        results = Parallel(n_jobs=self.n_jobs, prefer="threads", verbose=self.verbose)(
            delayed(_fit_members)(
                base, X, y, new_seeds[part], sampling, pass_weight,
                routed.estimator.fit, self.verbose, len(new_seeds),
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

    def _reduce_over_members(self, X, member_output, combine=np.add):
        """``member_output(member, X_member)`` combined over the members (a sum)."""
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse=["csr", "csc"], dtype=None, ensure_all_finite=False,
            reset=False,
        )
        totals = Parallel(n_jobs=self.n_jobs, prefer="threads", verbose=self.verbose)(
            delayed(_reduce_outputs)(
                member_output, self.estimators_[part], self.estimators_features_[part], X,
                combine,
            )
            for part in _batches(len(self.estimators_), self.n_jobs)
        )
        total = totals[0]
        for part in totals[1:]:
            total = combine(total, part)
        return total

    def _mean_over_members(self, X, member_output):
        """Mean of ``member_output(member, X_member)`` over the members."""
        return self._reduce_over_members(X, member_output) / len(self.estimators_)

    def _routed(self, method, params):
        """The keyword arguments of ``method`` for the members' methods."""
        raise_for_params(params, self, method)
        return route(self, method, {}, **params) if routing_enabled() else None

    def _oob_rows(self, covered):
        """Warn about rows without an out-of-bag prediction; say whether any row has one."""
        if not covered.all():
            warnings.warn(
                "Some inputs do not have OOB scores. This probably means too few "
                f"estimators were used to compute any reliable oob estimates: "
                f"{np.sum(~covered)} of the {covered.size} training rows were drawn by every "
                "member, so they have no out-of-bag prediction and are left out of oob_score_.",
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
        Seeds the draws of rows and columns and the members' own ``random_state``, as
        scikit-learn's estimator does: the same seed fits the same members.
    verbose : int, default=0
        Verbosity of the fit and of prediction: joblib's progress messages, and above 1
        a line per member built.

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
        The columns each member was fitted on, in the order drawn.
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
    As in scikit-learn, ``sample_weight`` acts through the draws: rows are drawn with
    probability proportional to their weight, and a float ``max_samples`` is then a
    fraction of the sum of the weights. A member whose ``fit`` takes ``sample_weight``
    (under metadata routing: one that requested it) is fitted on all the rows, each
    weighted by the number of times it was drawn, zero for the rows left out; other
    members are fitted on the drawn rows, repeated as drawn.

    A fitted ensemble is a sequence of its members: ``len(ensemble)``,
    ``ensemble[i]`` and ``iter(ensemble)``.

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
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit the members on random draws of (X, y).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; sparse input only if the members accept it.
        y : array-like of shape (n_samples,)
            Class labels of any type.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights: the probabilities with which rows are drawn
            (see Notes).
        **fit_params : dict
            Metadata for the members' ``fit`` (rows taken as the member's draw when the
            member is fitted on the drawn rows). Only with
            ``sklearn.set_config(enable_metadata_routing=True)``; a member receives what
            it requested with ``set_fit_request``.

        Returns
        -------
        self : BaggingClassifier
            The fitted ensemble.
        """
        raise_for_params(fit_params, self, "fit")
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
        return self._fit(X, codes, sample_weight, fit_params)

    def get_metadata_routing(self):
        """Where the metadata of each method goes, for scikit-learn's metadata routing.

        ``fit`` routes to the members' ``fit`` and ``decision_function`` to theirs;
        ``predict`` and ``predict_proba`` to the members' ``predict_proba``, or to their
        ``predict`` when they have none; ``predict_log_proba`` to their
        ``predict_log_proba``, else ``predict_proba``, else ``predict``.

        Returns
        -------
        routing : MetadataRouter
            The routing of this ensemble.
        """
        base = self._base_estimator()
        mapping = MethodMapping().add(caller="fit", callee="fit").add(
            caller="decision_function", callee="decision_function"
        )
        proba = "predict_proba" if hasattr(base, "predict_proba") else "predict"
        mapping.add(caller="predict", callee=proba).add(caller="predict_proba", callee=proba)
        log_proba = "predict_log_proba" if hasattr(base, "predict_log_proba") else proba
        mapping.add(caller="predict_log_proba", callee=log_proba)
        return MetadataRouter(owner=self).add(estimator=base, method_mapping=mapping)

    def _member_proba(self, member, X, proba_params=None, predict_params=None):
        """A member's probabilities over all classes (one-hot votes without proba)."""
        proba = np.zeros((X.shape[0], self.n_classes_))
        if hasattr(member, "predict_proba"):
            # A member whose draw missed a class knows only some of the codes.
            proba[:, np.asarray(member.classes_, dtype=np.intp)] = member.predict_proba(
                X, **(proba_params or {})
            )
        else:
            votes = np.asarray(member.predict(X, **(predict_params or {})), dtype=np.intp)
            proba[np.arange(X.shape[0]), votes] = 1.0
        return proba

    def _proba(self, X, caller, params):
        routed = self._routed(caller, params)
        proba_params = routed.estimator.get("predict_proba", {}) if routed else {}
        predict_params = routed.estimator.get("predict", {}) if routed else {}

        def output(member, X_member):
            return self._member_proba(member, X_member, proba_params, predict_params)

        return self._mean_over_members(X, output)

    @reads_snapshot
    def predict_proba(self, X, **params):
        """Mean member class probabilities (vote shares for members without them).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.
        **params : dict
            Metadata for the members' ``predict_proba`` (or ``predict``), only with
            metadata routing enabled.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities, columns ordered as ``classes_``.
        """
        return self._proba(X, "predict_proba", params)

    @reads_snapshot
    def predict_log_proba(self, X, **params):
        """Logarithm of :meth:`predict_proba`, ``-inf`` where a probability is zero.

        Members with ``predict_log_proba`` are combined in log space, as scikit-learn
        does, which keeps tiny probabilities that a round trip through
        :meth:`predict_proba` would round to zero.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.
        **params : dict
            Metadata for the members' ``predict_log_proba`` (or the method used in its
            place), only with metadata routing enabled.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log class probabilities, columns ordered as ``classes_``.
        """
        check_is_fitted(self)
        if not hasattr(self.estimator_, "predict_log_proba"):
            with np.errstate(divide="ignore"):
                return np.log(self._proba(X, "predict_log_proba", params))
        routed = self._routed("predict_log_proba", params)
        log_params = routed.estimator.get("predict_log_proba", {}) if routed else {}

        def output(member, X_member):
            log_proba = np.full((X_member.shape[0], self.n_classes_), -np.inf)
            classes = np.asarray(member.classes_, dtype=np.intp)
            log_proba[:, classes] = member.predict_log_proba(X_member, **log_params)
            return log_proba

        total = self._reduce_over_members(X, output, combine=np.logaddexp)
        return total - np.log(len(self.estimators_))

    def _member_has(attr):
        """``available_if`` check on the fitted members, else on the configured estimator."""

        def check(self):
            members = getattr(self, "estimators_", None)
            return hasattr(members[0] if members else self._base_estimator(), attr)

        return check

    @available_if(_member_has("decision_function"))
    def decision_function(self, X, **params):
        """Mean of the members' decision functions.

        Available when the members have ``decision_function``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.
        **params : dict
            Metadata for the members' ``decision_function``, only with metadata routing
            enabled.

        Returns
        -------
        score : ndarray of shape (n_samples,) or (n_samples, n_classes)
            As the members' ``decision_function``: one score per row for two classes
            (positive for ``classes_[1]``), else one column per class.
        """
        routed = self._routed("decision_function", params)
        decision_params = routed.estimator.get("decision_function", {}) if routed else {}

        def output(member, X_member):
            return member.decision_function(X_member, **decision_params)

        return self._mean_over_members(X, output)

    @reads_snapshot
    def predict(self, X, **params):
        """Class with the highest mean member probability.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.
        **params : dict
            Metadata for the members' ``predict_proba`` (or ``predict``), only with
            metadata routing enabled.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        proba = self._proba(X, "predict", params)
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
        Seeds the draws of rows and columns and the members' own ``random_state``, as
        scikit-learn's estimator does: the same seed fits the same members.
    verbose : int, default=0
        Verbosity of the fit and of prediction: joblib's progress messages, and above 1
        a line per member built.

    Attributes
    ----------
    estimator_ : estimator instance
        The unfitted template cloned for every member.
    estimators_ : list of estimators
        The fitted members.
    estimators_features_ : list of ndarray
        The columns each member was fitted on, in the order drawn.
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
    As in scikit-learn, ``sample_weight`` acts through the draws: rows are drawn with
    probability proportional to their weight, and a float ``max_samples`` is then a
    fraction of the sum of the weights. A member whose ``fit`` takes ``sample_weight``
    (under metadata routing: one that requested it) is fitted on all the rows, each
    weighted by the number of times it was drawn, zero for the rows left out; other
    members are fitted on the drawn rows, repeated as drawn.

    A fitted ensemble is a sequence of its members: ``len(ensemble)``,
    ``ensemble[i]`` and ``iter(ensemble)``.

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
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit the members on random draws of (X, y).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; sparse input only if the members accept it.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights: the probabilities with which rows are drawn
            (see Notes).
        **fit_params : dict
            Metadata for the members' ``fit`` (rows taken as the member's draw when the
            member is fitted on the drawn rows). Only with
            ``sklearn.set_config(enable_metadata_routing=True)``; a member receives what
            it requested with ``set_fit_request``.

        Returns
        -------
        self : BaggingRegressor
            The fitted ensemble.
        """
        raise_for_params(fit_params, self, "fit")
        X, y = self._validate_data(X, y, multi_output=True, y_numeric=True)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return self._fit(X, y, sample_weight, fit_params)

    def get_metadata_routing(self):
        """Where the metadata of each method goes, for scikit-learn's metadata routing.

        ``fit`` and ``predict`` route to the members' ``fit`` and ``predict``.

        Returns
        -------
        routing : MetadataRouter
            The routing of this ensemble.
        """
        mapping = MethodMapping().add(caller="fit", callee="fit").add(
            caller="predict", callee="predict"
        )
        return MetadataRouter(owner=self).add(
            estimator=self._base_estimator(), method_mapping=mapping
        )

    @reads_snapshot
    def predict(self, X, **params):
        """Mean of the members' predictions.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.
        **params : dict
            Metadata for the members' ``predict``, only with metadata routing enabled.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted values.
        """
        routed = self._routed("predict", params)
        predict_params = routed.estimator.get("predict", {}) if routed else {}

        def output(member, X_member):
            return member.predict(X_member, **predict_params)

        return self._mean_over_members(X, output)

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
