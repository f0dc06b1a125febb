"""The documentation site's sources, checked without Sphinx: every page is in a toctree, every
relative link and anchor resolves, the API reference covers the public names and every module of
the wings, no private path is cited, and CI builds the site with the README's own command.

The build itself (``sphinx-build -W``, the worked example run) is in ``.ci/run``."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

import pytest

import rackplan

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SKIP_DIRS = {"_build", "_ext"}


def _pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*") if p.suffix in (".md", ".rst")
                  and not SKIP_DIRS & set(p.relative_to(DOCS).parts))


def _docname(path: Path) -> str:
    return path.relative_to(DOCS).with_suffix("").as_posix()


def _toctree_entries(page: Path) -> list[str]:
    """The documents a page's toctrees name, as docnames relative to docs/."""
    text = page.read_text()
    entries: list[str] = []
    if page.suffix == ".md":
        for block in re.findall(r"```\{toctree\}\n(.*?)```", text, re.S):
            entries += [ln.strip() for ln in block.splitlines()
                        if ln.strip() and not ln.strip().startswith(":")]
    else:
        for block in re.findall(r"\.\. toctree::\n((?:[ \t]+.*\n|\n)+)", text):
            entries += [ln.strip() for ln in block.splitlines()
                        if ln.strip() and not ln.strip().startswith(":")]
    base = page.parent.relative_to(DOCS)
    return [(base / e).as_posix().removeprefix("./") for e in entries]


