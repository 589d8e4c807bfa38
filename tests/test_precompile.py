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
