"""Run example scripts during the docs build and show their code, output and figures.

The ``example`` directive takes the path of a plain Python script (relative to the
document). The script's docstring becomes the introduction (it is reStructuredText) and
the rest of its source is shown as code. The script runs in a fresh interpreter from the
repository root, as a reader would run it, with matplotlib's non-interactive backend;
whatever it prints becomes the output block, and every figure still open at its end is
saved and shown below it. A script that fails (non-zero exit, or longer than
``:timeout:`` seconds) fails the build with its traceback, so a broken example cannot
reach the published docs.

An example that reads data files names them in ``:data:`` (paths relative to the
repository root, separated by spaces); where one is missing the example is shown but not
run, with a note saying so, so that a checkout without the shared data still builds.

Setting the environment variable ``ENSEMBLES_DOCS_SKIP_EXAMPLES=1`` shows every example
without running it, for quick rebuilds while writing prose.

Usage::

    .. example:: early_stopping.py
       :data: ../shared/datasets/higgs7k.train
       :timeout: 120
"""

import ast
import os
import subprocess
import sys
import time
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

# Runs in the child interpreter: argv = [script, figure folder, figure stem].
_CHILD = """
import runpy, sys
from pathlib import Path
script, folder, stem = sys.argv[1:4]
try:
    import matplotlib
except ImportError:
    plt = None
else:
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.show = lambda *args, **kwargs: None  # figures are collected below instead
sys.argv = [script]
runpy.run_path(script, run_name="__main__")
if plt is not None:
    for i, number in enumerate(plt.get_fignums()):
        plt.figure(number).savefig(Path(folder) / f"{stem}-{i}.png", dpi=100,
                                   bbox_inches="tight")
"""


class ExampleDirective(SphinxDirective):
    """Show a script's source, run it, then show its output and figures."""

    required_arguments = 1
    option_spec = {"timeout": directives.positive_int, "data": directives.unchanged}

    def run(self):
        """Execute the script and return the nodes that present it."""
        _, path = self.env.relfn2path(self.arguments[0], self.env.docname)
        script = Path(path)
        if not script.is_file():
            raise self.error(f"example script not found: {script}")
        self.env.note_dependency(str(script))
        intro, source = self._split_docstring(script.read_text(encoding="utf-8"))
        code = nodes.literal_block(source, source, language="python")
        root = Path(self.env.srcdir).parent
        missing = [name for name in self.options.get("data", "").split()
                   if not (root / name).is_file()]
        reason = None
        if os.environ.get("ENSEMBLES_DOCS_SKIP_EXAMPLES"):
            reason = "This build skipped the examples, so the output is not shown here."
        elif missing:
            reason = (f"This build did not have the data this example reads "
                      f"({', '.join(missing)}), so its output is not shown here.")
        if reason:
            logger.info(f"example {script.name} not run: {reason}")
            note = nodes.note()
            note += nodes.paragraph(text=reason)
            return [*intro, code, note]
        folder = Path(self.env.app.doctreedir) / "example_figures"
        folder.mkdir(parents=True, exist_ok=True)
        stem = script.stem
        for old in folder.glob(f"{stem}-*.png"):
            old.unlink()

        timeout = self.options.get("timeout", 120)
        env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1"}
        start = time.perf_counter()
        try:
            done = subprocess.run(
                [sys.executable, "-c", _CHILD, str(script), str(folder), stem],
                cwd=root, env=env, capture_output=True, text=True, timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise self.error(f"example {script.name} ran longer than {timeout} s") from None
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise self.error(f"example {script.name} failed (exit {done.returncode}):\n"
                             f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}")

        result = [*intro, code]
        output = (done.stdout + done.stderr).rstrip()
        if output:
            result.append(nodes.rubric(text="Output"))
            result.append(nodes.literal_block(output, output, language="none"))
        doc_dir = Path(self.env.doc2path(self.env.docname)).parent
        figures = sorted(folder.glob(f"{stem}-*.png"), key=lambda p: int(p.stem.rsplit("-")[-1]))
        if figures:
            result.append(nodes.rubric(text="Figures" if len(figures) > 1 else "Figure"))
        for i, figure in enumerate(figures, 1):
            uri = os.path.relpath(figure, doc_dir).replace(os.sep, "/")
            result.append(nodes.image(uri=uri, alt=f"Figure {i} of {script.name}"))
        note = f"The script ran in {seconds:.1f} s when these docs were built."
        result.append(nodes.paragraph(text=note, classes=["example-timing"]))
        return result


    def _split_docstring(self, source):
        """Parse the module docstring into nodes; return them and the code after it."""
        body = ast.parse(source).body
        first = body[0] if body else None
        if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)):
            return [], source
        container = nodes.container()
        text = ast.get_docstring(ast.Module(body=[first], type_ignores=[]))
        self.state.nested_parse(StringList(text.splitlines(), self.arguments[0]), 0, container)
        code = "\n".join(source.splitlines()[first.end_lineno:]).strip("\n") + "\n"
        return list(container.children), code


def setup(app):
    """Register the ``example`` directive."""
    app.add_directive("example", ExampleDirective)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
