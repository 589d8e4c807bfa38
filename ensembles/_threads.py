"""Threads for the numba kernels, and scikit-learn's ``n_jobs`` convention.

The kernels are compiled serial and release the GIL (``nogil=True``); work is spread over a
shared pool of Python threads, each thread running a kernel on its own contiguous range of
items (rows, histogram chunks, trees). This is used instead of numba's ``parallel=True``
because

* it is safe when users call fit/predict from several Python threads at once (numba's
  default workqueue layer is not, and the OpenMP layer busy-waits badly when the cores are
  shared with other processes);
* which items a thread gets never changes the result, so models are identical for any
  ``n_jobs``;
* there is no global numba state to set and restore.

The pool is not :class:`concurrent.futures.ThreadPoolExecutor`: a Ctrl-C that lands inside
its pure-Python bookkeeping (a semaphore's condition in ``submit``) can leave a lock held
and hang the next call or the interpreter's exit. Here the calling thread only ever blocks
in C-level primitives (a queue's ``put``, a lock's ``acquire``), which an interrupt leaves
consistent.
"""

import itertools
import os
import queue
import threading
from contextlib import contextmanager

import numpy as np

from ._spin import spin_while

_pool = None
_pool_lock = threading.Lock()
_local = threading.local()
# Rounds a thread polls for a hand-off before it blocks (about a millisecond on current
# CPUs): long enough to bridge the serial steps between the parallel steps of a tree,
# short enough that idle workers soon stop using a core.
_SPIN_ROUNDS = 50_000


def weighted_sum(w, x):
    """``sum(w * x)`` as a float, without BLAS: numpy's ``dot`` of long vectors wakes
    OpenBLAS's threads, which then poll for more work for a while on the cores the fit's
    own threads use, slowing a whole fit down after a single call."""
    return float(np.sum(np.multiply(w, x)))


def seeded_random_state(seed):
    """This thread's ``RandomState``, seeded with ``seed``: the stream
    ``np.random.RandomState(seed)`` draws, for a draw made at once (the object is the
    thread's, seeded again by its next caller, so it must not be kept). Making a
    ``RandomState`` costs about as much as growing a small tree (its constructor seeds
    it from the system's entropy before the seed replaces that), reseeding one a
    hundredth of that, and forests and bagging draw one per member."""
    state = getattr(_local, "random_state", None)
    if state is None:
        state = _local.random_state = np.random.RandomState()
    state.seed(seed)
    return state


def _reset_after_fork():
    # A forked child inherits the pool object but not its threads.
    global _pool, _pool_lock
    _pool = None
    _pool_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def available_cpus():
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_n_jobs():
    """What ``n_jobs=None`` means: the ``n_jobs`` of an enclosing
    ``joblib.parallel_config`` (or ``parallel_backend``), as for scikit-learn's
    estimators; else ``OMP_NUM_THREADS``, which joblib's process workers get as their share
    of the CPUs and which the OpenMP libraries (XGBoost, LightGBM) honour; else -1, all
    CPUs."""
    from joblib.parallel import get_active_backend

    n_jobs = get_active_backend()[1]
    if n_jobs is not None:
        return n_jobs
    first = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    return int(first) if first.isdigit() and int(first) > 0 else -1


def effective_n_jobs(n_jobs):
    """Threads to use: None -> :func:`default_n_jobs`, negative -> n_cpus + 1 + n_jobs
    (scikit-learn's rule), capped at the number of CPUs."""
    cpus = available_cpus()
    if n_jobs is None:
        n_jobs = default_n_jobs()
    if n_jobs == 0:
        raise ValueError("n_jobs == 0 has no meaning; use None, -1 or a positive integer.")
    if n_jobs < 0:
        n_jobs = cpus + 1 + n_jobs
    return int(max(1, min(n_jobs, cpus)))


@contextmanager
def threads(n_jobs):
    """Run the engine's kernels called inside the block with ``n_jobs`` threads.

    The setting is local to the calling Python thread, so concurrent fits with different
    ``n_jobs`` do not interfere.
    """
    previous = getattr(_local, "n_threads", None)
    _local.n_threads = effective_n_jobs(n_jobs)
    try:
        yield
    finally:
        _local.n_threads = previous



def current_threads():
    """Threads the current block may use (outside a :func:`threads` block, those of
    ``n_jobs=None``)."""
    n = getattr(_local, "n_threads", None)
    return effective_n_jobs(None) if n is None else n


