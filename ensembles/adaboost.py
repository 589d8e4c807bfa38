"""AdaBoost around any scikit-learn estimator: SAMME for classification, AdaBoost.R2 for
regression.

Both fit members one after another on reweighted training data, so that each member
concentrates on the rows its predecessors got wrong, and give each member a say that
grows with its accuracy.
"""

import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone, is_classifier
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils import check_random_state, column_or_1d, get_tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, has_fit_parameter, validate_data

from ensembles._fitstate import fits_aside, reads_snapshot
from ensembles.bagging import _check_sample_weight, _is_int, _MemberSequence, _seed_estimator
from ensembles.tree import DecisionTreeClassifier, DecisionTreeRegressor

__all__ = ["AdaBoostClassifier", "AdaBoostRegressor"]


def _default_tree(task, max_depth):
    """Return the default member, a shallow decision tree for ``task``.

    Parameters
    ----------
    task : {"classification", "regression"}
        Which kind of tree to build.
    max_depth : int
        Depth limit of the tree.

    Returns
    -------
    estimator : estimator instance
        An unfitted decision tree.
    """
    tree = DecisionTreeClassifier if task == "classification" else DecisionTreeRegressor
    return tree(max_depth=max_depth)


class _BaseAdaBoost(_MemberSequence, BaseEstimator):
    """The boosting loop shared by the AdaBoost estimators.

    A subclass provides ``_default_estimator`` and ``_boost``, one round of its variant.
    A fitted ensemble is the sequence of its members: ``len``, ``[i]`` and ``iter``.
    """

    def __init__(self, estimator=None, *, n_estimators=50, learning_rate=1.0,
                 random_state=None):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.random_state = random_state

    def _base_estimator(self):
        return self._default_estimator() if self.estimator is None else self.estimator

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        base = self._base_estimator()
        if not hasattr(base, "__sklearn_tags__"):
            return tags  # not an estimator: fit will say so
        base_tags = get_tags(base)
        # The members see X as given, so the ensemble takes what its members take.
        tags.input_tags.sparse = base_tags.input_tags.sparse
        tags.input_tags.allow_nan = base_tags.input_tags.allow_nan
        return tags

    def _check_params(self):
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
        if not isinstance(self.learning_rate, numbers.Real) or isinstance(
            self.learning_rate, (bool, np.bool_)
        ):
            raise TypeError(f"learning_rate must be a float; got {self.learning_rate!r}.")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be positive; got {self.learning_rate}.")
        return clone(base)

    def _boost_all(self, X, y, sample_weight):
        """Run the boosting rounds; set ``estimators_`` and the per-member arrays."""
        base = self._check_params()
        weight = _check_sample_weight(sample_weight, X.shape[0])
        weight = np.full(X.shape[0], 1.0) if weight is None else weight.copy()
        weight /= weight.sum()
        positive = weight > 0
        eps = np.finfo(np.float64).eps
        rng = check_random_state(self.random_state)

        members, alphas, errors = [], [], []
        for _ in range(self.n_estimators):
            # Weights that underflow to zero would drop rows for good; rows weighted zero
            # by the user stay out.
            weight = np.where(positive, np.maximum(weight, eps), 0.0)
            member = clone(base)
            _seed_estimator(member, rng)
            error, alpha, new_weight = self._boost(member, X, y, weight, rng, first=not members)
            if alpha is None:
                break
            members.append(member)
            alphas.append(alpha)
            errors.append(error)
            if new_weight is None:
                break
            total = new_weight.sum()
            if not np.isfinite(total) or total <= 0:
                warnings.warn(
                    f"Sample weights have reached infinite values (or degenerated: sum "
                    f"{total}) after {len(members)} rounds; boosting stopped. A lower "
                    "learning_rate avoids it.",
                    UserWarning,
                    stacklevel=3,
                )
                break
            weight = new_weight / total

        self.estimator_ = base
        self.estimators_ = members
        self.estimator_weights_ = np.asarray(alphas, dtype=np.float64)
        self.estimator_errors_ = np.asarray(errors, dtype=np.float64)
        return self

    def _check_X(self, X):
        check_is_fitted(self)
        return validate_data(
            self, X, accept_sparse=["csr", "csc"], dtype=None, ensure_all_finite=False,
            reset=False,
        )

    def _validate_fit_data(self, X, y, **kwargs):
        return validate_data(
            self, X, y, accept_sparse=["csr", "csc"], dtype=None, ensure_all_finite=False,
            **kwargs,
        )

    @reads_snapshot
    def staged_score(self, X, y, sample_weight=None):
        """Score (accuracy or R^2) of the first 1, 2, ... members on (X, y).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.
        y : array-like of shape (n_samples,)
            True targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights of the score.

        Yields
        ------
        score : float
            The score after each member.
        """
        metric = accuracy_score if is_classifier(self) else r2_score
        for y_pred in self.staged_predict(X):
            yield metric(y, y_pred, sample_weight=sample_weight)

    @property
    def feature_importances_(self):
        """ndarray of shape (n_features,): members' importances averaged by their weights.

        Raises AttributeError when the members have no ``feature_importances_``.
        """
        check_is_fitted(self)
        try:
            importances = [member.feature_importances_ for member in self.estimators_]
        except AttributeError as exc:
            raise AttributeError(
                f"{type(self.estimator_).__name__} has no feature_importances_, so "
                f"{type(self).__name__} has none either."
            ) from exc
        # Every member kept has a positive weight, so the average is defined.
        return np.average(importances, axis=0, weights=self.estimator_weights_)


