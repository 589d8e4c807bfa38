"""scikit-learn estimators around the booster: validation, labels, persistence.

Parameter names and defaults follow XGBoost's scikit-learn API, so code written for
``xgboost.XGBClassifier`` mostly runs unchanged on :class:`GradientBoostingClassifier`.
"""

import functools
import inspect
import io
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.validation import (
    check_array,
    check_is_fitted,
    validate_data,
)

from .._categorical import (
    categorical_mask,
    check_columns,
    encode,
    fit_categories,
)
from .._compat import Interval, StrOptions, _check_sample_weight
from .._constraints import interaction_groups, monotone_directions
from .._engine.binning import MAX_VALUE_BINS, BinMapper
from .._engine.explain import TreeExplainer
from .._engine.grower import GrowthParams
from .._engine.sparse import contiguous as _contiguous
from .._engine.sparse import explain as _explain
from .._engine.sparse import is_sparse
from .._engine.sparse_grower import sparse_codes, worth_sparse_codes
from .._fitstate import fits_aside, loads_aside, reads_snapshot
from .._model_io import fail, params_to_json, read_boosting_document, write_document
from .._threads import effective_n_jobs, threads
from .._validation import check_class_labels, passes_as_is
from . import _target_stats as _ts
from ._docstrings import shared_entries
from .booster import Booster, BoostingParams, DartParams, EvalSet, train
from .callbacks import EarlyStopping, EvaluationMonitor, TrainingCallback
from .linear import (
    FEATURE_SELECTORS,
    LINEAR_UPDATERS,
    SHOTGUN_SELECTORS,
    LinearBooster,
    LinearParams,
    train_linear,
)
from .metrics import make_metric
from .objectives import (
    AFT_DISTRIBUTIONS,
    SCALE_POS_WEIGHT_OBJECTIVES,
    check_quantile_alpha,
    make_objective,
)

MODEL_FORMAT = "ensembles.gradient_boosting"
# Version 2 added categorical features (a "categories" field, bitsets in trees); files of
# version 1 still load.
# Version 3 added target statistics (a "target_stats" field); files of versions 1 and 2
# still load.
MODEL_FORMAT_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)
# cat_encoding="auto": a categorical feature with more distinct values than this in the
# training rows gets target statistics (see ``_target_stats``), others partition splits.
TARGET_AUTO_LEVELS = 255
IMPORTANCE_TYPES = ("gain", "weight", "cover", "total_gain", "total_cover")
REGRESSION_OBJECTIVES = (
    "reg:squarederror", "reg:absoluteerror", "reg:pseudohubererror", "reg:quantileerror",
    "reg:squaredlogerror", "reg:logistic", "count:poisson", "reg:gamma", "reg:tweedie",
    "survival:cox", "survival:aft",
)
BINARY_OBJECTIVES = ("binary:logistic", "binary:logitraw", "binary:hinge")
MULTICLASS_OBJECTIVES = ("multi:softprob", "multi:softmax")
CLASSIFICATION_OBJECTIVES = BINARY_OBJECTIVES + MULTICLASS_OBJECTIVES
# XGBoost's tree methods and devices that this library has (histogram growth on the CPU).
TREE_METHODS = ("hist", "auto")
DEVICES = ("cpu",)
# Rows kept by the binning's quantile sketch; more rows barely move quantile edges.
_BINNING_SUBSAMPLE = 200_000
# Seed of that subsample when random_state is None: the bins are not part of the
# randomness a user asks for (row and column sampling), so the same data gives the same
# bins, and without sampling the same model, on every fit, as XGBoost does.
_DEFAULT_BINNING_SEED = 0


# Gradients (times weights) beyond float32's range saturate in the objectives (as in
# XGBoost, which computes them in float32); a bound well inside it.
_MAX_GRADIENT = 1e30


def _check_magnitudes(y, sample_weight, regression):
    """Refuse weights and targets whose gradients would saturate: the model would come out
    constant or wrong without a word."""
    w_max = 1.0 if sample_weight is None else float(sample_weight.max())
    if w_max > _MAX_GRADIENT:
        raise ValueError(f"sample_weight has values up to {w_max:.3g}; gradient statistics "
                         f"need weights below {_MAX_GRADIENT:g}. Divide the weights by a "
                         f"common factor (reg_lambda, min_child_weight and gamma act on "
                         f"the scale of the weighted hessians, so scale them alike).")
    if regression and y.size:
        y_max = float(np.max(np.abs(y)))
        if y_max * max(w_max, 1.0) > _MAX_GRADIENT:
            raise ValueError(f"y has values up to {y_max:.3g} (with weights up to "
                             f"{w_max:.3g}); gradients need |y| * weight below "
                             f"{_MAX_GRADIENT:g}. Divide y by a constant and multiply the "
                             f"predictions back.")


def _check_margin_magnitude(margin, name):
    """Refuse starting margins whose gradients would saturate (see _check_magnitudes)."""
    largest = float(np.max(np.abs(margin), initial=0.0))
    if largest > _MAX_GRADIENT:
        raise ValueError(f"{name} gives starting margins up to {largest:.3g}; gradients need "
                         f"margins below {_MAX_GRADIENT:g}.")


def _check_feature_weights(feature_weights, n_features):
    """``feature_weights`` as float64 of one non-negative, finite weight per feature with a
    positive sum (or None)."""
    if feature_weights is None:
        return None
    weights = np.asarray(feature_weights, dtype=np.float64)
    if weights.shape != (n_features,):
        raise ValueError(f"feature_weights must hold one weight per feature ({n_features}), "
                         f"got shape {weights.shape}.")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0) or not weights.sum() > 0:
        raise ValueError("feature_weights must be finite and non-negative, with a positive "
                         "sum.")
    return weights


def _check_eval_lists(eval_set, **per_set):
    """Check that ``eval_set`` is a list of (X, y) pairs and that every list in ``per_set``
    (by parameter name, e.g. ``sample_weight_eval_set=...``) that is given holds one entry
    per pair; without ``eval_set``, such a list is refused."""
    if eval_set is None:
        for name, given in per_set.items():
            if given is not None:
                raise ValueError(f"{name} is given but eval_set is not.")
        return
    if not isinstance(eval_set, list | tuple) or not all(
            isinstance(pair, list | tuple) and len(pair) == 2 for pair in eval_set):
        raise TypeError("eval_set must be a list of (X, y) pairs.")
    for name, given in per_set.items():
        if given is not None and len(given) != len(eval_set):
            raise ValueError(f"{name} has {len(given)} entries but eval_set has "
                             f"{len(eval_set)}; give one (or None) per eval set.")


def _check_eval_weight(weight, rows, i):
    """``sample_weight_eval_set[i]`` as float64, one finite non-negative weight per row of
    ``rows`` (the eval set's X or y); None stays None."""
    if weight is None:
        return None
    try:
        return _check_sample_weight(weight, rows, ensure_non_negative=True)
    except ValueError as exc:
        raise ValueError(f"sample_weight_eval_set[{i}]: {exc}") from None


def _no_bins(n_features, max_bin):
    """A fitted binning with one bin per feature: what the linear booster keeps (it reads
    raw values)."""
    return BinMapper.from_edges([[]] * n_features, max_bin)


# Parameters that only some boosters read (updater, refused elsewhere, aside).
_BOOSTER_ONLY_PARAMS = {
    **{name: ("gbtree", "dart") for name in ("monotone_constraints",
                                              "interaction_constraints")},
    **{name: ("dart",) for name in ("rate_drop", "skip_drop", "one_drop", "sample_type",
                                   "normalize_type")},
    **{name: ("gblinear",) for name in ("feature_selector", "top_k")},
}


def _constructor_default(estimator, name):
    return _constructor_defaults(type(estimator))[name]


@functools.cache
def _constructor_defaults(cls):
    # Once per class: inspecting a signature costs as much as a small tree.
    return {name: p.default for name, p in inspect.signature(cls.__init__).parameters.items()}


def _is_default(value, default):
    if value is None or default is None:
        return value is default
    return bool(np.isscalar(value) and value == default)  # np.float64(0.0) too


def _finite_or_none(value):
    return None if value is None or not np.isfinite(value) else value


def _linear_dump(coef, dump_format):
    """XGBoost's dump of a linear model: the bias, then the weights, one output after
    another on each line."""
    if dump_format == "json":
        import json

        return json.dumps({"bias": coef[-1].tolist(), "weight": coef[:-1].ravel().tolist()})
    lines = ["bias:", *(f"{b:g}" for b in coef[-1]), "weight:",
             *(f"{w:g}" for w in coef[:-1].ravel())]
    return "\n".join(lines) + "\n"


