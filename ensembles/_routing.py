"""Metadata routing for the meta-estimators, on scikit-learn's public routing API.

Under ``sklearn.set_config(enable_metadata_routing=True)`` a meta-estimator forwards the
extra keyword arguments of its methods (``fit(X, y, groups=..., metadata=...)``) to the
members that requested them, and raises when a member did not say whether it wants
them. With routing off (scikit-learn's default), extra keyword arguments are refused
except those a method accepts by itself (such as ``sample_weight``).
"""

from sklearn import get_config
from sklearn.utils import Bunch
from sklearn.utils.metadata_routing import process_routing

from ensembles._compat import _safe_indexing

__all__ = ["raise_for_params", "route", "routing_enabled", "take_rows"]


def routing_enabled():
    """Whether ``sklearn.set_config(enable_metadata_routing=True)`` is in effect."""
    return bool(get_config().get("enable_metadata_routing", False))


def raise_for_params(params, owner, method, allow=()):
    """Refuse extra keyword arguments while metadata routing is off.

    Parameters
    ----------
    params : dict
        The extra keyword arguments passed to ``owner.<method>``.
    owner : estimator
        The meta-estimator.
    method : str
        Name of the method that received them.
    allow : collection of str, default=()
        Names accepted without routing.

    Raises
    ------
    ValueError
        If routing is off and ``params`` holds names outside ``allow``.
    """
    extra = set(params) - set(allow)
    if extra and not routing_enabled():
        raise ValueError(
            f"Passing extra keyword arguments to {type(owner).__name__}.{method} is only "
            "supported if enable_metadata_routing=True, which you can set using "
            "`sklearn.set_config`; see scikit-learn's metadata routing user guide. "
            f"Extra parameters passed are: {sorted(extra)}"
        )


def route(owner, method, children, **params):
    """Split the metadata of ``owner.<method>`` among its children.

    Parameters
    ----------
    owner : estimator
        The meta-estimator; its ``get_metadata_routing`` is used when routing is on.
    method : str
        The method called on ``owner``.
    children : dict
        Without routing: ``{child: {child_method: params}}``, what each child receives.
    **params : dict
        The metadata passed to ``owner.<method>``.

    Returns
    -------
    routed : Bunch
        ``routed[child][child_method]`` is the dict of keyword arguments for that call.
    """
    if routing_enabled():
        return process_routing(owner, method, **params)
    return Bunch(**{
        child: Bunch(**{m: dict(p) for m, p in methods.items()})
        for child, methods in children.items()
    })


def take_rows(params, rows, n_samples):
    """Index the per-row entries of ``params`` by ``rows``; pass the others unchanged.

    An entry is per-row when it is a sequence (not a string) of length ``n_samples``, as
    scikit-learn decides when it splits metadata over cross-validation folds.

    Parameters
    ----------
    params : dict
        Keyword arguments of a ``fit`` call.
    rows : array-like of int
        The rows kept.
    n_samples : int
        Number of rows of the full data.

    Returns
    -------
    taken : dict
        ``params`` with every per-row entry indexed by ``rows``.
    """
    taken = {}
    for key, value in params.items():
        if hasattr(value, "__len__") and not isinstance(value, str):
            if len(value) == n_samples:
                value = _safe_indexing(value, rows)
        taken[key] = value
    return taken
