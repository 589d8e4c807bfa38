"""Ensemble selection: greedy weighted blending of out-of-fold predictions.

Caruana, Niculescu-Mizil, Crew and Ksikes, "Ensemble Selection from Libraries of Models"
(ICML 2004). Every base estimator is cross-fitted to get out-of-fold predictions; starting
from the best few models ("sorted initialization"), the model whose addition most improves
the score of the averaged predictions is added, with replacement, so that a model picked
``k`` times gets weight ``k / n_picks``. The ensemble kept is the best prefix of the
selection path. Bagged selection repeats the procedure on random subsets of the models and
averages the weights, which guards against overfitting the selection to the out-of-fold
data when the library is large.
"""

from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone, is_classifier
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.utils import Bunch, check_random_state
from sklearn.utils.validation import check_is_fitted

from ensembles._compat import Interval, StrOptions, _check_sample_weight
from ensembles._fitstate import fits_aside, reads_snapshot

from .stacking import (
    _check_classes,
    _check_splits,
    _check_targets,
    _cross_fit,
    _fit_one,
    _fit_params_for,
    _HeterogeneousEnsemble,
    _response,
    _validate_X,
)

__all__ = ["EnsembleSelectionClassifier", "EnsembleSelectionRegressor"]


class _PredictionsAsInputClassifier(ClassifierMixin, BaseEstimator):
    """Stand-in classifier whose input *is* its probability output.

    Scoring ``scorer(stand_in, blended_proba, y)`` rates a blend with any scikit-learn
    scorer (thresholded, probabilistic or ranking) without refitting anything.
    """

    def fit(self, X, y=None):
        return self

    def predict_proba(self, X):
        return X

    def predict(self, X):
        return self.classes_[np.argmax(X, axis=1)]


class _PredictionsAsInputRegressor(RegressorMixin, BaseEstimator):
    """Stand-in regressor whose input *is* its prediction (see the classifier version)."""

    def fit(self, X, y=None):
        return self

    def predict(self, X):
        return X


def greedy_selection(predictions, score, *, n_picks, init_size=1, replace=True, candidates=None):
    """Caruana's forward selection of models over their out-of-fold predictions.

    Parameters
    ----------
    predictions : ndarray of shape (n_models, n_samples, ...)
        Out-of-fold predictions (probabilities or regression outputs) of every model.
    score : callable
        ``score(blend) -> float``, higher is better, where ``blend`` is a mean of
        ``predictions`` entries.
    n_picks : int
        Number of additions (the path length); fewer without replacement if the candidates
        run out.
    init_size : int, default=1
        Number of best single models that start the path, each picked once.
    replace : bool, default=True
        Whether a model can be picked again.
    candidates : array-like of int or None, default=None
        Models that may be picked (a bag); all by default.

    Returns
    -------
    picks : ndarray of int
        Model index of each addition, in order.
    path : ndarray of float
        Score of the blend after each addition.
    """
    candidates = np.arange(len(predictions)) if candidates is None else np.asarray(candidates)
    single = np.array([score(predictions[m]) for m in candidates])
    # A stable sort keeps the user's order among equally good models.
    ranked = candidates[np.argsort(-single, kind="stable")]
    total = np.zeros_like(predictions[0], dtype=float)
    picks, path = [], []
    for m in ranked[: min(init_size, n_picks)]:
        total += predictions[m]
        picks.append(m)
        path.append(score(total / len(picks)))
    while len(picks) < n_picks:
        pool = candidates if replace else np.setdiff1d(candidates, picks)
        if len(pool) == 0:
            break
        trials = [score((total + predictions[m]) / (len(picks) + 1)) for m in pool]
        best = int(np.argmax(trials))
        total += predictions[pool[best]]
        picks.append(int(pool[best]))
        path.append(trials[best])
    return np.asarray(picks, dtype=int), np.asarray(path, dtype=float)


