"""Feature importances of a boosted model: gain, split count, cover and permutation.

A regressor predicts the median house value of California districts (1990 census). The
data have a categorical column (``ocean_proximity``, given to the model as integer codes)
and missing values in ``total_bedrooms``, which the trees route by their learned default
direction: no imputation is needed.

``feature_importances_`` reports what the trees did during training, in the unit chosen by
``importance_type``: the mean loss reduction of the feature's splits (``gain``), how often
the feature was split on (``weight``) or the mean hessian mass of those splits (``cover``).
Permutation importance instead measures how much the test score drops when a column is
shuffled, which is what a user usually wants to know; the plot puts the four side by side.
Latitude and longitude show the difference: each split on one of them gains little, but
together they encode location, and shuffling either destroys it.

Run from the repository root::

    python docs/examples/feature_importances.py
"""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.model_selection import train_test_split

from ensembles import GradientBoostingRegressor

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "housing.csv"

frame = pd.read_csv(DATA)
y = frame.pop("median_house_value").to_numpy() / 1e5  # in units of $100,000
frame["ocean_proximity"] = frame["ocean_proximity"].astype("category").cat.codes
print(f"{len(frame)} districts; missing values per column: "
      f"{frame.isna().sum()[lambda s: s > 0].to_dict()}")

X_train, X_test, y_train, y_test = train_test_split(frame, y, test_size=0.25, random_state=0)
model = GradientBoostingRegressor(
    n_estimators=300, learning_rate=0.1, max_depth=6, subsample=0.8, random_state=0
).fit(X_train, y_train)
print(f"test R^2: {model.score(X_test, y_test):.3f}")

names = np.asarray(model.feature_names_in_)
importances = {}
for kind in ["gain", "weight", "cover"]:
    # importance_type only chooses how the fitted trees are summarized, so it can be
    # switched on the fitted model without refitting.
    model.set_params(importance_type=kind)
    importances[kind] = model.feature_importances_
model.set_params(importance_type="gain")
permuted = permutation_importance(model, X_test, y_test, n_repeats=5, random_state=0)
importances["permutation"] = permuted.importances_mean

table = pd.DataFrame(importances, index=names).sort_values("gain")
print(table[::-1].round(3).to_string())

titles = {
    "gain": "importance_type='gain'",
    "weight": "importance_type='weight' (split count)",
    "cover": "importance_type='cover'",
    "permutation": "permutation: drop in test R^2",
}
fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharey=True)
for ax, (kind, title) in zip(axes.ravel(), titles.items(), strict=True):
    ax.barh(table.index, table[kind])
    ax.set_title(title)
fig.tight_layout()
plt.show()
