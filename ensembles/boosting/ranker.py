"""GradientBoostingRanker: LambdaMART with XGBRanker's interface."""

import inspect
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array

from .._compat import Interval, StrOptions
from .._fitstate import fits_aside, reads_snapshot
from .._model_io import is_finite_number
from .estimators import _BaseGradientBoosting, _check_eval_lists
from .metrics import make_metric
from .ranking import (
    RANKING_OBJECTIVES,
    RankingObjective,
    group_pointer,
    make_ranking_metric,
)

# The ranking parameters and their defaults (XGBoost's).
_RANKING_PARAMS = {
    "lambdarank_pair_method": "topk",
    "lambdarank_num_pair_per_sample": None,
    "lambdarank_unbiased": False,
    "lambdarank_bias_norm": 1.0,
    "lambdarank_normalization": True,
    "lambdarank_score_normalization": True,
    "ndcg_exp_gain": True,
}
_RANKING_METRICS = ("ndcg", "map", "pre")
# The objective of objective=None. XGBRanker's was the same up to XGBoost 1.7; XGBoost 2
# made rank:ndcg its default (GradientBoostingRanker's docstring says why not here).
DEFAULT_OBJECTIVE = "rank:pairwise"


def _is_ranking_metric(spec):
    return isinstance(spec, str) and spec.partition("@")[0].rstrip("-") in _RANKING_METRICS


def _rows(X):
    shape = getattr(X, "shape", None)
    return int(shape[0]) if shape is not None and len(shape) else len(X)


def _split_qid_column(X, qid, what="qid"):
    """Take the query ids out of a DataFrame's ``qid`` column (XGBRanker's convention)."""
    columns = getattr(X, "columns", None)
    if columns is None or "qid" not in list(columns):
        return X, qid
    if qid is not None:
        raise ValueError(f"X has a 'qid' column and {what} is given too; give the query "
                         f"ids once.")
    return X.drop(columns="qid"), X["qid"].to_numpy()


def _row_weights(weight, group_ptr, what):
    """Expand per-group weights (XGBoost's ranking convention) to the rows."""
    if weight is None:
        return None
    weight = check_array(weight, ensure_2d=False, dtype=np.float64, input_name=what)
    n_groups = group_ptr.size - 1
    if weight.ndim != 1 or weight.shape[0] != n_groups:
        raise ValueError(f"{what} holds one weight per query group in ranking (as in "
                         f"XGBoost): expected {n_groups} weights, got shape {weight.shape}.")
    if np.any(weight < 0) or not weight.sum() > 0:
        raise ValueError(f"{what} must be non-negative with a positive sum.")
    return np.repeat(weight, np.diff(group_ptr))


def _query_groups(X, qid, group, sample_weight):
    """``X`` without a ``qid`` column, the group pointer of its rows (from ``qid``, that
    column or ``group``), and the per-group ``sample_weight`` expanded to the rows."""
    X, qid = _split_qid_column(X, qid)
    group_ptr = group_pointer(_rows(X), qid, group)
    return X, group_ptr, _row_weights(sample_weight, group_ptr, "sample_weight")