class AdaBoostClassifier(ClassifierMixin, _BaseAdaBoost):
    """AdaBoost classifier with the multiclass SAMME algorithm.

    Each round fits a member on the weighted rows, gives it the say
    ``alpha = learning_rate * (log((1 - err) / err) + log(K - 1))`` from its weighted
    error ``err`` over ``K`` classes, and multiplies the weights of the rows it got wrong
    by ``exp(alpha)``. A member's vote for class ``k`` is ``alpha`` and
    ``-alpha / (K - 1)`` for every other class; the prediction is the class with the
    highest total.

    Parameters
    ----------
    estimator : estimator instance or None, default=None
        The classifier cloned for every round; its ``fit`` must take ``sample_weight``.
        None means a decision stump (a tree of depth 1).
    n_estimators : int, default=50
        Most members to fit; fewer when a member fits perfectly or no better than
        chance.
    learning_rate : float, default=1.0
        Shrinks every member's say; lower values need more members.
    random_state : int, RandomState instance or None, default=None
        Seeds the members' own ``random_state``.

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
    estimator_weights_ : ndarray of shape (n_members,)
        Each member's say ``alpha``.
    estimator_errors_ : ndarray of shape (n_members,)
        Each member's weighted training error.
    feature_importances_ : ndarray of shape (n_features,)
        The members' importances averaged with their weights, if they have them.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names seen in ``fit``, when X had string column names.

    See Also
    --------
    AdaBoostRegressor : The regression counterpart.
    sklearn.ensemble.AdaBoostClassifier : scikit-learn's estimator with these parameters.

    Notes
    -----
    As in scikit-learn, boosting stops at the first member with zero weighted error (it
    is kept with weight 1), and a member no better than chance, ``err >= 1 - 1/K``, is
    dropped and ends the fit; if it is the first one, ``fit`` raises ValueError. The
    member arrays hold only the members kept, so they can be shorter than
    ``n_estimators``.

    References
    ----------
    J. Zhu, H. Zou, S. Rosset and T. Hastie, "Multi-class AdaBoost", Statistics and Its
    Interface 2, 349-360, 2009.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from ensembles.adaboost import AdaBoostClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = AdaBoostClassifier(n_estimators=20, random_state=0).fit(X, y)
    >>> bool(clf.score(X, y) > 0.95)
    True
    """

    def _default_estimator(self):
        return _default_tree("classification", max_depth=1)

    def _check_params(self):
        base = super()._check_params()
        if not has_fit_parameter(base, "sample_weight"):
            raise ValueError(
                f"estimator must accept sample_weight in fit; {type(base).__name__} "
                "doesn't support sample_weight."
            )
        return base

    @fits_aside
    def fit(self, X, y, sample_weight=None):
        """Boost members on (X, y).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; sparse input only if the members accept it.
        y : array-like of shape (n_samples,)
            Class labels of any type.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative starting weights of the rows; None means equal weights.

        Returns
        -------
        self : AdaBoostClassifier
            The fitted ensemble.
        """
        X, y = self._validate_fit_data(X, y)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        self.n_classes_ = len(self.classes_)
        return self._boost_all(X, codes, sample_weight)

    def _boost(self, member, X, y, weight, rng, first):
        """One SAMME round; returns (error, alpha or None to drop, new weights or None)."""
        member.fit(X, y, sample_weight=weight)
        wrong = np.asarray(member.predict(X)) != y
        error = float(np.sum(weight[wrong]))
        if error <= 0:
            return 0.0, 1.0, None
        n_classes = self.n_classes_
        if error >= 1.0 - 1.0 / n_classes:
            if first:
                raise ValueError(
                    f"The first member's weighted error {error:.4f} is no better than "
                    f"chance for {n_classes} classes (BaseClassifier in AdaBoostClassifier "
                    "ensemble is worse than random); AdaBoostClassifier cannot be fit with "
                    "this estimator."
                )
            return error, None, None
        alpha = self.learning_rate * (np.log((1.0 - error) / error) + np.log(n_classes - 1.0))
        return error, alpha, np.where(wrong, weight * np.exp(alpha), weight)

    def _member_votes(self, member, X):
        """SAMME's symmetric coding of a member's predictions: 1 for the class, -1/(K-1)."""
        n_classes = self.n_classes_
        votes = np.full((X.shape[0], n_classes), -1.0 / max(n_classes - 1, 1))
        votes[np.arange(X.shape[0]), np.asarray(member.predict(X), dtype=np.intp)] = 1.0
        return votes

    @reads_snapshot
    def staged_decision_function(self, X):
        """Decision function of the first 1, 2, ... members.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Yields
        ------
        score : ndarray of shape (n_samples,) or (n_samples, n_classes)
            As :meth:`decision_function` after each member.
        """
        X = self._check_X(X)
        total = np.zeros((X.shape[0], self.n_classes_))
        norm = 0.0
        for member, alpha in zip(self.estimators_, self.estimator_weights_, strict=True):
            total += alpha * self._member_votes(member, X)
            norm += alpha
            yield self._finish_decision(total / norm)

    def _finish_decision(self, scores):
        if self.n_classes_ == 2:
            return scores[:, 1] - scores[:, 0]
        if self.n_classes_ == 1:
            return np.zeros(scores.shape[0])
        return scores

    @reads_snapshot
    def decision_function(self, X):
        """Weighted SAMME votes of the members, normalized by the sum of their weights.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        score : ndarray of shape (n_samples,) or (n_samples, n_classes)
            One column per class in the order of ``classes_``; with two classes, a single
            score that is positive for ``classes_[1]``.
        """
        X = self._check_X(X)
        total = sum(
            alpha * self._member_votes(member, X)
            for member, alpha in zip(self.estimators_, self.estimator_weights_, strict=True)
        )
        return self._finish_decision(total / self.estimator_weights_.sum())

    def _proba(self, decision):
        """Softmax of the decision scaled by 1 / (K - 1), as for SAMME.R's link."""
        if self.n_classes_ == 1:
            return np.ones((decision.shape[0], 1))
        if self.n_classes_ == 2:
            decision = np.column_stack([-decision, decision]) / 2.0
        else:
            decision = decision / (self.n_classes_ - 1)
        decision = decision - decision.max(axis=1, keepdims=True)
        proba = np.exp(decision)
        return proba / proba.sum(axis=1, keepdims=True)

    @reads_snapshot
    def predict_proba(self, X):
        """Class probabilities: the softmax of the decision function over ``K - 1``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities, columns ordered as ``classes_``.
        """
        return self._proba(self.decision_function(X))

    @reads_snapshot
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log class probabilities, columns ordered as ``classes_``.
        """
        return np.log(self.predict_proba(X))

    @reads_snapshot
    def staged_predict_proba(self, X):
        """Class probabilities of the first 1, 2, ... members.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Yields
        ------
        proba : ndarray of shape (n_samples, n_classes)
            As :meth:`predict_proba` after each member.
        """
        for decision in self.staged_decision_function(X):
            yield self._proba(decision)

    def _labels(self, decision):
        if decision.ndim == 1:
            return self.classes_[(decision > 0).astype(np.intp)]
        return self.classes_[np.argmax(decision, axis=1)]

    @reads_snapshot
    def predict(self, X):
        """Class with the highest weighted vote.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        return self._labels(self.decision_function(X))

    @reads_snapshot
    def staged_predict(self, X):
        """Predicted classes of the first 1, 2, ... members.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Yields
        ------
        y : ndarray of shape (n_samples,)
            As :meth:`predict` after each member.
        """
        for decision in self.staged_decision_function(X):
            yield self._labels(decision)


