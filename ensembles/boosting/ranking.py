"""Learning to rank: LambdaMART objectives and ranking metrics with XGBoost's semantics.

Rows come in query groups, described by a *group pointer*: ``group_ptr[g]:group_ptr[g+1]``
are the rows of group ``g`` (rows of one query are contiguous). Sample weights are per
group, as in XGBoost; inside this module they arrive as row weights that are constant
within each group (the estimator expands them), and the weight of a group is that of its
first row.

The objectives (``rank:pairwise``, ``rank:ndcg``, ``rank:map``) compute LambdaMART's
gradients: for each pair of documents with different labels, the RankNet logistic loss of
their score difference, scaled by the change of the ranking metric (NDCG or MAP; 1 for
``rank:pairwise``) when the two swap places in the model's ranking. Pairs are built as
XGBoost builds them:

* ``lambdarank_pair_method="topk"``: every document among the model's top ``k`` (``k =
  lambdarank_num_pair_per_sample``, default 32) is paired with every document ranked below
  it; the metric changes are those of ``ndcg@k``;
* ``"mean"``: every document is paired with ``lambdarank_num_pair_per_sample`` (default 1)
  documents of other labels drawn at random.

Each group's gradients are then normalized (``lambdarank_normalization``; by
``log2(1 + s) / s`` with ``s`` the group's summed lambdas for top-k, by the number of pairs
per sample for mean) and the metric changes divided by the score difference plus 0.01
(``lambdarank_score_normalization``). ``lambdarank_unbiased`` estimates position biases from
the click positions (the input order inside a group) as Unbiased LambdaMART does.
"""

import numpy as np

from .._engine import compiled_only
from .._engine.jit import njit
from .._threads import run_parallel, weighted_sum
from .metrics import Metric
from .objectives import Objective

__all__ = ["RankingMetric", "RankingObjective", "group_pointer", "make_ranking_metric"]

RANKING_OBJECTIVES = ("rank:pairwise", "rank:ndcg", "rank:map")
PAIR_METHODS = ("topk", "mean")
# XGBoost's defaults of lambdarank_num_pair_per_sample for each pair method.
DEFAULT_TOPK = 32
DEFAULT_MEAN_PAIRS = 1
# Position biases are tracked for this many positions at most without truncation.
_MAX_TRACKED_POSITIONS = 32
# Exponential gains 2**y - 1 need integer relevance degrees up to this one.
MAX_RELEVANCE = 31
_EPS = 1e-16
_KIND = {"rank:pairwise": 0, "rank:ndcg": 1, "rank:map": 2}


def group_pointer(n_samples, qid=None, group=None, what="qid"):
    """Group pointer of ``n_samples`` rows from query ids or group sizes.

    Parameters
    ----------
    n_samples : int
    qid : array-like of shape (n_samples,), optional
        Query id of every row; the rows of a query must be contiguous.
    group : array-like of shape (n_groups,), optional
        Sizes of the consecutive groups (XGBoost's ``group``).
    what : str
        Name of the argument, for error messages.

    Returns
    -------
    ndarray of int64, shape (n_groups + 1,)
    """
    if qid is not None and group is not None:
        raise ValueError(f"Give either {what} or group sizes, not both.")
    if qid is None and group is None:
        raise ValueError("A ranker needs the query groups: pass qid (the query id of every "
                         "row) or group (the sizes of consecutive groups).")
    if group is not None:
        sizes = np.asarray(group)
        if sizes.ndim != 1 or sizes.size == 0 or not np.issubdtype(sizes.dtype, np.number):
            raise ValueError("group must be a non-empty 1-D array of group sizes.")
        if np.any(sizes != np.round(sizes)) or np.any(sizes < 1):
            raise ValueError("group must hold positive integer group sizes.")
        sizes = sizes.astype(np.int64)
        if sizes.sum() != n_samples:
            raise ValueError(f"The group sizes sum to {int(sizes.sum())}, but X has "
                             f"{n_samples} rows.")
        return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    qid = np.asarray(qid)
    if qid.ndim != 1 or qid.shape[0] != n_samples:
        raise ValueError(f"{what} must have one query id per row ({n_samples}), got shape "
                         f"{qid.shape}.")
    if n_samples == 0:
        return np.zeros(1, dtype=np.int64)
    if qid.dtype.kind == "f" and np.isnan(qid).any():
        raise ValueError(f"{what} holds NaN; every row needs a query id.")
    change = np.flatnonzero(qid[1:] != qid[:-1]) + 1
    starts = np.concatenate([[0], change])
    if np.unique(qid[starts]).size != starts.size:
        raise ValueError(f"The rows of each query must be contiguous in X (as XGBoost "
                         f"requires; sorting by {what} does it): a query id appears in "
                         f"separate runs of rows. Sort X, y and {what} by {what}, e.g. "
                         f"order = np.argsort({what}, kind='stable').")
    return np.concatenate([starts, [n_samples]]).astype(np.int64)


