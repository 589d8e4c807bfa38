"""Gradient boosting on a Dask cluster: the estimators and the client's training loop.

See the user guide's "Training on a Dask cluster" page for how a fit runs. In short: the
bin edges come from a sample of every partition; each worker bins its partitions once and
keeps them, their gradients and raw margins for the whole fit (:mod:`._worker`); per
batch of nodes every worker sums the histograms of its rows, the client adds them up and
finds the splits (:mod:`._grow`), and only histograms, splits and trees cross the network.
"""

import pickle

import numpy as np
from dask.base import is_dask_collection
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils import check_random_state

from .._engine.binning import BinMapper
from .._engine.grower import GrowthParams, sample_features
from .._engine.histogram import hist_offsets
from .._fitstate import fits_aside, reads_snapshot
from ..boosting.booster import Booster, BoostingParams
from ..boosting.estimators import (
    _BINNING_SUBSAMPLE,
    _DEFAULT_BINNING_SEED,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    _check_eval_lists,
    _check_eval_weight,
    _check_magnitudes,
)
from ..boosting.objectives import (
    LogisticObjective,
    SoftprobObjective,
    SquaredErrorObjective,
    _LogLinkObjective,
)
from ..boosting.ranker import GradientBoostingRanker, _row_weights
from ..boosting.ranking import RankingObjective, group_pointer
from . import _worker
from ._cluster import Session, aligned_blocks, as_dask_array, get_client
from ._grow import TreeBuilder
from ._local import DaskEstimatorMixin, constraints_with_client, init_with_client

# Objectives whose starting margin is a function of the weighted mean of y.
_MEAN_START = (SquaredErrorObjective, LogisticObjective, _LogLinkObjective)


