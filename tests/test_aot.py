"""The kernels compiled ahead of time (``ensembles/_engine/aot.py``, ``jit.py``): a first
fit on an empty numba cache compiles nothing and does not import numba. That they grow the
JIT's models is tested from the JIT's side (``tests/test_precompile.py``), in CI's
oldest-versions job, whose JIT has compiled every family already."""

import os
import textwrap

import numpy as np
import pytest

from ensembles._engine import aot

from .test_precompile import _FIT_AND_COUNT, _run

pytestmark = pytest.mark.skipif(
    os.environ.get("ENSEMBLES_BUILD_AOT") == "0",
    reason="installed with ENSEMBLES_BUILD_AOT=0: no kernels compiled ahead of time")

_REBUILD = ("the kernels compiled ahead of time are absent or older than the sources: "
            "`pip install -e .` rebuilds them")


def test_the_compiled_kernels_are_current():
    assert aot._load() is not None, _REBUILD


_NUMBA_MODULES = ("import json, sys\n"
                  "print(json.dumps(sorted(m for m in sys.modules\n"
                  "                        if m.partition('.')[0] in ('numba', 'llvmlite'))))\n")


def test_first_fits_on_an_empty_cache_compile_nothing(tmp_path):
    """Every family's fit and predictions, the optional paths (precompile's extras:
    constraints, categorical features, more than 256 bins, the linear booster, row
    sampling, sparse input, pruning...) and the multi-threaded boosting path run on the
    compiled kernels alone, without importing numba. A kernel whose signature changed
    fails here: ``python -m ensembles._engine.aot_build record`` lists the new one."""
    script = ("from ensembles.precompile import precompile\nprecompile(extras=True)\n"
              + _NUMBA_MODULES + _FIT_AND_COUNT)
    numba_modules, compiled = _run(script, tmp_path, lines=2)
    assert numba_modules == []
    assert compiled == []


def test_common_forms_of_input_fit_and_predict_without_numba(tmp_path):
    """float32 and float64, C and Fortran order, integers, a data frame and sparse input
    (CSR with int32 or int64 indices, CSC, a sparse array): every estimator family fits
    and predicts on the compiled kernels (a float32 extra-trees fit once compiled its
    thresholds' kernel on the spot: a second on a warm cache, several on an empty one;
    int64 sparse indices compiled every sparse kernel again). Forests of four trees
    predict on their rows' bin codes."""
    script = """
import json, sys
import numpy as np, pandas as pd, scipy.sparse as sp
import ensembles
rng = np.random.RandomState(0)
X = rng.randn(200, 4)
X_sparse = np.where(np.abs(X) < 0.5, 0.0, X)
wide = sp.csr_matrix(X_sparse)
wide.indices, wide.indptr = wide.indices.astype(np.int64), wide.indptr.astype(np.int64)
forms = [X, np.asfortranarray(X), X.astype(np.float32),
         np.asfortranarray(X.astype(np.float32)), (10 * X).astype(np.int64),
         pd.DataFrame(X, columns=list("abcd")), sp.csr_matrix(X_sparse), wide,
         sp.csc_matrix(X_sparse), sp.csr_array(X_sparse)]
for name in ("GradientBoosting", "RandomForest", "ExtraTrees", "DecisionTree"):
    for kind, y in (("Classifier", (X[:, 0] > 0).astype(int)), ("Regressor", X[:, 1])):
        for X_form in forms:
            model = getattr(ensembles, name + kind)()
            if "n_estimators" in model.get_params():
                model.set_params(n_estimators=4)
            model.fit(X_form, y).predict(X_form)
            if kind == "Classifier":
                model.predict_proba(X_form)
# Read-only inputs (joblib and scikit-learn hand large arrays to workers as read-only
# memory maps): numba types them apart, so they once compiled every kernel of the fit.
np.save(sys.argv[1], X)
X_mapped = np.load(sys.argv[1], mmap_mode="r")
y_read_only, weight = X[:, 1].copy(), np.ones(len(X))
y_read_only.flags.writeable = weight.flags.writeable = False
for name in ("GradientBoostingRegressor", "RandomForestRegressor", "ExtraTreesRegressor",
             "DecisionTreeRegressor"):
    model = getattr(ensembles, name)()
    if "n_estimators" in model.get_params():
        model.set_params(n_estimators=4)
    model.fit(X_mapped, y_read_only, sample_weight=weight).predict(X_mapped)
print(json.dumps(sorted(m for m in sys.modules if m.partition(".")[0] == "numba")))
"""
    assert _run(script, tmp_path, args=[str(tmp_path / "X.npy")]) == []