class _BaseGradientBoosting(BaseEstimator):
    """Shared parameters, fitting, prediction and persistence of both estimators."""

    _parameter_constraints = {
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "max_depth": [Interval(Integral, 0, None, closed="left")],
        "max_leaves": [Interval(Integral, 0, None, closed="left")],
        "grow_policy": [StrOptions({"depthwise", "lossguide"})],
        "min_child_weight": [Interval(Real, 0, None, closed="left")],
        "reg_lambda": [Interval(Real, 0, None, closed="left")],
        "reg_alpha": [Interval(Real, 0, None, closed="left")],
        "gamma": [Interval(Real, 0, None, closed="left")],
        "max_delta_step": [Interval(Real, 0, None, closed="left"), None],
        "subsample": [Interval(Real, 0, 1, closed="right")],
        "colsample_bytree": [Interval(Real, 0, 1, closed="right")],
        "colsample_bylevel": [Interval(Real, 0, 1, closed="right")],
        "colsample_bynode": [Interval(Real, 0, 1, closed="right")],
        "max_bin": [Interval(Integral, 2, MAX_VALUE_BINS, closed="both")],
        "objective": [str, callable, None],
        "base_score": [Real, None],
        "eval_metric": [str, list, callable, None],
        "early_stopping_rounds": [Interval(Integral, 1, None, closed="left"), None],
        "callbacks": [list, None],
        "huber_slope": [Interval(Real, 0, None, closed="neither")],
        "quantile_alpha": [Interval(Real, 0, 1, closed="neither"), "array-like"],
        "tweedie_variance_power": [Interval(Real, 1, 2, closed="left")],
        "importance_type": [StrOptions(set(IMPORTANCE_TYPES))],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "monotone_constraints": [str, list, tuple, dict, np.ndarray, None],
        "interaction_constraints": [str, list, tuple, None],
        "tree_method": [str, None],
        "device": [str, None],
        "verbosity": [Interval(Integral, 0, 3, closed="both"), None],
        "missing": [Real, None],
        "scale_pos_weight": [Interval(Real, 0, None, closed="neither"), None],
        "num_parallel_tree": [Interval(Integral, 1, None, closed="left"), None],
        "aft_loss_distribution": [StrOptions(set(AFT_DISTRIBUTIONS))],
        "aft_loss_distribution_scale": [Interval(Real, 0, None, closed="neither")],
        "booster": [StrOptions({"gbtree", "dart", "gblinear"})],
        "rate_drop": [Interval(Real, 0, 1, closed="both")],
        "skip_drop": [Interval(Real, 0, 1, closed="both")],
        "one_drop": ["boolean"],
        "sample_type": [StrOptions({"uniform", "weighted"})],
        "normalize_type": [StrOptions({"tree", "forest"})],
        "updater": [StrOptions(set(LINEAR_UPDATERS)), None],
        "feature_selector": [StrOptions(set(FEATURE_SELECTORS))],
        "top_k": [Interval(Integral, 0, None, closed="left")],
        "categorical_features": [str, list, tuple, np.ndarray, None],
        "enable_categorical": ["boolean"],
        "max_cat_to_onehot": [Interval(Integral, 1, None, closed="left")],
        "max_cat_threshold": [Interval(Integral, 1, None, closed="left")],
        "cat_smooth": [Interval(Real, 0, None, closed="left")],
        "min_data_per_category": [Interval(Integral, 1, None, closed="left")],
        "cat_penalty": [Interval(Real, 0, None, closed="left")],
        "cat_encoding": [StrOptions({"auto", "partition", "target"})],
        "max_cat_to_partition": [Interval(Integral, 0, None, closed="left")],
        "target_smooth": [StrOptions({"auto"}), Interval(Real, 0, None, closed="left")],
        "use_quantized_grad": ["boolean"],
        "num_grad_quant_bins": [Interval(Integral, 2, 254, closed="both")],
        "quant_train_renew_leaf": ["boolean"],
    }

    def __init__(self, *, n_estimators=100, learning_rate=0.3, max_depth=6, max_leaves=0,
                 grow_policy="depthwise", min_child_weight=1.0, reg_lambda=1.0, reg_alpha=0.0,
                 gamma=0.0, max_delta_step=None, subsample=1.0, colsample_bytree=1.0,
                 colsample_bylevel=1.0, colsample_bynode=1.0, max_bin=256, objective=None,
                 base_score=None, eval_metric=None, early_stopping_rounds=None, callbacks=None,
                 huber_slope=1.0, quantile_alpha=0.5, tweedie_variance_power=1.5,
                 importance_type="gain", n_jobs=None, random_state=None, tree_method="hist",
                 device="cpu", verbosity=1, missing=np.nan, scale_pos_weight=1.0,
                 num_parallel_tree=1, aft_loss_distribution="normal",
                 aft_loss_distribution_scale=1.0, monotone_constraints=None,
                 interaction_constraints=None, booster="gbtree", rate_drop=0.0,
                 skip_drop=0.0, one_drop=False, sample_type="uniform", normalize_type="tree",
                 updater=None, feature_selector="cyclic", top_k=0,
                 categorical_features="from_dtype", enable_categorical=False,
                 max_cat_to_onehot=4, max_cat_threshold=32, cat_smooth=10.0,
                 min_data_per_category=10, cat_penalty=1.0, cat_encoding="auto",
                 max_cat_to_partition=TARGET_AUTO_LEVELS, target_smooth="auto",
                 use_quantized_grad=False, num_grad_quant_bins=4,
                 quant_train_renew_leaf=True):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.max_leaves = max_leaves
        self.grow_policy = grow_policy
        self.min_child_weight = min_child_weight
        self.reg_lambda = reg_lambda
        self.reg_alpha = reg_alpha
        self.gamma = gamma
        self.max_delta_step = max_delta_step
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.colsample_bylevel = colsample_bylevel
        self.colsample_bynode = colsample_bynode
        self.max_bin = max_bin
        self.objective = objective
        self.base_score = base_score
        self.eval_metric = eval_metric
        self.early_stopping_rounds = early_stopping_rounds
        self.callbacks = callbacks
        self.huber_slope = huber_slope
        self.quantile_alpha = quantile_alpha
        self.tweedie_variance_power = tweedie_variance_power
        self.importance_type = importance_type
        self.n_jobs = n_jobs
        self.monotone_constraints = monotone_constraints
        self.interaction_constraints = interaction_constraints
        self.random_state = random_state
        self.tree_method = tree_method
        self.device = device
        self.verbosity = verbosity
        self.missing = missing
        self.scale_pos_weight = scale_pos_weight
        self.num_parallel_tree = num_parallel_tree
        self.aft_loss_distribution = aft_loss_distribution
        self.aft_loss_distribution_scale = aft_loss_distribution_scale
        self.booster = booster
        self.rate_drop = rate_drop
        self.skip_drop = skip_drop
        self.one_drop = one_drop
        self.sample_type = sample_type
        self.normalize_type = normalize_type
        self.updater = updater
        self.feature_selector = feature_selector
        self.top_k = top_k
        self.categorical_features = categorical_features
        self.enable_categorical = enable_categorical
        self.max_cat_to_onehot = max_cat_to_onehot
        self.max_cat_threshold = max_cat_threshold
        self.cat_smooth = cat_smooth
        self.min_data_per_category = min_data_per_category
        self.cat_penalty = cat_penalty
        self.cat_encoding = cat_encoding
        self.max_cat_to_partition = max_cat_to_partition
        self.target_smooth = target_smooth
        self.use_quantized_grad = use_quantized_grad
        self.num_grad_quant_bins = num_grad_quant_bins
        self.quant_train_renew_leaf = quant_train_renew_leaf

    # ------------------------------------------------------------------ validation
    def _validate_X(self, X, reset):
        mask = getattr(self, "is_categorical_", None)
        if not reset and mask is not None and mask.any():
            X = self._encode_categories(X)
        elif not reset:
            check_columns(X, None)
        if not reset and passes_as_is(self, X):
            return self._mark_missing(X)
        X = validate_data(self, X, reset=reset, dtype=[np.float64, np.float32],
                          accept_sparse=["csr", "csc"],
                          ensure_all_finite=self._finite_rule(), ensure_min_samples=1)
        return self._mark_missing(_contiguous(X))

    def _missing_value(self):
        return np.nan if self.missing is None else float(self.missing)

    def _finite_rule(self):
        # An infinite `missing` lets those values through validation, to be read as missing.
        return False if np.isinf(self._missing_value()) else "allow-nan"

    def _mark_missing(self, X):
        """X with the entries equal to ``missing`` set to NaN (a copy when any is), as
        XGBoost reads them; NaN stays missing whatever ``missing`` is. A sparse X (see
        :func:`_contiguous`) has its stored values marked; its absent entries are zeros."""
        missing = self._missing_value()
        if is_sparse(X):
            if missing == 0.0:
                raise ValueError(
                    "missing=0 cannot be used with sparse X: the absent entries of a "
                    "sparse matrix are zeros here (scikit-learn's meaning, not XGBoost's "
                    "'missing'). Store missing values as NaN and leave missing=None (or "
                    "np.nan), or pass a dense array.")
            data = self._mark_missing(X.data)
            if data is not X.data:
                X = X.copy()
                X.data = data
            return X
        if not np.isnan(missing):
            hit = X == missing
            if hit.any():
                X = np.where(hit, np.nan, X)
        if np.isinf(missing) and np.isinf(X).any():
            raise ValueError(f"Input X contains infinity other than missing={missing!r}.")
        return X

    def _check_xgboost_options(self):
        """Options XGBoost has that name a method or device this library does not have:
        a clear error instead of a silently different model."""
        method = "hist" if self.tree_method is None else self.tree_method
        if method in ("exact", "approx", "gpu_hist"):
            raise ValueError(
                f"tree_method={method!r} is not available: this library grows every tree "
                f"from feature histograms (XGBoost's tree_method='hist', its default), with "
                f"up to max_bin bins per feature computed once before training. 'exact' "
                f"scans every distinct value and 'approx' rebuilds the bins every round; "
                f"both are slower, and with max_bin=256 bins histogram growth usually fits "
                f"models as accurate. Use tree_method='hist' (or 'auto').")
        if method not in TREE_METHODS:
            raise ValueError(f"tree_method must be one of {TREE_METHODS}, got {method!r}.")
        device = "cpu" if self.device is None else self.device
        if device not in DEVICES:
            raise ValueError(
                f"device={device!r} is not available: this library trains and predicts "
                f"on the CPU only (compiled numba kernels, threads set by n_jobs); use "
                f"device='cpu'.")
        try:
            check_quantile_alpha(self.quantile_alpha)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"quantile_alpha: {exc}") from None

    def _check_base_margin(self, base_margin, n_rows, n_outputs, name):
        """``base_margin`` as an (n_rows, n_outputs) float array (XGBoost's shapes: (n,)
        for one output, (n, K) or flat (n * K,) for K)."""
        if base_margin is None:
            return None
        margin = check_array(base_margin, ensure_2d=False, dtype=np.float64,
                             input_name=name)
        if margin.size != n_rows * n_outputs or (margin.ndim == 2
                                                 and margin.shape != (n_rows, n_outputs)):
            raise ValueError(f"{name} must have shape ({n_rows},)"
                             f"{'' if n_outputs == 1 else f' or ({n_rows}, {n_outputs})'} "
                             f"(one margin per row and output), got shape {margin.shape}.")
        # A copy: predictions are accumulated into it.
        return np.array(margin.reshape(n_rows, n_outputs), dtype=np.float64, order="C")

    def _encode_categories(self, X):
        """``X`` with the fitted categorical columns as codes (see ``_categorical``)."""
        if hasattr(X, "toarray"):
            raise TypeError("Categorical features need dense X (a DataFrame or an array), "
                            "not a sparse matrix.")
        if not hasattr(X, "shape"):
            X = np.asarray(X, dtype=object)
        if len(X.shape) != 2 or X.shape[1] != len(self.is_categorical_):
            return X  # validate_data gives the error
        check_columns(X, self.is_categorical_)
        categories = {j: c for j, c in enumerate(self.categories_) if c is not None}
        return self._apply_target_stats(encode(X, self.is_categorical_, categories))

    def _target_stats(self):
        """``target_stats_``: per feature its statistics, or None (models fitted before
        target statistics, or on Dask, have none)."""
        stats = getattr(self, "target_stats_", None)
        return list(stats) if stats is not None else [None] * self.n_features_in_

    def _apply_target_stats(self, X):
        """``X`` (category codes) with each target-encoded feature's codes replaced by the
        statistics of all training rows (NaN stays NaN: missing or unseen)."""
        stats = getattr(self, "target_stats_", None)
        if stats is None or all(s is None for s in stats):
            return X
        for j, st in enumerate(stats):
            if st is None:
                continue
            if hasattr(X, "iloc"):
                X.isetitem(j, _ts.lookup(X.iloc[:, j].to_numpy(dtype=np.float64), st))
            else:
                X[:, j] = _ts.lookup(X[:, j], st)
        return X

    def _target_kind_ok(self, y):
        """Whether target statistics apply: a regression objective of one target per row
        (not survival), or two classes; multiclass, ranking and survival keep partition
        splits."""
        if isinstance(self, ClassifierMixin):
            try:
                return len(np.unique(np.asarray(y))) == 2
            except TypeError:
                return False
        if isinstance(self, RegressorMixin):
            return not (isinstance(self.objective, str)
                        and self.objective.startswith("survival:"))
        return False

    def _choose_target_encoded(self, X, y, mask, keep):
        """Per categorical feature, whether it is target-encoded (see ``cat_encoding``);
        returns that mask and the categories of those features."""
        if self.cat_encoding == "partition" or self.booster == "gblinear":
            return np.zeros_like(mask), {}
        ok = self._target_kind_ok(y)
        if self.cat_encoding == "target" and not ok:
            raise ValueError("cat_encoding='target' needs a regression objective (not "
                             "survival) or two classes; multiclass, ranking and survival "
                             "models split categorical features by partitions "
                             "(cat_encoding='partition' or 'auto').")
        if not ok:
            return np.zeros_like(mask), {}
        seen = fit_categories(X, mask, keep, 1)
        target = np.zeros_like(mask)
        for j, levels in seen.items():
            target[j] = (self.cat_encoding == "target"
                         or len(levels) > self.max_cat_to_partition)
        return target, {j: c for j, c in seen.items() if target[j]}

    def _fit_target_stats(self, X, y, sample_weight, xgb_model):
        """Replace the target-encoded features' codes in ``X`` (validated, float) by
        cross-fitted statistics, and publish (on this staging copy) the statistics of all
        rows that prediction and the eval sets use."""
        target = self.__dict__.pop("_target_mask", None)
        self.target_stats_ = [None] * X.shape[1]
        if target is None or not target.any():
            return X
        if y.ndim != 1:
            raise ValueError("Target statistics need one target per row.")
        w = np.ones(X.shape[0]) if sample_weight is None else sample_weight
        if self.random_state is None:
            seed = 0
        elif isinstance(self.random_state, Integral):
            seed = int(self.random_state)
        else:
            seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        folds = _ts.fold_assignment(X.shape[0], seed)
        X = np.array(X, dtype=np.float64, order="C")
        stats = [None] * X.shape[1]
        for j in np.flatnonzero(target):
            codes = _ts.int_codes(X[:, j])
            n_levels = len(self.categories_[j])
            m = self.target_smooth
            if m == "auto":
                m = _ts.auto_smoothing(codes, y, w, n_levels)
            X[:, j] = _ts.cross_fitted(codes, y, w, n_levels, float(m), folds)
            stats[j] = (xgb_model.target_stats_[j] if xgb_model is not None
                        else _ts.full_statistics(codes, y, w, n_levels, float(m)))
        self.target_stats_ = stats
        return X

    def _engine_categories(self):
        """Categories per feature as the engine sees them: None for numeric and
        target-encoded features (the trees split their statistics by thresholds)."""
        return [None if st is not None else c
                for c, st in zip(self._categories(), self._target_stats(), strict=True)]

    def _fit_categories(self, X, y, sample_weight, xgb_model):
        """Find the categorical features and their categories (published on this staging
        copy, so that eval sets are encoded alike); returns ``X`` encoded."""
        self.is_categorical_ = None
        self.target_stats_ = None
        self._target_mask = None
        if hasattr(X, "shape"):
            shape = X.shape
        elif isinstance(X, list | tuple) and len(X) and isinstance(X[0], list | tuple):
            shape = (len(X), len(X[0]))
        else:  # anything else is validated (and explained) by validate_data
            shape = ()
        n_features = shape[1] if len(shape) == 2 else 0
        mask = categorical_mask(X, self.categorical_features, self.enable_categorical,
                                n_features)
        if xgb_model is not None:
            fitted = getattr(xgb_model, "is_categorical_", None)
            if (mask is None) != (fitted is None or not fitted.any()) or (
                    mask is not None and not np.array_equal(mask, fitted)):
                raise ValueError("xgb_model has other categorical features than this fit; "
                                 "continued training needs the same ones.")
        if mask is None:
            check_columns(X, None)
            self.is_categorical_ = np.zeros(n_features, dtype=np.bool_)
            self.categories_ = [None] * n_features
            return X
        if hasattr(X, "toarray"):
            raise TypeError("Categorical features need dense X (a DataFrame or an array), "
                            "not a sparse matrix.")
        check_columns(X, mask)
        if not hasattr(X, "shape"):
            X = np.asarray(X, dtype=object)
        if xgb_model is not None:
            categories = {j: c for j, c in enumerate(xgb_model.categories_) if c is not None}
            target = np.array([s is not None for s in xgb_model._target_stats()],
                              dtype=np.bool_)
        else:
            keep = None
            if sample_weight is not None:
                keep = np.asarray(sample_weight, dtype=np.float64).reshape(-1) > 0
                if keep.shape[0] != X.shape[0]:
                    keep = None  # _check_sample_weight reports the mismatch
            # Target-encoded features keep every category with a row: smoothing, not
            # pooling with the missing values, is their guard against rare categories.
            target, categories = self._choose_target_encoded(X, y, mask, keep)
            categories.update(fit_categories(X, mask & ~target, keep,
                                             self.min_data_per_category))
        self.is_categorical_ = mask
        self.categories_ = [categories.get(j) for j in range(n_features)]
        self._target_mask = target
        return encode(X, mask, categories)

    def _validate_eval_set(self, eval_set, sample_weight_eval_set, base_margin_eval_set=None,
                           n_outputs=1):
        _check_eval_lists(eval_set, sample_weight_eval_set=sample_weight_eval_set,
                          base_margin_eval_set=base_margin_eval_set)
        if eval_set is None:
            return []
        evals = []
        for i, (X_eval, y_eval) in enumerate(eval_set):
            X_eval = self._validate_X(X_eval, reset=False)
            y_eval = self._encode_y(check_array(y_eval, ensure_2d=False, dtype=None,
                                                input_name="eval_set y"), fitting=False)
            if len(y_eval) != X_eval.shape[0]:
                raise ValueError(f"eval_set[{i}] has {X_eval.shape[0]} rows in X but "
                                 f"{len(y_eval)} labels.")
            w = None if sample_weight_eval_set is None else _check_eval_weight(
                sample_weight_eval_set[i], X_eval, i)
            margin = None if base_margin_eval_set is None else self._check_base_margin(
                base_margin_eval_set[i], X_eval.shape[0], n_outputs,
                f"base_margin_eval_set[{i}]")
            evals.append(EvalSet(f"validation_{i}", X_eval, y_eval, w, base_margin=margin))
        return evals

    def _make_objective(self, n_classes=None):
        return make_objective(
            self._objective_spec(), huber_slope=self.huber_slope,
            quantile_alpha=self.quantile_alpha,
            tweedie_variance_power=self.tweedie_variance_power, n_classes=n_classes,
            max_delta_step=self.max_delta_step,
            scale_pos_weight=1.0 if self.scale_pos_weight is None else self.scale_pos_weight,
            aft_loss_distribution=self.aft_loss_distribution,
            aft_loss_distribution_scale=self.aft_loss_distribution_scale,
        )

    def _make_metrics(self, objective):
        specs = self.eval_metric
        if specs is None:
            specs = [objective.default_metric]
        elif isinstance(specs, str) or callable(specs):
            specs = [specs]
        return [make_metric(s, quantile_alpha=self.quantile_alpha,
                            tweedie_variance_power=self.tweedie_variance_power,
                            huber_slope=self.huber_slope,
                            aft_loss_distribution=self.aft_loss_distribution,
                            aft_loss_distribution_scale=self.aft_loss_distribution_scale)
                for s in specs]

    def _metric_higher_is_better(self, name):
        return self._metric_direction.get(name, False)

    # ------------------------------------------------------------------ fitting
    @fits_aside
    def fit(self, X, y, *, sample_weight=None, base_margin=None, eval_set=None,
            sample_weight_eval_set=None, base_margin_eval_set=None, verbose=False,
            xgb_model=None, y_lower_bound=None, y_upper_bound=None, feature_weights=None):
        """Fit the gradient boosted trees.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Numeric features; NaN (and any value equal to ``missing``) marks a missing
            value.
        y : array-like of shape (n_samples,)
            Target values (class labels of any type for the classifier). For
            ``survival:cox``, event times, negative for censored ones; for
            ``survival:aft``, observed times, or None when ``y_lower_bound`` and
            ``y_upper_bound`` are given.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights of the rows.
        base_margin : array-like of shape (n_samples,) or (n_samples, n_outputs), optional
            Each row's starting raw margin (XGBoost's ``base_margin``), in place of the
            global starting margin while training; the fitted model still starts from
            ``base_score`` (or its estimate) when :meth:`predict` gets no ``base_margin``.
        eval_set : list of (X, y) pairs, optional
            Data sets evaluated after every round (``validation_0``, ...); early stopping
            watches the last one.
        sample_weight_eval_set : list of array-like or None, optional
            Weights of the ``eval_set`` rows.
        base_margin_eval_set : list of array-like or None, optional
            Starting margins of the ``eval_set`` rows.
        verbose : bool or int, default=False
            Print the evaluation metrics every round (True) or every ``verbose`` rounds.
        xgb_model : fitted estimator of the same class, optional
            Continue training from its trees (its binning is reused).
        y_lower_bound, y_upper_bound : array-like of shape (n_samples,), optional
            Interval labels of ``survival:aft`` (XGBoost's ``label_lower_bound`` and
            ``label_upper_bound``): equal bounds for an observed time, ``inf`` upper bound
            for a right-censored one, 0 lower bound for a left-censored one. Default both
            ``y``.
        feature_weights : array-like of shape (n_features,), optional
            Non-negative weights of the features in column sampling (``colsample_by*``):
            each sample draws features without replacement in proportion to them, as
            XGBoost does; a feature of weight 0 is drawn only when nothing else is left.

        Returns
        -------
        self
        """
        self._validate_params()
        self._check_xgboost_options()
        with warnings.catch_warnings():
            if self.verbosity == 0:
                # XGBoost's verbosity=0: silent, warnings included.
                warnings.simplefilter("ignore")
            return self._fit(X, y, sample_weight, base_margin, eval_set,
                             sample_weight_eval_set, base_margin_eval_set, verbose, xgb_model,
                             y_lower_bound, y_upper_bound, feature_weights)

    def _fit(self, X, y, sample_weight, base_margin, eval_set, sample_weight_eval_set,
             base_margin_eval_set, verbose, xgb_model, y_lower_bound, y_upper_bound,
             feature_weights=None):
        survival_aft = self.objective == "survival:aft"
        if (y_lower_bound is None) != (y_upper_bound is None):
            raise ValueError("y_lower_bound and y_upper_bound go together; give both.")
        if y_lower_bound is not None and not survival_aft:
            raise ValueError("y_lower_bound and y_upper_bound are the interval labels of "
                             "objective='survival:aft'; other objectives take y.")
        if y is None and y_lower_bound is not None:
            y = y_lower_bound  # the lower bounds stand in for y in the shape checks
        X = self._fit_categories(X, y, sample_weight, xgb_model)
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32],
                             accept_sparse=["csr", "csc"],
                             ensure_all_finite=self._finite_rule(),
                             y_numeric=isinstance(self, RegressorMixin))
        X = self._mark_missing(_contiguous(X))
        y = self._encode_y(y, fitting=True)
        if survival_aft:
            y = self._interval_labels(y, y_lower_bound, y_upper_bound)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, ensure_non_negative=True)
            if not sample_weight.sum() > 0:
                raise ValueError("sample_weight must have a positive sum.")
        if self._target_mask is not None and self._target_mask.any():
            # A statistic equal to `missing` reads as missing, as it will in prediction
            # (which marks the values after looking the statistics up).
            X = self._mark_missing(self._fit_target_stats(X, y, sample_weight, xgb_model))
        else:
            X = self._fit_target_stats(X, y, sample_weight, xgb_model)
        objective = self._make_objective(getattr(self, "n_classes_", None))
        objective.validate_target(y)
        spw = 1.0 if self.scale_pos_weight is None else self.scale_pos_weight
        if spw != 1.0 and objective.name not in SCALE_POS_WEIGHT_OBJECTIVES:
            warnings.warn(f"scale_pos_weight={spw!r} is ignored by objective "
                          f"{objective.name!r}; it weighs the positive rows of "
                          f"{', '.join(SCALE_POS_WEIGHT_OBJECTIVES)} only.", UserWarning,
                          stacklevel=3)
        _check_magnitudes(y[:, 0] if y.ndim == 2 else y, sample_weight,
                          isinstance(self, RegressorMixin))
        n_outputs = objective.n_outputs(getattr(self, "n_classes_", 1))
        base_margin = self._check_base_margin(base_margin, X.shape[0], n_outputs,
                                              "base_margin")
        if base_margin is not None:
            _check_margin_magnitude(base_margin, "base_margin")
        metrics = self._make_metrics(objective)
        self._metric_direction = {m.name: m.higher_is_better for m in metrics}
        evals = self._validate_eval_set(eval_set, sample_weight_eval_set,
                                        base_margin_eval_set, n_outputs)
        callbacks = self._make_callbacks(verbose, evals)

        linear_params = self._linear_params()
        rng = np.random.default_rng(check_random_state(self.random_state).randint(2**31 - 1))
        if xgb_model is not None:
            booster, bin_mapper = self._continue_from(xgb_model, objective)
        else:
            bin_seed = int(rng.integers(2**31))
            if self.random_state is None:
                bin_seed = _DEFAULT_BINNING_SEED
            bin_mapper = BinMapper(self.max_bin, _BINNING_SUBSAMPLE, bin_seed)
            base = self._base_margin(objective, y, sample_weight)
            booster = (LinearBooster(base, X.shape[1]) if self.booster == "gblinear"
                       else Booster(base, self._num_parallel_tree()))
        max_delta_step = self.max_delta_step
        if max_delta_step is None:
            # XGBoost's default keeps Poisson's exp link from overshooting early on.
            max_delta_step = 0.7 if objective.name == "count:poisson" else 0.0
        names = getattr(self, "feature_names_in_", None)
        feature_weights = _check_feature_weights(feature_weights, X.shape[1])
        monotone = monotone_directions(self.monotone_constraints, X.shape[1], names)
        if any(d != 0 and c for d, c in zip(monotone, self.is_categorical_, strict=False)):
            raise ValueError("monotone_constraints cannot constrain a categorical feature: "
                             "its categories have no order.")
        n_categories = np.array([len(c) if c is not None else 0
                                 for c in self._engine_categories()])
        params = BoostingParams(
            n_estimators=self.n_estimators, subsample=self.subsample,
            colsample_bytree=self.colsample_bytree,
            num_parallel_tree=self._num_parallel_tree(),
            growth=GrowthParams(
                max_depth=self.max_depth, max_leaves=self.max_leaves,
                grow_policy=self.grow_policy, learning_rate=self.learning_rate,
                min_child_weight=self.min_child_weight, reg_lambda=self.reg_lambda,
                reg_alpha=self.reg_alpha, gamma=self.gamma, max_delta_step=max_delta_step,
                colsample_bylevel=self.colsample_bylevel,
                colsample_bynode=self.colsample_bynode,
                monotone_constraints=monotone,
                interaction_constraints=interaction_groups(
                    self.interaction_constraints, X.shape[1], names),
                feature_weights=feature_weights,
                max_cat_to_onehot=self.max_cat_to_onehot,
                max_cat_threshold=self.max_cat_threshold, cat_smooth=self.cat_smooth,
                cat_penalty=self.cat_penalty,
                quantized_bins=self._quantized_bins(X.shape[0]),
                renew_leaves=bool(self.quant_train_renew_leaf),
            ),
            dart=(DartParams(self.rate_drop, self.skip_drop, self.one_drop, self.sample_type,
                             self.normalize_type) if self.booster == "dart" else None),
        )
        if (linear_params is None and self.grow_policy == "depthwise" and self.max_depth == 0
                and self.max_leaves == 0):
            raise ValueError("max_depth=0 (unlimited) needs grow_policy='lossguide' or a "
                             "positive max_leaves.")
        with threads(self.n_jobs):
            if linear_params is not None:
                if self.use_quantized_grad:
                    raise ValueError("use_quantized_grad rounds the gradients trees are "
                                     "grown on; booster='gblinear' grows no trees. Leave "
                                     "use_quantized_grad=False, or use a tree booster.")
                if self.is_categorical_ is not None and self.is_categorical_.any():
                    raise ValueError("Categorical features split trees; booster='gblinear' "
                                     "reads numbers. Use a tree booster, or one-hot encode "
                                     "the categories for the linear booster.")
                if base_margin is not None or any(ev.base_margin is not None for ev in evals):
                    raise ValueError("base_margin and base_margin_eval_set work with the "
                                     "tree boosters; booster='gblinear' starts every row "
                                     "from base_score.")
                # The linear booster reads raw values: no bins (an empty binning keeps the
                # model file's layout).
                self._objective = objective
                self._bin_mapper = _no_bins(X.shape[1], self.max_bin)
                self._booster = booster
                self.evals_result_ = train_linear(
                    self, booster, X, y, sample_weight, objective, linear_params,
                    self.n_estimators, rng, evals, metrics, callbacks)
                self.n_iterations_ = booster.n_rounds
                return self
            if xgb_model is None:
                # Rows of zero weight must not shape the bins, so that a zero weight is the
                # same as leaving the row out.
                bin_mapper.fit(X if sample_weight is None else X[sample_weight > 0],
                               n_categories if n_categories.any() else None)
            if is_sparse(X) and worth_sparse_codes(X):
                X_binned = sparse_codes(bin_mapper, X)
            else:
                X_binned = bin_mapper.transform(X)
            self._objective = objective
            self._bin_mapper = bin_mapper
            self._booster = booster
            self.evals_result_ = train(
                self, booster, X, X_binned, bin_mapper, y, sample_weight, objective, params,
                rng, evals, metrics, callbacks, base_margin=base_margin,
            )
            objective.end_training()
        self.n_iterations_ = booster.n_rounds
        return self

    def _num_parallel_tree(self):
        return 1 if self.num_parallel_tree is None else int(self.num_parallel_tree)

    def _quantized_bins(self, n_samples):
        """Levels of quantized gradients for ``n_samples`` training rows (0: exact)."""
        if not self.use_quantized_grad:
            return 0
        levels = int(self.num_grad_quant_bins)
        if n_samples * levels >= 2**31:
            most = (2**31 - 1) // n_samples
            fewer = f"at most {most} levels, or " if most >= 2 else ""
            raise ValueError(
                f"num_grad_quant_bins={levels} is too many levels for {n_samples} training "
                f"rows: a histogram's integer sums would overflow. Use {fewer}"
                f"use_quantized_grad=False.")
        return levels

    def _interval_labels(self, y, y_lower_bound, y_upper_bound):
        """survival:aft's targets as (n, 2) bounds (both ``y`` without explicit ones)."""
        if y_lower_bound is None:
            return np.column_stack([y, y])
        bounds = []
        for name, values in (("y_lower_bound", y_lower_bound),
                             ("y_upper_bound", y_upper_bound)):
            values = check_array(values, ensure_2d=False, dtype=np.float64,
                                 ensure_all_finite=False, input_name=name).reshape(-1)
            if values.shape[0] != y.shape[0]:
                raise ValueError(f"{name} has {values.shape[0]} entries but X has "
                                 f"{y.shape[0]} rows.")
            bounds.append(values)
        return np.column_stack(bounds)

    def _linear_params(self):
        """The linear booster's parameters (None for the tree boosters); refuses the
        parameters of one booster given to another, or warns of them as XGBoost does."""
        unused = [name for name in _BOOSTER_ONLY_PARAMS
                  if self.booster not in _BOOSTER_ONLY_PARAMS[name]
                  and not _is_default(getattr(self, name), _constructor_default(self, name))]
        if unused:
            warnings.warn(f"Parameters {unused} are not used by booster={self.booster!r}.",
                          UserWarning, stacklevel=5)
        if self.booster != "gblinear":
            if self.updater is not None:
                raise ValueError(f"updater={self.updater!r} sets the linear booster's "
                                 f"algorithm; it needs booster='gblinear' (booster is "
                                 f"{self.booster!r}).")
            return None
        updater = self.updater or "shotgun"
        if updater == "shotgun" and self.feature_selector not in SHOTGUN_SELECTORS:
            raise ValueError(f"feature_selector={self.feature_selector!r} needs "
                             f"updater='coord_descent'; updater='shotgun' takes "
                             f"{' or '.join(map(repr, SHOTGUN_SELECTORS))} (as in XGBoost).")
        return LinearParams(self.learning_rate, self.reg_alpha, self.reg_lambda, updater,
                            self.feature_selector, self.top_k)

    def _make_callbacks(self, verbose, evals):
        callbacks = list(self.callbacks or [])
        for cb in callbacks:
            if not isinstance(cb, TrainingCallback):
                raise TypeError(f"callbacks must be TrainingCallback instances, got {cb!r}.")
        if self.early_stopping_rounds is not None:
            if not evals:
                raise ValueError("early_stopping_rounds needs at least one data set in "
                                 "eval_set.")
            callbacks.append(EarlyStopping(self.early_stopping_rounds))
        if not (isinstance(verbose, bool | np.bool_) or (isinstance(verbose, Integral)
                                                          and verbose >= 0)):
            raise TypeError(f"verbose must be a bool, or an integer >= 0 (print every "
                            f"verbose rounds), got {verbose!r}.")
        if verbose and evals:
            period = 1 if verbose is True else int(verbose)
            callbacks.append(EvaluationMonitor(period))
        return callbacks

    def _base_margin(self, objective, y, sample_weight):
        n_outputs = objective.n_outputs(getattr(self, "n_classes_", 1))
        if self.base_score is None:
            return np.asarray(objective.base_margin(y, sample_weight), dtype=np.float64)
        margin = np.full(n_outputs, objective.margin_from_score(float(self.base_score)))
        _check_margin_magnitude(margin, "base_score")
        return margin

    def _continue_from(self, model, objective):
        if not isinstance(model, type(self)):
            raise TypeError(f"xgb_model must be a fitted {type(self).__name__}.")
        check_is_fitted(model)
        if model._booster.n_outputs != objective.n_outputs(getattr(self, "n_classes_", 1)):
            raise ValueError("xgb_model was fitted for another number of classes or outputs "
                             "than y has; continued training needs the same ones.")
        if model.n_features_in_ != self.n_features_in_:
            raise ValueError(f"xgb_model was fitted on {model.n_features_in_} features, "
                             f"X has {self.n_features_in_}.")
        names = [getattr(est, "feature_names_in_", None) for est in (model, self)]
        if all(n is not None for n in names) and not np.array_equal(*names):
            raise ValueError(f"xgb_model was fitted on the columns {list(names[0])}, X has "
                             f"{list(names[1])}; continued training needs the same columns "
                             f"in the same order.")
        if hasattr(model, "classes_") and not np.array_equal(model.classes_, self.classes_):
            # Its trees' outputs are the first fit's classes: continuing on others would
            # mix them up.
            raise ValueError(f"xgb_model was fitted on the classes {model.classes_.tolist()}, "
                             f"y has {self.classes_.tolist()}; continued training needs the "
                             f"same classes.")
        if model._booster.kind != ("gblinear" if self.booster == "gblinear" else "gbtree"):
            raise ValueError(f"xgb_model was fitted with booster={model.booster!r}; training "
                             f"cannot continue it with booster={self.booster!r} (trees and "
                             f"linear models do not mix).")
        if getattr(model._booster, "num_parallel_tree", 1) != self._num_parallel_tree():
            raise ValueError(f"xgb_model grows {model._booster.num_parallel_tree} trees per "
                             f"output and round, this estimator's num_parallel_tree is "
                             f"{self._num_parallel_tree()}; continued training needs the "
                             f"same.")
        return model._booster.copy(), model._bin_mapper

    # ------------------------------------------------------------------ prediction
    def _default_iteration_range(self, iteration_range):
        if iteration_range is not None:
            if not (isinstance(iteration_range, tuple | list) and len(iteration_range) == 2
                    and all(isinstance(v, Integral) and not isinstance(v, bool)
                            for v in iteration_range)):
                raise TypeError(f"iteration_range must be a pair of integers (start, stop), "
                                f"got {iteration_range!r}.")
            start, stop = iteration_range
            if not (0 <= start <= stop <= self.n_iterations_):
                raise ValueError(f"iteration_range must satisfy 0 <= start <= stop <= "
                                 f"{self.n_iterations_}, got {iteration_range!r}.")
            if stop > 0:
                return int(start), int(stop)
            # A stop of 0 means the default rounds, as in XGBoost (whose default
            # iteration_range is (0, 0)).
        if getattr(self, "best_iteration", None) is not None:
            return 0, self.best_iteration + 1
        return 0, self.n_iterations_

    def _raw(self, X, iteration_range, base_margin=None):
        if "n_iterations_" not in self.__dict__:  # cheaper than check_is_fitted's scan
            check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        out = self._check_base_margin(base_margin, X.shape[0], self._booster.n_outputs,
                                      "base_margin")
        with threads(self.n_jobs):
            return self._booster.predict_raw(X, self._default_iteration_range(iteration_range),
                                             out=out)

    @reads_snapshot
    def apply(self, X, iteration_range=None):
        """Leaf index of every row in every tree, shape (n_samples, n_trees)."""
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        with threads(self.n_jobs):
            return self._booster.apply(X, self._default_iteration_range(iteration_range))

    def _predict_option(self, X, iteration_range, output_margin, pred_leaf, pred_contribs,
                        pred_interactions):
        """The result of ``predict``'s leaf or SHAP options, or None when none is set."""
        options = {"output_margin": output_margin, "pred_leaf": pred_leaf,
                   "pred_contribs": pred_contribs, "pred_interactions": pred_interactions}
        chosen = [name for name, flag in options.items() if flag]
        if len(chosen) > 1:
            raise ValueError(f"predict takes at most one of output_margin, pred_leaf, "
                             f"pred_contribs and pred_interactions; got {', '.join(chosen)}.")
        if pred_leaf:
            return self.apply(X, iteration_range)
        if pred_contribs:
            return self.predict_contribs(X, iteration_range)
        if pred_interactions:
            return self.predict_interactions(X, iteration_range)
        return None

    def _shap(self, X, iteration_range, interactions):
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        booster = self._booster
        if booster.kind == "gblinear":
            return self._linear_shap(X, iteration_range, interactions)
        start, stop = booster._tree_range(self._default_iteration_range(iteration_range))
        trees = [(t.feature, t.threshold, t.default_left, t.left, t.right, t.value, t.cover,
                  t.cat_start, t.cat_bits) for t in booster.weighted_trees(start, stop)]
        K = booster.n_outputs
        n_categories = [len(c) if c is not None else 0 for c in self._engine_categories()]
        explainer = TreeExplainer(trees, [booster.output_of(start + i)
                                          for i in range(len(trees))], K, n_categories)
        F = self.n_features_in_
        with threads(self.n_jobs):
            if interactions:
                out = _explain(explainer.interactions, X, len(trees), F)
                out[:, :, F, F] += booster.base_margin
            else:
                out = _explain(explainer.contributions, X, len(trees), F)
                out[:, :, F] += booster.base_margin
        return out[:, 0] if K == 1 else out

    def _linear_shap(self, X, iteration_range, interactions):
        # A linear model's contributions are w * x (XGBoost's, not centred on the data's
        # means), its interactions zero: each feature's effect sits on the diagonal.
        contribs = self._booster.contributions(X, self._default_iteration_range(
            iteration_range))
        if interactions:
            n, K, F1 = contribs.shape
            out = np.zeros((n, K, F1, F1))
            idx = np.arange(F1)
            out[:, :, idx, idx] = contribs
            contribs = out
        return contribs[:, 0] if contribs.shape[1] == 1 else contribs

    def predict_contribs(self, X, iteration_range=None):
        """SHAP values of the raw margin: exact path-dependent TreeSHAP.

        Each feature's contribution is its Shapley value in the game whose value for a
        feature subset is the trees' expected margin given those features (the expectation
        following the training covers where a feature is unknown). The contributions and
        the bias (the expected margin, last column) of a row sum to its raw margin.
        ``predict(X, pred_contribs=True)`` is the same; the layout is XGBoost's.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        iteration_range : (int, int), optional
            Rounds to explain; default those :meth:`predict` uses.

        Returns
        -------
        ndarray of shape (n_samples, n_features + 1), or (n_samples, n_classes,
        n_features + 1) for more than two classes
        """
        return self._shap(X, iteration_range, interactions=False)

    def predict_interactions(self, X, iteration_range=None):
        """SHAP interaction values of the raw margin.

        Entry ``[i, j]`` (``i != j``) is half the change in feature ``j``'s SHAP value
        between feature ``i`` known and unknown; the diagonal holds the rest of each
        feature's contribution, so a row ``[i, :]`` sums to feature ``i``'s contribution of
        :meth:`predict_contribs`. The bias is at ``[-1, -1]``.
        ``predict(X, pred_interactions=True)`` is the same; the layout is XGBoost's.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        iteration_range : (int, int), optional
            Rounds to explain; default those :meth:`predict` uses.

        Returns
        -------
        ndarray of shape (n_samples, n_features + 1, n_features + 1), or (n_samples,
        n_classes, n_features + 1, n_features + 1) for more than two classes
        """
        return self._shap(X, iteration_range, interactions=True)

    def _staged_raw(self, X):
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        raw = np.zeros((X.shape[0], self._booster.n_outputs)) + self._booster.base_margin
        with threads(self.n_jobs):
            for i in range(self.n_iterations_):
                self._booster.predict_raw(X, (i, i + 1), out=raw)
                yield raw.copy()  # callers may keep every stage

    @reads_snapshot
    def evals_result(self):
        """Metric values per round and eval set: ``{"validation_0": {"rmse": [...]}}``."""
        check_is_fitted(self)
        return self.evals_result_

    # ------------------------------------------------------------------ inspection
    @property
    def feature_importances_(self):
        """Importance of each feature by ``importance_type``, normalized to sum to 1."""
        check_is_fitted(self)
        if self._booster.kind == "gblinear":
            # No splits to count: the size of the coefficients (summed over the outputs),
            # whatever importance_type says.
            scores = np.abs(self._booster.coefficients()[:-1]).sum(axis=1)
            total = scores.sum()
            return scores / total if total > 0 else np.zeros(self.n_features_in_)
        kind = self.importance_type
        n = self.n_features_in_
        gain = np.zeros(n)
        cover = np.zeros(n)
        weight = np.zeros(n)
        for tree in self._booster.trees:
            split = tree.left != -1
            f = tree.feature[split]
            np.add.at(gain, f, tree.gain[split])
            np.add.at(cover, f, tree.cover[split])
            np.add.at(weight, f, 1.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            scores = {
                "weight": weight, "total_gain": gain, "total_cover": cover,
                "gain": np.where(weight > 0, gain / np.maximum(weight, 1), 0.0),
                "cover": np.where(weight > 0, cover / np.maximum(weight, 1), 0.0),
            }[kind]
        total = scores.sum()
        return scores / total if total > 0 else np.zeros(n)

    @property
    def coef_(self):
        """Weights of the linear booster: shape (n_features,), or (n_outputs, n_features)
        for several outputs (``booster='gblinear'`` only)."""
        check_is_fitted(self)
        if self._booster.kind != "gblinear":
            raise AttributeError(f"coef_ is defined for booster='gblinear' only, not for "
                                 f"booster={self.booster!r}.")
        coef = self._booster.coefficients(self._default_iteration_range(None))[:-1].T
        return coef[0] if coef.shape[0] == 1 else coef

    @property
    def intercept_(self):
        """Bias of the linear booster plus the starting margin, shape (n_outputs,), so
        that ``X @ coef_.T + intercept_`` is the raw margin (``booster='gblinear'``
        only; XGBoost's ``intercept_`` leaves out the starting margin)."""
        check_is_fitted(self)
        if self._booster.kind != "gblinear":
            raise AttributeError(f"intercept_ is defined for booster='gblinear' only, not "
                                 f"for booster={self.booster!r}.")
        return (self._booster.coefficients(self._default_iteration_range(None))[-1]
                + self._booster.base_margin)

    def get_dump(self, feature_names=None, with_stats=False, dump_format="text"):
        """The trees as text or JSON, one string per tree (XGBoost's ``get_dump``).

        Parameters
        ----------
        feature_names : list of str, optional
            Names to show; default ``feature_names_in_`` (fitted on a DataFrame), else
            ``f0, f1, ...``.
        with_stats : bool, default=False
            Also show each split's gain and each node's cover (hessian sum).
        dump_format : {"text", "json"}, default="text"
            XGBoost's layouts. A split reads ``[f<=t] yes=...,no=...,missing=...``: rows
            with ``x <= t`` go to ``yes`` (XGBoost writes ``x < t``), missing values to
            ``missing``; a threshold of ``inf`` splits off the missing values alone. A
            categorical split reads ``[f:{a,b}]``: rows of the listed categories go to
            ``yes``. Leaf values include the learning rate, as in XGBoost.

        Returns
        -------
        list of str
            One per tree, in :meth:`apply`'s order (round-major, one tree per class per
            round for more than two classes); node ids are those of :meth:`apply`.
        """
        from ._dump import DUMP_FORMATS, dump_json, dump_text, feature_names_of

        check_is_fitted(self)
        if dump_format not in DUMP_FORMATS:
            raise ValueError(f"dump_format must be one of {DUMP_FORMATS}, got "
                             f"{dump_format!r}.")
        names = feature_names_of(self, feature_names)
        if self._booster.kind == "gblinear":
            return [_linear_dump(self._booster.coefficients(), dump_format)]
        dump = dump_text if dump_format == "text" else dump_json
        categories = self._categories()
        return [dump(tree, names, bool(with_stats), categories)
                for tree in self._booster.trees]

    def trees_to_dataframe(self, feature_names=None):
        """The trees as a pandas DataFrame, one row per node (XGBoost's columns).

        Columns: ``Tree``, ``Node`` (node id, as :meth:`apply` returns), ``ID``
        (``"tree-node"``), ``Feature`` (the feature name, ``"Leaf"`` at leaves), ``Split``
        (threshold: rows with ``x <= Split`` go to ``Yes``; XGBoost's means ``x <
        Split``; NaN at categorical splits), ``Yes``, ``No``, ``Missing`` (the child
        IDs), ``Gain`` (the split's loss reduction; the leaf value at leaves), ``Cover``
        (hessian sum) and ``Category`` (at a categorical split, the list of category
        values that go to ``Yes``; NaN elsewhere).

        Parameters
        ----------
        feature_names : list of str, optional
            As in :meth:`get_dump`.

        Returns
        -------
        pandas.DataFrame
        """
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("trees_to_dataframe needs pandas (pip install pandas).") \
                from None
        from ._dump import DATAFRAME_COLUMNS, feature_names_of, trees_table

        check_is_fitted(self)
        if self._booster.kind == "gblinear":
            raise ValueError("trees_to_dataframe needs trees; booster='gblinear' has none "
                             "(its weights are coef_ and intercept_).")
        names = feature_names_of(self, feature_names)
        return pd.DataFrame(trees_table(self._booster.trees, names,
                                        categories=self._categories()),
                            columns=list(DATAFRAME_COLUMNS))

    # ------------------------------------------------------------------ persistence
    @reads_snapshot
    def save_model(self, path=None, format="ensembles"):
        """Write the fitted model as JSON (format documented in the user guide).

        Parameters
        ----------
        path : str, os.PathLike, file object or None, default=None
            Where to write: a path, or an open text or binary file. With None the document
            is returned as UTF-8 bytes.
        format : {"ensembles", "xgboost"}, default="ensembles"
            ``"ensembles"``: this library's file, holding the parameters, the label
            classes, the binning edges and every tree; :meth:`load_model` restores
            bit-identical predictions. ``"xgboost"``: XGBoost's JSON model format, which
            ``xgboost.Booster(model_file=path)`` (and tools that read XGBoost models)
            load and predict with to float32 precision; :meth:`load_model` does not read
            it back. See the model format page for what does not carry over.

        Returns
        -------
        bytes or None
            The document when ``path`` is None.
        """
        check_is_fitted(self)
        if format == "xgboost" and any(t.has_categorical for t in self._booster.trees):
            raise ValueError("save_model(format='xgboost') cannot write categorical splits "
                             "(XGBoost stores categories as codes of its own, not values); "
                             "save with format='ensembles'.")
        if format == "xgboost" and any(st is not None for st in self._target_stats()):
            raise ValueError("save_model(format='xgboost') cannot write target statistics: "
                             "XGBoost would read the feature's raw values where the trees "
                             "expect each category's statistic; save with "
                             "format='ensembles'.")
        if format == "xgboost":
            from ._xgboost_format import write_xgboost_model

            if path is None:
                buffer = io.BytesIO()
                write_xgboost_model(self, buffer)
                return buffer.getvalue()
            write_xgboost_model(self, path)
            return None
        if format != "ensembles":
            raise ValueError(f"format must be 'ensembles' or 'xgboost', got {format!r}.")
        if callable(self.objective):
            raise ValueError("A model trained with a callable objective cannot be saved: "
                             "the callable is code, which the JSON format never stores.")
        params = self.get_params()
        # JSON has no NaN or infinity: those values of `missing` are written as strings.
        if params.get("missing") is not None and not np.isfinite(params["missing"]):
            params["missing"] = str(float(params["missing"]))
        doc = {
            "format": MODEL_FORMAT,
            "version": MODEL_FORMAT_VERSION,
            "estimator": type(self).__name__,
            "params": params_to_json(params),
            "n_features_in": int(self.n_features_in_),
            "feature_names_in": (list(map(str, self.feature_names_in_))
                                 if hasattr(self, "feature_names_in_") else None),
            "n_iterations": int(self.n_iterations_),
            "best_iteration": getattr(self, "best_iteration", None),
            # NaN (no round scored: see EarlyStopping) as null: JSON has no NaN.
            "best_score": _finite_or_none(getattr(self, "best_score", None)),
            # A categorical feature's edges follow from its number of categories.
            "bin_edges": [[] if c is not None else e.tolist() for e, c in
                          zip(self._bin_mapper.edges_list(), self._engine_categories(),
                              strict=True)],
            "categories": self._engine_categories(),
            # A target-encoded feature: its category values and their statistics.
            "target_stats": [None if st is None else
                             {"categories": c, "statistics": st.tolist()}
                             for c, st in zip(self._categories(), self._target_stats(),
                                              strict=True)],
            "booster": self._booster.to_dict(),
        }
        doc.update(self._labels_to_dict())
        return write_document(doc, path)

    @loads_aside
    def load_model(self, path):
        """Restore a model written by :meth:`save_model` into this estimator.

        Parameters
        ----------
        path : str, os.PathLike, file object or bytes
            A path, an open text or binary file, or the document itself.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            If the file is not valid JSON, not an ``ensembles`` gradient boosting model of
            this estimator's kind, of an unknown format version, or internally inconsistent.
            The whole file is checked before the estimator changes: a rejected file leaves
            it untouched.
        """
        doc, name = read_boosting_document(path, MODEL_FORMAT, READABLE_VERSIONS,
                                           type(self).__name__, max_edges=MAX_VALUE_BINS - 1)
        if isinstance(self, ClassifierMixin) != ("classes" in doc):
            fail(name, "a classifier's file must list its classes, a regressor's must not")
        # This runs on a staging copy (see ensembles._fitstate), so a rejected file leaves
        # the estimator itself untouched.
        try:
            params = dict(doc["params"])
            if params.get("missing") in ("nan", "inf", "-inf"):
                # np.nan itself, the default, so that get_params compares equal.
                params["missing"] = (np.nan if params["missing"] == "nan"
                                     else float(params["missing"]))
            self.set_params(**params)
            self._validate_params()
            self._check_xgboost_options()
            effective_n_jobs(self.n_jobs)  # a model that could not predict is refused now
            self.n_features_in_ = doc["n_features_in"]
            if doc["feature_names_in"] is not None:
                self.feature_names_in_ = np.asarray(doc["feature_names_in"], dtype=object)
            self._labels_from_dict(doc)
            self._objective = self._make_objective(getattr(self, "n_classes_", None))
        except (TypeError, ValueError) as exc:
            fail(name, f"bad parameters ({exc})")
        n_outputs = self._objective.n_outputs(getattr(self, "n_classes_", 1))
        if doc["booster"].n_outputs != n_outputs:
            fail(name, f"the objective needs {n_outputs} output(s) but booster.base_margin "
                       f"has {doc['booster'].n_outputs}")
        if max(map(len, doc["bin_edges"]), default=0) > self.max_bin - 1:
            fail(name, f"bin_edges has more edges than max_bin={self.max_bin} allows")
        categories = doc.get("categories") or [None] * self.n_features_in_
        n_categories = np.array([len(c) if c is not None else 0 for c in categories])
        self._bin_mapper = BinMapper.from_edges(
            doc["bin_edges"], self.max_bin, n_categories if n_categories.any() else None)
        target_stats = _ts.read_target_stats(name, doc, categories, fail)
        self.is_categorical_ = np.array(
            [c is not None or st is not None for c, st in zip(
                categories, target_stats, strict=True)], dtype=np.bool_)
        self.categories_ = [c if st is None else st[0]
                            for c, st in zip(categories, target_stats, strict=True)]
        self.target_stats_ = [None if st is None else st[1] for st in target_stats]
        self._booster = doc["booster"]
        if (self._booster.kind == "gblinear") != (self.booster == "gblinear"):
            fail(name, f"its booster parameter {self.booster!r} does not match the model it "
                       f"holds ({self._booster.kind})")
        self.n_iterations_ = self._booster.n_rounds
        if doc.get("best_iteration") is not None:
            self.best_iteration = doc["best_iteration"]
            score = doc.get("best_score")
            self.best_score = np.nan if score is None else score
        self.evals_result_ = {}
        return self

    def _categories(self):
        """``categories_``, all None for models fitted before categorical features."""
        return list(getattr(self, "categories_", None) or [None] * self.n_features_in_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True
        return tags


# The docstring lists what is the regressor's own; shared_entries adds the parameters and
# attributes both estimators share (see _docstrings).
@shared_entries
class GradientBoostingRegressor(RegressorMixin, _BaseGradientBoosting):
    """Second-order histogram gradient boosting for regression.

    Trees are grown on feature histograms of gradient and hessian sums (XGBoost's ``hist``
    method) with its regularized objective. Parameters carry XGBoost's names and defaults.

    Parameters
    ----------
    n_estimators : int, default=100
        Boosting rounds.
    max_delta_step : float or None, default=None
        Cap on the absolute leaf weight; None means 0 (no cap), or 0.7 for ``count:poisson``.
    objective : str or callable, default="reg:squarederror"
        ``reg:squarederror``, ``reg:absoluteerror``, ``reg:pseudohubererror``,
        ``reg:quantileerror``, ``reg:squaredlogerror``, ``reg:logistic``,
        ``count:poisson``, ``reg:gamma``, ``reg:tweedie``, ``survival:cox``,
        ``survival:aft``, or ``objective(y_true, y_pred) -> (grad, hess)`` on raw
        margins.
    base_score : float, optional
        Starting prediction (in output space); estimated from the data when not given.
    eval_metric : str, list or callable, optional
        Metrics evaluated on ``eval_set``; default the objective's metric.
    huber_slope : float, default=1
        Slope parameter of ``reg:pseudohubererror``.
    quantile_alpha : float or list of float, default=0.5
        Quantile of ``reg:quantileerror`` and the ``quantile`` metric; a list fits one
        output per level, and ``predict`` returns one column per level.
    tweedie_variance_power : float, default=1.5
        Variance power of ``reg:tweedie``, in [1, 2).
    """

    def _objective_spec(self):
        objective = self.objective if self.objective is not None else "reg:squarederror"
        if isinstance(objective, str) and objective not in REGRESSION_OBJECTIVES:
            raise ValueError(f"objective={objective!r} is not a regression objective; "
                             f"accepted: {', '.join(REGRESSION_OBJECTIVES)} or a callable.")
        return objective

    def _encode_y(self, y, fitting):
        try:
            y = np.asarray(y, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"y must be numeric for regression: {exc}") from None
        if not np.all(np.isfinite(y)):
            raise ValueError("y contains NaN or infinity; regression targets must be finite.")
        return y

    def _labels_to_dict(self):
        return {}

    def _labels_from_dict(self, doc):
        pass

    @reads_snapshot
    def predict(self, X, output_margin=False, iteration_range=None, *, pred_leaf=False,
                pred_contribs=False, pred_interactions=False, base_margin=None):
        """Predicted values, or raw margins, leaf indices or SHAP values.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        output_margin : bool, default=False
            Return the raw margin (before the objective's link) instead.
        base_margin : array-like of shape (n_samples,) or (n_samples, n_outputs), optional
            Each row's starting margin, in place of the model's (as in ``fit``).
        iteration_range : (int, int), optional
            Rounds ``[start, stop)`` to use; default all (the best ones after early
            stopping), as with a ``stop`` of 0 (XGBoost's ``(0, 0)``).
        pred_leaf, pred_contribs, pred_interactions : bool, default=False
            Return the leaf indices (as :meth:`apply`), the SHAP contributions (as
            :meth:`predict_contribs`) or the SHAP interaction values (as
            :meth:`predict_interactions`) instead; at most one of the four options.

        Returns
        -------
        ndarray of shape (n_samples,), (n_samples, n_quantiles) for several
        ``quantile_alpha``, or the shape of the option's result
        """
        special = self._predict_option(X, iteration_range, output_margin, pred_leaf,
                                       pred_contribs, pred_interactions)
        if special is not None:
            return special
        raw = self._raw(X, iteration_range, base_margin)
        if output_margin:
            return raw[:, 0] if raw.shape[1] == 1 else raw
        return self._objective.transform(raw)

    @reads_snapshot
    def staged_predict(self, X):
        """Predictions after each round."""
        for raw in self._staged_raw(X):
            yield self._objective.transform(raw)


# As for the regressor, the docstring lists the classifier's own entries only.
@shared_entries
class GradientBoostingClassifier(ClassifierMixin, _BaseGradientBoosting):
    """Second-order histogram gradient boosting for classification.

    Binary problems use ``binary:logistic``; more classes ``multi:softprob`` (one tree per
    class per round). Labels may be of any type. Parameters carry XGBoost's names and
    defaults.

    Parameters
    ----------
    n_estimators : int, default=100
        Boosting rounds (a multiclass round grows one tree per class).
    max_delta_step : float or None, default=None
        Cap on the absolute leaf weight; None means 0 (no cap).
    objective : str or callable, optional
        ``"binary:logistic"`` (two classes, the default then), ``"binary:logitraw"``,
        ``"binary:hinge"``, ``"multi:softprob"`` (more classes, the default then),
        ``"multi:softmax"``, or ``objective(y_true, y_pred) -> (grad, hess)`` on raw
        margins, after which a sigmoid or softmax gives the probabilities.
    base_score : float, optional
        Starting probability (binary) or margin; estimated from the data when not given.
    eval_metric : str, list or callable, optional
        Metrics evaluated on ``eval_set``; default ``logloss`` or ``mlogloss``.
    huber_slope, quantile_alpha, tweedie_variance_power : float
        Parameters of regression objectives and metrics, accepted for symmetry with
        :class:`GradientBoostingRegressor` (``quantile_alpha`` also sets the ``quantile``
        metric).

    Attributes
    ----------
    classes_ : ndarray
        Class labels.
    n_classes_ : int
        Number of classes.
    """

    def _objective_spec(self):
        if callable(self.objective):
            return self.objective
        family = BINARY_OBJECTIVES if self.n_classes_ == 2 else MULTICLASS_OBJECTIVES
        objective = self.objective or family[0]
        if objective not in CLASSIFICATION_OBJECTIVES:
            raise ValueError(f"objective={objective!r} is not a classification objective; "
                             f"accepted: {', '.join(CLASSIFICATION_OBJECTIVES)} or a callable.")
        if objective not in family:
            raise ValueError(f"objective={objective!r} does not fit {self.n_classes_} classes; "
                             f"use one of {', '.join(family)}.")
        return objective

    def _encode_y(self, y, fitting):
        if fitting:
            check_class_labels(y)
            self._label_encoder = LabelEncoder().fit(y)
            self.classes_ = self._label_encoder.classes_
            self.n_classes_ = len(self.classes_)
            if self.n_classes_ < 2:
                raise ValueError(f"The classifier needs samples of at least 2 classes in y; "
                                 f"got only 1 class ({self.classes_[0]!r}).")
            return self._label_encoder.transform(y).astype(np.float64)
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if unknown.size:
            raise ValueError(f"eval_set y has labels not seen in y: {unknown.tolist()!r}.")
        return np.searchsorted(self.classes_, y).astype(np.float64)

    def _labels_to_dict(self):
        return {"classes": self.classes_.tolist(), "classes_dtype": self.classes_.dtype.str}

    def _labels_from_dict(self, doc):
        self.classes_ = doc["classes"]  # an array of the stored dtype, once validated
        self.n_classes_ = len(self.classes_)

    @reads_snapshot
    def predict_proba(self, X, iteration_range=None, *, base_margin=None):
        """Class probabilities, shape (n_samples, n_classes).

        ``base_margin`` gives each row's starting margins, as in :meth:`fit`. For
        ``binary:hinge`` the probabilities are the predicted labels (0 or 1), as in
        XGBoost; for ``binary:logitraw`` the sigmoid of the margins.
        """
        return self._proba(self._raw(X, iteration_range, base_margin))

    def _proba(self, raw):
        p = self._objective.eval_transform(raw)
        if p.ndim == 1:
            out = np.empty((p.shape[0], 2))
            out[:, 1] = p
            np.subtract(1.0, p, out=out[:, 0])
            return out
        return p

    @reads_snapshot
    def predict(self, X, output_margin=False, iteration_range=None, *, pred_leaf=False,
                pred_contribs=False, pred_interactions=False, base_margin=None):
        """Predicted class labels, or raw margins, leaf indices or SHAP values.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        output_margin : bool, default=False
            Return the raw margins (log-odds of the positive class for two classes, one
            column per class otherwise) instead.
        base_margin : array-like of shape (n_samples,) or (n_samples, n_classes), optional
            Each row's starting margins, in place of the model's (as in ``fit``).
        iteration_range : (int, int), optional
            Rounds ``[start, stop)`` to use; default all (the best ones after early
            stopping), as with a ``stop`` of 0 (XGBoost's ``(0, 0)``).
        pred_leaf, pred_contribs, pred_interactions : bool, default=False
            Return the leaf indices (as :meth:`apply`), the SHAP contributions to the
            margins (as :meth:`predict_contribs`) or the SHAP interaction values (as
            :meth:`predict_interactions`) instead; at most one of the four options.

        Returns
        -------
        ndarray of shape (n_samples,), or the shape of the option's result
        """
        special = self._predict_option(X, iteration_range, output_margin, pred_leaf,
                                       pred_contribs, pred_interactions)
        if special is not None:
            return special
        raw = self._raw(X, iteration_range, base_margin)
        if output_margin:
            return raw[:, 0] if raw.shape[1] == 1 else raw
        return self.classes_[np.argmax(self._proba(raw), axis=1)]

    @reads_snapshot
    def staged_predict(self, X):
        """Predicted labels after each round."""
        for raw in self._staged_raw(X):
            yield self.classes_[np.argmax(self._proba(raw), axis=1)]

    @reads_snapshot
    def staged_predict_proba(self, X):
        """Class probabilities after each round."""
        for raw in self._staged_raw(X):
            yield self._proba(raw)
