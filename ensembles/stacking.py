"""Stacking and voting ensembles over any scikit-learn compatible estimators.

Stacking trains a second-level (final) estimator on *out-of-fold* predictions of the base
estimators, so the final estimator never sees a prediction made by a model that was trained
on the same row. After the cross-fitting, the base estimators serve predictions either as
models refit on all the data (``refit=True``, scikit-learn's behaviour) or as the average of
the per-fold models (``refit=False``, the usual practice in competition pipelines).

The cross-fitting helpers of this module are shared with :mod:`ensembles.selection`.
"""

import inspect
import time
import warnings
from numbers import Integral

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.base import BaseEstimator as _SkBaseEstimator
from sklearn.base import (
    ClassifierMixin,
    MetaEstimatorMixin,
    RegressorMixin,
    TransformerMixin,
    clone,
    is_classifier,
    is_regressor,
)
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    get_tags,
    has_fit_parameter,
    validate_data,
)

from ensembles._compat import HasMethods, StrOptions, _check_sample_weight, _safe_indexing
from ensembles._fitstate import fits_aside, reads_snapshot
from ensembles._routing import raise_for_params, route, routing_enabled, take_rows

__all__ = [
    "StackingClassifier",
    "StackingRegressor",
    "VotingClassifier",
    "VotingRegressor",
]

_CLASSIFIER_METHODS = ("predict_proba", "decision_function", "predict")


# --------------------------------------------------------------------------------------
# Named-estimator parameters
# --------------------------------------------------------------------------------------


