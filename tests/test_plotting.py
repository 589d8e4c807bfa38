"""ensembles.plotting, rendered headless: each plot's content, not just that it draws."""

import subprocess
import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402

from ensembles import (  # noqa: E402
    DecisionTreeClassifier,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestRegressor,
)
from ensembles.plotting import (  # noqa: E402
    plot_importance,
    plot_metric,
    plot_shap_summary,
    plot_tree,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    X[rng.random(X.shape) < 0.05] = np.nan
    y = 2 * np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 1]) ** 2 + 0.1 * rng.normal(size=n)
    return X, y


@pytest.fixture(scope="module")
def booster_model():
    X, y = _data()
    return GradientBoostingRegressor(n_estimators=10, max_depth=3).fit(X, y), X


def test_estimators_do_not_import_plotting_or_matplotlib():
    code = ("import sys, ensembles; ensembles.GradientBoostingRegressor; "
            "print('ensembles.plotting' in sys.modules, 'matplotlib' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["False", "False"]


def test_plot_importance_bars_match_split_counts(booster_model):
    model, _ = booster_model
    ax = plot_importance(model)
    counts = np.zeros(5)
    for tree in model._booster.trees:
        np.add.at(counts, tree.feature[tree.left != -1], 1)
    used = np.flatnonzero(counts)
    bars = ax.patches
    assert len(bars) == used.size
    labels = [t.get_text() for t in ax.get_yticklabels()]
    widths = [b.get_width() for b in bars]
    # Ascending from the bottom: the largest on top.
    assert widths == sorted(widths)
    assert dict(zip(labels, widths, strict=True)) == {f"f{i}": counts[i] for i in used}
    assert ax.get_xlabel() == "Number of splits (weight)"
    assert ax.get_title() == "Feature importance"

    top = plot_importance(model, importance_type="total_gain", max_num_features=2)
    assert len(top.patches) == 2
    assert [t.get_text() for t in top.get_yticklabels()][-1] == "f0"


def test_plot_importance_of_any_estimator_and_dict():
    X, y = _data()
    forest = RandomForestRegressor(n_estimators=5, random_state=0).fit(X, y)
    ax = plot_importance({"a": 3.0, "b": 1.0, "c": 0.0})
    assert [t.get_text() for t in ax.get_yticklabels()] == ["b", "a"]
    ax = plot_importance(forest, importance_type="gain", feature_names=list("vwxyz"))
    assert {t.get_text() for t in ax.get_yticklabels()} <= set("vwxyz")
    with pytest.raises(ValueError, match="importance_type must be one of"):
        plot_importance(forest, importance_type="split")


def test_plot_tree_draws_every_node(booster_model):
    model, _ = booster_model
    tree = model._booster.trees[3]
    ax = plot_tree(model, tree_index=3)
    nodes = [t for t in ax.texts if (t.get_gid() or "").startswith("node-")]
    assert len(nodes) == tree.n_nodes
    by_id = {int(t.get_gid()[5:]): t.get_text() for t in nodes}
    for k in range(tree.n_nodes):
        if tree.left[k] == -1:
            assert by_id[k].startswith(f"leaf {tree.value[k, 0]:.3g}")
        elif np.isinf(tree.threshold[k]):  # a split of the missing values alone
            assert by_id[k].startswith(f"f{tree.feature[k]} is not missing")
        else:
            assert by_id[k].startswith(f"f{tree.feature[k]} <= {tree.threshold[k]:.3g}")
        if tree.left[k] != -1:
            assert f"gain {tree.gain[k]:.3g}" in by_id[k]
        assert f"cover {tree.cover[k]:.3g}" in by_id[k]
    edge_labels = [t.get_text() for t in ax.texts if (t.get_gid() or "").startswith("edge-")]
    n_splits = int((tree.left != -1).sum())
    assert len(edge_labels) == 2 * n_splits
    edges = {line.get_gid() for line in ax.get_lines()}
    assert edges == {f"edge-{k}-{c}" for k in range(tree.n_nodes) if tree.left[k] != -1
                     for c in (tree.left[k], tree.right[k])}
    assert sum(label.endswith(", missing") for label in edge_labels) == n_splits
    assert ax.get_title() == "tree 3"


def test_plot_tree_of_a_classification_tree_shows_class_vectors():
    X, y = _data()
    model = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y > 1)
    ax = plot_tree(model, show_stats=False)
    leaves = [t.get_text() for t in ax.texts
              if (t.get_gid() or "").startswith("node-") and t.get_text().startswith("leaf")]
    assert len(leaves) == model.get_n_leaves()
    assert all(text.startswith("leaf [") and "cover" not in text for text in leaves)
    with pytest.raises(ValueError, match="tree_index must be in"):
        plot_tree(model, tree_index=1)