def split_range(n_items, n_parts, weights=None):
    """Contiguous ranges ``[(start, stop), ...]`` covering ``range(n_items)``.

    With ``weights`` (one per item, a sequence or an array) the ranges hold about equal
    total weight: each inner bound follows the first item at which the running total
    reaches its share.
    """
    n_parts = max(1, min(n_parts, n_items))
    if weights is None:
        bounds = [n_items * p // n_parts for p in range(n_parts + 1)]
    else:
        # Plain Python: the item lists are short, and numpy's per-call cost was most of
        # a small level's hand-off.
        weights = weights.tolist() if hasattr(weights, "tolist") else list(weights)
        total = float(sum(weights))
        bounds = [0]
        running = 0.0
        for i, w in enumerate(weights):
            running += w
            while len(bounds) < n_parts and running >= total * len(bounds) / n_parts:
                bounds.append(i + 1)
        bounds += [n_items] * (n_parts + 1 - len(bounds))
    return [(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]


def run_parallel(kernel, n_items, *args, weights=None, min_items=1, min_weight=0):
    """Call ``kernel(start, stop, *args)`` on contiguous ranges of ``range(n_items)``.

    The ranges run on the shared thread pool (the calling thread takes the first one);
    ``kernel`` must release the GIL to run truly in parallel and must write only to the
    outputs of its own range. Fewer than ``min_items`` items (or, with ``weights``, less
    than ``min_weight`` weight) per thread are not worth a thread.
    """
    n_threads = min(current_threads(), n_items // max(1, min_items))
    if weights is not None and min_weight > 0 and n_threads > 1:
        weights = weights.tolist()
        n_threads = min(n_threads, int(sum(weights) // min_weight))
    if n_threads <= 1:
        if n_items > 0:
            kernel(0, n_items, *args)
        return
    ranges = split_range(n_items, n_threads, weights)
    pool = _shared_pool()
    futures = [pool.submit(kernel, a, b, *args) for a, b in ranges[1:]]
    try:
        kernel(*ranges[0], *args)
    finally:
        for future in futures:
            future.wait()
    for future in futures:
        future.raise_error()


def run_items(function, n_items, n_threads):
    """``[function(i) for i in range(n_items)]`` on ``n_threads`` threads (the calling
    thread is one), each taking the next index when it is free.

    An exception or Ctrl-C in any thread stops the others after their current item, and
    reaches the caller once they have stopped.
    """
    results = [None] * n_items
    indices = itertools.count()  # next() on it is atomic: each index is taken once
    stop = []

    def work():
        for i in indices:
            if i >= n_items or stop:
                return
            try:
                results[i] = function(i)
            except BaseException:
                stop.append(True)
                raise

    pool = _shared_pool()
    futures = [pool.submit(work) for _ in range(min(n_threads, n_items) - 1)]
    try:
        work()
    except BaseException:
        stop.append(True)
        raise
    finally:
        for future in futures:
            future.wait()
    for future in futures:
        future.raise_error()
    return results


def submit(function, *args):
    """Start ``function(*args)`` on the shared pool; returns its task (``done``,
    ``cancel``, ``wait``, ``raise_error``). For callers that share work out themselves,
    as the boosting grower's teams of threads do."""
    return _shared_pool().submit(function, *args)


def pool_submissions():
    """The shared pool's count of tasks submitted so far (an int64 array's first entry,
    updated in place), for compiled code that waits on a pool thread to see when its
    thread is wanted for other tasks."""
    return _shared_pool()._submitted


def _shared_pool():
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = _Pool(max(1, available_cpus() - 1))
        return _pool


class _Pool:
    """Daemon worker threads taking tasks from one queue.

    An idle worker first polls the count of submitted tasks (:func:`~._spin.spin_while`,
    without the GIL) and only then blocks on the queue, and a caller waiting for a task
    polls its state the same way: a thread woken from a block takes tens of microseconds
    to run again, longer than many parallel steps of a small tree.

    A worker runs its nested :func:`run_parallel` calls on its own thread: a worker that
    waited for tasks queued behind its own could leave none to run them.
    """

    def __init__(self, n_workers):
        self._tasks = queue.SimpleQueue()
        # Tasks submitted so far, in a cache line of its own.
        self._submitted = np.zeros(8, dtype=np.int64)
        for i in range(n_workers):
            threading.Thread(target=self._work, name=f"ensembles-{i}", daemon=True).start()

    def _work(self):
        _local.n_threads = 1
        while True:
            seen = int(self._submitted[0])
            try:
                task = self._tasks.get_nowait()
            except queue.Empty:
                if spin_while(self._submitted, 0, seen, _SPIN_ROUNDS):
                    continue  # a task came (or another worker took it): look again
                task = self._tasks.get()
            task.run()

    def submit(self, function, *args):
        task = _Task(function, args)
        # Queued before it is counted: a worker that sees the count change finds it.
        self._tasks.put(task)
        self._submitted[0] += 1
        return task


class _Task:
    """One call to run on the pool."""

    def __init__(self, function, args):
        self._function = function
        self._args = args
        self._error = None
        self._state = np.zeros(1, dtype=np.int64)  # 1 once run
        self._done = threading.Lock()
        self._done.acquire()
        # Taken by whichever comes first: the worker that runs the task, or cancel().
        self._start = threading.Lock()

    def done(self):
        """Whether the task has run."""
        return self._state[0] != 0

    def cancel(self):
        """Skip the task if no worker has started it; returns whether it was skipped (it
        then never runs, and need not be waited for)."""
        return self._start.acquire(blocking=False)

    def run(self):
        if not self._start.acquire(blocking=False):
            return  # cancelled
        try:
            self._function(*self._args)
        except BaseException as exc:  # handed to the waiting thread
            self._error = exc
        finally:
            self._function = self._args = None
            self._state[0] = 1
            self._done.release()

    def wait(self):
        """Wait until the task has run (call it once): poll first, then block. An interrupt
        leaves the lock as it was, since its C ``acquire`` either takes it or raises
        without taking it."""
        spin_while(self._state, 0, 0, _SPIN_ROUNDS)
        self._done.acquire()

    def raise_error(self):
        if self._error is not None:
            raise self._error
