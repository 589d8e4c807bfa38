"""Model files: paths, open files and bytes; every malformed file is a ValueError and
leaves the estimator untouched."""

import copy
import io
import json

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from ensembles import (
    DecisionTreeRegressor,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
)


def _data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(200, 4))
    X[rng.random(X.shape) < 0.05] = np.nan
    y = (np.nan_to_num(X[:, 0]) > 0).astype(int) + (np.nan_to_num(X[:, 1]) > 0.7)
    return X, y


def _models():
    X, y = _data()
    return {
        "boost-clf": (GradientBoostingClassifier(n_estimators=3, max_depth=2).fit(X, y), X),
        "boost-reg": (GradientBoostingRegressor(n_estimators=3, max_depth=2).fit(X, y * 1.5),
                      X),
        "forest-clf": (RandomForestClassifier(n_estimators=3, max_depth=3,
                                              random_state=0).fit(X, y), X),
        "forest-reg": (ExtraTreesRegressor(n_estimators=2, max_depth=3,
                                           random_state=0).fit(X, np.column_stack([y, -y])),
                       X),
        "tree-reg": (DecisionTreeRegressor(max_depth=3, random_state=0).fit(X, y), X),
    }


MODELS = _models()


def _output(model, X):
    return model.predict_proba(X) if hasattr(model, "predict_proba") else model.predict(X)


@pytest.mark.parametrize("kind", list(MODELS))
@pytest.mark.parametrize("how", ["path", "str", "bytes", "binary-file", "text-file"])
def test_save_and_load_through_paths_files_and_bytes(kind, how, tmp_path):
    model, X = MODELS[kind]
    path = tmp_path / "m.json"
    if how == "path":
        model.save_model(path)
        source = path
    elif how == "str":
        model.save_model(str(path))
        source = str(path)
    elif how == "bytes":
        source = model.save_model()
        assert isinstance(source, bytes)
    elif how == "binary-file":
        buffer = io.BytesIO()
        model.save_model(buffer)
        buffer.seek(0)
        source = buffer
    else:
        buffer = io.StringIO()
        model.save_model(buffer)
        buffer.seek(0)
        source = buffer
    restored = type(model)().load_model(source)
    assert_array_equal(_output(restored, X), _output(model, X))
    assert restored.get_params() == {**type(model)().get_params(), **{
        k: v for k, v in model.get_params().items() if k not in ("callbacks", "eval_metric")}}


@pytest.mark.parametrize("kind", list(MODELS))
def test_a_file_written_to_a_path_equals_the_bytes(kind, tmp_path):
    model, _ = MODELS[kind]
    model.save_model(tmp_path / "m.json")
    assert (tmp_path / "m.json").read_bytes() == model.save_model()


def test_source_of_the_wrong_type_is_a_type_error():
    model, _ = MODELS["boost-reg"]
    with pytest.raises(TypeError, match="path .* open file, or bytes"):
        GradientBoostingRegressor().load_model(12)
    with pytest.raises(TypeError, match="destination"):
        model.save_model(12)


@pytest.mark.parametrize("kind", ["boost-clf", "forest-clf"])
def test_bad_classes_dtype_is_rejected_before_anything_changes(kind):
    """Issue 18: an OverflowError after the parameters were already applied."""
    model, X = MODELS[kind]
    doc = json.loads(model.save_model())
    doc["classes"] = [1000, 2000, 3000]
    doc["classes_dtype"] = "|i1"
    doc["params"]["max_depth"] = 1
    target = type(model)(**model.get_params()).fit(X, np.arange(len(X)) % 3)
    params, before = target.get_params(), _output(target, X)
    with pytest.raises(ValueError, match="classes_dtype"):
        target.load_model(json.dumps(doc).encode())
    assert target.get_params() == params
    assert_array_equal(_output(target, X), before)


