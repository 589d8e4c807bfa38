"""ensembles: classical ensemble learning with the scikit-learn API.

Histogram gradient boosting in the style of XGBoost on numba kernels, random forests and
extra trees on the same engine, and bagging, AdaBoost, voting, stacking and ensemble
selection around any scikit-learn estimator.
"""

from .adaboost import AdaBoostClassifier, AdaBoostRegressor
from .bagging import BaggingClassifier, BaggingRegressor
from .boosting.callbacks import EarlyStopping, EvaluationMonitor, TrainingCallback
from .boosting.estimators import GradientBoostingClassifier, GradientBoostingRegressor
from .boosting.ranker import GradientBoostingRanker
from .forest import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from .selection import EnsembleSelectionClassifier, EnsembleSelectionRegressor
from .stacking import StackingClassifier, StackingRegressor, VotingClassifier, VotingRegressor
from .tree import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    ExtraTreeClassifier,
    ExtraTreeRegressor,
)

__version__ = "0.1.0"

__all__ = [
    "AdaBoostClassifier",
    "AdaBoostRegressor",
    "BaggingClassifier",
    "BaggingRegressor",
    "DecisionTreeClassifier",
    "DecisionTreeRegressor",
    "EarlyStopping",
    "EnsembleSelectionClassifier",
    "EnsembleSelectionRegressor",
    "EvaluationMonitor",
    "ExtraTreeClassifier",
    "ExtraTreeRegressor",
    "ExtraTreesClassifier",
    "ExtraTreesRegressor",
    "GradientBoostingClassifier",
    "GradientBoostingRanker",
    "GradientBoostingRegressor",
    "RandomForestClassifier",
    "RandomForestRegressor",
    "StackingClassifier",
    "StackingRegressor",
    "TrainingCallback",
    "VotingClassifier",
    "VotingRegressor",
]
