"""``python -m ensembles.precompile``: its command line, and the fits of a fresh process
(every family, on data large enough for the multi-threaded boosting path) that a
precompiled numba cache must serve. ``tests/test_aot.py`` runs them, on the JIT after
precompiling and on the kernels compiled ahead of time."""

import gc
import textwrap

import pytest

from ensembles._engine.jit import fewer_collections
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
