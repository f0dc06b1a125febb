"""The plain install (``pip install -e .``, the README's first command) runs every command: each
third-party module the package imports, anywhere in ``src/rackplan``, comes from a core
dependency in pyproject.toml, never from the test extra or from whatever happens to be
installed."""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "rackplan"


def _requirement_name(spec: str) -> str:
    return re.split(r"[\s\[<>=!~;]", spec, maxsplit=1)[0].lower().replace("_", "-")


def _core_dependencies() -> set[str]:
    """The core dependencies and what they pull in themselves, with the extras we ask for."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    todo = [(_requirement_name(s), set(re.findall(r"\[([^\]]*)\]", s)[0].split(","))
             if "[" in s else set()) for s in project["dependencies"]]
    closure = {name for name, _ in todo}
    while todo:
        name, extras = todo.pop()
        try:
            requires = md.requires(name) or []
        except md.PackageNotFoundError:  # a dependency for another platform or Python
            continue
        for spec in requires:
            extra = re.search(r"""extra\s*==\s*["']([^"']+)["']""", spec)
            if extra and extra.group(1) not in extras:
                continue
            dep = _requirement_name(spec)
            if dep not in closure:
                closure.add(dep)
                todo.append((dep, set()))
    return closure


def _imported_top_level_modules() -> dict[str, str]:
    """``{module: first file importing it}`` for every absolute import in the package."""
    found: dict[str, str] = {}
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def test_every_imported_package_is_a_core_dependency():
    core = _core_dependencies()
    providers = md.packages_distributions()
    missing = []
    for module, where in _imported_top_level_modules().items():
        if module == "rackplan" or module in sys.stdlib_module_names:
            continue
        dists = {d.lower().replace("_", "-") for d in providers.get(module, [])}
        if not dists & core:
            missing.append(f"{module} (imported in {where}, from {sorted(dists) or '?'})")
    assert not missing, "not installed by `pip install .`: " + "; ".join(missing)


@pytest.mark.parametrize("module", ["dask", "distributed", "h5netcdf", "h5py"])
def test_scale_stack_is_core(module):
    """Sweeps at scale are the tool: chunked sweeps and netCDF output need no extra."""
    core = _core_dependencies()
    assert module in core