class _BaseEnsembleSelection(_HeterogeneousEnsemble):
    """Shared fit logic of the ensemble selection classifier and regressor."""

    _parameter_constraints = {
        "estimators": [list],
        "scoring": [None, StrOptions(set(get_scorer_names())), callable],
        "n_iter": [Interval(Integral, 1, None, closed="left")],
        "init_size": [Interval(Integral, 0, None, closed="left")],
        "replace": ["boolean"],
        "n_bags": [Interval(Integral, 1, None, closed="left")],
        "bag_fraction": [Interval(Real, 0, 1, closed="right")],
        "cv": ["cv_object"],
        "refit": ["boolean"],
        "n_jobs": [None, Integral],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimators,
        *,
        scoring=None,
        n_iter=50,
        init_size=1,
        replace=True,
        n_bags=1,
        bag_fraction=0.5,
        cv=5,
        refit=True,
        n_jobs=None,
        random_state=None,
    ):
        self.estimators = estimators
        self.scoring = scoring
        self.n_iter = n_iter
        self.init_size = init_size
        self.replace = replace
        self.n_bags = n_bags
        self.bag_fraction = bag_fraction
        self.cv = cv
        self.refit = refit
        self.n_jobs = n_jobs
        self.random_state = random_state

    @fits_aside
    def fit(self, X, y, sample_weight=None, groups=None):
        """Cross-fit the base estimators and select their weights greedily.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Training samples; passed to the base estimators unchanged.
        y : array-like of shape (n_samples,)
            Targets.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Sample weights, given to the base estimators that accept them (others are fit
            without, with a warning) and to the scorer.
        groups : array-like of shape (n_samples,) or None, default=None
            Group labels for group splitters such as ``GroupKFold``.

        Returns
        -------
        self : object
            The fitted ensemble.
        """
        self._validate_params()
        classification = is_classifier(self)
        X, y = _check_targets(self, X, y, classification=classification)
        classes = _check_classes(self, y) if classification else None
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, ensure_non_negative=True)
        names, estimators = self._validate_estimators(
            "classifier" if classification else "regressor"
        )
        method = "predict_proba" if classification else "predict"
        lacking = [n for n, e in zip(names, estimators, strict=True) if not hasattr(e, method)]
        if lacking:
            raise ValueError(
                f"Ensemble selection blends {method} outputs, which the estimators {lacking} "
                "lack; drop them or wrap them (e.g. CalibratedClassifierCV)."
            )
        fit_params = _fit_params_for(names, estimators, sample_weight)
        splits = _check_splits(self.cv, X, y, groups, classification)
        responses, fold_models = _cross_fit(
            estimators,
            [method] * len(estimators),
            X,
            y,
            splits,
            fit_params,
            classes,
            self.n_jobs,
            refit=False,
        )
        predictions = np.stack([r.astype(float) for r in responses])
        score = self._blend_scorer(classes, y, sample_weight)

        self.estimator_scores_ = np.array([score(p) for p in predictions])
        self.weights_, self.selection_, self.scores_ = self._select(predictions, score)
        self.ensemble_score_ = score(np.tensordot(self.weights_, predictions, axes=1))

        chosen = np.flatnonzero(self.weights_ > 0)
        if self.refit:
            refitted = Parallel(n_jobs=self.n_jobs)(
                delayed(_fit_one)(clone(estimators[i]), X, y, fit_params[i]) for i in chosen
            )
            served = dict(zip(chosen, refitted, strict=True))
        else:
            served = {i: fold_models[i] for i in chosen}
        if classification:
            self.classes_ = classes
        self.estimator_names_ = np.asarray(names, dtype=object)
        self.estimators_ = [served.get(i) for i in range(len(names))]
        self.named_estimators_ = Bunch(**dict(zip(names, self.estimators_, strict=True)))
        self.oof_predictions_ = predictions
        return self

    def _blend_scorer(self, classes, y, sample_weight):
        """``score(blend)`` for the configured scorer (higher is better)."""
        if classes is not None:
            stand_in = _PredictionsAsInputClassifier()
            stand_in.classes_ = classes
            default = "neg_log_loss"
        else:
            stand_in = _PredictionsAsInputRegressor()
            default = "neg_mean_squared_error"
        scorer = check_scoring(stand_in, scoring=self.scoring or default)
        kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}

        name = self.scoring or default

        def score(blend):
            try:
                value = float(scorer(stand_in, blend, y, **kwargs))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"scoring={name!r} cannot rate the blended out-of-fold "
                                 f"{'probabilities' if classes is not None else 'predictions'}"
                                 f" against y: {exc}") from exc
            if np.isnan(value):
                # NaN compares false with every score: the greedy search would keep its
                # first pick without a word.
                raise ValueError(f"scoring={name!r} gave NaN for a blend; choose a scorer "
                                 f"defined on these predictions.")
            return value

        return score

    def _select(self, predictions, score):
        """Run (bagged) greedy selection; return weights, picks and score paths."""
        n_models = len(predictions)
        if self.n_bags == 1:
            bag_size = n_models
        else:
            bag_size = max(1, int(round(self.bag_fraction * n_models)))
        n_picks = self.n_iter if self.replace else min(self.n_iter, bag_size)
        rng = check_random_state(self.random_state)
        weights = np.zeros(n_models)
        all_picks, all_paths = [], []
        for _ in range(self.n_bags):
            bag = np.arange(n_models)
            if bag_size < n_models:
                bag = np.sort(rng.choice(n_models, size=bag_size, replace=False))
            picks, path = greedy_selection(
                predictions,
                score,
                n_picks=n_picks,
                init_size=self.init_size,
                replace=self.replace,
                candidates=bag,
            )
            # Keep the best prefix of the path: later additions only overfit the OOF data.
            best = int(np.argmax(path)) + 1
            weights += np.bincount(picks[:best], minlength=n_models) / best
            all_picks.append(picks)
            all_paths.append(path)
        return weights / self.n_bags, np.array(all_picks), np.array(all_paths)

    def _blend(self, X, method):
        check_is_fitted(self)
        X = _validate_X(self, X, reset=False)
        classes = getattr(self, "classes_", None)
        return sum(
            w * _response(est, X, method, classes)
            for w, est in zip(self.weights_, self.estimators_, strict=True)
            if w > 0
        )


