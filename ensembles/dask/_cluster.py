"""Client-side plumbing: the collections' blocks and where they live, and one call per
worker that fails clearly (never hangs) when a worker leaves the cluster."""

import time
import uuid

import numpy as np
from dask import array as da
from distributed import default_client, futures_of
from distributed.client import _wait

# How often a waiting step checks that its workers are still there (seconds).
_POLL_S = 0.5


def wait(client, futures, timeout=None):
    """``distributed.wait`` on ``client`` (not the default client, which may be another)."""
    return client.sync(_wait, futures, timeout=timeout)


class WorkerLostError(RuntimeError):
    """A worker holding part of a fit's data left the cluster during the fit."""


def get_client(client):
    """``client``, or the default Dask client (a clear error when there is none)."""
    if client is not None:
        from distributed import Client

        if not isinstance(client, Client):
            raise TypeError(f"client must be a distributed.Client or None (the default "
                            f"client), got {type(client).__name__}.")
        return client
    try:
        return default_client()
    except ValueError:
        raise ValueError("No Dask client: pass client=distributed.Client(...) or create a "
                         "Client first (it becomes the default).") from None


def _dataframe_types():
    try:
        from dask import dataframe as dd
    except ImportError:  # dask's DataFrame needs pandas and pyarrow
        return None, None
    return dd.DataFrame, dd.Series


def _is_dataframe(obj):
    frame, _ = _dataframe_types()
    return frame is not None and isinstance(obj, frame)


def _is_series(obj):
    _, series = _dataframe_types()
    return series is not None and isinstance(obj, series)


def as_dask_array(obj, name, ndim, lengths=True):
    """A dask array from a dask array, DataFrame or Series (``name`` for errors), with its
    row blocks' lengths computed when ``lengths`` (a fit needs them, a prediction not).

    Returns ``(array, feature_names)``; the names are the DataFrame's columns when they
    are all strings, as scikit-learn records them.
    """
    names = None
    if _is_dataframe(obj):
        columns = list(obj.columns)
        if columns and all(isinstance(c, str) for c in columns):
            names = np.asarray(columns, dtype=object)
        # Extension dtypes (category, string) are no numpy dtypes: kind "O" stands in.
        bad = [c for c, t in obj.dtypes.items()
               if getattr(t, "kind", "O") not in "biuf"]
        if bad and ndim == 2:
            raise ValueError(f"{name} has non-numeric columns {bad!r}; encode them first "
                             f"(the Dask estimators take numbers only).")
        obj = obj.to_dask_array(lengths=True if lengths else None)
    elif _is_series(obj):
        obj = obj.to_dask_array(lengths=True if lengths else None)
    if not isinstance(obj, da.Array):
        raise TypeError(f"{name} must be a dask array or dask DataFrame/Series, got "
                        f"{type(obj).__name__}; use ensembles' ordinary estimators for "
                        f"in-memory data, or dask.array.from_array(...).")
    if ndim == 1 and obj.ndim == 2 and obj.shape[1] == 1:
        obj = obj[:, 0]
    if obj.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {obj.shape}.")
    if lengths and any(np.isnan(c) for c in obj.chunks[0]):
        obj = obj.compute_chunk_sizes()
    return obj, names


def aligned_blocks(client, X, *others):
    """Persist ``X`` (one column chunk) and ``others`` (1-D, rechunked like X's rows, or
    None) and return, per row block, the futures of its pieces and the worker holding
    the X block: ``(futures_by_block, workers_by_block, keep)`` (``keep`` holds the
    persisted collections while the blocks are needed)."""
    X = X.rechunk({1: -1})
    rows = X.chunks[0]
    arrays = [X]
    for other in others:
        if other is not None:
            if other.shape[0] != X.shape[0]:
                raise ValueError(f"X has {X.shape[0]} rows but a target or weight array "
                                 f"has {other.shape[0]}.")
            other = other.rechunk((rows,))
        arrays.append(other)
    present = [a for a in arrays if a is not None]
    persisted = client.persist(present)
    futures = {f.key: f for f in futures_of(persisted)}
    wait(client, list(futures.values()))
    failed = [f for f in futures.values() if f.status == "error"]
    if failed:
        # Computing a block raised (the user's own graph): its error, not a block of
        # nobody's further down.
        failed[0].result()
    it = iter(persisted)
    arrays = [next(it) if a is not None else None for a in arrays]
    keys = [[row[0] for row in arrays[0].__dask_keys__()]]
    for a in arrays[1:]:
        keys.append(None if a is None else a.__dask_keys__())
    blocks = []
    for i in range(len(rows)):
        blocks.append([None if k is None else futures[k[i]] for k in keys])
    who = client.who_has([b[0] for b in blocks])
    workers = [sorted(who[b[0].key])[0] for b in blocks]
    return blocks, workers, persisted