def test_kernels_pickle_and_answer_probes_without_numba(tmp_path):
    script = textwrap.dedent("""
        import copy, inspect, pickle
        from ensembles._engine import grower, forest
        kernel = grower._grow_serial
        assert pickle.loads(pickle.dumps(kernel)) is kernel
        made = forest._node_loop(True, False, False, False, False)
        assert pickle.loads(pickle.dumps(made)) is made
        assert copy.deepcopy(kernel) is not None and not hasattr(kernel, "__array__")
        assert inspect.signature(kernel).parameters and kernel.__doc__ is not None
    """) + _NUMBA_MODULES
    assert _run(script, tmp_path) == []


_VALUES = [
    np.zeros(3), np.zeros((3, 2), dtype=np.float32), np.zeros((3, 2), order="F"),
    np.zeros((4, 4))[::2], np.zeros(3, dtype=bool), np.zeros(2, dtype=np.uint8),
    np.zeros((2, 3), dtype=np.int32).T, np.frombuffer(b"\0" * 16), np.zeros((0, 3)),
    np.zeros(3, dtype=np.int64)[1:], 3, -(2**62), 2**63 + 1, 0.5, True, np.float32(1),
    np.int32(2), np.uint64(5), np.bool_(False), None, (1, 2), (np.zeros(2), 1, None), (),
    ((1, 2.0), np.zeros((2, 2))),
]


def test_a_read_only_array_reaches_kernels_as_a_writeable_alias_of_its_memory():
    import gc

    from ensembles._engine.jit import writeable_alias

    def view():  # not contiguous: the alias keeps the strides
        return np.asfortranarray(np.arange(24.0).reshape(4, 6))[1:, ::2]

    read_only = view()
    read_only.flags.writeable = False
    alias, number = writeable_alias((read_only, 3))
    assert alias.flags.writeable and not read_only.flags.writeable and number == 3
    assert np.shares_memory(alias, read_only) and alias.strides == read_only.strides
    assert aot.value_source(alias) == aot.value_source(view()) != aot.value_source(read_only)
    del read_only
    gc.collect()  # the alias holds the memory
    np.testing.assert_array_equal(alias, view())
    writeable = view()
    assert writeable_alias(writeable) is writeable


@pytest.mark.parametrize("value", _VALUES)
def test_value_source_writes_numbas_type(value):
    """A call is matched to its compiled code by :func:`.aot.value_source`, which must
    give what numba's ``typeof`` gives (or None: no match)."""
    from numba import typeof

    from ensembles._engine.aot_build import _type_source

    source = aot.value_source(value)
    try:
        expected = _type_source(typeof(value))
    except (TypeError, ValueError):
        expected = None
    if value is not None and isinstance(value, int) and abs(value) >= 2**63:
        expected = None  # numba types it uint64; left to numba's own dispatch
    assert source == expected


def test_a_call_reuses_the_last_compiled_function_only_for_the_same_types():
    """:func:`.aot.same_shape` lets a kernel call skip :func:`.aot.value_source` when the
    arguments have the last call's types: it must never hold for other types (compiled
    code run on them would read memory wrongly), and should for arrays of the same type
    (the arguments that cost the lookup its time)."""
    values = [*_VALUES, np.zeros((0, 3)), np.zeros(3)[::-1], np.zeros((3, 2))[:, :1],
              np.zeros((3, 2), dtype=np.float32).reshape(2, 3), np.zeros(5).view(np.int64),
              np.ma.zeros(3), (1, 2, 3), (np.zeros(2), 1.0, None), (np.zeros(2),)]
    readonly = np.zeros(3)
    readonly.flags.writeable = False
    values.append(readonly)
    for first in values:
        source = aot.value_source(first)
        if source is None:
            continue  # no compiled code, so no shape is kept
        shape = aot.call_shape((first, 7))
        for later in values:
            same = aot.same_shape(shape, (later, 7))
            equal = aot.value_source(later) == source
            # Never the same shape for other types; for arrays, always for the same type
            # (other values may be told apart by class: bool and numpy.bool_).
            assert same == equal if isinstance(later, np.ndarray) else not same or equal, (
                first, later)
        assert not aot.same_shape(shape, (first,)) and not aot.same_shape(shape, (first, 7.0))


