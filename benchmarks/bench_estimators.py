"""The estimators the suite compares, and how the shared parameters map onto each library.

Each family has one set of shared parameters (:data:`SHARED_PARAMS`), written in the
vocabulary of ``ensembles``; a per-estimator ``translate`` function turns them into the
library's own keyword arguments. Anything not listed keeps the library's default (the
README's parameter table says which defaults differ).

Peer libraries are imported lazily, inside :func:`build`, so importing this module costs
nothing and a missing library only affects its own runs.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

FAMILIES = ("boosting", "random-forest", "extra-trees", "stacking")

#: Parameters shared by every member of a family (``ensembles`` / XGBoost names).
SHARED_PARAMS = {
    "boosting": {"n_estimators": 100, "max_depth": 6, "learning_rate": 0.1, "max_bin": 256},
    # max_features="sqrt" for regression too: scikit-learn's regressor default (all
    # features) would make the 10^6-row series take hours on two cores.
    "random-forest": {"n_estimators": 100, "max_features": "sqrt", "max_depth": None},
    "extra-trees": {"n_estimators": 100, "max_features": "sqrt", "max_depth": None},
    # Both stacking implementations get the same scikit-learn base learners, so the
    # comparison measures the stacking layer itself.
    "stacking": {"n_estimators": 50, "max_depth": 6, "learning_rate": 0.1, "cv": 3},
}


@dataclass(frozen=True)
class EstimatorSpec:
    """One benchmarked estimator.

    Attributes
    ----------
    name : str
        Identifier used on the command line and in the results.
    module : str
        Module whose import decides availability and whose ``__version__`` is recorded.
    family : str
        One of :data:`FAMILIES`; ratios compare members of the same family.
    classifier, regressor : str
        Attribute names of the estimator classes in ``module``.
    translate : callable
        ``translate(params, kind, threads, seed, n_features) -> dict`` of constructor
        arguments (``n_features`` lets forests draw scikit-learn's sqrt share of features).
    ranker : str
        Attribute name of the learning-to-rank class ("" when the library has none).
    """

    name: str
    module: str
    family: str
    classifier: str
    regressor: str
    translate: object
    ranker: str = ""

    @property
    def library(self):
        return self.module.split(".")[0]


def _ensembles_gb(p, kind, threads, seed, n_features=None):
    return dict(p, n_jobs=threads, random_state=seed)


def _ensembles_gb_quantized(p, kind, threads, seed, n_features=None):
    return dict(_ensembles_gb(p, kind, threads, seed), use_quantized_grad=True)


def _xgboost(p, kind, threads, seed, n_features=None):
    return dict(p, tree_method="hist", n_jobs=threads, random_state=seed)


def _lightgbm(p, kind, threads, seed, n_features=None):
    return {
        "n_estimators": p["n_estimators"],
        "max_depth": p["max_depth"],
        # Leaf-wise growth capped at a full depth-d tree, so it can grow the same trees.
        "num_leaves": 2 ** p["max_depth"],
        "learning_rate": p["learning_rate"],
        # LightGBM keeps missing values outside max_bin; 256 would switch it to 16-bit bins.
        "max_bin": min(p["max_bin"] - 1, 255),
        "n_jobs": threads,
        "random_state": seed,
        "verbose": -1,
    }


def _lightgbm_quantized(p, kind, threads, seed, n_features=None):
    return dict(_lightgbm(p, kind, threads, seed), use_quantized_grad=True)


def _catboost(p, kind, threads, seed, n_features=None):
    return {
        "iterations": p["n_estimators"],
        "depth": p["max_depth"],
        "learning_rate": p["learning_rate"],
        # CatBoost counts borders (bins - 1).
        "border_count": p["max_bin"] - 1,
        "thread_count": threads,
        "random_seed": seed,
        "verbose": False,
        "allow_writing_files": False,
    }


def _sklearn_hgb(p, kind, threads, seed, n_features=None):
    # Threads come from OMP_NUM_THREADS, set by the harness for every child process.
    return {
        "max_iter": p["n_estimators"],
        "max_depth": p["max_depth"],
        "max_leaf_nodes": None,
        "learning_rate": p["learning_rate"],
        # One extra bin is always reserved for missing values.
        "max_bins": min(p["max_bin"] - 1, 255),
        "early_stopping": False,
        "random_state": seed,
    }


def _forest(p, kind, threads, seed, n_features=None):
    return dict(p, n_jobs=threads, random_state=seed)


def _sqrt_fraction(n_features):
    """The fraction of features that scikit-learn's ``max_features="sqrt"`` draws."""
    return max(1, int(n_features ** 0.5)) / n_features if n_features else 0.2


def _lightgbm_rf(p, kind, threads, seed, n_features=None):
    # LightGBM's random forest mode: bagged, unshrunk leaf-wise trees; leaves and depth
    # left practically unbounded like scikit-learn's fully grown trees.
    return {
        "boosting_type": "rf",
        "n_estimators": p["n_estimators"],
        "num_leaves": 2 ** 15,
        "max_depth": -1,
        "min_child_samples": 1,
        "min_child_weight": 0.0,
        "subsample": 0.632,
        "subsample_freq": 1,
        "feature_fraction_bynode": _sqrt_fraction(n_features),
        "n_jobs": threads,
        "random_state": seed,
        "verbose": -1,
    }


def _xgboost_rf(p, kind, threads, seed, n_features=None):
    # XGBoost's random forest: one round of n_estimators parallel trees; depth capped,
    # since XGBoost has no unlimited depth with depthwise growth.
    return {
        "n_estimators": p["n_estimators"],
        "max_depth": 20,
        "tree_method": "hist",
        "subsample": 0.632,
        "colsample_bynode": _sqrt_fraction(n_features),
        "min_child_weight": 0.0,
        "n_jobs": threads,
        "random_state": seed,
    }


def _stacking(p, kind, threads, seed, n_features=None):
    from sklearn.ensemble import (
        ExtraTreesClassifier,
        ExtraTreesRegressor,
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
    )
    from sklearn.linear_model import LogisticRegression, RidgeCV

    clf = kind != "regression"
    hgb = (HistGradientBoostingClassifier if clf else HistGradientBoostingRegressor)(
        max_iter=p["n_estimators"], max_depth=p["max_depth"], max_leaf_nodes=None,
        learning_rate=p["learning_rate"], early_stopping=False, random_state=seed,
    )
    et = (ExtraTreesClassifier if clf else ExtraTreesRegressor)(
        n_estimators=p["n_estimators"], n_jobs=threads, random_state=seed
    )
    final = LogisticRegression(max_iter=1000) if clf else RidgeCV()
    return {"estimators": [("hgb", hgb), ("et", et)], "final_estimator": final, "cv": p["cv"]}


ESTIMATORS = {
    s.name: s
    for s in [
        EstimatorSpec("ensembles-gb", "ensembles", "boosting", "GradientBoostingClassifier",
                      "GradientBoostingRegressor", _ensembles_gb, "GradientBoostingRanker"),
        EstimatorSpec("ensembles-gb-quantized", "ensembles", "boosting",
                      "GradientBoostingClassifier", "GradientBoostingRegressor",
                      _ensembles_gb_quantized, "GradientBoostingRanker"),
        EstimatorSpec("xgboost", "xgboost", "boosting", "XGBClassifier", "XGBRegressor",
                      _xgboost, "XGBRanker"),
        EstimatorSpec("lightgbm", "lightgbm", "boosting", "LGBMClassifier", "LGBMRegressor",
                      _lightgbm, "LGBMRanker"),
        EstimatorSpec("lightgbm-quantized", "lightgbm", "boosting", "LGBMClassifier",
                      "LGBMRegressor", _lightgbm_quantized, "LGBMRanker"),
        EstimatorSpec("catboost", "catboost", "boosting", "CatBoostClassifier",
                      "CatBoostRegressor", _catboost),
        EstimatorSpec("sklearn-hgb", "sklearn.ensemble", "boosting",
                      "HistGradientBoostingClassifier", "HistGradientBoostingRegressor",
                      _sklearn_hgb),
        EstimatorSpec("ensembles-rf", "ensembles", "random-forest", "RandomForestClassifier",
                      "RandomForestRegressor", _forest),
        EstimatorSpec("sklearn-rf", "sklearn.ensemble", "random-forest",
                      "RandomForestClassifier", "RandomForestRegressor", _forest),
        EstimatorSpec("lightgbm-rf", "lightgbm", "random-forest", "LGBMClassifier",
                      "LGBMRegressor", _lightgbm_rf),
        EstimatorSpec("xgboost-rf", "xgboost", "random-forest", "XGBRFClassifier",
                      "XGBRFRegressor", _xgboost_rf),
        EstimatorSpec("ensembles-et", "ensembles", "extra-trees", "ExtraTreesClassifier",
                      "ExtraTreesRegressor", _forest),
        EstimatorSpec("sklearn-et", "sklearn.ensemble", "extra-trees", "ExtraTreesClassifier",
                      "ExtraTreesRegressor", _forest),
        EstimatorSpec("ensembles-stack", "ensembles", "stacking", "StackingClassifier",
                      "StackingRegressor", _stacking),
        EstimatorSpec("sklearn-stack", "sklearn.ensemble", "stacking", "StackingClassifier",
                      "StackingRegressor", _stacking),
    ]
}


def estimator_class(name, kind):
    """Import and return the class for ``name`` and task ``kind``.

    Raises
    ------
    ImportError
        If the library or the class is not available.
    """
    spec = ESTIMATORS[name]
    module = importlib.import_module(spec.module)
    attr = {"regression": spec.regressor, "ranking": spec.ranker}.get(kind, spec.classifier)
    if not attr:
        raise ImportError(f"{name} has no estimator for {kind} tasks")
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ImportError(f"{spec.module} has no {attr}") from None


def probe(name):
    """Why ``name`` cannot run here, or ``None`` when both of its classes import."""
    try:
        for kind in ("binary", "regression"):
            estimator_class(name, kind)
    except Exception as exc:  # any import-time failure means "skip with a note"
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None


def supports(name, kind):
    """Whether ``name`` has an estimator for tasks of ``kind`` (rankers are few)."""
    return kind != "ranking" or bool(ESTIMATORS[name].ranker)


def params_for(name, overrides=None):
    """The shared parameters of ``name``'s family, with ``overrides`` applied."""
    params = dict(SHARED_PARAMS[ESTIMATORS[name].family])
    params.update({k: v for k, v in (overrides or {}).items() if k in params})
    return params


def build(name, kind, params, threads, seed=0, n_features=None):
    """A fresh, unfitted estimator for ``name`` on a task of ``kind``."""
    cls = estimator_class(name, kind)
    return cls(**ESTIMATORS[name].translate(params, kind, threads, seed, n_features))


def contributions(name, est, X, threads):
    """SHAP contributions (TreeSHAP, XGBoost's ``pred_contribs`` layout) of a fitted
    estimator, or ``None`` where the estimator has none."""
    if name == "ensembles-gb":
        return est.predict(X, pred_contribs=True)
    if name == "xgboost":
        import xgboost

        return est.get_booster().predict(xgboost.DMatrix(X, nthread=threads),
                                         pred_contribs=True)
    return None


def version(name):
    """The installed version of ``name``'s library, or ``None``."""
    try:
        return getattr(importlib.import_module(ESTIMATORS[name].library), "__version__", None)
    except Exception:
        return None