class _HeterogeneousEnsemble(MetaEstimatorMixin, _SkBaseEstimator):
    """Base for ensembles built from a list of ``(name, estimator)`` pairs.

    Exposes every base estimator as a parameter under its name, so that ``GridSearchCV``
    can tune ``<name>__<param>``; the spelling ``estimators__<name>__<param>`` is accepted
    as an alias. An estimator can be replaced with ``set_params(<name>=new)`` or switched
    off with ``set_params(<name>="drop")``.
    """

    def _named_pairs(self):
        """Return ``estimators`` as a list of pairs, or an empty list if it is malformed."""
        try:
            return [(name, est) for name, est in self.estimators]
        except (TypeError, ValueError):
            return []

    def _members_router(self):
        """A metadata router sending ``fit``'s metadata to each kept member's ``fit``."""
        router = MetadataRouter(owner=self)
        for name, est in self._named_pairs():
            if not _is_drop(est):
                router.add(**{name: est}, method_mapping=MethodMapping().add(
                    caller="fit", callee="fit"
                ))
        return router

    def get_params(self, deep=True):
        """Get the parameters of this estimator, including those of the base estimators.

        Parameters
        ----------
        deep : bool, default=True
            If True, also return the base estimators (keyed by their names) and their
            parameters (keyed ``<name>__<param>``).

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        params = super().get_params(deep=deep)
        if not deep:
            return params
        for name, est in self._named_pairs():
            params[name] = est
            if hasattr(est, "get_params") and not isinstance(est, type):
                for key, value in est.get_params(deep=True).items():
                    params[f"{name}__{key}"] = value
        return params

    def set_params(self, **params):
        """Set parameters, including those of the named base estimators.

        Parameters
        ----------
        **params : dict
            Parameters of this estimator, ``<name>`` to replace a base estimator (or
            ``"drop"`` it), and ``<name>__<param>`` or ``estimators__<name>__<param>`` for
            a parameter of a base estimator.

        Returns
        -------
        self : object
            This estimator.
        """
        # Replace the list first, so later keys address the new estimators.
        if "estimators" in params:
            super().set_params(estimators=params.pop("estimators"))
        names = [name for name, _ in self._named_pairs()]
        for key in list(params):
            head, sep, rest = key.partition("__")
            if head == "estimators" and sep:
                head, sep, rest = rest.partition("__")
                if head not in names:
                    raise ValueError(
                        f"Invalid parameter {key!r}: there is no base estimator named "
                        f"{head!r}; the names are {names}."
                    )
            elif head not in names:
                continue
            value = params.pop(key)
            if sep:
                dict(self._named_pairs())[head].set_params(**{rest: value})
            else:
                self.estimators = [
                    (name, value if name == head else est) for name, est in self._named_pairs()
                ]
        super().set_params(**params)
        return self

    def _validate_estimators(self, kind, allow_regressors=False):
        """Check ``estimators`` and return the names and estimators that are not dropped.

        Parameters
        ----------
        kind : {"classifier", "regressor"}
            What every base estimator must be.
        allow_regressors : bool, default=False
            Whether regressors are accepted too (a classifier stack takes them, fitted on
            the class codes).

        Returns
        -------
        names : list of str
        estimators : list of estimator
            Both in the user's order, without the ``"drop"`` entries.
        """
        estimators = self.estimators
        if len(estimators) == 0:
            raise ValueError(
                "Invalid 'estimators' attribute, 'estimators' should be a non-empty list "
                "of (name, estimator) tuples; got an empty list."
            )
        for item in estimators:
            pair = isinstance(item, tuple | list) and len(item) == 2
            if not (pair and isinstance(item[0], str)):
                # ValueError, as in scikit-learn: the value of ``estimators`` is wrong.
                raise ValueError(
                    "Invalid 'estimators' attribute, 'estimators' should be a non-empty list "
                    "of (name, estimator) tuples with string names, such as "
                    f"[('lr', LogisticRegression())]; got the entry {item!r}."
                )
        names = [name for name, _ in estimators]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"estimators must have unique names; duplicated: {duplicates}.")
        reserved = set(_SkBaseEstimator.get_params(self, deep=False))
        for name in names:
            if "__" in name:
                raise ValueError(f"Estimator names must not contain '__'; got {name!r}.")
            if name in reserved:
                raise ValueError(
                    f"Estimator name {name!r} conflicts with a constructor parameter of "
                    f"{type(self).__name__}; choose another name."
                )
        kept = [(name, est) for name, est in estimators if not _is_drop(est)]
        if not kept:
            raise ValueError(
                "All estimators are dropped. At least one is required to be an estimator; "
                "every entry is 'drop'."
            )
        check = is_classifier if kind == "classifier" else is_regressor
        for name, est in kept:
            if not hasattr(est, "fit"):
                raise TypeError(
                    f"Estimator {name!r} must be a scikit-learn estimator with a fit method "
                    f"or 'drop'; got {est!r}."
                )
            if not (check(est) or (allow_regressors and is_regressor(est))):
                kinds = f"{kind} or a regressor" if allow_regressors else kind
                raise ValueError(
                    f"{type(self).__name__} needs every base estimator to be a {kinds}; "
                    f"{name!r} ({type(est).__name__}) is not."
                )
        return [name for name, _ in kept], [est for _, est in kept]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        estimators = [est for _, est in self._named_pairs() if not _is_drop(est)]
        try:
            tags.input_tags.allow_nan = all(get_tags(e).input_tags.allow_nan for e in estimators)
            tags.input_tags.sparse = all(get_tags(e).input_tags.sparse for e in estimators)
        except (AttributeError, TypeError, ValueError):
            # A malformed ``estimators`` is reported by fit, not while reading tags.
            pass
        return tags


def _is_drop(est):
    return isinstance(est, str) and est == "drop"


# --------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------


def _validate_X(estimator, X, *, reset):
    """Check ``X`` and record (``reset=True``) or compare its features.

    Data frames are passed on untouched, so that mixed column types reach the base
    estimators as they are (for example pipelines that start with a ``ColumnTransformer``).
    Other inputs become arrays or CSR/CSC matrices of their own dtype; finiteness is left
    to the base estimators, some of which handle missing values.
    """
    if hasattr(X, "iloc") or hasattr(X, "__dataframe__"):
        validate_data(estimator, X, reset=reset, skip_check_array=True)
        return X
    return validate_data(
        estimator,
        X,
        reset=reset,
        accept_sparse=["csr", "csc"],
        dtype=None,
        ensure_all_finite=False,
    )


def _check_targets(estimator, X, y, *, classification, multi_output="error"):
    """Validate the training data; return ``X`` (see :func:`_validate_X`) and ``y``.

    Parameters
    ----------
    estimator : estimator
        The ensemble being fit.
    X, y : data
        The training data.
    classification : bool
        Whether ``y`` holds class labels.
    multi_output : {"error", "not_implemented", "multilabel"}, default="error"
        What a classification ``y`` with several columns meets: the ``ValueError`` of
        any non-1-d target; a ``NotImplementedError`` when it is multilabel or
        multi-output, as scikit-learn's voting raises; or, for a multilabel
        (indicator) target, acceptance: ``y`` then comes back 2-d.

    Returns
    -------
    X : array-like, sparse matrix or DataFrame
    y : ndarray
        1-d, or the 2-d indicator matrix of an accepted multilabel target.
    """
    if y is None:
        raise ValueError(
            f"This {type(estimator).__name__} estimator requires y to be passed, but the "
            "target y is None."
        )
    X = _validate_X(estimator, X, reset=True)
    y = check_array(
        y,
        ensure_2d=False,
        dtype=None if classification else "numeric",
        ensure_all_finite=True,
        input_name="y",
    )
    several_columns = classification and y.ndim == 2 and y.shape[1] > 1
    target_type = type_of_target(y, input_name="y") if several_columns else None
    if multi_output == "not_implemented" and target_type in (
        "multilabel-indicator", "multiclass-multioutput"
    ):
        raise NotImplementedError(
            f"{type(estimator).__name__} only supports binary or multiclass "
            f"classification: y must be 1-d, but it is {target_type} (a 2-d array). "
            "Multilabel and multi-output targets are not supported; StackingClassifier "
            "supports multilabel ones."
        )
    if not (multi_output == "multilabel" and target_type == "multilabel-indicator"):
        y = column_or_1d(y, warn=True)
    check_consistent_length(X, y)
    if classification:
        check_classification_targets(y)
    return X, y


def _encode_multilabel(y):
    """Per-column classes of a label-indicator ``y`` and ``y`` as per-column class codes.

    Returns
    -------
    classes : list of ndarray
        The sorted values of each column.
    codes : ndarray of shape (n_samples, n_labels)
        The index of each entry in its column's classes.
    """
    classes = [np.unique(column) for column in y.T]
    codes = np.column_stack(
        [np.searchsorted(c, column) for c, column in zip(classes, y.T, strict=True)]
    )
    return classes, codes


def _check_classes(estimator, y):
    classes = np.unique(y)
    if len(classes) < 2:
        raise ValueError(
            f"{type(estimator).__name__} needs samples of at least 2 classes in the data, "
            f"but the data contains only one class: {classes[0]!r}."
        )
    return classes


def _fit_names_sample_weight(estimator):
    """Whether ``estimator.fit`` has a parameter named ``sample_weight``."""
    return has_fit_parameter(estimator, "sample_weight")


def _weight_params(estimator, sample_weight, takes_weights=_fit_names_sample_weight):
    """Keyword arguments that hand ``sample_weight`` to ``estimator.fit``.

    Returns ``{}`` when there are no weights and ``None`` when the estimator cannot take
    them, as ``takes_weights(estimator)`` decides. A ``Pipeline`` takes them through its
    last step.
    """
    if sample_weight is None:
        return {}
    if isinstance(estimator, Pipeline):
        last_name, last = estimator.steps[-1]
        if _is_drop(last) or last == "passthrough" or not takes_weights(last):
            return None
        return {f"{last_name}__sample_weight": sample_weight}
    return {"sample_weight": sample_weight} if takes_weights(estimator) else None


def _fit_takes_sample_weight(estimator):
    """Whether ``estimator.fit`` can be called with a ``sample_weight`` keyword.

    Unlike ``has_fit_parameter``, a ``fit(X, y, **kwargs)`` counts as taking it, since
    scikit-learn's voting and stacking ensembles hand the weights to such a ``fit``.
    """
    try:
        parameters = inspect.signature(estimator.fit).parameters.values()
    except (TypeError, ValueError):
        # No introspectable signature (a builtin, say): let the call itself decide.
        return True
    return any(
        p.name == "sample_weight" or p.kind is inspect.Parameter.VAR_KEYWORD
        for p in parameters
    )


def _unsupported_weights_error(name, estimator):
    return TypeError(
        f"Underlying estimator {type(estimator).__name__} does not support sample weights. "
        f"The fit of estimator {name!r} takes no sample_weight argument; fit the ensemble "
        "without sample_weight, or replace that estimator by one whose fit accepts it."
    )


def _member_weight_params(name, estimator, sample_weight):
    """Keyword arguments that hand ``sample_weight`` to one member's ``fit``.

    As in scikit-learn's voting and stacking ensembles, weights that a member cannot take
    are an error rather than silently dropped. A ``Pipeline`` passes them to its last
    step (scikit-learn's ``Pipeline.fit`` would refuse a bare ``sample_weight``).

    Parameters
    ----------
    name : str
        The member's name, for the error message.
    estimator : estimator
        The member.
    sample_weight : ndarray or None
        The weights given to the ensemble's ``fit``.

    Returns
    -------
    params : dict
        ``{}`` without weights, else the keyword argument carrying them.

    Raises
    ------
    TypeError
        If ``sample_weight`` is given and the member's ``fit`` does not accept it.
    """
    params = _weight_params(estimator, sample_weight, _fit_takes_sample_weight)
    if params is None:
        last = estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator
        raise _unsupported_weights_error(name, last)
    return params


def _fit_params_for(names, estimators, sample_weight):
    """Per-estimator fit keyword arguments, warning about estimators that take no weights.

    Ensemble selection's lenient rule (it has no scikit-learn counterpart to match);
    voting and stacking use the strict :func:`_member_weight_params`.
    """
    params = [_weight_params(est, sample_weight) for est in estimators]
    ignored = [name for name, p in zip(names, params, strict=True) if p is None]
    if ignored:
        warnings.warn(
            f"sample_weight is ignored by {ignored}, whose fit does not accept it.",
            UserWarning,
            stacklevel=3,
        )
    return [{} if p is None else p for p in params]


# --------------------------------------------------------------------------------------
# Responses of fitted base estimators
# --------------------------------------------------------------------------------------


def _resolve_methods(names, estimators, stack_method, classification):
    """Pick the prediction method used to build level-2 features for each estimator.

    A regressor in a classifier stack offers its ``predict`` under ``"auto"``.
    """
    methods = []
    for name, est in zip(names, estimators, strict=True):
        if not classification or (stack_method == "auto" and is_regressor(est)):
            candidates = ("predict",)
        elif stack_method == "auto":
            candidates = _CLASSIFIER_METHODS
        else:
            candidates = (stack_method,)
        method = next((m for m in candidates if hasattr(est, m)), None)
        if method is None:
            raise ValueError(
                f"Underlying estimator {name} ({type(est).__name__}) does not implement the "
                f"method {stack_method}: it has none of {list(candidates)}."
            )
        methods.append(method)
    return methods


def _response(estimator, X, method, classes):
    """Output of ``estimator.<method>(X)`` expressed over the ensemble's ``classes``.

    A model fit on a fold that lacks some class has fewer probability columns than the
    ensemble; they are padded with zeros so that every fold speaks about the same classes.
    """
    out = getattr(estimator, method)(X)
    if isinstance(classes, tuple):
        return _multilabel_response(estimator, out, method, classes)
    if classes is None or method == "predict":
        return np.asarray(out)
    own = np.asarray(estimator.classes_)
    if len(own) == len(classes) and np.array_equal(own, classes):
        return np.asarray(out, dtype=float)
    if method == "predict_proba":
        full = np.zeros((out.shape[0], len(classes)))
        full[:, np.searchsorted(classes, own)] = out
        return full
    raise ValueError(
        f"A {type(estimator).__name__} was fit on a fold holding the classes {list(own)} "
        f"out of {list(classes)}, so its decision_function cannot be aligned; use a "
        "stratified splitter or stack_method='predict_proba'."
    )


def _multilabel_response(estimator, out, method, label_classes):
    """A multilabel member's response as one 2-d float array.

    ``label_classes`` is a tuple with the class codes of each label. Models such as
    k-nearest neighbours or forests give ``predict_proba`` as a list with one
    ``(n_samples, n_classes)`` array per label; each is aligned to that label's classes
    (a fold model may have seen fewer) and its first column, which the others determine,
    is dropped. Arrays (``MLPClassifier``'s probabilities, decision values, predicted
    codes) are kept as they are.
    """
    if not (method == "predict_proba" and isinstance(out, list)):
        return np.asarray(out, dtype=float)
    own_classes = getattr(estimator, "classes_", None)
    columns = []
    for k, (proba, codes) in enumerate(zip(out, label_classes, strict=True)):
        proba = np.asarray(proba, dtype=float)
        own = codes[: proba.shape[1]] if own_classes is None else np.asarray(own_classes[k])
        aligned = np.zeros((proba.shape[0], len(codes)))
        aligned[:, np.searchsorted(codes, own)] = proba
        columns.append(aligned[:, 1:])
    return np.hstack(columns)


def _as_features(response, method, classes):
    """Turn a response into level-2 feature columns (a 2-d float array)."""
    if isinstance(classes, tuple):
        # Multilabel responses are already feature columns (_multilabel_response).
        response = np.asarray(response, dtype=float)
        return response[:, None] if response.ndim == 1 else response
    if classes is not None and method == "predict":
        return np.searchsorted(classes, response).astype(float)[:, None]
    response = np.asarray(response, dtype=float)
    if response.ndim == 1:
        return response[:, None]
    if method == "predict_proba" and len(classes) == 2:
        # The two binary columns sum to one, so the first adds nothing but collinearity.
        return response[:, 1:]
    return response


def _prefixed_names(owner, name, n_columns):
    """Output names of one member's columns, spelt as scikit-learn spells them.

    ``<ensemble class, lower case>_<name>`` for a single column, else that followed by
    the column index (``stackingclassifier_lr0``, ``stackingclassifier_lr1``, ...).
    """
    prefix = f"{type(owner).__name__.lower()}_{name}"
    if n_columns == 1:
        return [prefix]
    return [f"{prefix}{i}" for i in range(n_columns)]


class FoldAveragedEstimator:
    """The models fit on each cross-validation fold, predicting as one model.

    This is what a base estimator becomes in a stacking or selection ensemble fit with
    ``refit=False``: probabilities, decision values and regression predictions are the
    mean over the fold models; class predictions are their majority vote.

    Parameters
    ----------
    estimators : list of estimator
        The fitted fold models.
    classes : ndarray, tuple of ndarray or None
        The classes of the ensemble (``None`` for a regressor), or for a multilabel
        target a tuple with the class codes of each label.

    Attributes
    ----------
    estimators_ : list of estimator
        The fitted fold models.
    classes_ : ndarray
        The classes (classifiers only).
    """

    def __init__(self, estimators, classes=None):
        self.estimators_ = list(estimators)
        if classes is not None:
            self.classes_ = classes

    def _mean(self, X, method):
        classes = getattr(self, "classes_", None)
        return np.mean([_response(m, X, method, classes) for m in self.estimators_], axis=0)

    def predict(self, X):
        """Mean prediction (regression) or majority vote of the fold models (classes)."""
        if not hasattr(self, "classes_"):
            return self._mean(X, "predict")
        if isinstance(self.classes_, tuple):
            # Multilabel: the fold models predict label codes; vote label by label.
            codes = np.array([np.asarray(m.predict(X), dtype=int) for m in self.estimators_])
            return np.column_stack([
                _weighted_vote(codes[:, :, k], None, len(label_codes))
                for k, label_codes in enumerate(self.classes_)
            ])
        codes = np.array([np.searchsorted(self.classes_, m.predict(X)) for m in self.estimators_])
        return self.classes_[_weighted_vote(codes, None, len(self.classes_))]

    def predict_proba(self, X):
        """Mean class probabilities of the fold models."""
        return self._mean(X, "predict_proba")

    def decision_function(self, X):
        """Mean decision values of the fold models."""
        return self._mean(X, "decision_function")


def _weighted_vote(codes, weights, n_classes):
    """Class index with the largest (weighted) vote in each column of ``codes``.

    ``codes`` has one row per voter; ties go to the lowest class index.
    """
    weights = np.ones(len(codes)) if weights is None else weights
    votes = np.zeros((codes.shape[1], n_classes))
    rows = np.arange(codes.shape[1])
    for voter, weight in zip(codes, weights, strict=True):
        np.add.at(votes, (rows, voter), weight)
    return np.argmax(votes, axis=1)


# --------------------------------------------------------------------------------------
# Cross-fitting
# --------------------------------------------------------------------------------------


def _fit_one(estimator, X, y, fit_params, train=None):
    """Fit ``estimator`` (on the ``train`` rows if given) and return it.

    The estimator object itself is returned, not what its ``fit`` returns: a ``fit``
    that forgets to ``return self`` must not leave ``None`` in the ensemble.
    """
    if train is not None:
        fit_params = take_rows(fit_params, train, len(y))
        X, y = _safe_indexing(X, train), y[train]
    try:
        estimator.fit(X, y, **fit_params)
    except TypeError as exc:
        # A ``fit(X, y, **kwargs)`` may still refuse the weights further down; say so
        # in the words scikit-learn uses rather than with the inner call's message.
        if "sample_weight" in fit_params and "unexpected keyword argument 'sample_weight'" in str(
            exc
        ):
            raise TypeError(
                f"Underlying estimator {type(estimator).__name__} does not support sample "
                "weights: its fit refused the sample_weight argument."
            ) from exc
        raise
    return estimator


def _elapsed_message(source, message, seconds):
    """One line ``[source] ..... message, total=   0.1s``, as scikit-learn prints it."""
    start = f"[{source}] "
    took = f"{seconds / 60:4.1f}min" if seconds > 60 else f" {seconds:5.1f}s"
    end = f" {message}, total={took}"
    return start + "." * (70 - len(start) - len(end)) + end


def _fit_logged(estimator, X, y, fit_params, message):
    """Fit on all the data and, with a ``message``, print the time it took."""
    start = time.perf_counter()
    fitted = _fit_one(estimator, X, y, fit_params)
    if message is not None:
        print(_elapsed_message("Voting", message, time.perf_counter() - start))
    return fitted


def _fit_fold(estimator, X, y, fit_params, train, test, method, classes):
    model = _fit_one(estimator, X, y, fit_params, train)
    return model, _response(model, _safe_indexing(X, test), method, classes)


def _check_splits(cv, X, y, groups, classification):
    """Materialize the cv folds and check that the test folds partition the rows."""
    n_samples = len(y)
    if groups is not None:
        groups = column_or_1d(groups)
        if len(groups) != n_samples:
            raise ValueError(
                f"groups has {len(groups)} entries but X has {n_samples} samples; pass one "
                "group label per sample."
            )
    splitter = check_cv(cv, y, classifier=classification)
    splits = list(splitter.split(X, y, groups))
    hits = np.zeros(n_samples, dtype=int)
    for _, test in splits:
        hits[test] += 1
    if not np.all(hits == 1):
        raise ValueError(
            "cv must give test folds that partition the samples (each sample in exactly "
            "one test fold), as KFold, StratifiedKFold or GroupKFold do; "
            f"{type(splitter).__name__} leaves {int(np.sum(hits == 0))} samples out and "
            f"repeats {int(np.sum(hits > 1))}."
        )
    if classification:
        n_classes = len(np.unique(y))
        short = [k for k, (train, _) in enumerate(splits) if len(np.unique(y[train])) < n_classes]
        if short:
            warnings.warn(
                f"The training parts of folds {short} lack some classes, so their models give "
                "those classes probability 0; a shuffled StratifiedKFold avoids this.",
                UserWarning,
                stacklevel=3,
            )
    return splits


def _cross_fit(
    estimators, methods, X, y, splits, fit_params, classes, n_jobs, refit, verbose=0
):
    """Fit every estimator on every training fold and collect out-of-fold responses.

    Parameters
    ----------
    estimators, methods, fit_params : list
        Unfitted base estimators, their response methods and fit keyword arguments.
    X, y : data
        Training data; ``X`` is indexed with ``_safe_indexing`` and never converted.
        ``y`` can be a list with one target per estimator.
    splits : list of (train, test)
        Folds whose test parts partition the rows.
    classes : ndarray, None or list
        The ensemble's classes (``None`` for regression), or a list of them, one per
        estimator (``None`` for a regressor in a classifier stack).
    n_jobs : int or None
        Parallel jobs over (estimator, fold) pairs.
    refit : bool
        If True, also fit each estimator on all the data; otherwise keep the fold models.
    verbose : int, default=0
        joblib's verbosity.

    Returns
    -------
    responses : list of ndarray
        Out-of-fold response of each estimator (rows in the order of ``X``).
    fitted : list
        Per estimator, the model fit on all data (``refit=True``) or a
        :class:`FoldAveragedEstimator` of its fold models.
    """
    targets = y if isinstance(y, list) else [y] * len(estimators)
    member_classes = classes if isinstance(classes, list) else [classes] * len(estimators)
    members = list(zip(estimators, methods, fit_params, targets, member_classes, strict=True))
    tasks = [
        delayed(_fit_fold)(clone(est), X, target, params, train, test, method, cls)
        for est, method, params, target, cls in members
        for train, test in splits
    ]
    if refit:
        tasks += [
            delayed(_fit_one)(clone(est), X, target, params)
            for est, _, params, target, _ in members
        ]
    results = Parallel(n_jobs=n_jobs, verbose=verbose)(tasks)

    responses, fitted = [], []
    n_folds = len(splits)
    for i in range(len(estimators)):
        fold_results = results[i * n_folds : (i + 1) * n_folds]
        first = fold_results[0][1]
        oof = np.empty((len(targets[i]),) + first.shape[1:], dtype=first.dtype)
        for (_, test), (_, response) in zip(splits, fold_results, strict=True):
            oof[test] = response
        responses.append(oof)
        if refit:
            fitted.append(results[len(estimators) * n_folds + i])
        else:
            fitted.append(
                FoldAveragedEstimator([m for m, _ in fold_results], member_classes[i])
            )
    return responses, fitted


def _input_feature_names(estimator, input_features):
    """Names of the input features, as ``get_feature_names_out`` conventions want them."""
    names = getattr(estimator, "feature_names_in_", None)
    if input_features is None:
        if names is not None:
            return np.asarray(names, dtype=object)
        return np.asarray([f"x{i}" for i in range(estimator.n_features_in_)], dtype=object)
    input_features = np.asarray(input_features, dtype=object)
    if len(input_features) != estimator.n_features_in_:
        raise ValueError(
            f"input_features has {len(input_features)} names but the estimator was fit on "
            f"{estimator.n_features_in_} features."
        )
    if names is not None and not np.array_equal(input_features, names):
        raise ValueError("input_features is not equal to feature_names_in_.")
    return input_features


# --------------------------------------------------------------------------------------
# Stacking
# --------------------------------------------------------------------------------------


def _final_has(method):
    """``available_if`` check: does the (fitted or configured) final estimator have it?"""

    def check(self):
        final = getattr(self, "final_estimator_", None)
        if final is None:
            # Not ``or``: an unfitted ensemble as final estimator has no truth value.
            final = self._default_final() if self.final_estimator is None else (
                self.final_estimator
            )
        # getattr rather than hasattr: available_if chains the final estimator's own
        # AttributeError, which says why the method is missing.
        getattr(final, method)
        return True

    return check


class _BaseStacking(TransformerMixin, _HeterogeneousEnsemble):
    """Shared fit/transform logic of the stacking classifier and regressor."""

    _parameter_constraints = {
        "estimators": [list],
        "final_estimator": [None, HasMethods("fit")],
        "cv": ["cv_object", StrOptions({"prefit"})],
        "passthrough": ["boolean"],
        "refit": ["boolean"],
        "n_jobs": [None, Integral],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimators,
        final_estimator=None,
        *,
        cv=5,
        stack_method="auto",
        passthrough=False,
        refit=True,
        n_jobs=None,
        verbose=0,
    ):
        self.estimators = estimators
        self.final_estimator = final_estimator
        self.cv = cv
        self.stack_method = stack_method
        self.passthrough = passthrough
        self.refit = refit
        self.n_jobs = n_jobs
        self.verbose = verbose

    def set_params(self, **params):
        """Set parameters; ``final_estimator__<param>`` also works for the default one.

        Parameters
        ----------
        **params : dict
            This estimator's parameters, ``<name>`` and ``<name>__<param>`` (or
            ``estimators__<name>__<param>``) for the base estimators, and
            ``final_estimator__<param>``.

        Returns
        -------
        self : object
            This estimator.
        """
        nested_final = any(key.startswith("final_estimator__") for key in params)
        if nested_final and "final_estimator" not in params and self.final_estimator is None:
            # Tuning the default final estimator must not require spelling it out first.
            self.final_estimator = self._default_final()
        return super().set_params(**params)

    def _fit(self, X, y, sample_weight, groups, fit_params):
        """Fit the ensemble and return the level-2 training features."""
        raise_for_params(fit_params, self, "fit")
        self._validate_params()
        classification = is_classifier(self)
        X, y = _check_targets(
            self, X, y, classification=classification,
            multi_output="multilabel" if classification else "error",
        )
        multilabel = classification and y.ndim == 2
        if multilabel:
            # Members and the final estimator learn each label's class codes, and
            # predict decodes them, as scikit-learn does for a multilabel stack.
            classes, y_fit = _encode_multilabel(y)
            member_target_classes = tuple(np.arange(len(c)) for c in classes)
        else:
            classes = _check_classes(self, y) if classification else None
            y_fit, member_target_classes = y, classes
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, ensure_non_negative=True)
        names, estimators = self._validate_estimators(
            "classifier" if classification else "regressor", allow_regressors=classification
        )
        # Weights a member cannot take are reported before its missing stack method and
        # the final estimator's, in the order scikit-learn meets them, but before any fit.
        if routing_enabled():
            metadata = dict(fit_params)
            if sample_weight is not None:
                metadata["sample_weight"] = sample_weight
            routed = route(self, "fit", {}, **metadata)
            member_params = [dict(routed[name].fit) for name in names]
        else:
            # Prefit members are not fit again, so they need not take the weights.
            member_weights = None if self.cv == "prefit" else sample_weight
            member_params = [
                _member_weight_params(name, est, member_weights)
                for name, est in zip(names, estimators, strict=True)
            ]
        methods = _resolve_methods(names, estimators, self.stack_method, classification)
        final = self._default_final() if self.final_estimator is None else self.final_estimator
        # The final estimator's predictions are the stack's: a classifier stack predicts
        # labels, a regressor stack numbers (scikit-learn's check and message).
        kind = "classifier" if classification else "regressor"
        if not (is_classifier if classification else is_regressor)(final):
            raise ValueError(f"'final_estimator' parameter should be a {kind}. Got {final}")
        final_params = _member_weight_params("final_estimator", final, sample_weight)

        # A regressor in a classifier stack is fitted on the class codes and stacks its
        # prediction as one number, as in scikit-learn (ordinal targets, for instance).
        member_classes = [
            None if classes is None or is_regressor(est) else member_target_classes
            for est in estimators
        ]
        if multilabel:
            targets = [y_fit] * len(estimators)
        else:
            codes = None if classes is None else np.searchsorted(classes, y).astype(np.float64)
            targets = [
                y if cls is not None or classes is None else codes for cls in member_classes
            ]

        if self.cv == "prefit":
            # The estimators were fitted elsewhere: they serve as they are, and the final
            # estimator learns from their predictions of the training rows.
            for est in estimators:
                check_is_fitted(est)
            fitted = list(estimators)
            responses = [
                _response(est, X, method, cls)
                for est, method, cls in zip(fitted, methods, member_classes, strict=True)
            ]
        else:
            # A multilabel target is split like a regression one (KFold), as
            # scikit-learn's check_cv does; class-coverage checks are per label there.
            splits = _check_splits(self.cv, X, y, groups, classification and not multilabel)
            responses, fitted = _cross_fit(
                estimators, methods, X, targets, splits, member_params, member_classes,
                self.n_jobs, self.refit, verbose=self.verbose,
            )
        member_features = [
            _as_features(r, m, cls)
            for r, m, cls in zip(responses, methods, member_classes, strict=True)
        ]
        oof_predictions = np.hstack(member_features)
        column_names = [
            _prefixed_names(self, name, features.shape[1])
            for name, features in zip(names, member_features, strict=True)
        ]
        level2 = self._with_passthrough(oof_predictions, X)
        # Keep the clone, not what its fit returns: a fit may not ``return self``.
        final_estimator = clone(final)
        _fit_one(final_estimator, level2, y_fit, final_params)

        if classification:
            self.classes_ = classes
        self._multilabel = multilabel
        self._member_classes = member_classes
        self.stack_method_ = methods
        self.estimators_ = fitted
        self.named_estimators_ = Bunch(**dict(zip(names, fitted, strict=True)))
        self.oof_predictions_ = oof_predictions
        self.oof_feature_names_ = np.asarray(sum(column_names, []), dtype=object)
        self.final_estimator_ = final_estimator
        return level2

    def get_metadata_routing(self):
        """Where the metadata of each method goes, for scikit-learn's metadata routing.

        As in scikit-learn, ``fit`` routes to the base estimators' ``fit`` (each under its
        name) and ``predict`` to the final estimator's ``predict``. ``sample_weight``
        also reaches the final estimator's ``fit`` when it accepts it, and ``groups``
        the cross-validation splitter.

        Returns
        -------
        routing : MetadataRouter
            The routing of this ensemble.
        """
        router = self._members_router()
        final = getattr(self, "final_estimator_", None)
        if final is None:
            final = self._default_final() if self.final_estimator is None else (
                self.final_estimator
            )
        router.add(
            final_estimator_=final,
            method_mapping=MethodMapping().add(caller="predict", callee="predict"),
        )
        return router

    def _predict_params(self, params):
        """Keyword arguments for the final estimator's ``predict``."""
        if routing_enabled():
            return dict(route(self, "predict", {}, **params).final_estimator_.predict)
        return params

    def _with_passthrough(self, features, X):
        if not self.passthrough:
            return features
        X = check_array(X, accept_sparse=["csr", "csc"], ensure_all_finite=False, dtype="numeric")
        if sparse.issparse(X):
            return sparse.hstack([sparse.csr_matrix(features), X], format="csr")
        return np.hstack([features, X])

    def _level2(self, X):
        check_is_fitted(self)
        X = _validate_X(self, X, reset=False)
        members = zip(self.estimators_, self.stack_method_, self._member_classes, strict=True)
        features = np.hstack(
            [_as_features(_response(est, X, m, cls), m, cls) for est, m, cls in members]
        )
        return self._with_passthrough(features, X)

    @reads_snapshot
    def transform(self, X):
        """Level-2 features of ``X``: base-model predictions (and ``X`` with passthrough).

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        features : ndarray or sparse matrix of shape (n_samples, n_level2_features)
            Columns named by :meth:`get_feature_names_out`.
        """
        return self._level2(X)

    @fits_aside
    def fit_transform(self, X, y, **fit_params):
        """Fit the ensemble and return the *out-of-fold* level-2 training features.

        Unlike ``fit(X, y).transform(X)``, which predicts the training rows with models
        that saw them, the returned features are the ones the final estimator was trained
        on, so a model placed after this one in a ``Pipeline`` does not learn from leaked
        labels.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Training samples.
        y : array-like of shape (n_samples,)
            Targets.
        **fit_params : dict
            ``sample_weight``, ``groups`` and, with metadata routing enabled, metadata
            for the base estimators, as for :meth:`fit`.

        Returns
        -------
        features : ndarray or sparse matrix of shape (n_samples, n_level2_features)
            Out-of-fold predictions (with ``X`` appended when ``passthrough=True``);
            with ``cv="prefit"``, the prefit estimators' predictions.
        """
        sample_weight = fit_params.pop("sample_weight", None)
        groups = fit_params.pop("groups", None)
        return self._fit(X, y, sample_weight, groups, fit_params)

    def get_feature_names_out(self, input_features=None):
        """Names of the columns returned by :meth:`transform`.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names, used for the passthrough columns; defaults to
            ``feature_names_in_`` or ``x0, x1, ...``.

        Returns
        -------
        names : ndarray of str
            As in scikit-learn: ``<class>_<name>`` (the lower-case ensemble class, such
            as ``stackingclassifier_lr``) for a base estimator giving one column, else
            ``<class>_<name><i>`` for its columns ``i = 0, 1, ...``; then the
            passthrough features.

        Raises
        ------
        ValueError
            If ``input_features`` does not have ``n_features_in_`` names, or differs
            from ``feature_names_in_``.
        """
        check_is_fitted(self)
        names = list(self.oof_feature_names_)
        if self.passthrough or input_features is not None:
            # Checked even without passthrough, as scikit-learn does.
            inputs = _input_feature_names(self, input_features)
            if self.passthrough:
                names += list(inputs)
        return np.asarray(names, dtype=object)

    @available_if(_final_has("predict"))
    @reads_snapshot
    def predict(self, X, **predict_params):
        """Predict with the final estimator on the level-2 features of ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Input samples.
        **predict_params : dict
            Keyword arguments of the final estimator's ``predict``, such as
            ``return_std=True`` for a ``GaussianProcessRegressor`` or
            ``BayesianRidge`` (the uncertainty of the final estimator only). With
            metadata routing enabled, only those the final estimator requested with
            ``set_predict_request``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,), or a tuple
            Predicted targets, or what the final estimator's ``predict`` returns with
            these parameters (a tuple with ``return_std=True``).
        """
        level2 = self._level2(X)
        y_pred = self.final_estimator_.predict(level2, **self._predict_params(predict_params))
        if getattr(self, "_multilabel", False):
            codes = np.asarray(y_pred, dtype=int)
            return np.column_stack(
                [c[codes[:, k]] for k, c in enumerate(self.classes_)]
            )
        return y_pred