def test_a_kernel_bound_to_arguments_is_the_compiled_function_for_their_types():
    """:meth:`.jit.Kernel.bind` hands a caller that calls a kernel many times with the
    same kinds of arguments the function it would run, compiled code where there is
    some; where there is none (a read-only array here), the kernel itself, which then
    checks each call."""
    from ensembles._engine.grower import ensure_pool

    pool = np.arange(12.0).reshape(2, 3, 2)
    bound = ensure_pool.bind(pool, 4)
    compiled = aot.compiled_kernels(ensure_pool.locator)
    assert bound is compiled.get((aot.value_source(pool), "int64"), ensure_pool)
    assert (bound is not ensure_pool) == (aot._load() is not None)
    bigger = bound(pool, 4)
    assert bigger.shape == (4, 3, 2)
    np.testing.assert_array_equal(bigger[:2], pool)
    read_only = pool.copy()
    read_only.flags.writeable = False
    assert ensure_pool.bind(read_only, 4) is ensure_pool


def test_bound_kernels_bind_once_per_kind_of_the_given_values(monkeypatch):
    """:class:`.jit.BoundKernels` binds a kernel again only for other kinds of the values
    that may change between calls (another dtype or layout), not for other values of the
    same kinds; a plain function stands in for itself."""
    from ensembles._engine.grower import ensure_pool
    from ensembles._engine.jit import BoundKernels

    bound = BoundKernels()
    binds = []
    real_bind = ensure_pool.bind
    monkeypatch.setattr(ensure_pool, "bind", lambda *args: binds.append(args) or real_bind(
        *args))
    pools = [np.zeros((2, 3, 2)), np.ones((5, 3, 2)), np.zeros((2, 3, 2), dtype=np.float32),
             np.asfortranarray(np.zeros((2, 3, 2)))]
    functions = [bound(ensure_pool, (pool, 4), (pool,)) for pool in pools]
    assert len(binds) == 3 and functions[0] is functions[1]
    assert functions[2] is not functions[0] and functions[3] is not functions[0]
    for pool in pools[:2]:
        np.testing.assert_array_equal(functions[0](pool, 4)[:2], pool[:2])
    # Back to earlier kinds after others (the last call's no longer match): the bindings
    # made for them, none made again.
    assert bound(ensure_pool, (pools[1], 4), (pools[1],)) is functions[0]
    assert bound(ensure_pool, (pools[2], 4), (pools[2],)) is functions[2]
    assert bound(ensure_pool, (pools[0], 4), (pools[0],)) is functions[0]
    assert len(binds) == 3

    def stand_in(pool, n_slots):
        return pool

    assert bound(stand_in, (pools[0], 4), (pools[0],)) is stand_in