def live_workers(client):
    """Addresses of the cluster's workers, asked of the scheduler now.

    Not ``client.scheduler_info()``: it returns a cached dictionary that the client's
    periodic refresh may have replaced, between the fetch and the read, by one listing no
    workers.
    """
    return set(client.sync(client.scheduler.identity, n_workers=-1)["workers"])


class Session:
    """Run one step of a fit on its workers: one task per worker, its results in worker
    order, and a :class:`WorkerLostError` as soon as one of them leaves the cluster."""

    def __init__(self, client, workers, fit_id=None):
        self.client = client
        self.workers = list(workers)
        self.fit_id = fit_id or f"ensembles-{uuid.uuid4().hex}"
        self.calls = 0
        self._actors = None
        self._actor_futures = []

    def alive(self):
        return live_workers(self.client)

    def _check(self):
        gone = [w for w in self.workers if w not in self.alive()]
        if gone:
            raise WorkerLostError(
                f"Dask worker(s) {', '.join(gone)} left the cluster during the fit; their "
                f"partitions of the training data were lost. The fit was stopped and its "
                f"data released on the other workers; fit again.")

    def open_endpoints(self):
        """Start one :class:`~._worker.Endpoint` actor per worker for :meth:`call`."""
        from ._worker import Endpoint

        self._actor_futures = [
            self.client.submit(Endpoint, workers=[w], allow_other_workers=False, actor=True,
                               pure=False, key=f"ensembles-endpoint-{uuid.uuid4().hex}")
            for w in self.workers]
        self._wait(self._actor_futures)
        # An actor handle binds to the current client: make it this one, which need not
        # be the default client.
        with self.client.as_current():
            self._actors = [f.result() for f in self._actor_futures]

    def _wait(self, futures):
        while True:
            try:
                wait(self.client, futures, timeout=_POLL_S)
                return
            except TimeoutError:
                self._check()

    def shard_key(self, worker):
        """The key of the fit's shard on ``worker``: the fit id and the worker's address,
        since workers in one process (``processes=False``) share its registry of shards."""
        return f"{self.fit_id}@{worker}"

    def call(self, function, args_by_worker):
        """:meth:`run` through the workers' endpoint actors (see :meth:`open_endpoints`):
        the arguments must not be futures."""
        self.calls += 1
        with self.client.as_current():
            pending = [actor.call(function, self.shard_key(w), *args)
                       for actor, w, args in zip(self._actors, self.workers, args_by_worker,
                                                 strict=True)]
        results = []
        for future in pending:
            while True:
                try:
                    results.append(future.result(timeout=_POLL_S))
                    break
                except TimeoutError:
                    self._check()
                except OSError:
                    # The worker could not be reached: report it as lost once the
                    # scheduler knows (a dying worker is noticed within seconds).
                    for _ in range(20):
                        self._check()
                        time.sleep(_POLL_S)
                    raise
        return results

    def run(self, function, args_by_worker):
        """``function(shard_key, *args)`` on each worker (``args_by_worker``: one tuple per
        worker, in :attr:`workers` order), as tasks (their arguments may be futures)."""
        self.calls += 1
        futures = [
            self.client.submit(function, self.shard_key(w), *args, workers=[w],
                               allow_other_workers=False, pure=False, retries=0,
                               key=f"{function.__name__}-{uuid.uuid4().hex}")
            for w, args in zip(self.workers, args_by_worker, strict=True)
        ]
        try:
            self._wait(futures)
            if any(f.status == "error" for f in futures):
                # A task that failed because its worker died is reported as lost, not as
                # the transport's exception.
                self._check()
            results = self.client.gather(futures)
        finally:
            for f in futures:
                f.release()
        return results

    def close(self):
        """Drop the fit's shards on every worker still in the cluster, and the actors."""
        from . import _worker

        self._actors = None
        for f in self._actor_futures:
            f.release()
        self._actor_futures = []
        alive = self.alive()
        for w in self.workers:
            if w not in alive:
                continue
            try:
                self.client.run(_worker.drop, self.shard_key(w), workers=[w],
                                on_error="ignore")
            except Exception:  # noqa: BLE001 - cleanup must not hide the fit's own error
                pass
