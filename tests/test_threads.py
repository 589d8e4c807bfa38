"""The engine's thread pool: results, errors and interrupts (ensembles._threads)."""

import threading
import time

import numpy as np
import pytest

from ensembles._threads import (
    available_cpus,
    current_threads,
    effective_n_jobs,
    run_items,
    run_parallel,
    seeded_random_state,
    split_range,
    threads,
)


def test_run_items_returns_the_results_in_order_from_several_threads():
    seen = set()

    def square(i):
        seen.add(threading.get_ident())
        threading.Event().wait(0.001)  # lets the other thread take items too
        return i * i

    assert run_items(square, 200, 2) == [i * i for i in range(200)]
    assert len(seen) == 2


@pytest.mark.parametrize("error", [ValueError, KeyboardInterrupt])
@pytest.mark.parametrize("on_caller", [True, False])
def test_an_error_stops_the_other_threads_and_reaches_the_caller(error, on_caller):
    """Whether the failing item ran on the calling thread or a worker, the exception
    reaches the caller, and the items not started yet are not run."""
    caller = threading.get_ident()
    ran = []

    def item(i):
        ran.append(i)
        if i >= 10 and (threading.get_ident() == caller) == on_caller:
            raise error("item failed")
        threading.Event().wait(0.001)
        return i

    with pytest.raises(error, match="item failed"):
        run_items(item, 10_000, 2)
    assert len(ran) < 100
    # The pool is usable afterwards.
    assert run_items(lambda i: -i, 5, 2) == [0, -1, -2, -3, -4]


def test_run_parallel_covers_every_item_once_and_passes_errors_on():
    counts = np.zeros(1000, dtype=np.int64)

    def kernel(start, stop, out):
        out[start:stop] += 1

    with threads(2):
        run_parallel(kernel, counts.size, counts)
    assert np.all(counts == 1)

    def fails(start, stop):
        if start > 0:
            raise ValueError("worker range failed")

    with threads(2), pytest.raises(ValueError, match="worker range failed"):
        run_parallel(fails, 100)


def test_nested_calls_in_a_worker_run_on_that_worker():
    """A worker waiting for tasks queued behind its own could deadlock the pool: nested
    calls run serially on the worker instead."""
    caller = threading.get_ident()
    inner = []

    def outer(start, stop):
        run_parallel(lambda a, b: inner.append((threading.get_ident() == caller, a, b)), 100)

    with threads(2):
        run_parallel(outer, 2)
    on_worker = [(a, b) for on_caller, a, b in inner if on_caller is False]
    assert (0, 100) in on_worker  # the worker's nested call, whole on its own thread
    assert sorted((a, b) for on_caller, a, b in inner if on_caller) == [(0, 50)]


