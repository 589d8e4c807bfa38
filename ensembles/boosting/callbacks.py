"""Training callbacks: hooks around every boosting round.

A callback sees the model being trained and the evaluation log, and can stop training by
returning True from :meth:`TrainingCallback.after_iteration`. Early stopping and evaluation
logging are callbacks like any a user writes.

The evaluation log is a dict ``{data_name: {metric_name: [value per round]}}`` with data
names ``validation_0``, ``validation_1``, ... in ``eval_set`` order.
"""

import math
import warnings
from numbers import Integral, Real

import numpy as np


class TrainingCallback:
    """Base class of training callbacks; override the hooks you need.

    ``model`` is the model under construction: a copy of the estimator being fitted that
    holds the rounds grown so far (``n_iterations_``; it predicts with them). The
    estimator itself takes the new model only when ``fit`` returns, so a callback that
    raises (or a Ctrl-C) leaves it as it was before the fit.
    """

    def before_training(self, model):
        """Called once before the first round."""

    def after_iteration(self, model, iteration, evals_log):
        """Called after round ``iteration`` (0-based); return True to stop training."""
        return False

    def after_training(self, model):
        """Called once after the last round."""


class EvaluationMonitor(TrainingCallback):
    """Print the evaluation metrics every ``period`` rounds (and at the last round).

    Lines look like ``[10]\\tvalidation_0-logloss:0.41234``.
    """

    def __init__(self, period=1, printer=print):
        self.period = _positive_int("period", period)
        if not callable(printer):
            raise TypeError(f"printer must be callable (it is given each line), got "
                            f"{printer!r}.")
        self.printer = printer
        self._last = None

    def _line(self, iteration, evals_log):
        parts = [f"[{iteration}]"]
        for data_name, metrics in evals_log.items():
            for metric_name, values in metrics.items():
                parts.append(f"{data_name}-{metric_name}:{values[-1]:.5f}")
        return "\t".join(parts)

    def after_iteration(self, model, iteration, evals_log):
        """Print (or hold back, between periods) the round's metric line."""
        if not evals_log:
            return False
        line = self._line(iteration, evals_log)
        if iteration % self.period == 0:
            self.printer(line)
            self._last = None
        else:
            self._last = line
        return False

    def after_training(self, model):
        """Print the last round's line if the period skipped it."""
        if self._last is not None:
            self.printer(self._last)
            self._last = None


class EarlyStopping(TrainingCallback):
    """Stop when a metric has not improved for ``rounds`` rounds.

    Parameters
    ----------
    rounds : int
        Rounds without improvement that end training.
    metric_name : str, optional
        Metric to watch; default the last metric of the log.
    data_name : str, optional
        Evaluation set to watch; default the last one.
    maximize : bool, optional
        Whether larger is better; default taken from the metric (auc: True).
    min_delta : float, default=0
        Smallest change that counts as an improvement.

    Notes
    -----
    After every round the model's ``best_iteration`` and ``best_score`` hold the best so
    far; the estimators predict with the rounds up to ``best_iteration`` by default.

    A NaN metric value (a metric undefined on the round's predictions) never counts as an
    improvement, and a ``RuntimeWarning`` says so (once per fit): ``rounds`` NaN rounds in
    a row end training, as in XGBoost. Until a round scores, the fit's first round is the
    best one (its ``best_score`` NaN), as in XGBoost.
    """

    def __init__(self, rounds, metric_name=None, data_name=None, maximize=None, min_delta=0.0):
        self.rounds = _positive_int("early_stopping_rounds", rounds)
        if (isinstance(min_delta, bool) or not isinstance(min_delta, Real)
                or not (0 <= min_delta < math.inf)):
            raise ValueError(f"min_delta must be a finite number >= 0, got {min_delta!r}.")
        self.metric_name = metric_name
        self.data_name = data_name
        self.maximize = maximize
        self.min_delta = float(min_delta)

    def before_training(self, model):
        """Forget any previous fit."""
        self.best_score = None
        self.best_iteration = None
        self._stale = 0
        self._warned_nan = False

    def after_iteration(self, model, iteration, evals_log):
        """Record the round's score; return True once ``rounds`` rounds brought nothing."""
        if not evals_log:
            raise ValueError("Early stopping needs at least one data set in eval_set.")
        data_name = self.data_name or list(evals_log)[-1]
        if data_name not in evals_log:
            raise ValueError(f"No evaluation set named {data_name!r}; "
                             f"have {sorted(evals_log)}.")
        metrics = evals_log[data_name]
        metric_name = self.metric_name or list(metrics)[-1]
        if metric_name not in metrics:
            raise ValueError(f"No metric named {metric_name!r}; have {sorted(metrics)}.")
        score = metrics[metric_name][-1]
        maximize = self.maximize
        if maximize is None:
            maximize = model._metric_higher_is_better(metric_name)
        sign = 1.0 if maximize else -1.0
        if np.isnan(score):
            if not getattr(self, "_warned_nan", False):
                warnings.warn(f"Early stopping: {data_name}-{metric_name} is NaN at round "
                              f"{iteration}; a NaN never counts as an improvement, and "
                              f"training carries on.", RuntimeWarning, stacklevel=2)
                self._warned_nan = True
            if self.best_iteration is None:
                self.best_iteration = iteration  # the best until a round scores
            else:
                self._stale += 1
        elif self.best_score is None or sign * (score - self.best_score) > self.min_delta:
            self.best_score = float(score)
            self.best_iteration = iteration
            self._stale = 0
        else:
            self._stale += 1
        model.best_iteration = self.best_iteration
        model.best_score = np.nan if self.best_score is None else self.best_score
        return self._stale >= self.rounds


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be a positive integer, got {value!r}.")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)
