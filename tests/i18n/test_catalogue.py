"""Every user-visible string has its Chinese translation.

``makemessages`` runs over a copy of the project (the committed catalogue is never touched)
and every wrapped string whose Chinese is missing or fuzzy is listed; a string nobody wrapped
cannot be seen that way, so ``test_unwrapped_literals.py`` looks for the usual places.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from django.core.management import call_command
from django.test import override_settings

from tests.i18n.po import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
SOURCES = ("cities", "config", "evaluation", "reports")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]*\}")
REFRESH = "manage.py makemessages -l zh_Hans --ignore=.venv --no-obsolete --add-location=file"


def _refreshed_copy(tmp_path: Path) -> Path:
    for name in SOURCES:
        shutil.copytree(
            ROOT / name,
            tmp_path / name,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "migrations", "static"),
        )
    locale = tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES"
    locale.mkdir(parents=True)
    shutil.copy(CATALOGUE, locale / "django.po")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        with override_settings(LOCALE_PATHS=[tmp_path / "locale"]):
            call_command(
                "makemessages",
                locale=["zh_Hans"],
                no_obsolete=True,
                add_location="file",
                verbosity=0,
            )
    finally:
        os.chdir(cwd)
    return locale / "django.po"


def test_every_wrapped_string_has_a_chinese_translation(tmp_path):
    refreshed = read_po(_refreshed_copy(tmp_path))

    missing = [
        f"{'fuzzy' if e.fuzzy else 'untranslated'}: {e.msgid!r} ({', '.join(e.locations)})"
        for e in refreshed
        if not e.translated
    ]
    assert refreshed, "makemessages found no string at all"
    assert not missing, (
        f"{len(missing)} string(s) without Chinese: run `{REFRESH}`, "
        "translate them in locale/zh_Hans/LC_MESSAGES/django.po, and compile:\n  "
        + "\n  ".join(missing)
    )


def test_the_committed_catalogue_is_current_and_merge_friendly(tmp_path):
    committed = read_po(CATALOGUE)
    refreshed = read_po(_refreshed_copy(tmp_path))

    gone = sorted({e.msgid for e in committed} - {e.msgid for e in refreshed})
    assert not [e.msgid for e in committed if e.obsolete], "obsolete (#~) entries: drop them"
    assert not gone, f"translations of strings the code no longer has: {gone}"
    assert len({e.msgid for e in committed}) == len(committed)


def test_the_catalogue_compiles_with_its_placeholders_intact(tmp_path):
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "gettext's msgfmt is not installed (Debian package gettext)"

    checked = subprocess.run(
        [msgfmt, "--check", "-o", str(tmp_path / "django.mo"), str(CATALOGUE)],
        capture_output=True,
        text=True,
    )

    assert checked.returncode == 0, checked.stderr


def test_every_placeholder_of_a_message_is_kept_by_its_translation():
    """Numbers inside messages stay exact: each ``%(name)s`` / ``{name}`` of the English is in
    the Chinese as often (msgfmt checks only the strings xgettext marked python-format)."""
    dropped = [
        f"{e.msgid!r}: {token}"
        for e in read_po(CATALOGUE)
        for msgstr in e.msgstrs
        if msgstr
        for token in set(PLACEHOLDER.findall(e.msgid))
        if msgstr.count(token) < e.msgid.count(token)
    ]

    assert not dropped, dropped
