"""Imports run one way. The domain (``evaluation``) imports neither the officials' portal
(``cities``) nor the outputs (``reports``); the outputs use the domain but not the portal; the
portal uses only the domain (and the project's configuration). So each outer app can grow, or
be replaced, without the domain depending on it, and nothing reaches another app's task by a
name the importer cannot see."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("evaluation", "cities", "reports", "config")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def sources(app: str) -> list[Path]:
    """The app's code; its migrations name models of other apps by label, which is data."""
    return [p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts]


def project_apps_imported(app: str) -> dict[str, set[str]]:
    """Each file of ``app`` and the other project apps it imports."""
    found: dict[str, set[str]] = {}
    for path in sources(app):
        others = {m.split(".")[0] for m in imported_modules(path)} & set(APPS) - {app}
        if others:
            found[str(path.relative_to(ROOT))] = others
    return found


def offenders(app: str, allowed: set[str]) -> dict[str, set[str]]:
    return {
        path: others - allowed
        for path, others in project_apps_imported(app).items()
        if others - allowed
    }


def test_the_domain_imports_neither_the_portal_nor_the_outputs():
    assert offenders("evaluation", allowed={"config"}) == {}


def test_the_outputs_use_the_domain_but_not_the_portal():
    assert offenders("reports", allowed={"evaluation", "config"}) == {}


def test_the_portal_calls_only_the_domain():
    assert offenders("cities", allowed={"evaluation", "config"}) == {}


def test_the_configuration_knows_no_app_but_by_its_urls_and_settings():
    """``config`` names apps in settings and URL includes (strings), never by importing them."""
    assert offenders("config", allowed=set()) == {}


@pytest.mark.parametrize("app", ["evaluation", "reports"])
def test_no_task_of_another_app_is_named_by_a_string(app):
    """The outbox sends a task by its dotted name; a name in another app would be an import the
    layout tests cannot see."""
    named = re.compile(r"""["'](cities|reports|evaluation)\.tasks\.\w+["']""")
    found = {
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in sources(app)
        for match in named.finditer(path.read_text(encoding="utf-8"))
        if match.group(1) != app
    }
    assert found == set()


def test_the_portal_has_no_models_or_tasks_of_its_own():
    from django.apps import apps

    assert list(apps.get_app_config("cities").get_models()) == []
    assert not (ROOT / "cities" / "tasks.py").exists()


def test_the_scoring_core_imports_nothing_from_django_or_the_project():
    offenders = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "evaluation" / "scoring").rglob("*.py")
        for m in imported_modules(path)
        if m.split(".")[0] in {"django", "rest_framework", "evaluation", "cities", "reports"}
        and not m.startswith("evaluation.scoring")
    }
    assert offenders == set()