def _paths(node, prefix=()):
    """Every path into a JSON document (the first 3 items of each list)."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node[:3]):
            yield from _paths(value, (*prefix, i))


def _replace(doc, path, value):
    doc = copy.deepcopy(doc)
    if not path:
        return value
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return doc


def _deep(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value


MUTATIONS = [None, True, "x", "inf", -1, 0, 10**30, -(10**30), 1e308, 3.5, [], {},
             [1, 2], {"a": 1}, [[1.0]], [None], ["inf"]]


@pytest.mark.parametrize("kind", list(MODELS))
def test_fuzzed_files_give_value_errors_and_leave_the_estimator_alone(kind):
    """Type swaps, huge numbers, wrong dtypes and inconsistent trees at every field:
    either the file loads into a model that predicts, or loading raises ValueError and
    the estimator is as before."""
    model, X = MODELS[kind]
    text = model.save_model().decode()
    doc = json.loads(text)
    rng = np.random.default_rng(0)
    paths = list(_paths(doc))
    target = type(model)(**model.get_params()).fit(X, model.predict(X))
    params, before = target.get_params(), _output(target, X)
    state = {k: id(v) for k, v in target.__dict__.items()}
    cases = [_replace(doc, paths[i], MUTATIONS[j])
             for i, j in zip(rng.integers(len(paths), size=300),
                             rng.integers(len(MUTATIONS), size=300), strict=True)]
    cases += [_replace(doc, path, _deep(100_000)) for path in paths[:5]]
    rejected = 0
    for case in cases:
        try:
            data = json.dumps(case).encode()
        except RecursionError:
            data = ("[" * 100_000 + "]" * 100_000).encode()
        try:
            loaded = type(model)().load_model(data)
        except ValueError:
            rejected += 1
            try:
                target.load_model(data)
            except ValueError:
                pass
            else:
                raise AssertionError("a file rejected once was accepted the second time")
            assert target.get_params() == params
            assert {k: id(v) for k, v in target.__dict__.items()} == state
        else:
            out = _output(loaded, X)
            assert out.shape == before.shape or out.shape[0] == len(X)
    assert_array_equal(_output(target, X), before)
    assert rejected > len(cases) // 3


@pytest.mark.parametrize("kind", list(MODELS))
def test_truncated_files_are_value_errors(kind):
    model, _ = MODELS[kind]
    data = model.save_model()
    for stop in np.linspace(0, len(data) - 1, 60).astype(int):
        with pytest.raises(ValueError, match="not a valid ensembles model file"):
            type(model)().load_model(data[:stop])


def test_not_utf8_and_nan_fields_are_value_errors():
    model, _ = MODELS["boost-reg"]
    with pytest.raises(ValueError, match="UTF-8"):
        GradientBoostingRegressor().load_model(b"\xff\xfe\x00")
    text = model.save_model().decode()
    doc = json.loads(text)
    doc["booster"]["base_margin"] = [float("nan")]
    with pytest.raises(ValueError, match="base_margin"):
        GradientBoostingRegressor().load_model(json.dumps(doc).encode())


def test_inconsistent_trees_are_value_errors():
    model, _ = MODELS["forest-clf"]
    doc = json.loads(model.save_model())
    tree = doc["trees"][0]
    internal = [i for i, left in enumerate(tree["left"]) if left != -1]
    broken = copy.deepcopy(doc)
    # Two parents for one node.
    broken["trees"][0]["right"][internal[0]] = broken["trees"][0]["left"][internal[0]]
    with pytest.raises(ValueError, match="child|not a tree"):
        RandomForestClassifier().load_model(json.dumps(broken).encode())
    broken = copy.deepcopy(doc)
    broken["trees"][0]["value"][0] = [1.0]  # a leaf vector of the wrong length
    with pytest.raises(ValueError, match="per node"):
        RandomForestClassifier().load_model(json.dumps(broken).encode())
    broken = copy.deepcopy(doc)
    broken["trees"][0]["split_bin"][0] = 70_000  # beyond any bin
    with pytest.raises(ValueError, match="out of range"):
        RandomForestClassifier().load_model(json.dumps(broken).encode())
