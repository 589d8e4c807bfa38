"""``python -m ensembles.precompile``: its command line; the fits of a fresh process
(every family, on data large enough for the multi-threaded boosting path) that a
precompiled numba cache must serve (``tests/test_aot.py`` runs them on the kernels
compiled ahead of time too); and the JIT's models against those kernels'.

The last two compile every family on the JIT. They run where the JIT serves the fits
(``ENSEMBLES_AOT=0``): in CI's oldest-versions job, which precompiles before its tests
and names the main job's interpreter, whose kernels are compiled ahead of time, in
``ENSEMBLES_AOT_PYTHON``. Both jobs thus compile each family once, and the compiled
kernels are held to the JIT's models at the oldest supported numba, numpy and
scikit-learn as well."""

import gc
import json
import os
import subprocess
import sys
import textwrap

import pytest

from ensembles._engine import aot
from ensembles._engine.jit import (
    _INLINING_READ,
    _inline_without_copies,
    fewer_collections,
    load_numba,
)
from ensembles.precompile import main, precompile

# Fits in a fresh process, then the compiled functions of the package that numba did not
# find in its cache (their "cache misses").
_FIT_AND_COUNT = textwrap.dedent("""
    import gc, json
    from numba.core.registry import CPUDispatcher
    from sklearn.datasets import make_classification, make_regression
    import ensembles as E
    X, y = make_classification(40_000, 10, random_state=0)
    Xr, yr = make_regression(3_000, 10, random_state=0)
    E.GradientBoostingClassifier(n_estimators=5, n_jobs=2).fit(X, y).predict_proba(X)
    E.GradientBoostingRegressor(n_estimators=5).fit(Xr, yr).predict(Xr)
    for name in ("RandomForest", "ExtraTrees"):
        getattr(E, name + "Classifier")(n_estimators=5).fit(X[:3000], y[:3000]).predict_proba(X)
        getattr(E, name + "Regressor")(n_estimators=5).fit(Xr, yr).predict(Xr)
    E.DecisionTreeClassifier().fit(X[:3000], y[:3000]).apply(X)
    missed = sorted({o.py_func.__qualname__ for o in gc.get_objects()
                     if isinstance(o, CPUDispatcher)
                     and o.py_func.__module__.startswith("ensembles")
                     and sum(o.stats.cache_misses.values())})
    print(json.dumps(missed))
""")


_PREDICTIONS = textwrap.dedent("""
    import hashlib, json, sys
    import numpy as np
    from sklearn.datasets import make_classification, make_regression
    import ensembles as E
    X, y = make_classification(3000, 12, n_informative=6, n_classes=3, random_state=0)
    X[::17, 3] = np.nan
    Xr, yr = make_regression(3000, 12, random_state=0)
    models = [
        (E.GradientBoostingClassifier(n_estimators=20), X, y),
        (E.GradientBoostingClassifier(n_estimators=20, grow_policy="lossguide",
                                      max_leaves=15), X, y % 2),
        (E.GradientBoostingRegressor(n_estimators=20, subsample=0.7, colsample_bynode=0.5,
                                     random_state=1), Xr, yr),
        (E.GradientBoostingClassifier(n_estimators=10, use_quantized_grad=True,
                                      random_state=0), X, y % 2),
        (E.GradientBoostingClassifier(n_estimators=10, n_jobs=2), np.tile(X, (10, 1)),
         np.tile(y, 10)),
        (E.RandomForestClassifier(n_estimators=10, random_state=0), X, y),
        (E.RandomForestRegressor(n_estimators=10, random_state=0), Xr, yr),
        (E.ExtraTreesClassifier(n_estimators=10, random_state=0), X, y),
        (E.ExtraTreesRegressor(n_estimators=10, random_state=0), Xr, yr),
        (E.DecisionTreeClassifier(random_state=0), X, y),
    ]
    digests = []
    for model, A, b in models:
        model.fit(A, b)
        out = model.predict_proba(A) if hasattr(model, "predict_proba") else model.predict(A)
        digests.append(hashlib.sha256(np.ascontiguousarray(out).tobytes()).hexdigest())
    print(json.dumps(digests))
    # Whether the fits ran on the JIT (the kernels compiled ahead of time import no numba).
    print(json.dumps("numba" in sys.modules))
""")

# An interpreter whose ensembles (this source tree) runs the kernels compiled ahead of time.
_AOT_PYTHON = os.environ.get("ENSEMBLES_AOT_PYTHON")


def _run(script, tmp_path, lines=1, args=(), python=sys.executable, **env):
    """The JSON values of the last ``lines`` lines ``script`` prints (the value itself
    for one line), run by ``python`` with command-line arguments ``args`` in a fresh
    process, on a numba cache in ``tmp_path`` (None: the environment's)."""
    env = dict(os.environ, **env)
    if tmp_path is not None:
        env["NUMBA_CACHE_DIR"] = str(tmp_path / "cache")
    done = subprocess.run([python, "-c", script, *args], env=env, capture_output=True,
                          text=True, timeout=1200)
    assert done.returncode == 0, done.stderr
    values = [json.loads(line) for line in done.stdout.strip().splitlines()[-lines:]]
    return values[0] if lines == 1 else values