def _check_group_ptr(group_ptr, n):
    if group_ptr is None:
        return np.array([0, n], dtype=np.int64)
    group_ptr = np.asarray(group_ptr, dtype=np.int64)
    if group_ptr[0] != 0 or group_ptr[-1] != n or np.any(np.diff(group_ptr) < 0):
        raise ValueError(f"group_ptr must rise from 0 to the number of rows ({n}).")
    return group_ptr


def _group_weights(sample_weight, group_ptr):
    if sample_weight is None:
        return np.ones(group_ptr.size - 1)
    w = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
    return w[group_ptr[:-1]] if w.size else np.ones(0)


def check_ranking_labels(y, name, exp_gain):
    """Raise ValueError for labels outside the domain of NDCG (exponential gain) or MAP."""
    y = np.asarray(y, dtype=np.float64)
    if not np.all(np.isfinite(y)):
        raise ValueError("Relevance labels must be finite.")
    if name in ("map", "pre", "rank:map"):
        if not np.all((y == 0) | (y == 1)):
            raise ValueError(f"{name} needs binary relevance labels (0 or 1).")
    elif exp_gain and (np.any(y < 0) or np.any(y != np.floor(y)) or np.any(y > MAX_RELEVANCE)):
        raise ValueError(f"With ndcg_exp_gain=True (gain 2**label - 1) relevance labels "
                         f"must be integers in [0, {MAX_RELEVANCE}]; set ndcg_exp_gain=False "
                         f"to use the label itself as the gain.")


@njit(cache=True, nogil=True)
def _gain(label, exp_gain):
    return 2.0 ** label - 1.0 if exp_gain else label


@njit(cache=True, nogil=True)
def _sigmoid(x):
    if x >= 0:
        return 1.0 / (1.0 + np.exp(-x))
    e = np.exp(x)
    return e / (1.0 + e)


@compiled_only
def _minstd(state):
    return (state * 48271) % 2147483647


