"""Fitted state published in one step, and interrupts that reach the caller.

Every public ``fit`` (and ``load_model``) works on a *staging copy* of the estimator: the
copy holds the estimator's parameters and, for a warm start, copies of its fitted
containers. The new fitted state is built on the copy only; when the fit succeeds the
estimator's attribute dictionary is replaced by the copy's in one assignment. So an
exception or a Ctrl-C anywhere inside a fit leaves the estimator exactly as it was
(unfitted after a failed first fit, the previous model after a failed refit), and a
thread predicting while another refits the same object reads either the whole old or
the whole new model: prediction methods read through :func:`snapshot`, which pins the
attribute dictionary of the moment (a publish never mutates a dictionary, it swaps it).
"""

import copy
import functools
from contextlib import contextmanager

import numpy as np

# Attributes that are configuration rather than fitted state although they are not
# constructor parameters: scikit-learn's set_output and metadata routing settings, and the
# callback context a Pipeline attaches to a step around its fit.
_CONFIG_PREFIXES = ("__", "_sklearn", "_metadata_request", "_parent_callback", "_skl_",
                    "_callback")


def _is_config(key, param_names):
    return key in param_names or key.startswith(_CONFIG_PREFIXES)


def staging_copy(estimator, keep_fitted=False):
    """A copy of ``estimator`` to fit on: its parameters and configuration, and (with
    ``keep_fitted``, for warm starts) shallow copies of its fitted attributes, so that
    changing the copy's lists, dicts and arrays in place never reaches the original."""
    param_names = set(estimator._get_param_names())
    state = {}
    for key, value in estimator.__dict__.items():
        if _is_config(key, param_names):
            state[key] = value
        elif keep_fitted:
            state[key] = (copy.copy(value) if isinstance(value, list | dict | set | np.ndarray)
                          else value)
    staged = object.__new__(type(estimator))
    staged.__dict__ = state
    return staged


def publish(estimator, staged):
    """Make ``staged``'s state the estimator's, in one assignment."""
    estimator.__dict__ = dict(staged.__dict__)


def snapshot(estimator):
    """An object of the estimator's class that reads the estimator's current state for the
    whole of one prediction, even if a concurrent fit publishes a new model meanwhile."""
    pinned = object.__new__(type(estimator))
    pinned.__dict__ = estimator.__dict__
    return pinned


@contextmanager
def interrupts_as_keyboard_interrupt():
    """Re-raise a Ctrl-C that surfaced as another exception.

    A SIGINT that arrives while numba boxes a kernel's results makes CPython report
    ``SystemError: ... returned a result with an exception set``, with the pending
    KeyboardInterrupt at the end of its chain of causes; one that arrives inside a lock's
    bookkeeping (a thread pool's ``submit``) can leave ``RuntimeError: release unlocked
    lock`` raised while the KeyboardInterrupt was being handled. The caller should see
    the KeyboardInterrupt.
    """
    try:
        yield
    except (SystemError, RuntimeError) as exc:
        interrupt = _interrupt_behind(exc)
        if interrupt is not None:
            raise interrupt from None
        raise


def _interrupt_behind(exc):
    """The KeyboardInterrupt in the chain of causes and contexts of ``exc``, if any
    (numba's own helpers, ``_numba_unpickle``, may wrap it several times)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ if exc.__cause__ is not None else exc.__context__
    return None


def _aside(method, warm_start):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        keep = warm_start and bool(getattr(self, "warm_start", False))
        staged = staging_copy(self, keep_fitted=keep)
        with interrupts_as_keyboard_interrupt():
            result = method(staged, *args, **kwargs)
        publish(self, staged)
        return self if result is staged else result

    return wrapper


def fits_aside(method):
    """Decorate a fitting method (``fit``, ``fit_transform``) so that it runs on a staging
    copy and publishes the copy's state only when it returns.

    The method's return value is passed on, with the staging copy replaced by the
    estimator itself (so ``fit`` still returns ``self``). A warm start (a true
    ``warm_start`` parameter) begins from copies of the fitted attributes.
    """
    return _aside(method, warm_start=True)


def loads_aside(method):
    """Decorate ``load_model`` like :func:`fits_aside`, always from an unfitted copy: a
    rejected file leaves the estimator untouched, parameters included."""
    return _aside(method, warm_start=False)


def reads_snapshot(method):
    """Decorate a prediction method so that it reads one consistent fitted state (see
    :func:`snapshot`) and lets a Ctrl-C surface as KeyboardInterrupt."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with interrupts_as_keyboard_interrupt():
            return method(snapshot(self), *args, **kwargs)

    return wrapper