_STACKING_DOC_PARAMS = """
    estimators : list of (str, estimator)
        Base estimators and their names. A name can be used as a parameter
        (``<name>__<param>`` or ``estimators__<name>__<param>``) and an estimator can be
        replaced by ``"drop"``. Stacking estimators can be base estimators, which gives
        multi-level stacks.
    final_estimator : estimator or None, default=None
        Estimator trained on the out-of-fold predictions; defaults to {default}.
    cv : int, cross-validation splitter, iterable or "prefit", default=5
        How the out-of-fold predictions are made. An int means {splitter}. The test folds
        must partition the samples (``KFold``, ``StratifiedKFold``, ``GroupKFold``, ...);
        a group splitter takes ``groups`` from :meth:`fit`. ``"prefit"`` takes the
        estimators as already fitted: they are neither cloned nor refitted, and the final
        estimator learns from their predictions of the training rows, not out-of-fold
        ones, so fit them on other rows than the stack's. (A
        ``sklearn.frozen.FrozenEstimator`` does the same for one estimator under any
        ``cv``.)
    {stack_method}
    passthrough : bool, default=False
        If True, the final estimator also sees the original features (which must then be
        numeric).
    refit : bool, default=True
        If True, after the out-of-fold pass each base estimator is refit on all the data
        and serves predictions (scikit-learn's behaviour). If False, no refit: the models
        fit on each fold are kept and their predictions averaged.
    n_jobs : int or None, default=None
        Number of joblib jobs over (estimator, fold) fits. ``None`` means 1.
    verbose : int, default=0
        Verbosity of joblib over the (estimator, fold) fits.
"""