@njit(cache=True, nogil=True)
def _lambda_groups(g0, g1, kind, y, pred, group_ptr, group_ids, gweight, w_norm, truncation,
                   n_pairs, seed, exp_gain, score_norm, normalize, unbiased, ti_plus,
                   tj_minus, inv_idcg, grad, hess, li_full, lj_full):
    """LambdaMART gradients of groups ``g0:g1`` into ``grad``/``hess`` (zeroed rows).
    ``group_ids`` number the groups for the pair sampling's keys (their index in the whole
    training set, when these are a worker's share of it)."""
    k_pos = ti_plus.size
    for g in range(g0, g1):
        b = group_ptr[g]
        cnt = group_ptr[g + 1] - b
        if cnt < 2:
            continue
        order = np.argsort(-pred[b:b + cnt], kind="mergesort")
        best = pred[b + order[0]]
        worst = pred[b + order[cnt - 1]]
        n_rel = np.zeros(cnt)
        acc = np.zeros(cnt)
        if kind == 2:
            run_rel = 0.0
            run_acc = 0.0
            for r in range(cnt):
                lab = y[b + order[r]]
                run_rel += lab
                run_acc += lab / (r + 1.0)
                n_rel[r] = run_rel
                acc[r] = run_acc
        # The pairs, as rank positions (a, b) in the model's ranking.
        if truncation:
            top = min(cnt, n_pairs)
            n_list = 0
            for i in range(top):
                n_list += cnt - i - 1
            pa = np.empty(n_list, dtype=np.int64)
            pb = np.empty(n_list, dtype=np.int64)
            p = 0
            for i in range(top):
                for j in range(i + 1, cnt):
                    pa[p] = i
                    pb[p] = j
                    p += 1
        else:
            ranked_y = np.empty(cnt)
            for r in range(cnt):
                ranked_y[r] = y[b + order[r]]
            by_label = np.argsort(-ranked_y, kind="mergesort")
            pa = np.empty(cnt * n_pairs, dtype=np.int64)
            pb = np.empty(cnt * n_pairs, dtype=np.int64)
            p = 0
            state = (seed + group_ids[g]) % 2147483647
            if state == 0:
                state = 1
            i = 0
            while i < cnt:
                j = i + 1
                while j < cnt and ranked_y[by_label[j]] == ranked_y[by_label[i]]:
                    j += 1
                n_out = i + cnt - j
                if n_out > 0:
                    for _ in range(n_pairs):
                        for q in range(i, j):
                            state = _minstd(state)
                            r = state % n_out
                            if r >= i:
                                r = r - i + j
                            pa[p] = by_label[q]
                            pb[p] = by_label[r]
                            p += 1
                i = j
            pa = pa[:p]
            pb = pb[:p]
        sum_lambda = 0.0
        for q in range(pa.size):
            rh = pa[q]
            rl = pb[q]
            y_h = y[b + order[rh]]
            y_l = y[b + order[rl]]
            if y_h == y_l:
                continue
            if y_h < y_l:
                rh, rl = rl, rh
                y_h, y_l = y_l, y_h
            ih = order[rh]
            il = order[rl]
            s_h = pred[b + ih]
            s_l = pred[b + il]
            if kind == 0:
                delta = 1.0
            elif kind == 1:
                d_h = 1.0 / np.log2(rh + 2.0)
                d_l = 1.0 / np.log2(rl + 2.0)
                g_h = _gain(y_h, exp_gain)
                g_l = _gain(y_l, exp_gain)
                delta = abs((g_h * d_h + g_l * d_l - g_l * d_h - g_h * d_l) * inv_idcg[g])
            else:
                # Change of average precision when the documents at ranks a < c swap.
                a, c, ya, yc = rh, rl, y_h, y_l
                if a > c:
                    a, c, ya, yc = c, a, y_l, y_h
                m = n_rel[c]
                n = n_rel[a]
                total = n_rel[cnt - 1]
                between = acc[c - 1] - acc[a]
                if ya < yc:
                    delta = (m / (c + 1.0) - (n + 1.0) / (a + 1.0) - between) / total
                else:
                    delta = (n / (a + 1.0) - m / (c + 1.0) + between) / total
                delta = abs(delta)
            if score_norm and best != worst:
                delta /= abs(s_h - s_l) + 0.01
            sig = _sigmoid(s_h - s_l)
            lam = (sig - 1.0) * delta
            h = max(sig * (1.0 - sig), _EPS) * delta * 2.0
            if unbiased:
                cost = -np.log(max(1.0 - sig, 1e-300)) * delta
                if ih < k_pos and il < k_pos:
                    if tj_minus[il] >= _EPS and ti_plus[ih] >= _EPS:
                        lam /= ti_plus[ih] * tj_minus[il]
                        h /= ti_plus[ih] * tj_minus[il]
                    if tj_minus[il] >= _EPS:
                        li_full[b + ih] += cost / tj_minus[il]
                    if ti_plus[ih] >= _EPS:
                        lj_full[b + il] += cost / ti_plus[ih]
            grad[b + ih] += lam
            grad[b + il] -= lam
            hess[b + ih] += h
            hess[b + il] += h
            sum_lambda += -2.0 * lam
        norm = 1.0
        if normalize:
            if not truncation:
                norm = 1.0 / n_pairs
            elif sum_lambda > 0.0:
                norm = np.log2(1.0 + sum_lambda) / sum_lambda
        scale = norm * gweight[g] * w_norm
        for i in range(b, b + cnt):
            grad[i] *= scale
            hess[i] *= scale