@pytest.mark.parametrize("make", [
    lambda: GradientBoostingClassifier(n_estimators=1, max_depth=1, max_cat_to_onehot=1),
    lambda: DecisionTreeClassifier(max_depth=1, random_state=0),
])
def test_plot_tree_names_the_categories_of_a_categorical_split(make):
    """A partition split lists the category values that go left, not a threshold."""
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    colour = rng.choice(["red", "green", "blue", "grey"], size=400)
    y = np.isin(colour, ["red", "grey"]).astype(int)
    X = pd.DataFrame({"colour": pd.Categorical(colour)})
    model = make().fit(X, y)
    ax = plot_tree(model, show_stats=False)
    root = next(t.get_text() for t in ax.texts if t.get_gid() == "node-0")
    assert root.startswith("colour in {") and "<=" not in root
    listed = set(root[len("colour in {"):-1].split(", "))
    assert listed in ({"red", "grey"}, {"green", "blue"})
    left = model.predict_proba(pd.DataFrame({"colour": pd.Categorical(
        sorted(listed), categories=X["colour"].cat.categories)}))[:, 1]
    assert np.ptp(left) == 0  # the listed categories share a side


def test_plot_metric_draws_one_line_per_eval_set():
    X, y = _data(n=600)
    model = GradientBoostingClassifier(n_estimators=15, eval_metric=["logloss", "error"])
    model.fit(X[:400], y[:400] > 1, eval_set=[(X[:400], y[:400] > 1), (X[400:], y[400:] > 1)])
    ax = plot_metric(model, "logloss")
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["validation_0", "validation_1"]
    for line, name in zip(lines, ["validation_0", "validation_1"], strict=True):
        np.testing.assert_array_equal(line.get_ydata(), model.evals_result_[name]["logloss"])
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 16))
    assert ax.get_ylabel() == "logloss"
    with pytest.raises(ValueError, match="several metrics"):
        plot_metric(model)
    with pytest.raises(ValueError, match="not among the eval sets"):
        plot_metric(model, "error", dataset_names=["train"])
    unfitted = GradientBoostingClassifier(n_estimators=2).fit(X, y > 1)
    with pytest.raises(ValueError, match="No evaluation results"):
        plot_metric(unfitted)


def test_plot_shap_summary_orders_features_by_mean_abs_shap(booster_model):
    model, X = booster_model
    ax = plot_shap_summary(model, X, max_display=3)
    contribs = model.predict_contribs(X)[:, :-1]
    expected = np.argsort(-np.abs(contribs).mean(axis=0), kind="stable")[:3]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [f"f{i}" for i in expected[::-1]]  # largest on top
    swarms = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(swarms) == 3
    for swarm, f in zip(swarms, expected, strict=True):
        offsets = swarm.get_offsets()
        assert offsets.shape == (len(X), 2)
        np.testing.assert_allclose(offsets[:, 0], contribs[:, f])
    assert ax.figure.axes[-1].get_ylabel() == "feature value"  # the colour bar


def test_plot_shap_summary_takes_contributions_and_picks_an_output():
    X, y = _data()
    labels = np.digitize(y, [0.5, 2.5])
    model = GradientBoostingClassifier(n_estimators=5, max_depth=2).fit(X, labels)
    contribs = model.predict_contribs(X)
    assert contribs.shape == (len(X), 3, 6)
    with pytest.raises(ValueError, match="choose one with output="):
        plot_shap_summary(contribs, X)
    ax = plot_shap_summary(contribs, X, output=2, feature_names=list("abcde"))
    swarms = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(swarms) == 5
    top = ax.get_yticklabels()[-1].get_text()
    f = "abcde".index(top)
    assert np.argmax(np.abs(contribs[:, 2, :5]).mean(axis=0)) == f
    with pytest.raises(ValueError, match="do not match X"):
        plot_shap_summary(contribs[:10, 0], X)
