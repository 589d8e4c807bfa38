"""Plotting a boosted model and explaining it with SHAP values.

A regressor predicts the median house value of California districts (1990 census, in
units of $100,000) with an eval set watched during training. The figures show what
:mod:`ensembles.plotting` draws:

1. :func:`~ensembles.plotting.plot_metric`: the learning curves recorded in
   ``evals_result_``, and :func:`~ensembles.plotting.plot_importance`: how often each
   feature was split on (XGBoost's default ``weight``) and its mean gain;
2. :func:`~ensembles.plotting.plot_tree`: the first tree, each split with its threshold,
   gain and cover (hessian sum, here the number of rows) and the side missing values take
   (``total_bedrooms`` has some);
3. :func:`~ensembles.plotting.plot_shap_summary`: one dot per district and feature at its
   SHAP value, coloured by the feature's value. Median income pushes predictions up when it
   is high and down when it is low; latitude and longitude come next, in both
   directions: location.

The script also checks what SHAP values promise: a row's contributions plus the bias add
up to its prediction; and it ranks feature pairs by their mean absolute interaction value,
where latitude with longitude stands out, as the importances could not tell.

Run from the repository root::

    python docs/examples/plotting.py
"""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from ensembles import GradientBoostingRegressor
from ensembles.plotting import plot_importance, plot_metric, plot_shap_summary, plot_tree

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "housing.csv"

frame = pd.read_csv(DATA)
y = frame.pop("median_house_value").to_numpy() / 1e5
frame["ocean_proximity"] = frame["ocean_proximity"].astype("category").cat.codes
X_train, X_test, y_train, y_test = train_test_split(frame, y, test_size=0.25, random_state=0)

model = GradientBoostingRegressor(n_estimators=200, learning_rate=0.1, max_depth=4,
                                  eval_metric=["rmse", "mae"], random_state=0)
model.fit(X_train, y_train, eval_set=[(X_train, y_train), (X_test, y_test)])
print(f"test R^2: {model.score(X_test, y_test):.3f}")

fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
plot_metric(model, "rmse", ax=axes[0], title="Learning curves (validation_1: test set)")
plot_importance(model, ax=axes[1], title="Splits per feature")
plot_importance(model, importance_type="gain", ax=axes[2], title="Mean gain per split")
fig.tight_layout()

plot_tree(model, tree_index=0, precision=3, fontsize=7)

rows = X_test.iloc[:2000]
contribs = model.predict(rows, pred_contribs=True)
margin = model.predict(rows, output_margin=True)
print(f"contributions + bias = prediction, largest gap: "
      f"{np.abs(contribs.sum(axis=1) - margin).max():.1e}")
print(f"bias (expected prediction under the training covers): {contribs[0, -1]:.3f}")
plot_shap_summary(model, rows, title="SHAP values of 2,000 test districts")

interactions = model.predict(rows.iloc[:300], pred_interactions=True)[:, :-1, :-1]
strength = np.abs(interactions).mean(axis=0)
names = list(model.feature_names_in_)
pairs = sorted(((strength[i, j], names[i], names[j]) for i in range(len(names))
                for j in range(i + 1, len(names))), reverse=True)
print("strongest interactions (mean |SHAP interaction value|):")
for value, a, b in pairs[:3]:
    print(f"  {a} x {b}: {value:.3f}")
plt.show()
