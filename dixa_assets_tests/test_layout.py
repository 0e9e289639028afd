"""The package's import direction: Dagster-free code never imports Dagster or the code location."""

from __future__ import annotations

import ast
from pathlib import Path

import dixa_assets

PACKAGE = Path(dixa_assets.__file__).parent
# Dagster-free packages: the API clients, records to Arrow, the lake, the warehouse, erasure, the
# simulator.
DAGSTER_FREE = (
    "arrow",
    "ingest",
    "lake",
    "warehouse",
    "exports_api",
    "main_api",
    "http_common",
    "erasure",
    "simulator",
)
# Nothing Dagster-free may import these.
UPWARD = (
    "dagster",
    "dagster_duckdb",
    "dixa_assets.defs",
    "dixa_assets.definitions",
    "dixa_assets.tools",
)
ROOT_MODULES = {"__init__", "definitions", "settings", "demo", "dev", "lake_rewrite"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Absolute names of every module the file imports (relative imports resolved)."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                found.add(".".join([*base, node.module] if node.module else base))
            else:
                found.add(node.module or "")
    return found


def upward_imports(package: str) -> set[tuple[str, str]]:
    return {
        (module_name(path), name)
        for path in (PACKAGE / package).rglob("*.py")
        for name in imports(path)
        if any(name == up or name.startswith(up + ".") for up in UPWARD)
    }


def test_dagster_free_packages_import_neither_dagster_nor_the_code_location():
    assert set().union(*(upward_imports(package) for package in DAGSTER_FREE)) == set()


def test_every_package_but_defs_and_the_tools_is_checked_as_dagster_free():
    """A new package is Dagster-free unless it says otherwise here."""
    packages = {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    assert packages - {"defs", "tools"} == set(DAGSTER_FREE)


def test_the_code_location_never_imports_the_tools():
    found = {
        (module_name(path), name)
        for path in (PACKAGE / "defs").rglob("*.py")
        for name in imports(path)
        if name.startswith("dixa_assets.tools")
    }
    assert found == set()


def test_the_package_root_holds_only_the_code_location_settings_and_command_shims():
    assert {path.stem for path in PACKAGE.glob("*.py")} == ROOT_MODULES


def test_the_lake_knows_nothing_of_the_settings():
    """The lake takes paths; what the deployment's settings say is read by its callers."""
    found = {
        (module_name(path), name)
        for path in (PACKAGE / "lake").rglob("*.py")
        for name in imports(path)
        if name == "dixa_assets.settings"
    }
    assert found == set()