def test_the_first_lookups_from_several_threads_all_find_the_compiled_code(monkeypatch):
    # A fit's first kernel calls may come from the thread pool at once; one thread must
    # not see the table half made (and then run everything on the JIT for good).
    import threading
    import time

    assert aot._load() is not None, _REBUILD
    find = aot._find_compiled

    def slow_find():
        time.sleep(0.2)
        return find()

    monkeypatch.setattr(aot, "_compiled", None)
    monkeypatch.setattr(aot, "_by_kernel", None)
    monkeypatch.setattr(aot, "_find_compiled", slow_find)
    locator = ("ensembles._engine.binning", "_fit_features", None)
    found = []
    threads = [threading.Thread(target=lambda: found.append(len(aot.compiled_kernels(locator))))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 4 and found[0] > 0 and len(set(found)) == 1


def test_kernels_older_than_their_sources_are_not_used(monkeypatch):
    monkeypatch.setattr(aot, "_compiled", None)
    monkeypatch.setattr(aot, "source_digest", lambda exports=None: -1)
    assert aot._load() is None


def _with_cpu_features(monkeypatch, features):
    """Make this process see a CPU of ``features`` (numpy's names) and look for the
    compiled kernels again."""
    from ensembles import _compat

    monkeypatch.setattr(_compat, "cpu_features", lambda: dict(features))
    monkeypatch.setattr(aot, "_compiled", None)
    monkeypatch.setattr(aot, "_by_kernel", None)


def test_kernels_built_for_a_cpu_feature_this_one_lacks_are_not_used(monkeypatch):
    """A build for this machine's CPU (a wheel or an image carried to another machine)
    is not used on a CPU without one of its features, where its instructions would kill
    the process: numba compiles instead. With every feature, or without one the build's
    CPU lacked too, it is used."""
    from ensembles._compat import cpu_features

    here = cpu_features()
    present = sorted(name for name, on in here.items() if on)
    absent = sorted(name for name, on in here.items() if not on)
    assert present and absent
    _with_cpu_features(monkeypatch, here)
    assert aot._load() is not None, _REBUILD
    for name in (present[0], present[-1]):
        _with_cpu_features(monkeypatch, dict(here, **{name: False}))
        assert aot._load() is None
    _with_cpu_features(monkeypatch, dict(here, **{absent[0]: True}))
    assert aot._load() is not None


def test_cpu_features_that_numpy_does_not_name_here_are_not_required(monkeypatch):
    """An older numpy names fewer features than the build's (its build environment may
    hold a newer one): those it does not name are not held against the CPU."""
    from ensembles._compat import cpu_features

    here = cpu_features()
    newest = sorted(name for name, on in here.items() if on)[-1]
    _with_cpu_features(monkeypatch, {k: v for k, v in here.items() if k != newest})
    assert aot._load() is not None, _REBUILD
    assert aot.runs_here([aot.feature_digest(newest)])
    _with_cpu_features(monkeypatch, dict(here, **{newest: False}))
    assert not aot.runs_here([aot.feature_digest(newest)])


def test_the_build_targets_this_cpu_or_the_baseline_only(tmp_path):
    # A part records the features its code needs only for those two targets.
    from ensembles._engine.aot_build import build

    with pytest.raises(ValueError, match="target_cpu must be 'host' or ''"):
        build(tmp_path / "kernels.so", target_cpu="skylake")


def test_the_parts_split_the_export_list_and_share_out_its_compile_weight():
    from ensembles._engine._aot_exports import EXPORTS
    from ensembles._engine.aot_build import (
        _EXTRA_TREES_LOOP_WEIGHT,
        compile_weight,
        part_exports,
    )

    weights = [compile_weight(entry) for entry in EXPORTS]
    # The heavy kernels the weights name are in the list, once each.
    for weight in _EXTRA_TREES_LOOP_WEIGHT:
        assert weights.count(weight) == 1
    for n_parts in (1, 2, 3, 4):
        parts = [part_exports(EXPORTS, part, n_parts) for part in range(n_parts)]
        assert sorted(i for indices in parts for i in indices) == list(range(len(EXPORTS)))
        loads = [sum(weights[i] for i in indices) for indices in parts]
        # Heaviest first, each to the lightest part: the parts' weights differ by less
        # than one node loop's (dealt out in turn, the part of extra trees' regression
        # loop had about three more).
        assert max(loads) - min(loads) < 1.0
        assert min(loads) >= 1.0


class _Part:
    """An extension module of one part as :func:`.aot._find_compiled` reads it."""

    def __init__(self, indices, n_parts, digest):
        self.part_count = lambda: n_parts
        self.source_digest = lambda: digest
        self.cpu_features = lambda: np.empty(0, dtype=np.int64)  # a generic target's
        for i in indices:
            setattr(self, f"k{i}", f"kernel {i}")


@pytest.mark.parametrize("damage", [None, "missing part", "stale part", "part count"])
def test_the_kernels_are_used_only_when_every_part_is_current(monkeypatch, damage):
    from ensembles._engine._aot_exports import EXPORTS
    from ensembles._engine.aot_build import part_exports

    digest = aot.source_digest(EXPORTS)
    modules = {aot.part_name(part): _Part(part_exports(EXPORTS, part, 3), 3, digest)
               for part in range(3)}
    if damage == "missing part":
        del modules[aot.part_name(2)]
    elif damage == "stale part":
        modules[aot.part_name(1)].source_digest = lambda: digest + 1
    elif damage == "part count":
        modules[aot.part_name(1)].part_count = lambda: 2

    def import_module(name):
        module = modules.get(name.rpartition(".")[2])
        if module is None:
            raise ImportError(name)
        return module

    monkeypatch.delenv("ENSEMBLES_AOT", raising=False)
    monkeypatch.setattr(aot.importlib, "import_module", import_module)
    compiled = aot._find_compiled()
    if damage is None:
        assert compiled == {i: f"kernel {i}" for i in range(len(EXPORTS))}
    else:
        assert compiled == {}


def test_the_digest_covers_the_export_list_and_the_kernels_modules():
    from ensembles._engine._aot_exports import EXPORTS

    assert aot.source_digest(EXPORTS) == aot.source_digest()
    elsewhere = (("ensembles.bagging", "_none", None, "none", ()),)
    assert aot.source_digest(EXPORTS + elsewhere) != aot.source_digest(EXPORTS)
