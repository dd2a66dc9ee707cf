"""The catalogue test sees only wrapped strings. This one looks where user-visible text is
usually written and fails on a plain literal there: admin descriptions, filter titles and
messages, form and field labels and help, form errors, the domain's refusals, emails and
command output. A literal counts when it has a letter in it (an f-string too); ``_()``,
``gettext()`` and friends are what it asks for.

Not covered: the pure scoring core (``evaluation/scoring``, English data by design), the
API's help texts (they document the API in its schema), and text built elsewhere.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("cities", "config", "evaluation", "reports")
SKIPPED = ("migrations", "scoring")

# call name -> positions of its arguments that people read (None: every keyword too)
READ_ARGUMENTS: dict[str, tuple[int, ...]] = {
    "success": (1,),
    "error": (1,),
    "warning": (1,),
    "info": (1,),
    "debug": (1,),
    "add_message": (2,),
    "message_user": (1,),
    "add_error": (1,),
    "ValidationError": (0,),
    "CommandError": (0,),
    "Forbidden": (0,),
    "Locked": (0,),
    "FieldError": (1,),
    "RowError": (2,),
    "write": (0,),
}
READ_KEYWORDS = {
    "description",
    "verbose_name",
    "verbose_name_plural",
    "help_text",
    "label",
    "title",
}
# An email's words (``message`` elsewhere is a warnings filter's pattern, say).
MAIL_CALLS = {"send_mail", "send_mass_mail", "EmailMessage", "EmailMultiAlternatives"}
MAIL_KEYWORDS = {"subject", "message", "body"}
READ_ASSIGNMENTS = {"short_description", "title", "site_header", "site_title", "index_title"}
TRANSLATING = {
    "_",
    "gettext",
    "gettext_lazy",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "format_lazy",
}
LETTERS = re.compile(r"[A-Za-z]{2,}")


def _plain(node: ast.AST) -> bool:
    """A literal people would read untranslated."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(LETTERS.search(node.value))
    if isinstance(node, ast.JoinedStr):
        return any(_plain(part) for part in node.values if isinstance(part, ast.Constant))
    if isinstance(node, ast.BinOp):  # "a" + "b", "…%s" % x
        return _plain(node.left)
    return False


def _name(func: ast.AST) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _files() -> list[Path]:
    return sorted(
        path
        for source in SOURCES
        for path in (ROOT / source).rglob("*.py")
        if not set(path.relative_to(ROOT).parts) & set(SKIPPED)
    )


def _findings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    api = "api" in path.relative_to(ROOT).parts
    where = path.relative_to(ROOT)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _name(node.func)
            if name in TRANSLATING:
                continue
            for position in READ_ARGUMENTS.get(name, ()):
                if position < len(node.args) and _plain(node.args[position]):
                    found.append(f"{where}:{node.lineno} {name}(…) argument {position}")
            for keyword in node.keywords:
                read = keyword.arg in READ_KEYWORDS or (
                    name in MAIL_CALLS and keyword.arg in MAIL_KEYWORDS
                )
                if read and _plain(keyword.value):
                    if api and keyword.arg in ("help_text", "description"):
                        continue
                    found.append(f"{where}:{node.lineno} {name}({keyword.arg}=…)")
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                named = _name(target)
                if named in READ_ASSIGNMENTS and _plain(node.value):
                    found.append(f"{where}:{node.lineno} {named} = …")
    return found


def test_no_user_visible_literal_is_left_untranslated():
    found = [finding for path in _files() for finding in _findings(path)]

    assert not found, (
        "user-visible text without gettext (wrap it, then run makemessages and translate):\n  "
        + "\n  ".join(found)
    )


def test_the_check_sees_an_unwrapped_message_and_passes_a_wrapped_one(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "messages.error(request, f'{obj} refused')\n"
        "@admin.action(description='Approve them')\n"
        "def approve(): pass\n"
        "raise Locked('the report is locked')\n",
        encoding="utf-8",
    )
    good = tmp_path / "good.py"
    good.write_text(
        "messages.error(request, gettext('%(obj)s refused') % {'obj': obj})\n"
        "@admin.action(description=_('Approve them'))\n"
        "def approve(): pass\n"
        "self.stdout.write(f'{name}: {summary}.')\n",
        encoding="utf-8",
    )

    def check(path: Path) -> list[str]:
        global ROOT
        saved, ROOT = ROOT, tmp_path
        try:
            return _findings(path)
        finally:
            ROOT = saved

    assert len(check(bad)) == 3
    assert check(good) == []
