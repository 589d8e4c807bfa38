"""Show every benchmark plot that exists, or say how to make them.

``benchmarks/run.py`` writes its PNG plots to ``docs/_static/benchmarks/``; which ones
exist depends on the suites that have been run, so the benchmark page cannot list them by
name. The ``benchmark-figures`` directive finds them when the docs are built.

Usage::

    .. benchmark-figures:: _static/benchmarks
"""

from pathlib import Path

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

# Plot kinds written by the benchmark report, in the order they are shown, with captions.
_KINDS = {
    "fit-time": "fit time against training rows (log-log, one line per estimator)",
    "score": "test score per data set",
    "memory": "peak resident memory during the fit, and before it",
}


def _split(path):
    """(suite name, plot kind) of a file named ``<suite>-<kind>.png``; kind None if unknown."""
    for kind in _KINDS:
        if path.stem.endswith(f"-{kind}"):
            return path.stem[: -len(kind) - 1], kind
    return path.stem, None


def _caption(path):
    suite, kind = _split(path)
    return f"Suite '{suite}': {_KINDS[kind]}." if kind else f"{path.stem}."


def _order(path):
    suite, kind = _split(path)
    return suite, list(_KINDS).index(kind) if kind else len(_KINDS), path.name


class BenchmarkFigures(SphinxDirective):
    """One figure per PNG in a folder (relative to the document), in a stable order."""

    required_arguments = 1

    def run(self):
        """Return figure nodes, or a paragraph when the folder holds no plot."""
        rel, folder = self.env.relfn2path(self.arguments[0], self.env.docname)
        folder = Path(folder)
        pngs = sorted(folder.glob("*.png"), key=_order) if folder.is_dir() else []
        if not pngs:
            text = ("No benchmark plots yet: run a suite (for example "
                    "python benchmarks/run.py --suite quick) and rebuild the docs.")
            return [nodes.paragraph(text=text)]
        result = []
        for png in pngs:
            self.env.note_dependency(str(png))
            figure = nodes.figure()
            figure += nodes.image(uri=f"{self.arguments[0].rstrip('/')}/{png.name}",
                                  alt=_caption(png))
            figure += nodes.caption(text=_caption(png))
            result.append(figure)
        return result


def setup(app):
    """Register the ``benchmark-figures`` directive."""
    app.add_directive("benchmark-figures", BenchmarkFigures)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
