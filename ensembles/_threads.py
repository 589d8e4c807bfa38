"""Mapping of scikit-learn's ``n_jobs`` to numba's thread count."""

import os
from contextlib import contextmanager

import numba


def effective_n_jobs(n_jobs):
    """Threads to use: None -> all, negative -> n_cpus + 1 + n_jobs (scikit-learn's rule)."""
    available = numba.config.NUMBA_NUM_THREADS
    if n_jobs is None:
        return available
    if n_jobs == 0:
        raise ValueError("n_jobs == 0 has no meaning; use None, -1 or a positive integer.")
    if n_jobs < 0:
        n_jobs = (os.cpu_count() or 1) + 1 + n_jobs
    return int(max(1, min(n_jobs, available)))


@contextmanager
def numba_threads(n_jobs):
    """Run numba's parallel kernels with ``n_jobs`` threads, restoring the count afterwards.

    numba's thread count is local to the calling Python thread, so concurrent fits with
    different ``n_jobs`` do not interfere.
    """
    previous = numba.get_num_threads()
    numba.set_num_threads(effective_n_jobs(n_jobs))
    try:
        yield
    finally:
        numba.set_num_threads(previous)
