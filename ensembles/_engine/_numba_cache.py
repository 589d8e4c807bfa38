"""Where numba caches the compiled kernels, on installs where it cannot by itself.

Every kernel is compiled with ``cache=True``, which numba refuses at import time ("cannot
cache function ...: no locator available") when neither the package's ``__pycache__``
folders nor the user's cache directory are writable and ``NUMBA_CACHE_DIR`` is not set: a
read-only install run by a user without a writable home, as in locked-down containers.
Then the kernels are cached in a temporary directory for this process, with one warning.
"""

import atexit
import shutil
import tempfile
import warnings

import numba


def _probe():
    return 0


def ensure_cache_location():
    """Point numba's cache at a temporary directory if it has nowhere to cache this
    package's kernels; returns that directory, or None when numba's own locations work."""
    try:
        # Decorating runs numba's search for a cache location (compilation is lazy).
        numba.njit(cache=True)(_probe)
        return None
    except RuntimeError as exc:
        if "no locator available" not in str(exc):
            raise
    directory = tempfile.mkdtemp(prefix="ensembles-numba-cache-")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    numba.config.CACHE_DIR = directory
    warnings.warn(
        f"ensembles: numba cannot cache compiled kernels next to the installed package or "
        f"in the user's cache directory (neither is writable), so they are cached in "
        f"{directory} for this process and compiled again by every new process (seconds "
        f"per first call). Set the NUMBA_CACHE_DIR environment variable to a writable "
        f"directory to keep them.",
        RuntimeWarning, stacklevel=3,
    )
    return directory