_SELECTION_DOC_PARAMS = """
    estimators : list of (str, estimator)
        The model library: base estimators and their names (a name also addresses the
        estimator's parameters, ``<name>__<param>``); an entry can be ``"drop"``.
        {requirement}
    scoring : str, callable or None, default=None
        What the selection maximizes on the out-of-fold predictions: a scikit-learn scorer
        name or a scorer callable ``scorer(estimator, X, y)`` (see ``make_scorer``).
        ``None`` means ``{default_scoring}``.
    n_iter : int, default=50
        Number of greedy additions (the length of the selection path), including the
        initial ones.
    init_size : int, default=1
        Number of best single models that start the path ("sorted initialization").
    replace : bool, default=True
        Whether a model can be added more than once (selection with replacement, which
        lets the weights become finer than ``1 / n_models``).
    n_bags : int, default=1
        Number of bags. With more than one, each bag runs the selection on a random
        ``bag_fraction`` of the models and the weights are averaged over bags.
    bag_fraction : float in (0, 1], default=0.5
        Fraction of the models drawn (without replacement) for each bag; unused when
        ``n_bags=1``.
    cv : int, cross-validation splitter or iterable, default=5
        How the out-of-fold predictions are made. An int means {splitter}. The test folds
        must partition the samples; a group splitter takes ``groups`` from ``fit``.
    refit : bool, default=True
        If True, each selected estimator is refit on all the data to serve predictions.
        If False, no refit: the models fit on each fold are kept and averaged.
    n_jobs : int or None, default=None
        Number of joblib jobs over (estimator, fold) fits. ``None`` means 1.
    random_state : int, RandomState instance or None, default=None
        Seed for drawing the bags.
"""

