"""Browser tests: pytest-playwright driving Debian's Chromium against ``live_server``.

They run in the same session as every other test, last (``tests/conftest.py`` orders them):
their real transactions flush the database, which tests after them would miss. ``pytest -m
browser`` runs them alone.

Chromium comes from the system (``apt-get install chromium``); ``playwright install`` cannot
download here. Without it these tests skip locally and FAIL when ``CI`` is set."""

from __future__ import annotations

import os
import shutil

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if CHROMIUM is None:
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "locale": "zh-CN",
        "viewport": {"width": 1366, "height": 768},
        "accept_downloads": True,
    }


# The data the migrations ship (the 2020 programme, its ruleset and indicators, the roles), each
# step with how to tell it is missing.
SHIPPED = [
    ("evaluation.migrations.0002_shipped_data", "ship", ("evaluation", "Programme")),
    ("evaluation.migrations.0004_roles", "create", ("auth", "Group")),
    ("evaluation.migrations.0005_role_permissions", "grant", None),
    ("evaluation.migrations.0020_indicator_unit_words", "add_units", None),
    (
        "evaluation.migrations.0030_ruleset_parts_budget_execution_and_tasks",
        "add_budget_indicator",
        None,
    ),
    ("evaluation.migrations.0032_expert_panel_tasks_and_scores", "create_experts", None),
    ("evaluation.migrations.0035_spot_checks_and_verified_values", "create_checkers", None),
    ("evaluation.migrations.0037_self_evaluation_and_provincial_review", "create_group", None),
]


def ship_again() -> None:
    """Load the migrations' shipped data again where it is missing, with the migrations' own
    code and the real models."""
    import importlib

    from django.apps import apps
    from django.db import connection

    # The permissions migration toggles each app's models_module; keep the real ones.
    modules = {config.label: config.models_module for config in apps.get_app_configs()}
    try:
        for module, function, model in SHIPPED:
            if model is not None and apps.get_model(*model).objects.exists():
                continue
            getattr(importlib.import_module(module), function)(apps, connection.schema_editor())
    finally:
        for config in apps.get_app_configs():
            config.models_module = modules[config.label]


@pytest.fixture(autouse=True)
def _shipped_data(request):
    """Another transactional test may have flushed the database before this one: the shipped
    data is loaded again where missing (after the transactional database is set up)."""
    if request.node.get_closest_marker("browser") is not None:
        request.getfixturevalue("transactional_db")
        from evaluation.models import Programme

        if not Programme.objects.exists():
            ship_again()


PASSWORD = "a-long-portal-password-1"


@pytest.fixture
def shenyang(live_server):
    """Shenyang in the 2020 programme, its official li.wei (who signs in with ``PASSWORD``) and
    a reviewer."""
    from django.contrib.auth.models import Group

    from evaluation.models import OfficialAssignment, Programme
    from tests.factories import ParticipationFactory, UserFactory

    participation = ParticipationFactory(
        programme=Programme.objects.get(code="2020"),
        city__code="210100",
        city__name_en="Shenyang",
        city__name_zh="沈阳市",
    )
    user = UserFactory(username="li.wei")
    user.set_password(PASSWORD)
    user.save()
    OfficialAssignment.objects.create(user=user, participation=participation)
    reviewer = UserFactory(username="wang.fang")
    reviewer.groups.add(Group.objects.get(name="reviewers"))
    return participation, user, reviewer