_STACKING_DOC_ATTRIBUTES = """
    estimators_ : list
        Fitted base estimators (without dropped ones): refit on all the data,
        :class:`FoldAveragedEstimator` objects when ``refit=False``, or the estimators
        themselves when ``cv="prefit"``.
    named_estimators_ : Bunch
        ``estimators_`` by name.
    final_estimator_ : estimator
        The fitted final estimator.
    stack_method_ : list of str
        The method used for each base estimator.
    oof_predictions_ : ndarray of shape (n_samples, n_oof_features)
        The out-of-fold predictions the final estimator was trained on (in-sample
        predictions when ``cv="prefit"``).
    oof_feature_names_ : ndarray of str
        Column names of ``oof_predictions_``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of str
        Names of features seen during fit (only when ``X`` has string column names).
"""


class StackingClassifier(ClassifierMixin, _BaseStacking):
    __doc__ = (
        """Stack of classifiers with a final classifier trained on out-of-fold predictions.

    Parameters
    ----------"""
        + _STACKING_DOC_PARAMS.format(
            default="``LogisticRegression()``",
            splitter="``StratifiedKFold``",
            stack_method="""stack_method : {"auto", "predict_proba", "decision_function", \
"predict"}, default="auto"
        Method of the base estimators giving the level-2 features. ``"auto"`` takes the
        first of ``predict_proba``, ``decision_function`` and ``predict`` that each
        estimator has. For binary problems the redundant first probability column is
        dropped; ``predict`` gives the class index. Regressors can be base estimators
        too, as in scikit-learn: fitted on the class codes ``0 .. n_classes - 1``,
        they stack their ``predict`` output.""",
        )
        + """
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,) or list of ndarray
        Class labels; for a multilabel target, the classes of each label."""
        + _STACKING_DOC_ATTRIBUTES
        + """
    See Also
    --------
    StackingRegressor : The regression counterpart.
    ensembles.selection.EnsembleSelectionClassifier : Greedy weighted blending.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from ensembles.stacking import StackingClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> stack = StackingClassifier(
    ...     [("knn", make_pipeline(StandardScaler(), KNeighborsClassifier())),
    ...      ("lr", make_pipeline(StandardScaler(), LogisticRegression()))],
    ...     refit=False,
    ... ).fit(X, y)
    >>> stack.oof_predictions_.shape
    (569, 2)
    """
    )

    _parameter_constraints = {
        **_BaseStacking._parameter_constraints,
        "stack_method": [StrOptions({"auto", *_CLASSIFIER_METHODS})],
    }

    @staticmethod
    def _default_final():
        return LogisticRegression()

    @fits_aside
    def fit(self, X, y, sample_weight=None, groups=None, **fit_params):
        """Fit the base classifiers out of fold, then the final classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Training samples; passed to the base estimators unchanged.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a multilabel indicator matrix (one 0/1 column per label);
            the base and final estimators must then support multilabel targets.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Sample weights, given to every base estimator and the final estimator (a
            ``Pipeline`` receives them through its last step). As in scikit-learn, a
            ``TypeError`` is raised if one of them has a ``fit`` that takes no
            ``sample_weight`` (a ``fit(X, y, **kwargs)`` receives them).
        groups : array-like of shape (n_samples,) or None, default=None
            Group labels for group splitters such as ``GroupKFold``.
        **fit_params : dict
            Metadata for the base estimators' ``fit``, only with
            ``sklearn.set_config(enable_metadata_routing=True)``: each base estimator
            receives what it requested with ``set_fit_request`` (``sample_weight``
            included), split over the folds where it is per-row.

        Returns
        -------
        self : StackingClassifier
            The fitted ensemble.
        """
        self._fit(X, y, sample_weight, groups, fit_params)
        return self

    @available_if(_final_has("predict_proba"))
    @reads_snapshot
    def predict_proba(self, X):
        """Class probabilities from the final estimator.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes) or (n_samples, n_labels)
            Probabilities in the order of ``classes_``. For a multilabel target, what
            the final estimator gives if it is one array; if it gives one array per
            label, the first column of each, as scikit-learn does (see Notes).

        Notes
        -----
        With a multilabel target and a final estimator whose ``predict_proba`` returns
        a list (k-nearest neighbours, forests), the column kept for each label is that
        of its first class, i.e. the probability that the label is *absent* (0). This
        follows scikit-learn 1.9, for identical results.
        """
        level2 = self._level2(X)
        proba = self.final_estimator_.predict_proba(level2)
        if getattr(self, "_multilabel", False) and isinstance(proba, list):
            # scikit-learn's convention, kept for identical results (see Notes).
            return np.column_stack([np.asarray(p)[:, 0] for p in proba])
        return proba

    @available_if(_final_has("decision_function"))
    @reads_snapshot
    def decision_function(self, X):
        """Decision values from the final estimator.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Decision values of the final estimator.
        """
        level2 = self._level2(X)
        return self.final_estimator_.decision_function(level2)