def _inv_idcg(y, group_ptr, topk, exp_gain):
    out = np.zeros(group_ptr.size - 1)
    for g in range(out.size):
        labels = np.sort(y[group_ptr[g]:group_ptr[g + 1]])[::-1][:topk]
        gains = 2.0 ** labels - 1.0 if exp_gain else labels
        idcg = float(np.sum(gains / np.log2(np.arange(labels.size) + 2.0)))
        out[g] = 1.0 / idcg if idcg != 0 else 0.0
    return out


class RankingObjective(Objective):
    """LambdaMART objective ``rank:pairwise``, ``rank:ndcg`` or ``rank:map``.

    Parameters
    ----------
    name : {"rank:pairwise", "rank:ndcg", "rank:map"}
    group_ptr : ndarray or None
        Groups of the training rows (None: an objective used only to predict).
    pair_method : {"topk", "mean"}
    num_pair_per_sample : int or None
        Truncation level (topk) or pairs per document (mean); None for XGBoost's default.
    unbiased : bool
        Estimate position biases (Unbiased LambdaMART).
    bias_norm : float
        Lp regularization of the position biases.
    exp_gain : bool
        NDCG gain ``2**label - 1`` (True) or ``label``.
    normalization, score_normalization : bool
        XGBoost's ``lambdarank_normalization`` and ``lambdarank_score_normalization``.
    seed : int
        Seed of the pair sampling of the mean method.
    """

    refresh_quantile = None
    rowwise = False  # a group's gradients depend on all its rows

    def __init__(self, name, group_ptr=None, *, pair_method="topk", num_pair_per_sample=None,
                 unbiased=False, bias_norm=1.0, exp_gain=True, normalization=True,
                 score_normalization=True, seed=0):
        if name not in RANKING_OBJECTIVES:
            raise ValueError(f"objective must be one of {RANKING_OBJECTIVES}, got {name!r}.")
        if pair_method not in PAIR_METHODS:
            raise ValueError(f"lambdarank_pair_method must be 'topk' or 'mean', got "
                             f"{pair_method!r}.")
        self.name = name
        self.group_ptr = group_ptr
        self.pair_method = pair_method
        default = DEFAULT_TOPK if pair_method == "topk" else DEFAULT_MEAN_PAIRS
        self.num_pair = int(default if num_pair_per_sample is None else num_pair_per_sample)
        self.unbiased = bool(unbiased)
        self.bias_norm = float(bias_norm)
        self.exp_gain = bool(exp_gain)
        self.normalization = bool(normalization)
        self.score_normalization = bool(score_normalization)
        self._rng = np.random.default_rng(seed)
        self._inv_idcg = None
        self._ti_plus = self._tj_minus = None
        # Set on a worker's share of a distributed fit (see :meth:`for_shard`): the
        # groups' indices in the whole training set, the normalization of the whole set's
        # group weights, and the round's pair-sampling seed drawn by the client.
        self._group_ids = None
        self._w_norm = None
        self.round_seed = None
        base = "map" if name == "rank:map" else "ndcg"
        self.default_metric = (f"{base}@{self.num_pair}" if pair_method == "topk" else base)

    @property
    def topk(self):
        """Truncation level of the metric changes (None for the mean method)."""
        return self.num_pair if self.pair_method == "topk" else None

    def _check_target(self, y):
        check_ranking_labels(y, self.name, self.exp_gain)

    def base_margin(self, y, sample_weight):
        # A constant shift leaves every ranking unchanged; XGBoost's ranking margin starts
        # at zero as well.
        return np.zeros(1)

    def position_biases(self):
        """``(ti_plus, tj_minus)``: the estimated position biases of relevant and irrelevant
        documents (unbiased LambdaMART), or None before training or when not estimated."""
        if self._ti_plus is None:
            return None
        return self._ti_plus.copy(), self._tj_minus.copy()

    def next_seed(self):
        """The pair-sampling seed of the next round, drawn as :meth:`gradient` draws it
        (0 for the top-k method, which samples nothing)."""
        if self.pair_method == "topk":
            return 0
        return int(self._rng.integers(1, 2**31 - 1))

    def for_shard(self, group_ptr, group_ids, w_norm):
        """A copy for a share of the training groups (a Dask worker's): ``group_ptr`` of
        its rows, ``group_ids`` the groups' indices in the whole training set, ``w_norm``
        the whole set's group-weight normalization (groups / weight sum). Its gradients
        are those of the whole set's objective on these rows, given each round's seed in
        ``round_seed``."""
        if self.unbiased:
            raise ValueError("lambdarank_unbiased estimates position biases from every "
                             "query at once; a share of the queries cannot.")
        shard = RankingObjective(
            self.name, np.asarray(group_ptr, dtype=np.int64), pair_method=self.pair_method,
            num_pair_per_sample=self.num_pair, exp_gain=self.exp_gain,
            normalization=self.normalization, score_normalization=self.score_normalization)
        shard._group_ids = np.asarray(group_ids, dtype=np.int64)
        shard._w_norm = float(w_norm)
        return shard

    def gradient(self, y, raw, sample_weight):
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        n = y.shape[0]
        pred = self._margins(raw, n)[:, 0].copy()
        group_ptr = _check_group_ptr(self.group_ptr, n)
        n_groups = group_ptr.size - 1
        gweight = _group_weights(sample_weight, group_ptr)
        w_norm = self._w_norm
        if w_norm is None:
            w_norm = n_groups / gweight.sum() if gweight.sum() > 0 else 0.0
        group_ids = (np.arange(n_groups, dtype=np.int64) if self._group_ids is None
                     else self._group_ids)
        truncation = self.pair_method == "topk"
        if self._inv_idcg is None or self._inv_idcg.size != n_groups:
            top = self.num_pair if truncation else n
            self._inv_idcg = _inv_idcg(y, group_ptr, top, self.exp_gain)
        sizes = np.diff(group_ptr)
        if self.unbiased and self._ti_plus is None:
            k = self.num_pair if truncation else min(int(sizes.max(initial=0)),
                                                      _MAX_TRACKED_POSITIONS)
            self._ti_plus = np.ones(k)
            self._tj_minus = np.ones(k)
        ti_plus = self._ti_plus if self.unbiased else np.ones(0)
        tj_minus = self._tj_minus if self.unbiased else np.ones(0)
        li_full = np.zeros(n if self.unbiased else 0)
        lj_full = np.zeros(n if self.unbiased else 0)
        seed = self.next_seed() if self.round_seed is None else self.round_seed
        grad = np.zeros(n)
        hess = np.zeros(n)
        run_parallel(_lambda_groups, n_groups, _KIND[self.name], y, pred, group_ptr,
                     group_ids, gweight, float(w_norm), truncation, self.num_pair, seed,
                     self.exp_gain, self.score_normalization, self.normalization,
                     self.unbiased, ti_plus, tj_minus, self._inv_idcg, grad, hess, li_full,
                     lj_full, weights=sizes.astype(np.float64) ** 2, min_weight=1e5)
        if self.unbiased:
            self._update_position_bias(group_ptr, li_full, lj_full)
        return grad[:, None], hess[:, None]

    def _update_position_bias(self, group_ptr, li_full, lj_full):
        k = self._ti_plus.size
        li = np.zeros(k)
        lj = np.zeros(k)
        for g in range(group_ptr.size - 1):
            b, e = group_ptr[g], group_ptr[g + 1]
            m = min(e - b, k)
            li[:m] += li_full[b:b + m]
            lj[:m] += lj_full[b:b + m]
        power = 1.0 / (1.0 + self.bias_norm)
        if li[0] >= _EPS:
            self._ti_plus = (li / li[0]) ** power
        if lj[0] >= _EPS:
            self._tj_minus = (lj / lj[0]) ** power


