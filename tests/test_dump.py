"""Tree dumps and tables: XGBoost's layouts, checked against XGBoost on the same trees."""

import json
import re

import numpy as np
import pytest

from ensembles import GradientBoostingClassifier, GradientBoostingRegressor

pd = pytest.importorskip("pandas")
xgb = pytest.importorskip("xgboost")

from .test_explain import _xgb_pair  # noqa: E402

_LINE = re.compile(
    r"^(?P<tabs>\t*)(?P<id>\d+):(?:leaf=(?P<leaf>\S+?)(?:,cover=(?P<lcover>\S+))?"
    r"|\[(?P<feature>[^<]+)<(?P<eq>=?)(?P<split>[^\]]+)\] yes=(?P<yes>\d+),no=(?P<no>\d+),"
    r"missing=(?P<missing>\d+)(?:,gain=(?P<gain>[^,]+),cover=(?P<cover>\S+))?)$"
)


def _parse(text):
    """Nodes of a text dump: {id: dict of the fields, depth from the tabs}."""
    nodes = {}
    for line in text.strip("\n").split("\n"):
        match = _LINE.match(line)
        assert match, f"not a dump line: {line!r}"
        fields = {k: v for k, v in match.groupdict().items() if v is not None}
        fields["depth"] = len(fields.pop("tabs", ""))
        nodes[int(fields.pop("id"))] = fields
    return nodes


@pytest.mark.parametrize("task", ["regression", "multiclass"])
def test_dump_and_table_match_xgboost(task):
    X, ours, theirs = _xgb_pair(task, missing=True)
    booster = theirs.get_booster()
    ours_dump = ours.get_dump(with_stats=True)
    their_dump = booster.get_dump(with_stats=True)
    assert len(ours_dump) == len(their_dump) == len(ours._booster.trees)
    for mine, theirs_text in zip(ours_dump, their_dump, strict=True):
        a, b = _parse(mine), _parse(theirs_text)
        assert a.keys() == b.keys()  # the same node ids, since the trees are the same
        for node, fields in a.items():
            other = b[node]
            assert fields["depth"] == other["depth"]
            if "leaf" in fields:
                assert "leaf" in other
                np.testing.assert_allclose(float(fields["leaf"]), float(other["leaf"]),
                                           rtol=1e-5, atol=1e-6)
                np.testing.assert_allclose(float(fields["lcover"]), float(other["lcover"]),
                                           rtol=1e-5)
                continue
            assert fields["eq"] == "=" and other["eq"] == ""
            assert fields["feature"] == other["feature"]
            split, their_split = float(fields["split"]), float(other["split"])
            # Integer features: x <= t and XGBoost's x < s agree when s - 1 <= t < s.
            assert their_split - 1 <= split < their_split or (
                np.isinf(split) and their_split > np.nanmax(X))
            for key in ("yes", "no", "missing"):
                assert fields[key] == other[key]
            np.testing.assert_allclose(float(fields["gain"]), float(other["gain"]),
                                       rtol=1e-4)
            np.testing.assert_allclose(float(fields["cover"]), float(other["cover"]),
                                       rtol=1e-5)

    table = ours.trees_to_dataframe()
    their_table = booster.trees_to_dataframe()
    assert list(table.columns) == list(their_table.columns)
    for column in ("Tree", "Node", "ID", "Feature", "Yes", "No", "Missing"):
        assert table[column].tolist() == their_table[column].tolist(), column
    np.testing.assert_allclose(table["Gain"], their_table["Gain"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(table["Cover"], their_table["Cover"], rtol=1e-5)
    leaf = table["Feature"] == "Leaf"
    assert table.loc[leaf, "Split"].isna().all()
    assert table["Category"].isna().all()


def test_dump_without_stats_and_with_names():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(200, 3)), columns=["age", "income", "score"])
    y = frame["income"].to_numpy() * 2 + rng.normal(size=200)
    model = GradientBoostingRegressor(n_estimators=3, max_depth=2).fit(frame, y)
    dump = model.get_dump()
    assert len(dump) == 3
    nodes = _parse(dump[0])
    assert nodes[0]["feature"] == "income"
    assert all("gain" not in n and "lcover" not in n for n in nodes.values())
    assert {n["feature"] for n in nodes.values() if "feature" in n} <= {"age", "income", "score"}
    renamed = model.get_dump(feature_names=["A", "B", "C"])
    assert _parse(renamed[0])[0]["feature"] == "B"
    assert model.trees_to_dataframe(feature_names=["A", "B", "C"])["Feature"][0] == "B"
    with pytest.raises(ValueError, match="feature_names must hold one name per feature"):
        model.get_dump(feature_names=["A"])
    with pytest.raises(ValueError, match="dump_format must be one of"):
        model.get_dump(dump_format="dot")


def test_json_dump_routes_rows_like_the_model():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 4))
    X[rng.random(X.shape) < 0.2] = np.nan
    y = (np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 1]) > 0).astype(int)
    model = GradientBoostingClassifier(n_estimators=4, max_depth=3).fit(X, y)
    trees = [json.loads(text) for text in model.get_dump(dump_format="json", with_stats=True)]

    def leaf(node, row):
        while "leaf" not in node:
            x = row[int(node["split"][1:])]
            threshold = float(node["split_condition"])
            child = node["missing"] if np.isnan(x) else (
                node["yes"] if x <= threshold else node["no"])
            node = next(c for c in node["children"] if c["nodeid"] == child)
        return node

    for r in range(50):
        margin = model._booster.base_margin[0] + sum(leaf(t, X[r])["leaf"] for t in trees)
        np.testing.assert_allclose(margin, model.predict(X[r:r + 1], output_margin=True)[0],
                                   atol=1e-12)
        leaves = [leaf(t, X[r])["nodeid"] for t in trees]
        assert leaves == model.apply(X[r:r + 1])[0].tolist()