class StackingRegressor(RegressorMixin, _BaseStacking):
    __doc__ = (
        """Stack of regressors with a final regressor trained on out-of-fold predictions.

    Parameters
    ----------"""
        + _STACKING_DOC_PARAMS.format(
            default="``RidgeCV()``",
            splitter="``KFold``",
            stack_method="""stack_method : {"auto", "predict"}, default="auto"
        Regressors always stack their ``predict`` output.""",
        )
        + """
    Attributes
    ----------"""
        + _STACKING_DOC_ATTRIBUTES
        + """
    See Also
    --------
    StackingClassifier : The classification counterpart.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from ensembles.stacking import StackingRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> stack = StackingRegressor(
    ...     [("ridge", Ridge()), ("tree", DecisionTreeRegressor(max_depth=3))]
    ... ).fit(X, y)
    >>> stack.get_feature_names_out().tolist()
    ['stackingregressor_ridge', 'stackingregressor_tree']
    """
    )

    _parameter_constraints = {
        **_BaseStacking._parameter_constraints,
        "stack_method": [StrOptions({"auto", "predict"})],
    }

    @staticmethod
    def _default_final():
        return RidgeCV()

    @fits_aside
    def fit(self, X, y, sample_weight=None, groups=None, **fit_params):
        """Fit the base regressors out of fold, then the final regressor.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Training samples; passed to the base estimators unchanged.
        y : array-like of shape (n_samples,)
            Targets.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Sample weights, given to every base estimator and the final estimator (a
            ``Pipeline`` receives them through its last step). As in scikit-learn, a
            ``TypeError`` is raised if one of them has a ``fit`` that takes no
            ``sample_weight`` (a ``fit(X, y, **kwargs)`` receives them).
        groups : array-like of shape (n_samples,) or None, default=None
            Group labels for group splitters such as ``GroupKFold``.
        **fit_params : dict
            Metadata for the base estimators' ``fit``, only with
            ``sklearn.set_config(enable_metadata_routing=True)``: each base estimator
            receives what it requested with ``set_fit_request`` (``sample_weight``
            included), split over the folds where it is per-row.

        Returns
        -------
        self : StackingRegressor
            The fitted ensemble.
        """
        self._fit(X, y, sample_weight, groups, fit_params)
        return self


