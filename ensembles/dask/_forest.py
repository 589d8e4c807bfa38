"""Random forests and extra trees whose members grow on a Dask cluster's workers.

A forest is tree-parallel: every member needs every row. The fit computes the data on the
client, bins it there as the single-node forest does, and sends the binned data (with the
targets and weights) to every worker once; each member is then one task that draws its
bootstrap sample from its seed and grows its tree. The seeds are drawn as the single-node
forest draws them, so the forest is the single-node one whatever worker grows a member;
a member lost with its worker is grown again elsewhere, to the same tree.
"""

import uuid

import numpy as np
from dask.base import is_dask_collection

from .._fitstate import fits_aside, reads_snapshot
from ..forest import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from ._cluster import as_dask_array, get_client, live_workers, wait
from ._local import DaskEstimatorMixin, constraints_with_client, init_with_client

_POLL_S = 0.5


def _grow_one(grow, seed):
    from .._threads import threads

    with threads(1):
        return grow(seed)


def _to_memory(client, obj, name, ndim):
    if obj is None or not is_dask_collection(obj):
        return obj, None
    arr, names = as_dask_array(obj, name, ndim)
    return np.asarray(client.compute(arr).result()), names


class _DaskForest(DaskEstimatorMixin):
    """Fit on dask collections with the members grown on the workers; predictions on
    dask collections computed per partition; :meth:`to_local`."""

    @fits_aside
    def fit(self, X, y, sample_weight=None):
        """Grow the forest, its members as tasks on the cluster.

        Parameters
        ----------
        X : dask array or dask DataFrame of shape (n_samples, n_features)
            Gathered on the client, binned there, and sent to every worker once.
        y : dask array or dask Series of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : dask array or dask Series of shape (n_samples,), optional

        Returns
        -------
        self
        """
        client = get_client(self.client)
        for name, obj in (("X", X), ("y", y)):
            if not is_dask_collection(obj):
                raise TypeError(f"{name} must be a dask array or dask DataFrame/Series, got "
                                f"{type(obj).__name__}; use ensembles' ordinary estimators "
                                f"for in-memory data.")
        X, names = _to_memory(client, X, "X", 2)
        if names is not None:
            import pandas as pd

            X = pd.DataFrame(X, columns=names)
        y_arr = y
        if is_dask_collection(y):
            y_arr = np.asarray(client.compute(y).result())
        sample_weight, _ = _to_memory(client, sample_weight, "sample_weight", 1)
        self._client = client
        try:
            return self._local_class.fit.__wrapped__(self, X, y_arr, sample_weight)
        finally:
            del self._client

    def _grow_members(self, grow, seeds):
        if len(seeds) == 0:
            return []
        client = self._client
        if not live_workers(client):
            raise RuntimeError("The Dask cluster has no workers.")
        [data] = client.scatter([grow], broadcast=True, hash=False)
        tag = uuid.uuid4().hex
        futures = [client.submit(_grow_one, data, int(seed), pure=False, retries=2,
                                 key=f"ensembles-tree-{tag}-{i}")
                   for i, seed in enumerate(seeds)]
        try:
            while True:
                try:
                    wait(client, futures, timeout=_POLL_S)
                    break
                except TimeoutError:
                    if data.status in ("lost", "cancelled", "error") or not live_workers(
                            client):
                        raise RuntimeError("The workers holding the forest's data all left "
                                           "the cluster; fit again.") from None
            return client.gather(futures)
        finally:
            for f in futures:
                f.release()
            data.release()

    @reads_snapshot
    def predict(self, X):
        """Predictions: a dask array for a dask collection (computed per partition), an
        ndarray for in-memory X."""
        n_outputs = getattr(self, "n_outputs_", 1)
        dtype = self.classes_.dtype if (hasattr(self, "classes_") and n_outputs == 1) \
            else np.dtype(np.float64)
        if hasattr(self, "classes_") and n_outputs > 1:
            dtype = np.dtype(object)
        return self._map_partitions(X, "predict", {}, n_outputs if n_outputs > 1 else None,
                                    dtype)


class _DaskForestClassifier(_DaskForest):
    @reads_snapshot
    def predict_proba(self, X):
        """Class probabilities: a dask array for a dask collection (one output), an
        ndarray (or list for several outputs) for in-memory X."""
        if is_dask_collection(X) and getattr(self, "n_outputs_", 1) > 1:
            raise ValueError("predict_proba on dask collections supports one output; "
                             "use to_local() for several.")
        return self._map_partitions(X, "predict_proba", {}, self.n_classes_,
                                    np.dtype(np.float64))


_FOREST_DOC = """

    Grown on a Dask cluster: ``fit`` takes dask arrays or DataFrames, gathers them on the
    client, bins them there and sends the binned data to every worker once; each member
    grows as one task. With the same ``random_state`` the forest is the single-node
    forest's (:meth:`to_local` returns it as the ordinary estimator). ``predict`` on a dask
    collection returns a dask array computed partition by partition.

    Parameters
    ----------
    client : distributed.Client, optional
        The cluster; default the current default client.
    **params
        The parameters of :class:`~ensembles.{local}`.
"""


class DaskRandomForestClassifier(_DaskForestClassifier, RandomForestClassifier):
    __doc__ = ("A random forest classifier grown on a Dask cluster."
               + _FOREST_DOC.format(local="RandomForestClassifier"))
    _local_class = RandomForestClassifier
    _parameter_constraints = constraints_with_client(RandomForestClassifier)
    __init__ = init_with_client(RandomForestClassifier)


class DaskRandomForestRegressor(_DaskForest, RandomForestRegressor):
    __doc__ = ("A random forest regressor grown on a Dask cluster."
               + _FOREST_DOC.format(local="RandomForestRegressor"))
    _local_class = RandomForestRegressor
    _parameter_constraints = constraints_with_client(RandomForestRegressor)
    __init__ = init_with_client(RandomForestRegressor)


class DaskExtraTreesClassifier(_DaskForestClassifier, ExtraTreesClassifier):
    __doc__ = ("An extra-trees classifier grown on a Dask cluster."
               + _FOREST_DOC.format(local="ExtraTreesClassifier"))
    _local_class = ExtraTreesClassifier
    _parameter_constraints = constraints_with_client(ExtraTreesClassifier)
    __init__ = init_with_client(ExtraTreesClassifier)


class DaskExtraTreesRegressor(_DaskForest, ExtraTreesRegressor):
    __doc__ = ("An extra-trees regressor grown on a Dask cluster."
               + _FOREST_DOC.format(local="ExtraTreesRegressor"))
    _local_class = ExtraTreesRegressor
    _parameter_constraints = constraints_with_client(ExtraTreesRegressor)
    __init__ = init_with_client(ExtraTreesRegressor)