class _DaskBoosting(DaskEstimatorMixin):
    """What both Dask estimators add to their single-node class: ``fit`` on dask
    collections, predictions computed per partition, and :meth:`to_local`."""

    _dask_only_attributes = ("transfer_stats_",)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags

    # ------------------------------------------------------------------ fitting
    @fits_aside
    def fit(self, X, y, *, sample_weight=None, eval_set=None, sample_weight_eval_set=None,
            verbose=False):
        """Fit on dask collections, the partitions staying on their workers.

        Parameters
        ----------
        X : dask array or dask DataFrame of shape (n_samples, n_features)
            Numeric features; NaN marks a missing value.
        y : dask array or dask Series of shape (n_samples,)
            Targets (class labels of any type for the classifier).
        sample_weight : dask array or dask Series of shape (n_samples,), optional
            Non-negative row weights.
        eval_set : list of (X, y) pairs of dask collections, optional
            Evaluated after every round; early stopping watches the last one. Their
            predictions (one value per row and output) come back to the client every
            round, so keep them of a size the client holds easily.
        sample_weight_eval_set : list of dask arrays or None, optional
            Weights of the ``eval_set`` rows.
        verbose : bool or int, default=False
            Print the evaluation metrics every round (True) or every ``verbose`` rounds.

        Returns
        -------
        self
        """
        return self._fit_dask(X, y, sample_weight, eval_set, sample_weight_eval_set, verbose)

    def _fit_dask(self, X, y, sample_weight, eval_set, sample_weight_eval_set, verbose,
                  qid=None, eval_qid=None):
        """:meth:`fit`; the ranker gives the query ids ``qid`` (a dask collection aligned
        with ``X``), ``eval_qid`` (one per eval set) and per-group ``sample_weight``."""
        self._validate_params()
        self._check_xgboost_options()
        self._refuse_single_node_options()
        client = get_client(self.client)
        X, names = as_dask_array(X, "X", 2)
        y, _ = as_dask_array(y, "y", 1)
        w = None
        if sample_weight is not None and qid is None:
            w, _ = as_dask_array(sample_weight, "sample_weight", 1)
        n_samples, n_features = X.shape
        if n_samples < 1 or n_features < 1:
            raise ValueError(f"X must have at least one row and one feature, got shape "
                             f"{X.shape}.")
        self.n_features_in_ = int(n_features)
        if names is not None:
            self.feature_names_in_ = names
        classes = None
        if isinstance(self, ClassifierMixin):
            classes = np.unique(np.asarray(client.compute(y.map_blocks(
                np.unique, dtype=y.dtype, chunks=((np.nan,) * y.numblocks[0],))).result()))
            # The single-node label checks and encoder, fitted on the distinct labels.
            self._encode_y(classes, fitting=True)
            classes = self.classes_
        objective = self._make_objective(getattr(self, "n_classes_", None))
        ranking = isinstance(objective, RankingObjective)
        if ranking and self.lambdarank_unbiased:
            raise ValueError("lambdarank_unbiased: not supported by the Dask ranker (the "
                             "position biases are estimated from every query at once). Use "
                             "GradientBoostingRanker.")
        if not objective.rowwise and not ranking:
            raise ValueError(f"objective={objective.name!r} couples the rows (its gradients "
                             f"need them all in one place); the Dask estimators do not "
                             f"support it. Use the single-node estimator.")
        if objective.refresh_quantile is not None:
            raise ValueError(f"objective={objective.name!r} refreshes every leaf to a "
                             f"quantile of its rows' residuals, which needs all of a leaf's "
                             f"rows in one place; the Dask estimators do not support it. "
                             f"Use another objective or the single-node estimator.")
        metrics = self._make_metrics(objective)
        self._metric_direction = {m.name: m.higher_is_better for m in metrics}
        eval_inputs = self._dask_eval_sets(client, eval_set, sample_weight_eval_set, eval_qid)
        callbacks = self._make_callbacks(verbose, eval_inputs)
        if self.grow_policy == "depthwise" and self.max_depth == 0 and self.max_leaves == 0:
            raise ValueError("max_depth=0 (unlimited) needs grow_policy='lossguide' or a "
                             "positive max_leaves.")
        rng = np.random.default_rng(check_random_state(self.random_state).randint(2**31 - 1))
        bin_seed = int(rng.integers(2**31))
        if self.random_state is None:
            bin_seed = _DEFAULT_BINNING_SEED
        max_delta_step = self.max_delta_step
        if max_delta_step is None:
            max_delta_step = 0.7 if objective.name == "count:poisson" else 0.0
        params = BoostingParams(
            n_estimators=self.n_estimators, subsample=self.subsample,
            colsample_bytree=self.colsample_bytree,
            growth=GrowthParams(
                max_depth=self.max_depth, max_leaves=self.max_leaves,
                grow_policy=self.grow_policy, learning_rate=self.learning_rate,
                min_child_weight=self.min_child_weight, reg_lambda=self.reg_lambda,
                reg_alpha=self.reg_alpha, gamma=self.gamma, max_delta_step=max_delta_step,
                colsample_bylevel=self.colsample_bylevel,
                colsample_bynode=self.colsample_bynode,
            ),
        )
        if ranking:
            qid, _ = as_dask_array(qid, "qid", 1)
            blocks, block_workers, keep = aligned_blocks(client, X, y, None, qid)
            groups = self._query_groups(client, blocks, sample_weight)
            blocks = [b[:3] for b in blocks]
        else:
            blocks, block_workers, keep = aligned_blocks(client, X, y, w)
            groups = None
        eval_blocks = [aligned_blocks(client, Xe, None)[:2] for Xe, _, _, _ in eval_inputs]
        workers = sorted(set(block_workers).union(*(set(wk) for _, wk in eval_blocks)))
        session = Session(client, workers)
        try:
            self._train(session, blocks, block_workers, eval_inputs, eval_blocks, n_samples,
                        classes, objective, metrics, callbacks, params, rng, bin_seed, groups)
        finally:
            session.close()
            del keep
        return self

    def _refuse_single_node_options(self):
        """The single-node parameters that distributed growth does not implement yet get a
        clear error, rather than a model that silently ignores them."""
        unsupported = {
            "monotone_constraints": self.monotone_constraints is not None,
            "interaction_constraints": self.interaction_constraints is not None,
            "booster": self.booster != "gbtree",
            "num_parallel_tree": self.num_parallel_tree not in (None, 1),
            "missing": not (self.missing is None or np.isnan(self.missing)),
            "scale_pos_weight": self.scale_pos_weight not in (None, 1, 1.0),
            "use_quantized_grad": bool(self.use_quantized_grad),
            "categorical_features": (self.enable_categorical or self.categorical_features
                                     not in (None, "from_dtype")),
        }
        names = [name for name, used in unsupported.items() if used]
        if names:
            raise ValueError(f"{', '.join(names)}: not supported by the Dask estimators yet "
                             f"(distributed growth implements the gbtree booster without "
                             f"constraints). Use the single-node estimator, or leave "
                             f"{'it' if len(names) == 1 else 'them'} at the default.")

    @staticmethod
    def _query_groups(client, blocks, sample_weight):
        """Per block, ``(group sizes, index of its first group)``, and the whole set's
        group-weight normalization; the blocks' weight pieces become the per-group
        ``sample_weight`` spread over their rows. A query may not span two blocks."""
        from dask import delayed

        def sizes_of(q):
            q = np.asarray(q).reshape(-1)
            ptr = group_pointer(q.shape[0], qid=q)
            return np.diff(ptr), (q[0] if q.size else None), (q[-1] if q.size else None)

        found = client.compute([delayed(sizes_of)(b[3]) for b in blocks], sync=True)
        for i in range(1, len(found)):
            last, first = found[i - 1][2], found[i][1]
            if last is not None and first is not None and last == first:
                raise ValueError(f"qid: query {last!r} spans row blocks {i - 1} and {i}; "
                                 f"each query's rows must lie in one block (rechunk X, y "
                                 f"and qid at query boundaries).")
        counts = np.array([f[0].size for f in found], dtype=np.int64)
        firsts = np.concatenate([[0], np.cumsum(counts)])
        sizes = np.concatenate([f[0] for f in found]) if found else np.empty(0, np.int64)
        ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        weight = _row_weights(sample_weight, ptr, "sample_weight")
        gweight = (np.ones(counts.sum()) if weight is None
                   else np.asarray(sample_weight, dtype=np.float64).reshape(-1))
        for i, b in enumerate(blocks):
            b[2] = None if weight is None else weight[ptr[firsts[i]]:ptr[firsts[i + 1]]]
        w_norm = counts.sum() / gweight.sum() if gweight.sum() > 0 else 0.0
        return [(f[0], int(firsts[i])) for i, f in enumerate(found)], float(w_norm)

    def _dask_eval_sets(self, client, eval_set, sample_weight_eval_set, eval_qid=None):
        """``[(X, y, weight, group_ptr)]``: X a dask array, y, weight and (ranking) the
        query groups computed on the client."""
        ranking = eval_qid is not None or isinstance(self, GradientBoostingRanker)
        _check_eval_lists(eval_set, sample_weight_eval_set=sample_weight_eval_set,
                          eval_qid=eval_qid)
        if eval_set is None:
            return []
        out = []
        for i, (Xe, ye) in enumerate(eval_set):
            Xe, _ = as_dask_array(Xe, f"eval_set[{i}] X", 2)
            ye, _ = as_dask_array(ye, f"eval_set[{i}] y", 1)
            if Xe.shape[1] != self.n_features_in_:
                raise ValueError(f"eval_set[{i}] X has {Xe.shape[1]} features, X has "
                                 f"{self.n_features_in_}.")
            if Xe.shape[0] != ye.shape[0]:
                raise ValueError(f"eval_set[{i}] has {Xe.shape[0]} rows in X but "
                                 f"{ye.shape[0]} labels.")
            ye = self._encode_y(np.asarray(client.compute(ye).result()), fitting=False)
            we = None
            weights = None if sample_weight_eval_set is None else sample_weight_eval_set[i]
            group_ptr = None
            if ranking:
                if eval_qid is None or eval_qid[i] is None:
                    raise ValueError(f"eval_set[{i}] has no query ids: pass eval_qid (one "
                                     f"entry per eval set).")
                qe, _ = as_dask_array(eval_qid[i], f"eval_qid[{i}]", 1)
                group_ptr = group_pointer(len(ye), qid=np.asarray(client.compute(qe).result()),
                                          what=f"eval_qid[{i}]")
                if weights is not None:
                    we = _row_weights(np.asarray(weights), group_ptr,
                                      f"sample_weight_eval_set[{i}]")
            elif weights is not None:
                we, _ = as_dask_array(weights, f"sample_weight_eval_set[{i}]", 1)
                we = _check_eval_weight(
                    np.asarray(client.compute(we).result(), dtype=np.float64), ye, i)
            out.append((Xe, ye, we, group_ptr))
        return out

    def _train(self, session, blocks, block_workers, eval_inputs, eval_blocks, n_samples,
               classes, objective, metrics, callbacks, params, rng, bin_seed, groups=None):
        workers = session.workers
        n_threads = session.client.nthreads()
        K = objective.n_outputs(getattr(self, "n_classes_", 1))

        def mine(worker, block_owner):
            return [i for i, owner in enumerate(block_owner) if owner == worker]

        # Bin edges from the rows the single-node fit would bin: its subsample of the
        # rows of positive weight, drawn here over all partitions' rows and sent to each
        # partition as positions (the same edges as one machine, at any size).
        counts = np.array(self._positive_rows(session.client, blocks), dtype=np.int64)
        picked = [None] * len(blocks)
        if counts.sum() > _BINNING_SUBSAMPLE:
            rng_bins = np.random.default_rng(bin_seed)
            rows = np.sort(rng_bins.choice(int(counts.sum()), _BINNING_SUBSAMPLE,
                                           replace=False))
            bounds = np.concatenate([[0], np.cumsum(counts)])
            cut = np.searchsorted(rows, bounds)
            picked = [rows[cut[i]:cut[i + 1]] - bounds[i] for i in range(len(blocks))]
        samples = session.run(_worker.sample_rows, [
            ([(blocks[i][0], blocks[i][2]) for i in mine(wk, block_workers)],
             [picked[i] for i in mine(wk, block_workers)]) for wk in workers])
        by_part = {}
        for wk, parts in zip(workers, samples, strict=True):
            for i, part in zip(mine(wk, block_workers), parts, strict=True):
                by_part[i] = part
        sample = np.concatenate([by_part[i] for i in sorted(by_part)])
        if sample.shape[0] == 0:
            raise ValueError("sample_weight must have a positive sum.")
        bin_mapper = BinMapper(self.max_bin, None, bin_seed).fit(sample)
        stats = session.run(_worker.load, [
            ([tuple(blocks[i]) for i in mine(wk, block_workers)], mine(wk, block_workers),
             bin_mapper.edges_, bin_mapper.n_bins_, K, np.zeros(K), objective, classes,
             n_threads[wk],
             None if groups is None else ([groups[0][i] for i in mine(wk, block_workers)],
                                          groups[1]))
            for wk in workers])
        weight_sum = sum(s["weight_sum"] for s in stats)
        if not weight_sum > 0:
            raise ValueError("sample_weight must have a positive sum.")
        _check_magnitudes(np.array([max(s["y_abs_max"] for s in stats)]),
                          np.array([max(s["weight_max"] for s in stats)]),
                          isinstance(self, RegressorMixin))
        base = self._dask_base_margin(session, objective, stats, K, weight_sum)
        for e, (_, bw) in enumerate(eval_blocks):
            session.run(_worker.load_eval, [
                ([eval_blocks[e][0][i][0] for i in mine(wk, bw)], mine(wk, bw), np.zeros(K))
                for wk in workers])

        session.open_endpoints()
        booster = Booster(base)
        self._objective = objective
        self._bin_mapper = bin_mapper
        self._booster = booster
        offsets = hist_offsets(bin_mapper.n_bins_)
        all_features = np.ones(self.n_features_in_, dtype=np.bool_)
        evals_log = {f"validation_{i}": {m.name: [] for m in metrics}
                     for i in range(len(eval_inputs))}
        transfer = {"histogram_bytes": 0, "sent_bytes": 0, "steps": 0, "trees": 0}
        for cb in callbacks:
            cb.before_training(self)
        pending = None
        last = None
        first = True
        for it in range(params.n_estimators + 1):
            start = it < params.n_estimators
            if start:
                key = int(rng.integers(2**63)) if params.subsample < 1.0 else 0
                tree_mask = sample_features(all_features, params.colsample_bytree, rng)
                seeds = rng.integers(0, 2**63, size=K)
                if groups is not None:
                    objective.round_seed = objective.next_seed()
            args = (pending, last, objective if start else None, params.subsample,
                    key if start else 0, base if first else None)
            transfer["sent_bytes"] += len(pickle.dumps(args)) * len(workers)
            results = session.call(_worker.round_step, [args] * len(workers))
            first = False
            last = None
            transfer["steps"] += 1
            if pending is not None:
                booster.append(pending)
                self.n_iterations_ = booster.n_rounds
                iteration = booster.n_rounds - 1
                for e, (_, ye, we, group_ptr) in enumerate(eval_inputs):
                    raw = self._eval_margins(results, e, K)
                    pred = objective.transform(raw)
                    by_group = {} if group_ptr is None else {"group_ptr": group_ptr}
                    for m in metrics:
                        evals_log[f"validation_{e}"][m.name].append(
                            float(m(ye, pred, we, **by_group)))
                stop = False
                for cb in callbacks:
                    stop = bool(cb.after_iteration(self, iteration, evals_log)) or stop
                if stop:
                    break
            if not start:
                break
            roots = _sum([hists for _, hists in results])
            transfer["histogram_bytes"] += sum(h.nbytes for _, h in results)
            builders = [TreeBuilder(params.growth, bin_mapper.edges_, offsets,
                                    bin_mapper.n_bins_, tree_mask, seeds[k])
                        for k in range(K)]
            for k, builder in enumerate(builders):
                builder.set_root(roots[k].copy())
            while True:
                ops, owners = [], []
                for k, builder in enumerate(builders):
                    plan = builder.plan()
                    if plan is not None:
                        splits, builds = plan
                        ops.append((k, splits, np.asarray(builds, dtype=np.int64)))
                        owners.append((k, len(builds)))
                if not ops:
                    break
                if not any(nb for _, nb in owners) and all(
                        builder.plan_is_last() for builder in builders):
                    # Splits into leaves only: the workers apply them to their margins at
                    # the round's end instead of in a step of their own.
                    last = [None] * K
                    for k, splits, _ in ops:
                        last[k] = splits
                    for builder in builders:
                        builder.receive([])
                    continue
                transfer["sent_bytes"] += len(pickle.dumps(ops)) * len(workers)
                hists = session.call(_worker.grow_step, [(ops,)] * len(workers))
                transfer["steps"] += 1
                transfer["histogram_bytes"] += sum(h.nbytes for h in hists)
                total = _sum(hists)
                j = 0
                for k, nb in owners:
                    builders[k].receive(total[j:j + nb])
                    j += nb
            pending = [builder.export() for builder in builders]
            transfer["trees"] += K
        for cb in callbacks:
            cb.after_training(self)
        self.evals_result_ = evals_log
        self.n_iterations_ = booster.n_rounds
        transfer["workers"] = len(workers)
        self.transfer_stats_ = transfer

    @staticmethod
    def _positive_rows(client, blocks):
        """Rows of positive weight in each block (all rows without weights)."""
        from dask import delayed

        def count(X, w):
            n = np.shape(X)[0]
            return n if w is None else int(np.count_nonzero(np.asarray(w) > 0))

        return client.compute([delayed(count)(b[0], b[2]) for b in blocks], sync=True)

    def _dask_base_margin(self, session, objective, stats, K, weight_sum):
        if self.base_score is not None:
            return np.full(K, objective.margin_from_score(float(self.base_score)))
        if isinstance(objective, RankingObjective):
            return np.zeros(1)  # a constant shift changes no ranking
        if isinstance(objective, SoftprobObjective):
            counts = _sum([s["class_counts"] for s in stats])
            return np.asarray(objective.base_margin(np.arange(K, dtype=np.float64), counts),
                              dtype=np.float64)
        if isinstance(objective, _MEAN_START):
            # The objectives' start is a function of the weighted mean: give them the mean.
            mean = sum(s["weighted_y_sum"] for s in stats) / weight_sum
            return np.asarray(objective.base_margin(np.array([mean]), None), dtype=np.float64)
        # Others (a median start, a callable objective): the targets, gathered once.
        parts = session.run(_worker.targets, [()] * len(session.workers))
        y = np.concatenate([p[0] for p in parts])
        w = None
        if any(p[1] is not None for p in parts):
            w = np.concatenate([np.ones(p[0].shape[0]) if p[1] is None else p[1]
                                for p in parts])
        return np.asarray(objective.base_margin(y, w), dtype=np.float64)

    @staticmethod
    def _eval_margins(results, e, K):
        """Eval set ``e``'s margins in partition order, from every worker's pieces."""
        pieces = {}
        for evals, _ in results:
            part_ids, sizes, raw = evals[e]
            offset = 0
            for p, size in zip(part_ids, sizes, strict=True):
                pieces[p] = raw[offset:offset + size]
                offset += size
        if not pieces:
            return np.empty((0, K))
        return np.concatenate([pieces[p] for p in sorted(pieces)])

    # ------------------------------------------------------------------ prediction
    def _dask_map(self, X, method, kwargs, n_columns):
        dtype = np.dtype(np.float64)
        if method == "predict" and not kwargs.get("output_margin") and hasattr(self,
                                                                                "classes_"):
            dtype = self.classes_.dtype
        return self._map_partitions(X, method, kwargs, n_columns, dtype)


