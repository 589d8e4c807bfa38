"""What every Dask estimator shares with its single-node class: the constructor (the
single-node parameters plus ``client``), ``clone``, :meth:`to_local`, and predictions
computed partition by partition with the single-node model."""

import inspect

import numpy as np
from dask.base import is_dask_collection

from ._cluster import as_dask_array


def init_with_client(local_class):
    """An ``__init__`` for the Dask counterpart of ``local_class``: ``client``
    (keyword-only) and ``local_class``'s parameters, with their defaults.

    Its signature, which scikit-learn's ``get_params`` and ``clone`` read, lists them all
    explicitly: ``local_class``'s, with ``client`` before the first keyword-only one.
    """
    local_init = local_class.__init__

    def __init__(self, *args, client=None, **params):
        self.client = client
        local_init(self, *args, **params)

    signature = inspect.signature(local_init)
    params = list(signature.parameters.values())
    cut = next((i for i, p in enumerate(params) if p.kind is p.KEYWORD_ONLY), len(params))
    client = inspect.Parameter("client", inspect.Parameter.KEYWORD_ONLY, default=None)
    __init__.__signature__ = signature.replace(parameters=[*params[:cut], client,
                                                           *params[cut:]])
    return __init__


def constraints_with_client(local_class):
    """``local_class``'s parameter constraints, and ``client`` (not validated)."""
    return {**local_class._parameter_constraints, "client": "no_validation"}


def _predict_block(block, model, names, method, kwargs):
    if names is not None:
        import pandas as pd

        block = pd.DataFrame(block, columns=names)
    return getattr(model, method)(block, **kwargs)


class DaskEstimatorMixin:
    """``clone``, :meth:`to_local` and per-partition predictions of a Dask estimator whose
    single-node class is ``_local_class``."""

    _local_class = None
    # Fitted attributes of the Dask fit only, which the single-node model does not get.
    _dask_only_attributes = ()

    def __sklearn_clone__(self):
        # The parameters cloned, the client shared (a client cannot be deep-copied).
        from sklearn.base import clone

        params = self.get_params(deep=False)
        client = params.pop("client")
        return type(self)(client=client, **{k: clone(v, safe=False)
                                            for k, v in params.items()})

    def __getstate__(self):
        # A client is a live connection, which cannot be pickled: a pickled estimator
        # leaves it out (None: the default client, wherever it is unpickled).
        state = dict(super().__getstate__())
        state["client"] = None
        return state

    def to_local(self):
        """The fitted model as the ordinary single-node estimator (no Dask needed): it
        predicts on in-memory data, saves, loads and pickles as usual.

        Returns
        -------
        estimator
            Of the single-node class of the same name without ``Dask``
            (``DaskRandomForestClassifier`` gives a ``RandomForestClassifier``).
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        params = self.get_params(deep=False)
        del params["client"]
        local = self._local_class(**params)
        param_names = set(type(self)._get_param_names())
        for key, value in self.__dict__.items():
            if key not in param_names and key not in self._dask_only_attributes:
                setattr(local, key, value)
        return local

    def _map_partitions(self, X, method, kwargs, n_columns, dtype):
        """``method`` of :meth:`to_local`'s model on ``X``: for a dask collection a dask
        array of ``dtype`` computed partition by partition (1-D for ``n_columns`` None,
        else of ``n_columns`` columns); directly for in-memory ``X``."""
        if not is_dask_collection(X):
            return getattr(self.to_local(), method)(X, **kwargs)
        X, names = as_dask_array(X, "X", 2, lengths=False)
        if X.numblocks[1] > 1:
            X = X.rechunk({1: -1})
        local = self.to_local()
        # Known before any block is computed: refused here, not at compute().
        if X.shape[1] != local.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} is "
                             f"expecting {local.n_features_in_} features as input.")
        fitted_names = getattr(local, "feature_names_in_", None)
        if names is not None and fitted_names is not None and not np.array_equal(
                names, fitted_names):
            raise ValueError(f"X's columns {list(names)} are not those seen in fit "
                             f"{list(fitted_names)}.")
        if names is None:
            names = getattr(local, "feature_names_in_", None)
        if n_columns is None:
            return X.map_blocks(_predict_block, local, names, method, kwargs, drop_axis=1,
                                dtype=dtype, meta=np.empty((0,), dtype=dtype))
        return X.map_blocks(_predict_block, local, names, method, kwargs,
                            chunks=(X.chunks[0], (n_columns,)), dtype=dtype,
                            meta=np.empty((0, 0), dtype=dtype))