# ---------------------------------------------------------------------- metrics
@njit(cache=True, nogil=True)
def _rank_metric_groups(kind, y, pred, group_ptr, topk, exp_gain, minus, out):
    """Per-group NDCG (kind 0), average precision (1) or precision (2) at ``topk``."""
    for g in range(group_ptr.size - 1):
        b = group_ptr[g]
        cnt = group_ptr[g + 1] - b
        if cnt == 0:
            out[g] = 0.0 if minus else 1.0
            continue
        order = np.argsort(-pred[b:b + cnt], kind="mergesort")
        n = min(cnt, topk)
        if kind == 0:
            ideal = np.sort(y[b:b + cnt])[::-1]
            idcg = 0.0
            dcg = 0.0
            for i in range(n):
                disc = 1.0 / np.log2(i + 2.0)
                idcg += _gain(ideal[i], exp_gain) * disc
                dcg += _gain(y[b + order[i]], exp_gain) * disc
            out[g] = dcg / idcg if idcg > 0 else (0.0 if minus else 1.0)
        elif kind == 1:
            hits = 0.0
            ap = 0.0
            for i in range(n):
                lab = y[b + order[i]]
                hits += lab
                ap += hits / (i + 1.0) * lab
            for i in range(n, cnt):
                hits += y[b + order[i]]
            out[g] = ap / min(hits, topk) if hits > 0 else (0.0 if minus else 1.0)
        else:
            hits = 0.0
            for i in range(n):
                hits += y[b + order[i]]
            out[g] = hits / n