def _sum(arrays):
    """Element-wise sum of the workers' arrays, in worker order."""
    total = np.array(arrays[0], dtype=np.float64, copy=True)
    for a in arrays[1:]:
        total += a
    return total


_DASK_DOC = """

    Trained on a Dask cluster: ``fit`` takes dask arrays or dask DataFrames (the partitions
    stay on their workers; only histograms, splits and trees cross the network), and
    ``predict`` returns a dask array computed partition by partition. The fitted model is
    the single-node one (same trees, float summation order aside); :meth:`to_local` returns
    it as the ordinary estimator. ``subsample < 1`` draws rows per partition (the model then
    differs from a single-node fit's sample); ``reg:absoluteerror`` and
    ``reg:quantileerror`` are not supported.

    Parameters
    ----------
    client : distributed.Client, optional
        The cluster to train on; default the current default client.
    **params
        The parameters of :class:`~ensembles.{local}` (same names, meanings and
        defaults).

    Attributes
    ----------
    transfer_stats_ : dict
        What the fit sent: ``histogram_bytes`` (histograms sent by the workers),
        ``sent_bytes`` (plans and trees sent to the workers), ``steps`` (round trips),
        ``trees`` and ``workers``.
"""


class DaskGradientBoostingRegressor(_DaskBoosting, GradientBoostingRegressor):
    __doc__ = "Second-order histogram gradient boosting for regression." + _DASK_DOC.format(
        local="GradientBoostingRegressor")
    _local_class = GradientBoostingRegressor
    _parameter_constraints = constraints_with_client(GradientBoostingRegressor)
    __init__ = init_with_client(GradientBoostingRegressor)

    @reads_snapshot
    def predict(self, X, output_margin=False, iteration_range=None):
        """Predicted values (or raw margins): a dask array for a dask collection, computed
        partition by partition with :meth:`to_local`'s model; an ndarray for in-memory X.
        """
        kwargs = {"output_margin": output_margin, "iteration_range": iteration_range}
        return self._dask_map(X, "predict", kwargs, None)


