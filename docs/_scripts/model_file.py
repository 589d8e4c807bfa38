"""A small model written with ``save_model`` and printed field by field.

Two rounds of depth-2 trees on two features of the iris data (three classes, so three
trees per round), with one missing value so that a default direction matters. The node
arrays of each tree are printed on one line each.
"""

import json
import tempfile
from pathlib import Path

import numpy as np
from sklearn.datasets import load_iris

from ensembles import GradientBoostingClassifier

iris = load_iris(as_frame=True)
X = iris.data[["petal length (cm)", "petal width (cm)"]].copy()
X.iloc[0, 0] = np.nan
y = iris.target_names[iris.target]
model = GradientBoostingClassifier(n_estimators=2, max_depth=2, max_bin=8,
                                   learning_rate=0.5, random_state=0).fit(X, y)

with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "model.json"
    model.save_model(path)
    doc = json.loads(path.read_text())

trees = doc["booster"].pop("trees")
for key, value in doc.items():
    print(f"{key}: {json.dumps(value)}")
for t, tree in enumerate(trees):
    print(f"booster.trees[{t}] (round {t // 3}, class {doc['classes'][t % 3]!r}):")
    for field, values in tree.items():
        print(f"    {field}: {json.dumps(values)}")
