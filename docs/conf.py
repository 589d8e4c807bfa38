"""Sphinx configuration of the ensembles documentation.

Build from the repository root with warnings as errors::

    python -m sphinx -W --keep-going -b html docs docs/_build/html
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The library from this checkout, even where it is not installed; the example runner.
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE / "_ext"))

import ensembles  # noqa: E402

project = "ensembles"
author = "the ensembles developers"
copyright = "the ensembles developers"
release = ensembles.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "example_runner",
    "benchmark_figures",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}

exclude_patterns = ["_build"]
templates_path = []
html_static_path = ["_static"]
html_css_files = ["custom.css"]

# API reference: the class docstrings are numpydoc; autodoc lists the methods, so numpydoc
# need not add its own member tables (which would want a page per method).
autosummary_generate = False
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_xref_param_type = False

html_theme = "pydata_sphinx_theme"
html_title = f"ensembles {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "getting_started": [], "migration": [], "model_format": [],
                 "benchmarks": []}
html_show_sourcelink = False


def _skip_foreign_members(app, what, name, obj, skip, options):
    """Document inherited methods only where this library defines them.

    Estimators inherit ``get_params``, ``score``, metadata-routing and ``set_output``
    methods from scikit-learn; those are scikit-learn's to document (and their docstrings
    point into scikit-learn's own docs), so they are left out of ours.
    """
    if what != "class":
        return skip
    target = obj.fget if isinstance(obj, property) else obj
    module = getattr(target, "__module__", None) or ""
    if not module.startswith("ensembles"):
        return True
    return skip


def setup(app):
    """Hook the member filter into autodoc."""
    app.connect("autodoc-skip-member", _skip_foreign_members)