class GradientBoostingRanker(_BaseGradientBoosting):
    """Gradient boosted trees for learning to rank (LambdaMART), as XGBoost's XGBRanker.

    Rows come in query groups: ``fit`` takes ``qid`` (the query id of every row; the rows
    of one query contiguous, e.g. sorted by query id) or ``group`` (the sizes of
    consecutive groups), or a DataFrame ``X`` with a ``qid`` column. Predictions are
    relevance scores: sort the documents of a query by them, highest first.

    Takes every parameter of :class:`GradientBoostingRegressor` (trees, sampling,
    regularization, boosters, early stopping), with these differences and additions.

    Parameters
    ----------
    objective : {"rank:pairwise", "rank:ndcg", "rank:map"}, default=None
        LambdaMART unscaled (RankNet), scaled by the change of NDCG, or scaled by the
        change of MAP (binary labels). None means ``"rank:pairwise"``, XGBRanker's
        default up to XGBoost 1.7; XGBoost 2 made it ``"rank:ndcg"`` (pass that to get
        XGBRanker's current default and its trees). Why: in query-level cross-validation
        at depth 6 and 100 rounds, RankNet's pairs gave the better NDCG@10 on synthetic
        data with short and long queries (by 0.011 and 0.015) and ranked as well on
        LightGBM's lambdarank example data; ``rank:ndcg``, with its pairs weighted by
        small NDCG changes, needed three times the rounds to catch up on the short
        queries. See :doc:`/user_guide/learning_to_rank`.
    eval_metric : str, list or callable, optional
        Default ``ndcg@k`` (``map@k`` for ``rank:map``) with ``k`` the truncation level of
        the top-k pair method, plain ``ndcg``/``map`` for the mean method. Ranking metrics:
        ``ndcg``, ``map``, ``pre``, each with an optional ``@k`` cut-off and ``-`` suffix
        (a query without relevant documents scores 0 rather than 1).
    lambdarank_pair_method : {"topk", "mean"}, default="topk"
        ``topk``: pair each of the model's top ``k`` documents with every document below;
        ``mean``: pair every document with ``lambdarank_num_pair_per_sample`` randomly
        drawn documents of other labels.
    lambdarank_num_pair_per_sample : int, optional
        ``k`` of top-k (default 32), or the pairs per document of mean (default 1).
    lambdarank_unbiased : bool, default=False
        Unbiased LambdaMART: estimate position biases of clicks, the position of a document
        being its place in the query's rows.
    lambdarank_bias_norm : float, default=1
        Lp regularization ``p`` of the position biases.
    lambdarank_normalization : bool, default=True
        Normalize each query's gradients (by ``log2(1 + s) / s``, ``s`` the query's summed
        lambdas, for top-k; by the pairs per document for mean).
    lambdarank_score_normalization : bool, default=True
        Divide each pair's metric change by its score difference plus 0.01.
    ndcg_exp_gain : bool, default=True
        NDCG gain ``2**label - 1`` (labels integers in [0, 31]) rather than ``label``.

    Attributes
    ----------
    n_features_in_, feature_names_in_ : as in scikit-learn
    n_iterations_ : int
        Rounds fitted.
    best_iteration, best_score : int, float
        Set by early stopping.
    evals_result_ : dict
        Metric values per round.
    position_biases_ : tuple of ndarray or None
        ``(ti_plus, tj_minus)`` estimated by ``lambdarank_unbiased``, else None (set by
        ``fit``; model files keep it).

    Notes
    -----
    Sample weights are per query group (``len(sample_weight) == n_groups``), as in
    XGBoost. The pair sampling of the mean method draws from ``random_state`` (seed 0 when
    None); it is not XGBoost's random stream.
    """

    _parameter_constraints = {
        **_BaseGradientBoosting._parameter_constraints,
        "lambdarank_pair_method": [StrOptions({"topk", "mean"})],
        "lambdarank_num_pair_per_sample": [Interval(Integral, 1, None, closed="left"), None],
        "lambdarank_unbiased": ["boolean"],
        "lambdarank_bias_norm": [Interval(Real, 0, None, closed="left")],
        "lambdarank_normalization": ["boolean"],
        "lambdarank_score_normalization": ["boolean"],
        "ndcg_exp_gain": ["boolean"],
    }

    def __init__(self, **params):
        ranking = {name: params.pop(name, default) for name, default in _RANKING_PARAMS.items()}
        super().__init__(**params)
        for name, value in ranking.items():
            setattr(self, name, value)

    # ------------------------------------------------------------------ hooks of the base
    def _objective_spec(self):
        # RankNet's unscaled pairs: see the class docstring for why it is the default.
        objective = self.objective if self.objective is not None else DEFAULT_OBJECTIVE
        if objective not in RANKING_OBJECTIVES:
            raise ValueError(f"objective={objective!r} is not a ranking objective; accepted: "
                             f"{', '.join(RANKING_OBJECTIVES)}.")
        return objective

    def _make_objective(self, n_classes=None):
        groups = getattr(self, "_fit_groups", None)
        seed = 0 if self.random_state is None else int(
            check_random_state(self.random_state).randint(2**31 - 1))
        return RankingObjective(
            self._objective_spec(), None if groups is None else groups[0],
            pair_method=self.lambdarank_pair_method,
            num_pair_per_sample=self.lambdarank_num_pair_per_sample,
            unbiased=self.lambdarank_unbiased, bias_norm=self.lambdarank_bias_norm,
            exp_gain=self.ndcg_exp_gain, normalization=self.lambdarank_normalization,
            score_normalization=self.lambdarank_score_normalization, seed=seed)

    def _make_metrics(self, objective):
        specs = self.eval_metric
        if specs is None:
            specs = [objective.default_metric]
        elif isinstance(specs, str) or callable(specs):
            specs = [specs]
        return [make_ranking_metric(s, self.ndcg_exp_gain) if _is_ranking_metric(s)
                else make_metric(s, quantile_alpha=self.quantile_alpha,
                                 tweedie_variance_power=self.tweedie_variance_power,
                                 huber_slope=self.huber_slope) for s in specs]

    def _validate_eval_set(self, eval_set, sample_weight_eval_set, base_margin_eval_set=None,
                           n_outputs=1):
        evals = super()._validate_eval_set(eval_set, sample_weight_eval_set,
                                           base_margin_eval_set, n_outputs)
        groups = getattr(self, "_fit_groups", None)
        if groups is not None:
            for ev, group_ptr in zip(evals, groups[1], strict=True):
                ev.group_ptr = group_ptr
        return evals

    def _encode_y(self, y, fitting):
        labels = np.asarray(y)
        if labels.dtype.kind in "US" or (labels.dtype.kind == "O" and any(
                isinstance(v, str | bytes) for v in labels.ravel())):
            # float() would parse "2" as 2.0: labels of text are a mistake to report.
            raise ValueError("y must hold numeric relevance labels, got text; convert the "
                             "labels to numbers.")
        try:
            y = np.asarray(y, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"y must hold numeric relevance labels: {exc}") from None
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D relevance labels, got shape {y.shape}.")
        if not np.all(np.isfinite(y)):
            raise ValueError("y contains NaN or infinity; relevance labels must be finite.")
        return y

    def _labels_to_dict(self):
        biases = getattr(self, "position_biases_", None)
        return {"position_biases": None if biases is None else [b.tolist() for b in biases]}

    def _labels_from_dict(self, doc):
        # Files written before the field existed load as a ranker that estimated none.
        biases = doc.get("position_biases")
        if biases is not None:
            if not (isinstance(biases, list) and len(biases) == 2
                    and all(isinstance(b, list) and len(b) == len(biases[0]) for b in biases)
                    and all(is_finite_number(v) for b in biases for v in b)):
                raise ValueError("position_biases must be null or two lists of finite "
                                 "numbers of one length")
            biases = tuple(np.array(b, dtype=np.float64) for b in biases)
        self.position_biases_ = biases

    # ------------------------------------------------------------------ fitting
    @fits_aside
    def fit(self, X, y, *, group=None, qid=None, sample_weight=None, eval_set=None,
            eval_group=None, eval_qid=None, sample_weight_eval_set=None, verbose=False,
            xgb_model=None):
        """Fit the ranker.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
            Features; a DataFrame may carry the query ids in a ``qid`` column.
        y : array-like of shape (n_samples,)
            Relevance labels (integers for NDCG's exponential gain, 0/1 for MAP).
        group : array-like of shape (n_groups,), optional
            Sizes of the consecutive query groups.
        qid : array-like of shape (n_samples,), optional
            Query id of every row; rows of a query must be contiguous.
        sample_weight : array-like of shape (n_groups,), optional
            One weight per query group.
        eval_set : list of (X, y) pairs, optional
            Evaluation sets (``validation_0``, ...), each with its groups in ``eval_qid``
            or ``eval_group`` (or a ``qid`` column).
        eval_group, eval_qid : list of array-like, optional
            Group sizes or query ids of each eval set.
        sample_weight_eval_set : list of array-like, optional
            Group weights of each eval set.
        verbose : bool or int, default=False
            Print the metrics every round (True) or every ``verbose`` rounds.
        xgb_model : fitted GradientBoostingRanker, optional
            Continue training from its trees.

        Returns
        -------
        self
        """
        X, group_ptr, sample_weight = _query_groups(X, qid, group, sample_weight)
        eval_ptrs = []
        if eval_set is not None:
            _check_eval_lists(eval_set, eval_qid=eval_qid, eval_group=eval_group,
                              sample_weight_eval_set=sample_weight_eval_set)
            pairs = []
            for i, (X_eval, y_eval) in enumerate(eval_set):
                q = None if eval_qid is None else eval_qid[i]
                X_eval, q = _split_qid_column(X_eval, q, "eval_qid")
                gr = None if eval_group is None else eval_group[i]
                if q is None and gr is None:
                    raise ValueError(f"eval_set[{i}] has no query groups: pass eval_qid or "
                                     f"eval_group (one entry per eval set).")
                eval_ptrs.append(group_pointer(_rows(X_eval), q, gr, what=f"eval_qid[{i}]"))
                pairs.append((X_eval, y_eval))
            eval_set = pairs
            if sample_weight_eval_set is not None:
                sample_weight_eval_set = [
                    _row_weights(w, p, f"sample_weight_eval_set[{i}]")
                    for i, (w, p) in enumerate(zip(sample_weight_eval_set, eval_ptrs,
                                                   strict=True))]
        self._fit_groups = (group_ptr, eval_ptrs)
        try:
            _BaseGradientBoosting.fit.__wrapped__(
                self, X, y, sample_weight=sample_weight, eval_set=eval_set,
                sample_weight_eval_set=sample_weight_eval_set, verbose=verbose,
                xgb_model=xgb_model)
        finally:
            del self._fit_groups
        self.position_biases_ = self._objective.position_biases()
        # The fitted model keeps an objective without the training groups: it only
        # predicts.
        self._objective = self._make_objective()
        return self

    # ------------------------------------------------------------------ prediction
    @reads_snapshot
    def predict(self, X, output_margin=False, iteration_range=None, *, pred_leaf=False,
                pred_contribs=False, pred_interactions=False):
        """Relevance scores (raw margins), or leaf indices or SHAP values.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
            A ``qid`` column of a DataFrame is ignored.
        output_margin : bool, default=False
            Accepted for XGBoost compatibility: the scores are the margins.
        iteration_range : (int, int), optional
            Rounds ``[start, stop)``; default all (the best ones after early stopping).
        pred_leaf, pred_contribs, pred_interactions : bool, default=False
            As in :meth:`GradientBoostingRegressor.predict`.

        Returns
        -------
        ndarray of shape (n_samples,), or the shape of the option's result
        """
        X, _ = _split_qid_column(X, None)
        special = self._predict_option(X, iteration_range, output_margin, pred_leaf,
                                       pred_contribs, pred_interactions)
        if special is not None:
            return special
        return self._raw(X, iteration_range)[:, 0]

    @reads_snapshot
    def staged_predict(self, X):
        """Scores after each round."""
        X, _ = _split_qid_column(X, None)
        for raw in self._staged_raw(X):
            yield raw[:, 0]

    @reads_snapshot
    def score(self, X, y, qid=None, group=None, sample_weight=None):
        """Mean NDCG of the ranking of every query (higher is better).

        NDCG at the truncation level ``k`` of the top-k pair method (``ndcg@k``, XGBoost's
        default metric), over whole queries for the mean method, with the gain of
        ``ndcg_exp_gain``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            A DataFrame may carry the query ids in a ``qid`` column.
        y : array-like of shape (n_samples,)
            Relevance labels.
        qid, group : array-like, optional
            Query ids or group sizes (one of them, or the ``qid`` column).
        sample_weight : array-like of shape (n_groups,), optional
            Query group weights.

        Returns
        -------
        float
        """
        X, group_ptr, weight = _query_groups(X, qid, group, sample_weight)
        k = self.lambdarank_num_pair_per_sample or 32
        name = f"ndcg@{k}" if self.lambdarank_pair_method == "topk" else "ndcg"
        metric = make_ranking_metric(name, self.ndcg_exp_gain)
        y = self._encode_y(check_array(y, ensure_2d=False, dtype=None, input_name="y"),
                           fitting=False)
        return metric(y, self._raw(X, None)[:, 0], weight, group_ptr=group_ptr)


def _ranker_signature():
    base = inspect.signature(_BaseGradientBoosting.__init__)
    extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default)
             for name, default in _RANKING_PARAMS.items()]
    return base.replace(parameters=[*base.parameters.values(), *extra])


# The constructor takes the base's parameters plus the ranking ones; its signature says so
# explicitly (scikit-learn's get_params and clone read it), whatever the base grows.
GradientBoostingRanker.__init__.__signature__ = _ranker_signature()