# --------------------------------------------------------------------------------------
# Voting
# --------------------------------------------------------------------------------------


class _BaseVoting(TransformerMixin, _HeterogeneousEnsemble):
    """Shared fit logic of the voting classifier and regressor."""

    _parameter_constraints = {
        "estimators": [list],
        "weights": ["array-like", None],
        "n_jobs": [None, Integral],
        "verbose": ["verbose"],
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # transform returns predictions (labels or probabilities), not rescaled inputs.
        tags.transformer_tags.preserves_dtype = []
        return tags

    def _fit_members(self, X, y, sample_weight, fit_params):
        raise_for_params(fit_params, self, "fit")
        self._validate_params()
        classification = is_classifier(self)
        X, y = _check_targets(
            self, X, y, classification=classification,
            multi_output="not_implemented" if classification else "error",
        )
        classes = _check_classes(self, y) if classification else None
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, ensure_non_negative=True)
        names, estimators = self._validate_estimators(
            "classifier" if classification else "regressor"
        )
        weights = self._check_weights()
        if routing_enabled():
            metadata = dict(fit_params)
            if sample_weight is not None:
                metadata["sample_weight"] = sample_weight
            routed = route(self, "fit", {}, **metadata)
            member_params = [dict(routed[name].fit) for name in names]
        else:
            member_params = [
                _member_weight_params(name, est, sample_weight)
                for name, est in zip(names, estimators, strict=True)
            ]
        fitted = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_logged)(
                clone(est), X, y, params,
                f"({i} of {len(names)}) Processing {name}" if self.verbose else None,
            )
            for i, (name, est, params) in enumerate(
                zip(names, estimators, member_params, strict=True), start=1
            )
        )
        if classification:
            self.classes_ = classes
        self._weights = weights
        self.estimators_ = fitted
        self.named_estimators_ = Bunch(**dict(zip(names, fitted, strict=True)))
        self._names = names
        return self

    def get_metadata_routing(self):
        """Where the metadata of ``fit`` goes, for scikit-learn's metadata routing.

        As in scikit-learn, ``fit`` routes to every estimator's ``fit``, each under its
        name.

        Returns
        -------
        routing : MetadataRouter
            The routing of this ensemble.
        """
        return self._members_router()

    def _check_weights(self):
        """Weights of the estimators that are not dropped (``None`` for equal weights)."""
        if self.weights is None:
            return None
        weights = np.asarray(self.weights, dtype=float)
        if weights.ndim != 1 or len(weights) != len(self.estimators):
            raise ValueError(
                "Number of `estimators` and weights must be equal: weights must have one "
                f"entry per estimator ({len(self.estimators)}); got "
                f"{len(np.atleast_1d(weights))}."
            )
        kept = np.array([not _is_drop(est) for _, est in self.estimators])
        weights = weights[kept]
        if np.any(weights < 0) or not np.all(np.isfinite(weights)) or weights.sum() == 0:
            raise ValueError(
                "weights must be finite, non-negative and not all zero for the estimators "
                f"that are not dropped; got {list(self.weights)}."
            )
        return weights

    def _collect(self, X, method):
        check_is_fitted(self)
        lacking = [
            name
            for name, est in zip(self._names, self.estimators_, strict=True)
            if not hasattr(est, method)
        ]
        if lacking:
            # Reported when the method is used, not at fit, as scikit-learn does: a
            # soft VotingClassifier whose members lack predict_proba still fits.
            raise AttributeError(
                f"{type(self).__name__} cannot call {method}: the estimators {lacking} "
                f"do not have it. Use voting='hard', or drop or replace those estimators."
            )
        X = _validate_X(self, X, reset=False)
        classes = getattr(self, "classes_", None)
        return np.array([_response(est, X, method, classes) for est in self.estimators_])