_SELECTION_DOC_ATTRIBUTES = """
    weights_ : ndarray of shape (n_estimators,)
        Blend weight of each (not dropped) estimator, in the order of
        ``estimator_names_``; they sum to one.
    estimator_names_ : ndarray of str
        Names of the estimators that were not dropped.
    estimators_ : list
        Per name, the fitted estimator serving predictions (refit, or a
        :class:`~ensembles.stacking.FoldAveragedEstimator` when ``refit=False``), or
        ``None`` for an estimator with zero weight.
    named_estimators_ : Bunch
        ``estimators_`` by name.
    selection_ : ndarray of shape (n_bags, n_picks)
        Index (into ``estimator_names_``) of the model added at each step of each bag.
    scores_ : ndarray of shape (n_bags, n_picks)
        Score of the blend after each addition: the selection path. The ensemble of a bag
        is its prefix up to the best score.
    estimator_scores_ : ndarray of shape (n_estimators,)
        Out-of-fold score of each single estimator.
    ensemble_score_ : float
        Out-of-fold score of the final weighted blend (optimistic: it was selected on the
        same predictions).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of str
        Names of features seen during fit (only when ``X`` has string column names).
"""


class EnsembleSelectionClassifier(ClassifierMixin, _BaseEnsembleSelection):
    __doc__ = (
        """Weighted probability blend of classifiers chosen by greedy forward selection.

    Parameters
    ----------"""
        + _SELECTION_DOC_PARAMS.format(
            requirement="Every classifier needs ``predict_proba``.",
            default_scoring='"neg_log_loss"',
            splitter="``StratifiedKFold``",
        )
        + """
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    oof_predictions_ : ndarray of shape (n_estimators, n_samples, n_classes)
        Out-of-fold probabilities of each estimator."""
        + _SELECTION_DOC_ATTRIBUTES
        + """
    See Also
    --------
    EnsembleSelectionRegressor : The regression counterpart.
    ensembles.stacking.StackingClassifier : Learns the blend with a final model.

    References
    ----------
    R. Caruana, A. Niculescu-Mizil, G. Crew and A. Ksikes, "Ensemble selection from
    libraries of models", ICML 2004.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from ensembles.selection import EnsembleSelectionClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> sel = EnsembleSelectionClassifier(
    ...     [("nb", GaussianNB()), ("tree", DecisionTreeClassifier(max_depth=3))],
    ...     scoring="roc_auc", n_iter=10,
    ... ).fit(X, y)
    >>> float(sel.weights_.sum())
    1.0
    """
    )

    @reads_snapshot
    def predict_proba(self, X):
        """Weighted mean of the selected classifiers' probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``.
        """
        return self._blend(X, "predict_proba")

    @reads_snapshot
    def predict(self, X):
        """Class with the largest blended probability.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


class EnsembleSelectionRegressor(RegressorMixin, _BaseEnsembleSelection):
    __doc__ = (
        """Weighted average of regressors chosen by greedy forward selection.

    Parameters
    ----------"""
        + _SELECTION_DOC_PARAMS.format(
            requirement="",
            default_scoring='"neg_mean_squared_error"',
            splitter="``KFold``",
        )
        + """
    Attributes
    ----------
    oof_predictions_ : ndarray of shape (n_estimators, n_samples)
        Out-of-fold predictions of each estimator."""
        + _SELECTION_DOC_ATTRIBUTES
        + """
    See Also
    --------
    EnsembleSelectionClassifier : The classification counterpart.
    ensembles.stacking.StackingRegressor : Learns the blend with a final model.

    References
    ----------
    R. Caruana, A. Niculescu-Mizil, G. Crew and A. Ksikes, "Ensemble selection from
    libraries of models", ICML 2004.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from ensembles.selection import EnsembleSelectionRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> sel = EnsembleSelectionRegressor(
    ...     [("ridge", Ridge(alpha=0.1)), ("tree", DecisionTreeRegressor(max_depth=3))],
    ...     n_iter=20,
    ... ).fit(X, y)
    >>> sel.scores_.shape
    (1, 20)
    """
    )

    @reads_snapshot
    def predict(self, X):
        """Weighted mean of the selected regressors' predictions.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted targets.
        """
        return self._blend(X, "predict")
