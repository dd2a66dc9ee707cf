"""Imports run one way: the reports app uses evaluation, never the reverse, so the outputs can
grow without the domain depending on them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("app", ["evaluation", "cities"])
def test_the_domain_never_imports_the_reports_app(app):
    offenders = {
        str(path.relative_to(ROOT))
        for path in (ROOT / app).rglob("*.py")
        if any(m == "reports" or m.startswith("reports.") for m in imported_modules(path))
    }
    assert offenders == set()


def test_the_scoring_core_imports_nothing_from_django_or_the_project():
    offenders = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "evaluation" / "scoring").rglob("*.py")
        for m in imported_modules(path)
        if m.split(".")[0] in {"django", "rest_framework", "evaluation", "cities", "reports"}
        and not m.startswith("evaluation.scoring")
    }
    assert offenders == set()