class VotingClassifier(ClassifierMixin, _BaseVoting):
    """Hard or soft (probability-averaging) vote of classifiers fit on the same data.

    Parameters
    ----------
    estimators : list of (str, estimator)
        Base classifiers and their names; a classifier can be replaced by ``"drop"``.
    voting : {"hard", "soft"}, default="hard"
        ``"hard"`` takes the (weighted) majority of the predicted labels, ties going to the
        first class in ``classes_``; ``"soft"`` takes the class with the largest weighted
        mean probability and needs ``predict_proba`` on every classifier.
    weights : array-like of shape (n_estimators,) or None, default=None
        Weight of each estimator's vote (dropped ones included, their weight is ignored).
        ``None`` weighs all equally.
    n_jobs : int or None, default=None
        Number of joblib jobs fitting the classifiers. ``None`` means 1.
    flatten_transform : bool, default=True
        Shape of :meth:`transform`'s soft-voting output: ``(n_samples, n_classifiers *
        n_classes)`` if True, ``(n_classifiers, n_samples, n_classes)`` if False.
    verbose : bool, default=False
        If True, print the time each classifier took to fit, as it finishes.

    Attributes
    ----------
    estimators_ : list of estimator
        The fitted classifiers (without dropped ones).
    named_estimators_ : Bunch
        ``estimators_`` by name.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of str
        Names of features seen during fit (only when ``X`` has string column names).

    See Also
    --------
    VotingRegressor : Averages regressors.
    ensembles.selection.EnsembleSelectionClassifier : Learns the weights greedily.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from ensembles.stacking import VotingClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> vote = VotingClassifier(
    ...     [("nb", GaussianNB()), ("tree", DecisionTreeClassifier(max_depth=2))],
    ...     voting="soft", weights=[2, 1],
    ... ).fit(X, y)
    >>> vote.predict_proba(X).shape
    (150, 3)
    """

    _parameter_constraints = {
        **_BaseVoting._parameter_constraints,
        "voting": [StrOptions({"hard", "soft"})],
    }

    def __init__(
        self,
        estimators,
        *,
        voting="hard",
        weights=None,
        n_jobs=None,
        flatten_transform=True,
        verbose=False,
    ):
        self.estimators = estimators
        self.voting = voting
        self.weights = weights
        self.n_jobs = n_jobs
        self.flatten_transform = flatten_transform
        self.verbose = verbose

    @fits_aside
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit every classifier on all the data.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Training samples; passed to the classifiers unchanged.
        y : array-like of shape (n_samples,)
            Class labels. Multilabel and multi-output targets raise
            ``NotImplementedError``, as in scikit-learn.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Sample weights for every classifier (a ``Pipeline`` receives them through
            its last step); as in scikit-learn, a ``TypeError`` is raised if a
            classifier's ``fit`` takes no ``sample_weight``. With metadata routing
            enabled, for those that requested them.
        **fit_params : dict
            Metadata for the classifiers' ``fit``, only with
            ``sklearn.set_config(enable_metadata_routing=True)``: each receives what it
            requested with ``set_fit_request``.

        Returns
        -------
        self : VotingClassifier
            The fitted ensemble.
        """
        return self._fit_members(X, y, sample_weight, fit_params)

    @reads_snapshot
    def predict(self, X):
        """Predict by majority (hard) or largest mean probability (soft).

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        if self.voting == "soft":
            proba = self.predict_proba(X)
            return self.classes_[np.argmax(proba, axis=1)]
        codes = self._member_codes(X)
        return self.classes_[_weighted_vote(codes, self._weights, len(self.classes_))]

    def _member_codes(self, X):
        """Each classifier's predicted classes as indices into ``classes_``, shape
        ``(n_estimators, n_samples)``."""
        labels = self._collect(X, "predict")  # checks that the model is fitted first
        return np.searchsorted(self.classes_, labels)

    def _is_soft(self):
        if self.voting != "soft":
            # Raised, not returned False, so that available_if chains the reason.
            raise AttributeError(
                f"predict_proba is not available when voting={self.voting!r}"
            )
        return True

    @available_if(_is_soft)
    @reads_snapshot
    def predict_proba(self, X):
        """Weighted mean of the classifiers' probabilities (soft voting only).

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``.
        """
        return np.average(self._collect(X, "predict_proba"), axis=0, weights=self._weights)

    @reads_snapshot
    def transform(self, X):
        """Each classifier's output: probabilities (soft) or predicted classes (hard).

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        out : ndarray
            Soft voting: probabilities, of shape ``(n_samples, n_estimators *
            n_classes)`` (estimator after estimator) with ``flatten_transform=True``,
            else ``(n_estimators, n_samples, n_classes)``. Hard voting: each
            classifier's class as its index in ``classes_``, of shape ``(n_samples,
            n_estimators)``, as in scikit-learn (numbers, whatever the labels are).
        """
        if self.voting == "soft":
            proba = self._collect(X, "predict_proba")
            return np.hstack(list(proba)) if self.flatten_transform else proba
        return self._member_codes(X).T

    def get_feature_names_out(self, input_features=None):
        """Names of the columns returned by :meth:`transform`.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Not used for the names; if given, it must match the features seen in fit.

        Returns
        -------
        names : ndarray of str
            As in scikit-learn: ``votingclassifier_<name>`` per estimator (hard), or
            ``votingclassifier_<name><i>`` for each class index ``i`` (soft).

        Raises
        ------
        ValueError
            With ``voting="soft"`` and ``flatten_transform=False``, or if
            ``input_features`` does not match the features seen in fit.
        """
        check_is_fitted(self)
        if self.voting == "soft" and not self.flatten_transform:
            raise ValueError(
                "get_feature_names_out is not supported when `voting='soft'` and "
                "`flatten_transform=False`: transform's output is 3-d."
            )
        if input_features is not None:
            _input_feature_names(self, input_features)
        n_columns = len(self.classes_) if self.voting == "soft" else 1
        names = [
            column
            for name in self._names
            for column in _prefixed_names(self, name, n_columns)
        ]
        return np.asarray(names, dtype=object)