class DaskGradientBoostingClassifier(_DaskBoosting, GradientBoostingClassifier):
    __doc__ = "Second-order histogram gradient boosting for classification." + \
        _DASK_DOC.format(local="GradientBoostingClassifier")
    _local_class = GradientBoostingClassifier
    _parameter_constraints = constraints_with_client(GradientBoostingClassifier)
    __init__ = init_with_client(GradientBoostingClassifier)

    @reads_snapshot
    def predict(self, X, output_margin=False, iteration_range=None):
        """Predicted labels (or raw margins): a dask array for a dask collection, computed
        partition by partition with :meth:`to_local`'s model; an ndarray for in-memory X.
        """
        kwargs = {"output_margin": output_margin, "iteration_range": iteration_range}
        columns = None
        if output_margin and self.n_classes_ > 2:
            columns = self.n_classes_
        return self._dask_map(X, "predict", kwargs, columns)

    @reads_snapshot
    def predict_proba(self, X, iteration_range=None):
        """Class probabilities, shape (n_samples, n_classes): a dask array for a dask
        collection (computed partition by partition), an ndarray for in-memory X."""
        return self._dask_map(X, "predict_proba", {"iteration_range": iteration_range},
                              self.n_classes_)


class DaskGradientBoostingRanker(_DaskBoosting, GradientBoostingRanker):
    __doc__ = "Gradient boosted trees for learning to rank (LambdaMART)." + _DASK_DOC.format(
        local="GradientBoostingRanker") + """
    Notes
    -----
    The rows of a query must lie in one row block of ``X`` (XGBoost's Dask ranker asks
    the same): each worker computes the LambdaMART gradients of its own queries, with
    the whole training set's normalization and pair-sampling keys, so the model is the
    single-node one. ``lambdarank_unbiased`` is not supported.
"""
    _local_class = GradientBoostingRanker
    _parameter_constraints = constraints_with_client(GradientBoostingRanker)
    __init__ = init_with_client(GradientBoostingRanker)

    @fits_aside
    def fit(self, X, y, *, qid=None, sample_weight=None, eval_set=None, eval_qid=None,
            sample_weight_eval_set=None, verbose=False):
        """Fit on dask collections, the partitions staying on their workers.

        Parameters
        ----------
        X : dask array or dask DataFrame of shape (n_samples, n_features)
            Features; a dask DataFrame may carry the query ids in a ``qid`` column.
        y : dask array or dask Series of shape (n_samples,)
            Relevance labels.
        qid : dask array or dask Series of shape (n_samples,)
            Query id of every row, chunked like ``X``; a query's rows are contiguous and
            lie in one row block.
        sample_weight : array-like of shape (n_groups,), optional
            One weight per query group (in memory: there are few).
        eval_set : list of (X, y) pairs of dask collections, optional
            Evaluated after every round; early stopping watches the last one.
        eval_qid : list of dask arrays, optional
            Query ids of each eval set (required with ``eval_set``).
        sample_weight_eval_set : list of array-like or None, optional
            Group weights of each eval set.
        verbose : bool or int, default=False
            Print the evaluation metrics every round (True) or every ``verbose`` rounds.

        Returns
        -------
        self
        """
        columns = getattr(X, "columns", None)
        if columns is not None and "qid" in list(columns):
            if qid is not None:
                raise ValueError("X has a 'qid' column and qid is given too; give the query "
                                 "ids once.")
            X, qid = X.drop(columns="qid"), X["qid"]
        if qid is None:
            raise ValueError("qid is required: the query id of every row (a dask array or "
                             "Series chunked like X), or a 'qid' column of X.")
        if sample_weight is not None and is_dask_collection(sample_weight):
            raise TypeError("sample_weight holds one weight per query group in ranking: "
                            "give it in memory (an array of n_groups weights).")
        self._fit_dask(X, y, sample_weight, eval_set, sample_weight_eval_set, verbose,
                       qid=qid, eval_qid=eval_qid)
        # As the single-node ranker: the fitted model keeps an objective without the
        # training groups, and no position biases.
        self._objective = self._make_objective()
        self.position_biases_ = None
        return self

    @reads_snapshot
    def predict(self, X, output_margin=False, iteration_range=None):
        """Relevance scores: a dask array for a dask collection, computed partition by
        partition with :meth:`to_local`'s model; an ndarray for in-memory X."""
        kwargs = {"output_margin": output_margin, "iteration_range": iteration_range}
        return self._dask_map(X, "predict", kwargs, None)