def test_every_page_is_in_a_toctree_from_the_index():
    pages = {_docname(p): p for p in _pages()}
    assert "index" in pages
    seen, todo = set(), ["index"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for entry in _toctree_entries(pages[name]):
            assert entry in pages, f"{name}: the toctree names {entry!r}, which is no page"
            todo.append(entry)
    assert set(pages) - seen == set(), "pages in no toctree"
    assert {"example", "api", "api/facility", "api/economics", "api/studies",
            "api/kernels"} <= seen


def _slug(heading: str) -> str:
    """MyST's (and GitHub's) anchor of a heading: the text, lower case, without punctuation,
    spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return {_slug(m) for m in re.findall(r"^#{1,6} (.+)$", text, re.M)}


LINKED = [*_pages(), ROOT / "README.md", ROOT / "CHANGELOG.md", ROOT / "benchmarks" / "README.md",
          ROOT / "examples" / "README.md"]


@pytest.mark.parametrize("page", LINKED, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_page_links_to_a_missing_file_or_anchor(page):
    text = re.sub(r"```(?!\{).*?```", "", page.read_text(), flags=re.S)  # code blocks
    text = re.sub(r"`[^`]*`", "", text)  # inline code (may wrap a line)
    targets = re.findall(r"\]\(([^)\s]+)\)", text)
    for included in re.findall(r"```\{include\} (\S+)", page.read_text()):
        assert (page.parent / included).is_file(), f"{page.name}: includes {included!r}"
    targets += [t + ".rst" if (page.parent / (t + ".rst")).exists() else t + ".md"
                for t in re.findall(r":doc:`(?:[^`<]*<)?([^`>]+)>?`", text)]
    checked = 0
    for target in targets:
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        file, _, anchor = target.partition("#")
        path = (page.parent / file).resolve()
        assert path.exists(), f"{page.name}: links to {target!r}, which does not exist"
        if page.is_relative_to(DOCS):
            assert path.is_relative_to(DOCS), (
                f"{page.name}: links to {target!r} outside docs/, which the site does not hold")
        if anchor:
            assert anchor in _anchors(path), f"{page.name}: no heading {anchor!r} in {file}"
        checked += 1
    if page.name == "index.md":
        assert checked >= 8


def test_the_docs_cite_public_sources_not_private_paths():
    """``shared/`` and the reference notes are the developers' own folders: the docs cite the
    original public URLs instead (a URL may contain ``/shared/``)."""
    files = [*_pages(), ROOT / "README.md", ROOT / "CHANGELOG.md", ROOT / "benchmarks" /
             "README.md", ROOT / "examples" / "README.md", DOCS / "conf.py",
             *sorted((DOCS / "_ext").glob("*.py"))]
    for path in files:
        text = re.sub(r"https?://\S+", "", path.read_text())
        for pattern in (r"(?<![\w.-])shared/", r"reference[ _-]notes?", r"(?<![\w.-])reference/"):
            found = re.search(pattern, text, re.I)
            assert found is None, f"{path.relative_to(ROOT)}: cites {found.group(0)!r}"


def _docs_command(text: str, where: str) -> str:
    lines = [ln.strip() for ln in text.splitlines()
             if "sphinx-build" in ln and not ln.strip().startswith("#")]
    assert len(lines) == 1, f"{where}: {len(lines)} sphinx-build commands, expected one"
    return lines[0]


def test_ci_runs_the_readme_docs_command_exactly():
    readme = _docs_command((ROOT / "README.md").read_text(), "README.md")
    ci = _docs_command((ROOT / ".ci" / "run").read_text(), ".ci/run")
    assert ci == readme
    assert readme.startswith('pip install -e ".[docs]" && sphinx-build ')
    args = readme.split("sphinx-build", 1)[1].split()
    assert "-W" in args and "--keep-going" in args and args[-2] == "docs"
    # after the tests, before the benchmark gate
    run = (ROOT / ".ci" / "run").read_text()
    assert run.index('pip install -e ".[test]" && pytest') < run.index(ci) < run.index(
        "check_ratios.py --short")


def test_the_docs_extra_and_the_project_urls():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extra = {re.split(r"[<>=!~\[ ]", req)[0] for req in meta["optional-dependencies"]["docs"]}
    assert {"sphinx", "pydata-sphinx-theme", "myst-parser", "matplotlib"} <= extra
    assert {"Documentation", "Source", "Changelog", "Issues"} <= set(meta["urls"])
    conf = (DOCS / "conf.py").read_text()
    assert 'html_theme = "pydata_sphinx_theme"' in conf
    assert "sphinx.ext.intersphinx" not in conf  # nothing fetched while the docs build
    assert "docs/_build/" in (ROOT / ".gitignore").read_text().splitlines()


def _api_text() -> str:
    return "\n".join(p.read_text() for p in [DOCS / "api.rst", *sorted((DOCS / "api").glob(
        "*.rst"))])


def test_the_api_reference_covers_every_public_name():
    text = _api_text()
    documented = set(re.findall(r"^\.\. (?:autofunction|autoexception|data):: rackplan\.(\w+)$",
                                text, re.M))
    assert documented == set(rackplan.__all__)
    for cls in ("rackplan.facility.capacity.SizingResult", "rackplan.facility.annual.AnnualResult",
                "rackplan.economics.results.ComparisonResult",
                "rackplan.economics.results.OptionResult"):
        assert f".. autoclass:: {cls}\n" in text


def test_the_api_reference_has_every_module_of_the_wings():
    text = _api_text()
    modules = set(re.findall(r"^\.\. automodule:: ([\w.]+)$", text, re.M))
    for name in modules:
        assert importlib.util.find_spec(name) is not None, f"no module {name}"
    src = ROOT / "src" / "rackplan"
    for wing in ("facility", "economics", "studies", "kernels"):
        for path in sorted((src / wing).glob("*.py")):
            name = f"rackplan.{wing}" + ("" if path.stem == "__init__" else f".{path.stem}")
            assert name in modules, f"{name} is not in the API reference"


def test_the_worked_example_runs_each_step_of_the_case():
    text = (DOCS / "example.md").read_text()
    blocks = re.findall(r"```\{rackplan-exec\}\n(.*?)```", text, re.S)
    assert len(blocks) >= 5
    code = "\n".join(blocks)
    for call in ("rackplan.size(", "rackplan.annual(", "rackplan.compare(", "rackplan.sweep(",
                 "rackplan.breakeven_surface(", "rackplan.montecarlo(paths=2_000, seed=7)"):
        assert call in code, f"the example does not run {call}"
    # every plot labels both axes
    assert code.count("plt.subplots(") == code.count("set_xlabel(") == code.count("set_ylabel(")
    assert "https://pulse2.com/" in text  # the case's public source


def _undocumented(path: Path) -> list[str]:
    """Public module-level functions and classes (and their public methods) of one source
    file that have no docstring, as ``file:name``."""
    import ast

    missing = []
    for node in ast.parse(path.read_text()).body:
        if not isinstance(node, (ast.FunctionDef, ast.ClassDef)) or node.name.startswith("_"):
            continue
        members = [node] + [m for m in getattr(node, "body", [])
                            if isinstance(node, ast.ClassDef)
                            and isinstance(m, ast.FunctionDef) and not m.name.startswith("_")]
        missing += [f"{path.name}:{m.name}" for m in members if not ast.get_docstring(m)]
    return missing


def test_every_public_definition_has_a_docstring():
    sources = sorted((ROOT / "src" / "rackplan").rglob("*.py"))
    missing = [name for path in sources for name in _undocumented(path)]
    assert not missing, f"public definitions without a docstring: {missing}"


def test_the_docstring_check_finds_a_missing_one(tmp_path):
    source = tmp_path / "mod.py"
    source.write_text('def shown():\n    return 1\n\n\ndef _hidden():\n    return 2\n\n\n'
                      'class Box:\n    """A box."""\n\n    def open(self):\n        pass\n')
    assert _undocumented(source) == ["mod.py:shown", "mod.py:open"]
