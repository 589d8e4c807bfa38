"""Early stopping on a validation set, with the learning curves it watches.

Gradient boosting with a generous number of rounds is trained on 7,000 rows of the HIGGS
physics data set while a held-out validation set is scored after every round. Training
stops once the validation log loss has not improved for 40 rounds; prediction then uses
the rounds up to the best one. The figure shows why: the training loss keeps falling, the
validation loss turns back up.

Run from the repository root::

    python docs/examples/early_stopping.py
"""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from ensembles import GradientBoostingClassifier

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "higgs7k.train"

table = np.loadtxt(DATA, delimiter="\t")
X, y = table[:, 1:], table[:, 0].astype(int)
X_train, X_valid, y_train, y_valid = train_test_split(
    X, y, test_size=0.3, random_state=0, stratify=y
)

model = GradientBoostingClassifier(
    n_estimators=1000,
    learning_rate=0.1,
    max_depth=5,
    subsample=0.8,
    colsample_bytree=0.8,
    eval_metric=["auc", "logloss"],  # early stopping watches the last one
    early_stopping_rounds=40,
    random_state=0,
)
# The training rows are evaluated too, only to draw their curve; the last set is the one
# early stopping watches.
model.fit(X_train, y_train, eval_set=[(X_train, y_train), (X_valid, y_valid)], verbose=50)

print(f"rounds trained: {model.n_iterations_}, best round: {model.best_iteration}, "
      f"best validation log loss: {model.best_score:.4f}")
auc_best = roc_auc_score(y_valid, model.predict_proba(X_valid)[:, 1])
everything = (0, model.n_iterations_)
auc_all = roc_auc_score(y_valid, model.predict_proba(X_valid, iteration_range=everything)[:, 1])
print(f"validation ROC AUC with the best rounds: {auc_best:.4f}, with all rounds: {auc_all:.4f}")

history = model.evals_result()
rounds = np.arange(1, model.n_iterations_ + 1)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
for ax, metric in zip(axes, ["logloss", "auc"], strict=True):
    ax.plot(rounds, history["validation_0"][metric], label="training rows")
    ax.plot(rounds, history["validation_1"][metric], label="validation rows")
    ax.axvline(model.best_iteration + 1, color="grey", linestyle="--", label="best round")
    ax.set_xlabel("boosting round")
    ax.set_ylabel(metric)
    ax.legend()
axes[0].set_title("Log loss per round (early stopping watches validation)")
axes[1].set_title("ROC AUC per round")
fig.tight_layout()
plt.show()