class AdaBoostRegressor(RegressorMixin, _BaseAdaBoost):
    """AdaBoost regressor with the AdaBoost.R2 algorithm.

    Each round fits a member on a bootstrap drawn with the current row weights, scales
    its absolute errors on all rows by the largest one, turns them into losses ``l`` in
    [0, 1] (``loss``), and from the weighted mean loss ``L`` sets
    ``beta = L / (1 - L)`` and the member's say ``learning_rate * log(1 / beta)``; row
    weights are multiplied by ``beta ** ((1 - l) * learning_rate)``, so well predicted rows
    lose weight. The prediction is the weighted median of the members' predictions.

    Parameters
    ----------
    estimator : estimator instance or None, default=None
        The regressor cloned for every round. None means a decision tree of depth 3.
    n_estimators : int, default=50
        Most members to fit; fewer when a member fits perfectly or has a mean loss of
        at least 0.5.
    learning_rate : float, default=1.0
        Shrinks every member's say and the weight updates.
    loss : {"linear", "square", "exponential"}, default="linear"
        Loss of a scaled absolute error ``e``: ``e``, ``e ** 2`` or ``1 - exp(-e)``.
    random_state : int, RandomState instance or None, default=None
        Seeds the weighted bootstraps and the members' own ``random_state``.

    Attributes
    ----------
    estimator_ : estimator instance
        The unfitted template cloned for every member.
    estimators_ : list of estimators
        The fitted members.
    estimator_weights_ : ndarray of shape (n_members,)
        Each member's say.
    estimator_errors_ : ndarray of shape (n_members,)
        Each member's weighted mean loss ``L``.
    feature_importances_ : ndarray of shape (n_features,)
        The members' importances averaged with their weights, if they have them.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names seen in ``fit``, when X had string column names.

    See Also
    --------
    AdaBoostClassifier : The classification counterpart.
    sklearn.ensemble.AdaBoostRegressor : scikit-learn's estimator with these parameters.

    Notes
    -----
    Boosting stops at the first member with zero loss (kept with weight 1). A member with
    ``L >= 0.5`` ends the fit: it is dropped, unless it is the first one, which is kept
    with weight 1 so that the model still predicts. The member arrays hold only the
    members kept, so they can be shorter than ``n_estimators``. Because members are fitted
    on weighted bootstraps, their ``fit`` needs no ``sample_weight``.

    References
    ----------
    H. Drucker, "Improving Regressors using Boosting Techniques", ICML 1997.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from ensembles.adaboost import AdaBoostRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = AdaBoostRegressor(n_estimators=20, random_state=0).fit(X, y)
    >>> reg.predict(X[:2]).shape
    (2,)
    """

    _losses = ("linear", "square", "exponential")

    def __init__(self, estimator=None, *, n_estimators=50, learning_rate=1.0, loss="linear",
                 random_state=None):
        super().__init__(
            estimator=estimator, n_estimators=n_estimators, learning_rate=learning_rate,
            random_state=random_state,
        )
        self.loss = loss

    def _default_estimator(self):
        return _default_tree("regression", max_depth=3)

    def _check_params(self):
        base = super()._check_params()
        if not isinstance(self.loss, str) or self.loss not in self._losses:
            raise ValueError(f"loss must be one of {self._losses}; got {self.loss!r}.")
        return base

    @fits_aside
    def fit(self, X, y, sample_weight=None):
        """Boost members on (X, y).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; sparse input only if the members accept it.
        y : array-like of shape (n_samples,)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative starting weights of the rows; None means equal weights.

        Returns
        -------
        self : AdaBoostRegressor
            The fitted ensemble.
        """
        X, y = self._validate_fit_data(X, y, y_numeric=True)
        return self._boost_all(X, column_or_1d(y).astype(np.float64), sample_weight)

    def _boost(self, member, X, y, weight, rng, first):
        """One AdaBoost.R2 round; returns (loss, alpha or None to drop, weights or None)."""
        rows = rng.choice(X.shape[0], X.shape[0], replace=True, p=weight)
        member.fit(X[rows], y[rows])
        error = np.abs(np.asarray(member.predict(X), dtype=np.float64).ravel() - y)
        largest = error[weight > 0].max()
        if largest > 0:
            # Rows weighted zero may err more than the largest; they carry no weight.
            error = np.minimum(error / largest, 1.0)
        if self.loss == "square":
            error = error**2
        elif self.loss == "exponential":
            error = 1.0 - np.exp(-error)
        mean_loss = float(np.sum(weight * error))
        if mean_loss <= 0:
            return 0.0, 1.0, None
        if mean_loss >= 0.5:
            return (mean_loss, 1.0, None) if first else (mean_loss, None, None)
        beta = mean_loss / (1.0 - mean_loss)
        alpha = self.learning_rate * np.log(1.0 / beta)
        return mean_loss, alpha, weight * beta ** ((1.0 - error) * self.learning_rate)

    def _weighted_median(self, predictions, weights):
        """Row-wise median of ``predictions`` (n_samples, n_members) under ``weights``."""
        order = np.argsort(predictions, axis=1, kind="stable")
        cdf = np.cumsum(weights[order], axis=1)
        pick = np.argmax(cdf >= 0.5 * cdf[:, -1:], axis=1)
        rows = np.arange(predictions.shape[0])
        return predictions[rows, order[rows, pick]]

    def _member_predictions(self, X):
        X = self._check_X(X)
        return np.column_stack([
            np.asarray(member.predict(X), dtype=np.float64).ravel() for member in self.estimators_
        ])

    @reads_snapshot
    def predict(self, X):
        """Weighted median of the members' predictions.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted values.
        """
        return self._weighted_median(self._member_predictions(X), self.estimator_weights_)

    @reads_snapshot
    def staged_predict(self, X):
        """Predictions of the first 1, 2, ... members.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Yields
        ------
        y : ndarray of shape (n_samples,)
            As :meth:`predict` after each member.
        """
        predictions = self._member_predictions(X)
        for count in range(1, predictions.shape[1] + 1):
            yield self._weighted_median(
                predictions[:, :count], self.estimator_weights_[:count]
            )
