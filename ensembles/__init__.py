"""ensembles: classical ensemble learning with the scikit-learn API.

Histogram gradient boosting in the style of XGBoost on numba kernels, random forests and
extra trees on the same engine, and bagging, AdaBoost, voting and stacking around any
scikit-learn estimator.
"""

from .boosting.callbacks import EarlyStopping, EvaluationMonitor, TrainingCallback
from .boosting.estimators import GradientBoostingClassifier, GradientBoostingRegressor

__version__ = "0.1.0"

__all__ = [
    "EarlyStopping",
    "EvaluationMonitor",
    "GradientBoostingClassifier",
    "GradientBoostingRegressor",
    "TrainingCallback",
]