@pytest.mark.starts_first
@pytest.mark.skipif(aot._load() is not None, reason=(
    "the kernels compiled ahead of time serve this environment's fits; the JIT's cache is "
    "tested where they do not (ENSEMBLES_AOT=0: CI's oldest-versions job)"))
def test_a_precompiled_cache_serves_every_familys_fits():
    """Precompiling (two processes, which take the families one at a time) into the
    environment's numba cache leaves nothing for a fresh process to compile."""
    subprocess.run([sys.executable, "-m", "ensembles.precompile", "--quiet", "--jobs", "2"],
                   env=dict(os.environ, ENSEMBLES_AOT="0"), check=True, timeout=1200)
    assert _run(_FIT_AND_COUNT, None, ENSEMBLES_AOT="0") == []


@pytest.mark.skipif(not _AOT_PYTHON, reason=(
    "ENSEMBLES_AOT_PYTHON names no interpreter whose ensembles runs the kernels compiled "
    "ahead of time (CI's oldest-versions job names the main job's)"))
def test_the_compiled_kernels_grow_the_jits_models(tmp_path):
    """The kernels compiled ahead of time (run by ``ENSEMBLES_AOT_PYTHON``, numba not
    imported) and the JIT here (on the environment's cache) grow the same models, bit
    for bit."""
    # A cache of its own: the other interpreter's numba may be another version.
    compiled, compiled_imported_numba = _run(_PREDICTIONS, tmp_path, lines=2,
                                             python=_AOT_PYTHON, ENSEMBLES_AOT="1")
    assert not compiled_imported_numba, "the compiled kernels were not used: " + _AOT_PYTHON
    jit, jit_imported_numba = _run(_PREDICTIONS, None, lines=2, ENSEMBLES_AOT="0")
    assert jit_imported_numba
    assert compiled == jit


def test_command_line_rejects_unknown_options(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--bogus"])
    assert exc.value.code == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


@pytest.mark.parametrize("n_jobs", [0, 1.5, True, "2", None])
def test_bad_n_jobs_are_refused_before_any_compile(n_jobs):
    with pytest.raises(ValueError, match="n_jobs must be a non-zero integer"):
        precompile(n_jobs=n_jobs)


@pytest.mark.parametrize("jobs", ["0", "two"])
def test_command_line_rejects_bad_job_counts(jobs, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--jobs", jobs])
    assert exc.value.code == 2
    assert "--jobs" in capsys.readouterr().err


def test_compiling_raises_the_first_collection_threshold_and_restores_them_all():
    before = gc.get_threshold()
    with pytest.raises(RuntimeError, match="interrupted"):
        with fewer_collections():
            during = gc.get_threshold()
            raise RuntimeError("interrupted")
    assert during[0] >= 20_000 and during[1:] == before[1:]
    assert gc.get_threshold() == before


def test_inlining_copies_no_callee_ir_made_for_the_call(monkeypatch):
    # numba's inlining deep-copied the IR it had just made for each call twice (about
    # half of a forest node loop's compile); in the numba releases whose inlining was
    # read, those blocks are no longer copied, and the compiled function is the same.
    import copy

    numba = load_numba()
    from numba.core import inline_closurecall, ir

    copied = []

    class CountingCopy:
        @staticmethod
        def deepcopy(value, memo=None):
            out = copy.deepcopy(value, memo)
            if isinstance(value, ir.Block) and out is not value:
                copied.append(value)
            return out

    monkeypatch.setattr(inline_closurecall, "copy", CountingCopy)

    @numba.njit(inline="always")
    def inner(x):
        if x > 0:
            return 2 * x
        return -x

    @numba.njit
    def outer(a, b):
        return inner(a) + inner(b) * 10

    assert outer(3, -4) == 46 and outer(-1, 2) == 41
    read = _INLINING_READ[0] <= numba.version_info.short <= _INLINING_READ[1]
    assert (copied == []) == read
    assert not _inline_without_copies((0, 99))


def test_processes_take_the_families_one_at_a_time_extra_trees_first(monkeypatch):
    # Dealt out in fixed shares, the process that drew extra trees' regression (the
    # slowest node loop to compile) finished long after the other: each process takes
    # the next family when done instead, the slowest (extra trees') first, and a last
    # pass in the calling process loads them all.
    from concurrent.futures import Future

    from ensembles import precompile as module

    calls = []

    def compile_families(extras, verbose, names=None):
        calls.append(names)
        every = [name for name, _, _ in module._families(extras)]
        return {name: 0.0 for name in (every if names is None else names)}

    class Pool:
        def __init__(self, n_jobs, mp_context):
            assert n_jobs == 2

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def submit(self, function, *args):
            future = Future()
            future.set_result(function(*args))
            return future

    monkeypatch.setattr(module, "_compile_families", compile_families)
    monkeypatch.setattr(module, "ProcessPoolExecutor", Pool)
    monkeypatch.setattr(module, "effective_n_jobs", lambda n_jobs: n_jobs)
    families = [name for name, _, _ in module._families(True)]
    seconds = module.precompile(extras=True, n_jobs=2)
    *tasks, last = calls
    assert last is None and all(len(names) == 1 for names in tasks)
    handed = [names[0] for names in tasks]
    assert sorted(handed) == sorted(families)
    n_extra = sum(name.startswith("extra trees") for name in families)
    assert n_extra >= 2 and all(name.startswith("extra trees") for name in handed[:n_extra])
    assert list(seconds) == families
