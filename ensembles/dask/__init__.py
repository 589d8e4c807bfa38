"""Training on a Dask cluster (optional: ``pip install 'ensembles[dask]'``).

:class:`DaskGradientBoostingClassifier`, :class:`DaskGradientBoostingRegressor` and
:class:`DaskGradientBoostingRanker` train data-parallel: the partitions stay on their
workers and only histograms, splits and trees cross the network. The forests
(:class:`DaskRandomForestClassifier`, ...) grow their trees on the workers in parallel,
the data sent to each worker once. Every fitted model is the single-node one
(``to_local()``). Nothing outside this package imports dask.
"""

try:
    import distributed  # noqa: F401
except ImportError as exc:  # pragma: no cover - the extra is not installed
    raise ImportError("ensembles.dask needs dask's distributed scheduler: "
                      "pip install 'ensembles[dask]'.") from exc

from ._boosting import (
    DaskGradientBoostingClassifier,
    DaskGradientBoostingRanker,
    DaskGradientBoostingRegressor,
)
from ._cluster import WorkerLostError
from ._forest import (
    DaskExtraTreesClassifier,
    DaskExtraTreesRegressor,
    DaskRandomForestClassifier,
    DaskRandomForestRegressor,
)

__all__ = [
    "DaskExtraTreesClassifier",
    "DaskExtraTreesRegressor",
    "DaskGradientBoostingClassifier",
    "DaskGradientBoostingRanker",
    "DaskGradientBoostingRegressor",
    "DaskRandomForestClassifier",
    "DaskRandomForestRegressor",
    "WorkerLostError",
]
