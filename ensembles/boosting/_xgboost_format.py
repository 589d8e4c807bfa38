"""Writing a fitted boosting model in XGBoost's JSON model format.

The file is the document ``xgboost.Booster.save_model("model.json")`` writes (its
``learner`` with the ``gbtree`` booster), so that ``xgboost.Booster(model_file=path)``,
``XGBClassifier().load_model(path)`` and the tools that read XGBoost models load it.
The layout followed is the one XGBoost has read since 1.0 (no categorical encoder
section), so older readers accept it too.

What changes on the way:

* XGBoost sends a row left when ``float32(x) < split_condition``; a split here sends it
  left when ``x <= threshold``. ``split_condition`` is the smallest float32 above every
  float32 that is ``<= threshold``, which gives the same decision for every float32
  input. A float64 value within float32 rounding of a threshold can still go the other
  way; a split of the missing values alone (threshold ``inf``) becomes the largest float32,
  so a value of ``+inf`` goes right there instead of left.
* Leaf values, thresholds and the starting score are stored as float32, and XGBoost
  sums the trees in float32: predictions agree to float32 precision.
* ``base_score`` is the starting margin through the objective's inverse link (XGBoost
  stores it in prediction space). Per-class starting margins (multiclass) have no place
  in the format read by XGBoost before 3.1, so they are added to the leaves of the first
  round's trees and ``base_score`` is 0.
* Early stopping's ``best_iteration`` and ``best_score`` go to the learner's attributes,
  where XGBoost's scikit-learn estimators read them; ``xgboost.Booster.predict`` uses all
  trees unless given ``iteration_range`` (as for XGBoost's own models).
* A ``dart`` model's tree weights are folded into its leaf values: XGBoost reads it as a
  ``gbtree`` model with the same predictions. Ranking models keep their objective and
  its ``lambdarank_param``. ``gblinear`` models are not written (they are no trees).
* Not written: the binning (XGBoost predicts from raw values), the training parameters
  other than the objective's, ``evals_result_`` and the callbacks.
"""

import json
import os

import numpy as np

# Objectives XGBoost has, with the parameters its JSON keeps for each.
_OBJECTIVE_PARAMS = {
    "reg:squarederror": lambda est: {"reg_loss_param": {"scale_pos_weight": "1"}},
    "reg:absoluteerror": lambda est: {},
    "reg:pseudohubererror": lambda est: {
        "pseudo_huber_param": {"huber_slope": _text(est.huber_slope)}},
    "reg:quantileerror": lambda est: {
        "quantile_loss_param": {"quantile_alpha": "[" + ",".join(
            _text(a) for a in np.atleast_1d(est._objective._alphas)) + "]"}},
    "reg:squaredlogerror": lambda est: {"reg_loss_param": {"scale_pos_weight": "1"}},
    "reg:logistic": lambda est: _reg_loss_param(est),
    "survival:cox": lambda est: {},
    "survival:aft": lambda est: {"aft_loss_param": {
        "aft_loss_distribution": est.aft_loss_distribution,
        "aft_loss_distribution_scale": _text(est.aft_loss_distribution_scale)}},
    "count:poisson": lambda est: {
        "poisson_regression_param": {"max_delta_step": _text(
            0.7 if est.max_delta_step is None else est.max_delta_step)}},
    "reg:gamma": lambda est: {"reg_loss_param": {"scale_pos_weight": "1"}},
    "reg:tweedie": lambda est: {
        "tweedie_regression_param": {
            "tweedie_variance_power": _text(est.tweedie_variance_power)}},
    "binary:logistic": lambda est: _reg_loss_param(est),
    "binary:logitraw": lambda est: _reg_loss_param(est),
    "binary:hinge": lambda est: {},
    "multi:softprob": lambda est: {
        "softmax_multiclass_param": {"num_class": str(est.n_classes_)}},
    "multi:softmax": lambda est: {
        "softmax_multiclass_param": {"num_class": str(est.n_classes_)}},
    "rank:pairwise": lambda est: _lambdarank_param(est),
    "rank:ndcg": lambda est: _lambdarank_param(est),
    "rank:map": lambda est: _lambdarank_param(est),
}
_LOG_LINK = ("count:poisson", "reg:gamma", "reg:tweedie", "survival:cox", "survival:aft")
_LOGISTIC_LINK = ("binary:logistic", "reg:logistic")


def _reg_loss_param(est):
    spw = 1.0 if est.scale_pos_weight is None else est.scale_pos_weight
    return {"reg_loss_param": {"scale_pos_weight": _text(spw)}}


def _lambdarank_param(est):
    # The position biases of unbiased LambdaMART serve training only: not written.
    method = est.lambdarank_pair_method
    n_pairs = est.lambdarank_num_pair_per_sample or (32 if method == "topk" else 1)
    return {"lambdarank_param": {
        "lambdarank_pair_method": method,
        "lambdarank_num_pair_per_sample": str(n_pairs),
        "lambdarank_unbiased": "0",
        "lambdarank_bias_norm": _text(est.lambdarank_bias_norm),
        "lambdarank_normalization": "1" if est.lambdarank_normalization else "0",
        "lambdarank_score_normalization": "1" if est.lambdarank_score_normalization else "0",
        "ndcg_exp_gain": "1" if est.ndcg_exp_gain else "0",
    }}


# XGBoost's "no parent" for the root.
_NO_PARENT = 2147483647
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _text(value):
    """A number as XGBoost writes parameters: the shortest text of its float32."""
    return np.format_float_scientific(np.float32(value), unique=True, trim="-").upper() \
        .replace("E+", "E")