class RankingMetric(Metric):
    """``ndcg``, ``map`` or ``pre`` of the model's ranking in each query group, averaged
    over the groups (weighted by the group weights).

    ``name@k`` truncates at the top ``k`` documents; a trailing ``-`` (``ndcg@10-``) scores
    a group without relevant documents 0 instead of 1. NDCG ranks ties in input order
    (XGBoost ignores ties too); MAP and precision take binary labels.

    Called as ``metric(y, scores, sample_weight=None, group_ptr=None)``; without
    ``group_ptr`` all rows form one query.
    """

    needs_groups = True

    def __init__(self, base, topk=None, minus=False, exp_gain=True):
        name = base if topk is None else f"{base}@{topk}"
        super().__init__(name + ("-" if minus else ""), higher_is_better=True)
        self.base = base
        self.topk = topk
        self.minus = bool(minus)
        self.exp_gain = bool(exp_gain)

    def __call__(self, y, pred, sample_weight=None, group_ptr=None):
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        pred = np.asarray(pred, dtype=np.float64)
        if pred.ndim == 2 and pred.shape[1] == 1:
            pred = pred[:, 0]
        if pred.shape != y.shape:
            raise ValueError(f"metric {self.name!r}: y has shape {y.shape} but the scores "
                             f"have shape {pred.shape}.")
        check_ranking_labels(y, self.base, self.exp_gain)
        group_ptr = _check_group_ptr(group_ptr, y.size)
        w = _group_weights(sample_weight, group_ptr)
        if np.any(w < 0) or not w.sum() > 0:
            raise ValueError("Group weights must be non-negative with a positive sum.")
        kind = {"ndcg": 0, "map": 1, "pre": 2}[self.base]
        out = np.empty(group_ptr.size - 1)
        topk = y.size + 1 if self.topk is None else self.topk
        _rank_metric_groups(kind, y, np.ascontiguousarray(pred), group_ptr, topk,
                            self.exp_gain, self.minus, out)
        return float(min(weighted_sum(out, w) / w.sum(), 1.0))


def make_ranking_metric(spec, exp_gain=True):
    """A :class:`RankingMetric` from a name ``ndcg``, ``map``, ``pre``, optionally with
    ``@k`` and a trailing ``-`` (``ndcg@10``, ``map@5-``)."""
    base, at, param = spec.partition("@")
    minus = False
    if at and param.endswith("-"):
        param, minus = param[:-1], True
    elif not at and base.endswith("-"):
        base, minus = base[:-1], True
    if base not in ("ndcg", "map", "pre"):
        raise ValueError(f"{spec!r} is not a ranking metric (ndcg, map, pre, with @k).")
    topk = None
    if at:
        if not param.isdigit() or int(param) < 1:
            raise ValueError(f"eval_metric {spec!r}: the cut-off after '@' must be a "
                             f"positive integer.")
        topk = int(param)
    return RankingMetric(base, topk, minus, exp_gain)
