"""Forests against boosting: test score as trees are added, and fit time.

A random forest, extra trees and gradient boosting are fitted on the same 5,000 rows of
the HIGGS physics data and scored on 2,500 others after every tree. The averaging
ensembles converge fast and then stay flat: more trees only reduce the variance of the
average, they never overfit. Boosting keeps improving for many more rounds, because every
round corrects the errors left by the previous ones; on this data set it ends ahead, but
its learning rate, depth and number of rounds need tuning, while the forests are near
their best with their defaults.

Run from the repository root::

    python docs/examples/forest_vs_boosting.py
"""

import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from ensembles import ExtraTreesClassifier, GradientBoostingClassifier, RandomForestClassifier

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"

parts = [np.loadtxt(DATA / name, delimiter="\t") for name in ("higgs7k.train", "higgs7k.test")]
table = np.vstack(parts)
X, y = table[:, 1:], table[:, 0].astype(int)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, train_size=5000, test_size=2500, random_state=0, stratify=y
)

models = {
    "random forest": RandomForestClassifier(n_estimators=150, min_samples_leaf=3,
                                            random_state=0),
    "extra trees": ExtraTreesClassifier(n_estimators=150, min_samples_leaf=3, random_state=0),
    "gradient boosting": GradientBoostingClassifier(n_estimators=300, learning_rate=0.05,
                                                    max_depth=4, subsample=0.8,
                                                    random_state=0),
}

curves = {}
print(f"{'model':<20}{'trees':>6}{'fit s':>8}{'test AUC':>10}")
for name, model in models.items():
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    if name == "gradient boosting":
        staged = np.array([proba[:, 1] for proba in model.staged_predict_proba(X_test)])
    else:
        # A forest predicts the mean of its members' probabilities, so its prediction
        # after k trees is a running mean over the members.
        members = np.array([tree.predict_proba(X_test)[:, 1] for tree in model.estimators_])
        staged = np.cumsum(members, axis=0) / np.arange(1, len(members) + 1)[:, None]
    curves[name] = [roc_auc_score(y_test, p) for p in staged]
    print(f"{name:<20}{len(curves[name]):>6}{seconds:>8.2f}{curves[name][-1]:>10.4f}")

fig, ax = plt.subplots(figsize=(7, 4))
for name, curve in curves.items():
    ax.plot(np.arange(1, len(curve) + 1), curve, label=name)
ax.set_xlabel("number of trees")
ax.set_ylabel("test ROC AUC")
ax.set_ylim(0.65, None)
ax.set_title("HIGGS (5,000 training rows): score as trees are added")
ax.legend()
fig.tight_layout()
plt.show()