class VotingRegressor(RegressorMixin, _BaseVoting):
    """Weighted average of regressors fit on the same data.

    Parameters
    ----------
    estimators : list of (str, estimator)
        Base regressors and their names; a regressor can be replaced by ``"drop"``.
    weights : array-like of shape (n_estimators,) or None, default=None
        Weight of each regressor in the average (dropped ones included, their weight is
        ignored). ``None`` weighs all equally.
    n_jobs : int or None, default=None
        Number of joblib jobs fitting the regressors. ``None`` means 1.
    verbose : bool, default=False
        If True, print the time each regressor took to fit, as it finishes.

    Attributes
    ----------
    estimators_ : list of estimator
        The fitted regressors (without dropped ones).
    named_estimators_ : Bunch
        ``estimators_`` by name.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of str
        Names of features seen during fit (only when ``X`` has string column names).

    See Also
    --------
    VotingClassifier : Votes of classifiers.
    ensembles.selection.EnsembleSelectionRegressor : Learns the weights greedily.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from ensembles.stacking import VotingRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> vote = VotingRegressor([("ridge", Ridge()), ("tree", DecisionTreeRegressor())])
    >>> vote.fit(X, y).transform(X[:3]).shape
    (3, 2)
    """

    def __init__(self, estimators, *, weights=None, n_jobs=None, verbose=False):
        self.estimators = estimators
        self.weights = weights
        self.n_jobs = n_jobs
        self.verbose = verbose

    @fits_aside
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit every regressor on all the data.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Training samples; passed to the regressors unchanged.
        y : array-like of shape (n_samples,)
            Targets.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Sample weights for every regressor (a ``Pipeline`` receives them through
            its last step); as in scikit-learn, a ``TypeError`` is raised if a
            regressor's ``fit`` takes no ``sample_weight``. With metadata routing
            enabled, for those that requested them.
        **fit_params : dict
            Metadata for the regressors' ``fit``, only with
            ``sklearn.set_config(enable_metadata_routing=True)``: each receives what it
            requested with ``set_fit_request``.

        Returns
        -------
        self : VotingRegressor
            The fitted ensemble.
        """
        return self._fit_members(X, y, sample_weight, fit_params)

    @reads_snapshot
    def predict(self, X):
        """Weighted mean of the regressors' predictions.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted targets.
        """
        return np.average(self._collect(X, "predict"), axis=0, weights=self._weights)

    @reads_snapshot
    def transform(self, X):
        """Each regressor's predictions, one column per regressor.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        out : ndarray of shape (n_samples, n_estimators)
            Predictions.
        """
        return self._collect(X, "predict").T

    def get_feature_names_out(self, input_features=None):
        """Names of the columns returned by :meth:`transform`: the estimator names.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Not used for the names; if given, it must match the features seen in fit.

        Returns
        -------
        names : ndarray of str
            ``votingregressor_<name>`` per regressor, as in scikit-learn.

        Raises
        ------
        ValueError
            If ``input_features`` does not match the features seen in fit.
        """
        check_is_fitted(self)
        if input_features is not None:
            _input_feature_names(self, input_features)
        names = [column for name in self._names for column in _prefixed_names(self, name, 1)]
        return np.asarray(names, dtype=object)
