"""Sphinx configuration of rackplan's documentation.

Build it (warnings as errors), as the README says and CI runs it:

    pip install -e ".[docs]" && sphinx-build -W --keep-going -b html docs docs/_build/html

The Markdown pages are read by MyST as they are; the API reference comes from the NumPy-style
docstrings (autodoc, napoleon); the worked example (example.md) runs its code during the build
(``docs/_ext/rackplan_exec.py``). Nothing is fetched from the network (no intersphinx).
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "_ext"))

import rackplan  # noqa: E402

project = "rackplan"
author = "rackplan developers"
copyright = "rackplan developers, BSD-3-Clause"
version = release = rackplan.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "rackplan_exec",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_ext", "Thumbs.db", ".DS_Store"]

# MyST: the pages are GitHub-flavoured Markdown; in-page links such as ``sizing.md#10-sources``
# resolve through the heading anchors GitHub also makes.
myst_heading_anchors = 3
myst_enable_extensions = ["dollarmath", "strikethrough"]

# autodoc: the docstrings are NumPy style; signatures keep their annotations short.
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_member_order = "bysource"
autodoc_preserve_defaults = True
autosummary_generate = False
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False

html_theme = "pydata_sphinx_theme"
html_title = f"rackplan {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "header_links_before_dropdown": 4,
    "show_toc_level": 2,
    "icon_links": [],
}
html_show_sourcelink = False