def _f32(values):
    """float32 values as JSON numbers (the float64 holding each float32 exactly)."""
    return [float(v) for v in np.asarray(values, dtype=np.float32)]


def split_conditions(threshold):
    """XGBoost's ``x < condition`` (float32) equivalent of ``x <= threshold``: the next
    float32 above the largest float32 not above ``threshold``."""
    threshold = np.asarray(threshold, dtype=np.float64)
    with np.errstate(over="ignore"):
        below = threshold.astype(np.float32)
    over = below.astype(np.float64) > threshold
    below[over] = np.nextafter(below[over], np.float32(-np.inf))
    condition = np.nextafter(below, np.float32(np.inf))
    return np.where(np.isfinite(condition), condition, np.float32(_FLOAT32_MAX))


def _tree_document(tree, tree_id, n_features, offset):
    leaf = tree.left == -1
    n = tree.n_nodes
    parents = np.full(n, _NO_PARENT, dtype=np.int64)
    internal = np.flatnonzero(~leaf)
    parents[tree.left[internal]] = internal
    parents[tree.right[internal]] = internal
    leaf_value = tree.value[:, 0] + offset
    condition = np.where(leaf, leaf_value.astype(np.float32), split_conditions(tree.threshold))
    return {
        "base_weights": _f32(np.where(leaf, leaf_value, tree.value[:, 0])),
        "categories": [],
        "categories_nodes": [],
        "categories_segments": [],
        "categories_sizes": [],
        "default_left": [int(d) for d in np.where(leaf, False, tree.default_left)],
        "id": tree_id,
        "left_children": tree.left.astype(int).tolist(),
        "loss_changes": _f32(np.where(leaf, 0.0, tree.gain)),
        "parents": parents.tolist(),
        "right_children": tree.right.astype(int).tolist(),
        "split_conditions": _f32(condition),
        "split_indices": np.where(leaf, 0, tree.feature).astype(int).tolist(),
        "split_type": [0] * n,
        "sum_hessian": _f32(tree.cover),
        "tree_param": {"num_deleted": "0", "num_feature": str(n_features),
                       "num_nodes": str(n), "size_leaf_vector": "1"},
    }


def xgboost_document(estimator):
    """The XGBoost JSON model document of a fitted boosting estimator.

    Raises
    ------
    ValueError
        If the model was trained with a callable objective (XGBoost would not know how
        to turn its margins into predictions).
    """
    objective = estimator._objective.name
    if callable(estimator.objective) or objective not in _OBJECTIVE_PARAMS:
        raise ValueError("format='xgboost' needs one of XGBoost's objectives "
                         f"({', '.join(_OBJECTIVE_PARAMS)}); this model was trained with a "
                         "callable objective, which XGBoost cannot apply.")
    booster = estimator._booster
    if booster.kind == "gblinear":
        raise ValueError("format='xgboost' writes tree models (booster='gbtree' or 'dart'); "
                         "a booster='gblinear' model has its weights in coef_ and "
                         "intercept_.")
    K = booster.n_outputs
    multiclass = objective.startswith("multi:")
    n_features = int(estimator.n_features_in_)
    base = booster.base_margin
    offsets = np.zeros(K)
    if K > 1:
        base_score, offsets = 0.0, base
    elif objective in _LOGISTIC_LINK:
        base_score = 1.0 / (1.0 + np.exp(-base[0]))
    elif objective in _LOG_LINK:
        base_score = np.exp(base[0])
    else:
        base_score = base[0]
    P = booster.num_parallel_tree
    # The starting margins go to the first tree of each output in the first round.
    trees = [_tree_document(tree, i, n_features,
                            offsets[booster.output_of(i)] if i < K * P and i % P == 0
                            else 0.0)
             for i, tree in enumerate(booster.weighted_trees())]
    attributes = {}
    if getattr(estimator, "best_iteration", None) is not None:
        attributes["best_iteration"] = str(int(estimator.best_iteration))
    if getattr(estimator, "best_score", None) is not None:
        attributes["best_score"] = repr(float(estimator.best_score))
    names = ([str(name) for name in estimator.feature_names_in_]
             if hasattr(estimator, "feature_names_in_") else [])
    n_rounds = booster.n_rounds
    return {
        "learner": {
            "attributes": attributes,
            "feature_names": names,
            "feature_types": ["float"] * len(names),
            "gradient_booster": {
                "model": {
                    "gbtree_model_param": {"num_parallel_tree": str(P),
                                           "num_trees": str(len(trees))},
                    "iteration_indptr": [booster.trees_per_round * r
                                         for r in range(n_rounds + 1)],
                    "tree_info": [booster.output_of(i) for i in range(len(trees))],
                    "trees": trees,
                },
                "name": "gbtree",
            },
            "learner_model_param": {
                "base_score": _text(base_score),
                "boost_from_average": "1",
                "num_class": str(K if multiclass else 0),
                "num_feature": str(n_features),
                "num_target": "1" if multiclass else str(K),
            },
            "objective": {"name": objective, **_OBJECTIVE_PARAMS[objective](estimator)},
        },
        "version": [2, 1, 0],
    }


def write_xgboost_model(estimator, path):
    """Write :func:`xgboost_document` as JSON to ``path`` (a path or a writable text or
    binary file object)."""
    text = json.dumps(xgboost_document(estimator), allow_nan=False)
    if hasattr(path, "write"):
        try:
            path.write(text)
        except TypeError:  # a binary file object
            path.write(text.encode("utf-8"))
        return
    with open(os.fspath(path), "w", encoding="utf-8") as fh:
        fh.write(text)
