"""``rackplan-exec``: run a block of Python while the docs build, show it, what it printed
and the figures it drew.

The blocks of one page share one namespace, in page order, so a later block uses what an
earlier one computed. Matplotlib runs on the Agg backend; every figure open at the end of a
block is saved as a PNG next to the doctrees and shown under the block, then closed. An
exception, or a Python warning raised by the code, fails the build with the page and line.
No Jupyter kernel: the code runs in the Sphinx process.

MyST usage::

    ```{rackplan-exec}
    import rackplan
    print(rackplan.size().rack_count)
    ```
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import traceback
import warnings

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective

_NS_KEY = "rackplan_exec_namespace"


class RackplanExec(SphinxDirective):
    has_content = True
    option_spec = {"hide-code": directives.flag, "figwidth": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        code = "\n".join(self.content)
        ns = self.env.temp_data.setdefault(_NS_KEY, {"__name__": "__rackplan_docs__"})
        where = f"{self.env.docname}:{self.lineno}"
        out = io.StringIO()
        plt.close("all")
        with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out):
            warnings.simplefilter("always")
            try:
                exec(compile(code, f"<{where}>", "exec"), ns)
            except Exception as exc:
                raise ExtensionError(f"rackplan-exec: {where}: the code failed:\n"
                                     + traceback.format_exc()) from exc
        # Python warnings from the libraries' own imports are not the example's business;
        # those raised by rackplan or by the page's code are.
        ours = [w for w in caught if "rackplan" in (w.filename or "") or w.filename.startswith("<")]
        if ours:
            text = "; ".join(f"{w.category.__name__}: {w.message}" for w in ours)
            raise ExtensionError(f"rackplan-exec: {where}: the code warned: {text}")

        result: list[nodes.Node] = []
        if "hide-code" not in self.options:
            block = nodes.literal_block(code, code)
            block["language"] = "python"
            result.append(block)
        printed = out.getvalue()
        if printed.strip():
            block = nodes.literal_block(printed, printed.rstrip("\n"))
            block["language"] = "text"
            block["classes"].append("rackplan-exec-output")
            result.append(block)
        result.extend(self._figures(plt, code))
        return result

    def _figures(self, plt, code: str) -> list[nodes.Node]:
        folder = os.path.join(self.env.app.doctreedir, "rackplan_exec")
        os.makedirs(folder, exist_ok=True)
        digest = hashlib.sha1(f"{self.env.docname}\n{code}".encode()).hexdigest()[:12]
        figures = []
        for i, num in enumerate(plt.get_fignums()):
            fig = plt.figure(num)
            name = f"{self.env.docname.replace('/', '-')}-{digest}-{i}.png"
            path = os.path.join(folder, name)
            fig.savefig(path, dpi=110, bbox_inches="tight")
            plt.close(fig)
            # an image path starting with "/" is read relative to the source folder
            rel = os.path.relpath(path, self.env.srcdir).replace(os.sep, "/")
            image = nodes.image(uri="/" + rel, alt=f"figure {i + 1} of the block above")
            if "figwidth" in self.options:
                image["width"] = self.options["figwidth"]
            figures.append(image)
        return figures


def setup(app):
    app.add_directive("rackplan-exec", RackplanExec)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
