"""Model files: paths, open files and bytes; every malformed file is a ValueError and
leaves the estimator untouched."""

import copy
import io
import json

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone

from ensembles import (
    DecisionTreeRegressor,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRanker,
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


def test_boosting_parameters_of_numpy_types_are_saved_as_numbers():
    # A grid search over np.arange leaves numpy integers in the best estimator's
    # parameters; a RandomState is state, left out as the trees' files leave it out.
    X, y = _data()
    model = GradientBoostingRegressor(n_estimators=np.int64(3), max_depth=np.int32(2),
                                      learning_rate=np.float32(0.5),
                                      random_state=np.random.RandomState(0)).fit(X, y * 1.0)
    loaded = GradientBoostingRegressor().load_model(model.save_model())
    params = loaded.get_params()
    assert (params["n_estimators"], params["max_depth"]) == (3, 2)
    assert type(params["n_estimators"]) is int
    assert params["learning_rate"] == float(np.float32(0.5))
    assert params["random_state"] is None
    assert_array_equal(loaded.predict(X), model.predict(X))


def test_boosting_eval_metric_names_are_kept_and_callables_left_out():
    X, y = _data()
    y = (y > 0).astype(int)
    for metric in ("auc", ["logloss", "auc"]):
        model = GradientBoostingClassifier(n_estimators=3, eval_metric=metric).fit(
            X[:150], y[:150], eval_set=[(X[150:], y[150:])])
        loaded = GradientBoostingClassifier().load_model(model.save_model())
        assert loaded.eval_metric == metric
        # Continued training evaluates what the original model would.
        again = clone(loaded).fit(X[:150], y[:150], eval_set=[(X[150:], y[150:])])
        assert (list(again.evals_result_["validation_0"])
                == list(model.evals_result_["validation_0"]))
    model = GradientBoostingClassifier(n_estimators=3,
                                       eval_metric=lambda y_true, y_pred: 0.0).fit(X, y)
    assert "eval_metric" not in json.loads(model.save_model())["params"]


def test_unwritable_parameters_are_value_errors_naming_them():
    X, y = _data()
    model = GradientBoostingRegressor(n_estimators=2).fit(X, y * 1.0)
    # Parameters changed after the fit are what the file would record.
    model.set_params(max_delta_step=np.inf)
    with pytest.raises(ValueError, match="max_delta_step=inf"):
        model.save_model()
    model.set_params(max_delta_step=None, device=object())
    with pytest.raises(ValueError, match="parameter device="):
        model.save_model()


def test_forest_list_parameters_survive_the_file():
    rng = np.random.RandomState(0)
    X = rng.randn(300, 4)
    y = (X[:, 0] > 0).astype(int)
    X[:, 3] = rng.randint(0, 6, 300)
    model = RandomForestClassifier(n_estimators=3, categorical_features=[3],
                                   random_state=0).fit(X, y)
    loaded = RandomForestClassifier().load_model(model.save_model())
    assert loaded.categorical_features == [3]
    assert_array_equal(clone(loaded).fit(X, y).predict_proba(X),
                       clone(model).fit(X, y).predict_proba(X))
    # One class_weight dictionary per output.
    Y = np.column_stack([y, 1 - y])
    weights = [{0: 1.0, 1: 5.0}, {0: 1.0, 1: 1.0}]
    model = RandomForestClassifier(n_estimators=3, class_weight=weights,
                                   random_state=0).fit(X, Y)
    loaded = RandomForestClassifier().load_model(model.save_model())
    assert loaded.class_weight == weights
    assert loaded.get_params() == model.get_params()


def test_ranker_position_biases_survive_the_file():
    rng = np.random.RandomState(0)
    X = rng.randn(300, 4)
    qid = np.repeat(np.arange(30), 10)
    y = np.clip(np.round(X[:, 0] + 1), 0, 3).astype(int)
    ranker = GradientBoostingRanker(lambdarank_unbiased=True, n_estimators=3).fit(X, y,
                                                                                qid=qid)
    loaded = GradientBoostingRanker().load_model(ranker.save_model())
    assert len(loaded.position_biases_) == 2
    for ours, theirs in zip(loaded.position_biases_, ranker.position_biases_, strict=True):
        assert_array_equal(ours, theirs)
    plain = GradientBoostingRanker(n_estimators=2).fit(X, y, qid=qid)
    assert plain.position_biases_ is None
    assert GradientBoostingRanker().load_model(plain.save_model()).position_biases_ is None
    doc = json.loads(ranker.save_model())
    doc["position_biases"] = [[1.0], [1.0, 2.0]]
    with pytest.raises(ValueError, match="position_biases"):
        GradientBoostingRanker().load_model(json.dumps(doc).encode())


def test_wrong_estimator_and_version_messages_read_well():
    model, _ = MODELS["forest-clf"]
    with pytest.raises(ValueError, match="holds a model of 'RandomForestClassifier', not of "
                                         "ExtraTreesRegressor"):
        ExtraTreesRegressor().load_model(model.save_model())
    doc = json.loads(model.save_model())
    doc["version"] = 99
    with pytest.raises(ValueError, match=r"reads versions 1, 2 and 3\)"):
        RandomForestClassifier().load_model(json.dumps(doc).encode())