def test_n_jobs_follows_scikit_learn_and_ranges_split_evenly(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert effective_n_jobs(1) == 1
    assert effective_n_jobs(-1) == effective_n_jobs(None) >= 1
    with pytest.raises(ValueError, match="n_jobs == 0"):
        effective_n_jobs(0)
    assert split_range(10, 3) == [(0, 3), (3, 6), (6, 10)]
    assert split_range(4, 3, weights=np.array([3.0, 1.0, 1.0, 1.0])) == [(0, 1), (1, 2),
                                                                        (2, 4)]


@pytest.mark.skipif(available_cpus() < 2, reason="needs two CPUs to tell 1 from all")
def test_n_jobs_none_takes_joblibs_context_then_omp_num_threads(monkeypatch):
    import joblib

    from ensembles import RandomForestClassifier

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    cpus = available_cpus()
    assert effective_n_jobs(None) == cpus
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # as joblib's process workers get it
    assert effective_n_jobs(None) == 1 and effective_n_jobs(-1) == cpus
    with threads(None):
        assert current_threads() == 1
    assert current_threads() == 1
    with joblib.parallel_config(n_jobs=-1):
        assert effective_n_jobs(None) == cpus
    monkeypatch.setenv("OMP_NUM_THREADS", "2,1")  # nested levels: the outer one counts
    assert effective_n_jobs(None) == 2
    monkeypatch.setenv("OMP_NUM_THREADS", "many")  # not a count: ignored
    assert effective_n_jobs(None) == cpus
    monkeypatch.delenv("OMP_NUM_THREADS")
    with joblib.parallel_config(n_jobs=1):
        assert effective_n_jobs(None) == 1
        # A forest of n_jobs=None then grows its trees on the calling thread alone.
        seen = set()
        original = RandomForestClassifier._grow_members

        def spy(self, grow, seeds):
            return original(self, lambda seed: seen.add(threading.get_ident()) or grow(seed),
                            seeds)

        monkeypatch.setattr(RandomForestClassifier, "_grow_members", spy)
        rng = np.random.RandomState(0)
        RandomForestClassifier(n_estimators=8, random_state=0).fit(rng.rand(200, 3),
                                                                   rng.rand(200) > 0.5)
        assert seen == {threading.get_ident()}


def test_spin_while_sees_another_threads_write_and_gives_up_after_its_rounds():
    from ensembles._spin import spin_while

    counters = np.zeros(8, dtype=np.int64)
    # Nothing changes: False once the rounds are spent.
    assert not spin_while(counters, 0, 0, 1000)
    # A change already there: True at once.
    counters[3] = 7
    assert spin_while(counters, 3, 0, 0)
    # A write from another thread while polling (compiled code must reload the value).
    writer = threading.Timer(0.05, counters.__setitem__, (0, 5))
    writer.start()
    assert spin_while(counters, 0, 0, 10**12)
    writer.join()
    assert counters[0] == 5


def test_the_pool_runs_tasks_submitted_after_its_workers_went_to_sleep():
    """Idle workers poll for a while, then block on the queue: work submitted later (or
    from several Python threads at once) still runs."""
    counts = np.zeros(64, dtype=np.int64)

    def kernel(start, stop, out):
        out[start:stop] += 1

    with threads(2):
        run_parallel(kernel, counts.size, counts)
        threading.Event().wait(0.2)  # far beyond the polling time
        run_parallel(kernel, counts.size, counts)

    per_caller = np.zeros((3, 64), dtype=np.int64)

    def caller(out):
        with threads(2):
            for _ in range(50):
                run_parallel(kernel, out.size, out)

    callers = [threading.Thread(target=caller, args=(out,)) for out in per_caller]
    for thread in callers:
        thread.start()
    for thread in callers:
        thread.join()
    assert np.all(counts == 2)
    assert np.all(per_caller == 50)


def test_boosting_fits_and_evaluations_never_call_numpy_dot(monkeypatch):
    # numpy's dot of long vectors wakes OpenBLAS's threads, which then poll for work on
    # the cores the fit's own threads use: weighted sums go through weighted_sum.
    from ensembles import (
        GradientBoostingClassifier,
        GradientBoostingRanker,
        GradientBoostingRegressor,
    )
    from ensembles.boosting import _target_stats

    def no_dot(*args, **kwargs):
        raise AssertionError("numpy.dot was called")

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y2 = (X[:, 0] + rng.normal(size=300) > 0).astype(int)
    y3 = rng.integers(0, 3, 300)
    qid = np.repeat(np.arange(30), 10)
    monkeypatch.setattr(np, "dot", no_dot)
    for y in (y2, y3):
        GradientBoostingClassifier(n_estimators=2, eval_metric=["auc", "aucpr"]).fit(
            X, y, eval_set=[(X, y)])
    GradientBoostingRegressor(n_estimators=2, objective="survival:aft").fit(
        X, np.exp(X[:, 0]), eval_set=[(X, np.exp(X[:, 0]))])
    GradientBoostingRanker(n_estimators=2, eval_metric="ndcg").fit(
        X, y3, qid=qid, eval_set=[(X, y3)], eval_qid=[qid])
    assert _target_stats.prior_mean(y3.astype(float), np.ones(300)) == pytest.approx(
        y3.mean())


def test_seeded_random_state_draws_the_seeds_stream_in_each_thread():
    # Forests and bagging draw each member's rows from a reseeded RandomState of their
    # thread: the draws must be those of RandomState(seed) (scikit-learn's), whichever
    # seed the thread drew before, and threads drawing at once must not share one.
    expected = {seed: np.random.RandomState(seed).randint(0, 1000, 500)
                for seed in range(40)}
    barrier = threading.Barrier(2, timeout=30)

    def draws(i):
        barrier.wait()
        out = {}
        for seed in range(40):
            state = seeded_random_state(seed)
            first = state.randint(0, 1000, 250)
            time.sleep(0)  # let the other thread reseed its own meanwhile
            out[seed] = np.concatenate([first, state.randint(0, 1000, 250)])
        return out, id(state)

    (a, id_a), (b, id_b) = run_items(draws, 2, 2)
    assert id_a != id_b
    for seed, drawn in expected.items():
        np.testing.assert_array_equal(a[seed], drawn)
        np.testing.assert_array_equal(b[seed], drawn)
