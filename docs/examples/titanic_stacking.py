"""Titanic end to end: feature engineering, three models, voting, stacking, selection.

The Kaggle Titanic training file has mixed column types and missing values (``Age``,
``Cabin``, ``Embarked``). Each base model gets the preprocessing it needs through its own
``ColumnTransformer``; the ensembles then combine the three pipelines, and every score is
a 5-fold cross-validated estimate on the same folds.

Run from the repository root::

    python docs/examples/titanic_stacking.py [path/to/titanic.csv]
"""

import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    OneHotEncoder,
    OrdinalEncoder,
    StandardScaler,
)

from ensembles import (
    EnsembleSelectionClassifier,
    GradientBoostingClassifier,
    RandomForestClassifier,
    StackingClassifier,
    VotingClassifier,
)

DEFAULT_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "titanic.csv"

NUMERIC = ["Age", "Fare", "SibSp", "Parch", "FamilySize"]
CATEGORICAL = ["Pclass", "Sex", "Embarked", "Title", "Deck"]


def engineer(frame):
    """Features every Titanic notebook derives: title, family size, cabin deck."""
    out = frame.copy()
    title = out["Name"].str.extract(r",\s*([^.]+)\.", expand=False).str.strip()
    common = {"Mr", "Mrs", "Miss", "Master"}
    out["Title"] = title.where(title.isin(common), "Rare")
    out["FamilySize"] = out["SibSp"] + out["Parch"] + 1
    out["Deck"] = out["Cabin"].str[0].fillna("none")
    out["Pclass"] = out["Pclass"].astype(str)
    return out[NUMERIC + CATEGORICAL]


def library():
    """Three differently biased models, each behind the preprocessing it needs."""
    codes = OrdinalEncoder(
        handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1
    )
    # Gradient boosting routes missing values itself; the forest gets imputed numbers and
    # the linear model scaled numbers and one-hot categories.
    for_boosting = ColumnTransformer(
        [("cat", codes, CATEGORICAL)], remainder="passthrough", verbose_feature_names_out=False
    )
    for_forest = ColumnTransformer(
        [("cat", clone(codes), CATEGORICAL), ("num", SimpleImputer(strategy="median"), NUMERIC)]
    )
    for_linear = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(), FunctionTransformer(np.log1p),
                                  StandardScaler()), NUMERIC),
            ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
        ]
    )  # fmt: skip
    gbdt = GradientBoostingClassifier(
        n_estimators=60, learning_rate=0.1, max_depth=3, subsample=0.8,
        colsample_bytree=0.8, random_state=0, n_jobs=1,
    )  # fmt: skip
    forest = RandomForestClassifier(
        n_estimators=60, min_samples_leaf=2, max_features=0.5, random_state=0, n_jobs=1
    )
    return [
        ("gbdt", make_pipeline(for_boosting, gbdt)),
        ("rf", make_pipeline(for_forest, forest)),
        ("lr", make_pipeline(for_linear, LogisticRegression(C=0.5, max_iter=2000))),
    ]


def main(path):
    raw = pd.read_csv(path)
    y = raw["Survived"].to_numpy()
    X = engineer(raw)
    print(f"{len(X)} passengers, {X.isna().sum().sum()} missing values in {list(X.columns)}")

    models = dict(library())
    models["vote (soft)"] = VotingClassifier(library(), voting="soft")
    models["stack (refit)"] = StackingClassifier(library(), cv=3)
    models["stack (fold avg)"] = StackingClassifier(library(), cv=3, refit=False)
    models["selection"] = EnsembleSelectionClassifier(
        library(), scoring="neg_log_loss", n_iter=25, cv=3, refit=False
    )

    folds = StratifiedKFold(5, shuffle=True, random_state=42)
    metrics = {"accuracy": "accuracy", "roc_auc": "roc_auc", "log_loss": "neg_log_loss"}
    print(f"\n{'model':<18}{'accuracy':>10}{'ROC AUC':>10}{'log loss':>10}{'seconds':>9}")
    for name, model in models.items():
        start = time.perf_counter()
        scores = cross_validate(model, X, y, cv=folds, scoring=metrics)
        row = [scores["test_accuracy"].mean(), scores["test_roc_auc"].mean(),
               -scores["test_log_loss"].mean()]  # fmt: skip
        elapsed = time.perf_counter() - start
        print(f"{name:<18}" + "".join(f"{v:>10.4f}" for v in row) + f"{elapsed:>9.1f}")

    stack = models["stack (refit)"].fit(X, y)
    coefs = dict(zip(stack.get_feature_names_out(), stack.final_estimator_.coef_[0], strict=True))
    print("\nstacking: final logistic regression weights on the out-of-fold probabilities")
    print("  " + ", ".join(f"{k}={v:.2f}" for k, v in coefs.items()))
    selection = models["selection"].fit(X, y)
    weights = dict(zip(selection.estimator_names_, selection.weights_, strict=True))
    print(
        "ensemble selection: blend weights "
        + ", ".join(f"{k}={v:.2f}" for k, v in weights.items())
    )
    print(f"  out-of-fold log loss of each model: {np.round(-selection.estimator_scores_, 4)}")
    print(f"  out-of-fold log loss of the blend:  {-selection.ensemble_score_:.4f}")


if __name__ == "__main__":
    warnings.simplefilter("ignore", FutureWarning)
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PATH)
