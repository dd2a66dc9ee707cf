"""Nothing outside the scoring core names a rule kind: every layer asks the kind
(``scoring.rules.RuleKind``) what is particular to it, so adding a kind touches the core and its
tests only (``tests/test_a_new_rule_kind.py`` shows one working everywhere).

The migrations are left out on purpose: they are history, applied once and never edited, and
the shipped data migration creates the 2020 ruleset's rows, whose ``kind`` column holds the
kinds' names as data (as ``tests/`` may)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from evaluation.scoring import RULE_KINDS

ROOT = Path(__file__).resolve().parent.parent
APPS = ("evaluation", "cities", "reports")
CORE = ROOT / "evaluation" / "scoring"
TEXT_SUFFIXES = {".html", ".txt", ".js"}


def _names() -> set[str]:
    return set(RULE_KINDS)


def _classes() -> set[str]:
    return {type(kind).__name__ for kind in RULE_KINDS.values()}


# Kind names that are also ordinary words of the project: ``task`` is the task files' column
# (interfaces.md), a field of the API and Celery's word. Such a name is a kind's only where it
# is compared (``kind == "task"``) or given as a kind (``kind="task"``).
COMMON_WORDS = {"task"}


def _as_a_kind(node: ast.Constant, parents: dict[ast.AST, ast.AST]) -> bool:
    parent = parents.get(node)
    if isinstance(parent, ast.Compare):
        return True
    if isinstance(parent, ast.keyword) and parent.arg == "kind":
        return True
    return isinstance(parent, ast.Tuple | ast.List | ast.Set) and isinstance(
        parents.get(parent), ast.Compare
    )


def python_findings(source: str, where: str = "<source>") -> list[str]:
    """Where ``source`` names a kind: a string that is a kind's name (a common word only where
    it stands for a kind), a kind's class, or a member of the vocabulary's ``RuleKind``
    (``RuleKind.GROWTH``)."""
    names, classes = _names(), _classes()
    found = []
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and node.value in names
            and (node.value not in COMMON_WORDS or _as_a_kind(node, parents))
        ):
            found.append(f"{where}:{node.lineno} the kind's name {node.value!r}")
        elif isinstance(node, ast.Name) and node.id in classes:
            found.append(f"{where}:{node.lineno} the kind's class {node.id}")
        elif isinstance(node, ast.Attribute) and (
            node.attr in classes
            or (
                isinstance(node.value, ast.Name)
                and node.value.id == "RuleKind"
                and node.attr.isupper()
            )
        ):
            found.append(f"{where}:{node.lineno} {ast.unparse(node)}")
        elif isinstance(node, ast.alias) and node.name in classes:
            found.append(f"{where} imports the kind's class {node.name}")
    return found


def text_findings(source: str, where: str = "<template>") -> list[str]:
    """Where a template or script compares with a kind's name or a ``RuleKind`` member."""
    kinds = "|".join(re.escape(name) for name in sorted(_names()))
    pattern = re.compile(rf"""(["'])({kinds})\1|RuleKind\.[A-Z]""")
    return [
        f"{where}:{source.count(chr(10), 0, match.start()) + 1} {match.group(0)}"
        for match in pattern.finditer(source)
    ]


def _outside_the_core() -> list[Path]:
    return sorted(
        path
        for app in APPS
        for path in (ROOT / app).rglob("*")
        if path.is_file()
        and CORE not in path.parents
        and "migrations" not in path.parts
        and "vendor" not in path.parts
        and (path.suffix == ".py" or path.suffix in TEXT_SUFFIXES)
    )


def test_no_code_template_or_script_outside_the_core_names_a_rule_kind():
    files = _outside_the_core()
    assert any(p.suffix == ".html" for p in files) and any(p.suffix == ".py" for p in files)
    found = [
        finding
        for path in files
        for finding in (python_findings if path.suffix == ".py" else text_findings)(
            path.read_text(encoding="utf-8"), str(path.relative_to(ROOT))
        )
    ]
    assert found == []


@pytest.mark.parametrize(
    "source",
    [
        'if result.kind == "growth":\n    pass',
        "places = 4 if rule.kind == RuleKind.GROWTH else 2",
        "from evaluation.scoring.rules import CumulativeRule",
        "label = rules.GrowthRule.name",
        "KINDS = {'cumulative': 2}",
        'if result.kind == "task":\n    pass',
        'IndicatorRule(indicator=code, kind="task")',
        'if rule.kind in ("task", "other"):\n    pass',
    ],
)
def test_the_check_finds_a_kind_named_in_code(source):
    assert python_findings(source)


def test_the_files_task_column_is_not_the_kind_named():
    assert python_findings('RowError(row.line, "task", reason)\nrow.values.get("task")') == []


@pytest.mark.parametrize(
    "source",
    [
        '{% if row.kind == "growth" %}…{% endif %}',
        "{% if row.kind == 'cumulative' %}",
        "if (data.kind === 'growth') {}",
        "{{ RuleKind.GROWTH }}",
    ],
)
def test_the_check_finds_a_kind_named_in_a_template_or_script(source):
    assert text_findings(source)


def test_words_about_growth_are_not_a_kind_named():
    assert python_findings('"""Average annual growth, cumulative totals."""') == []
    assert text_findings("{% translate 'average annual growth' %}") == []
