"""Every command of the README works when pasted after the first one, as a new user pastes
them: in a shell, one after the other, on a fresh embedded database, with the README's
defaults (DJANGO_DEBUG off, no broker). The commands are read from README.md itself, so the
test follows the README as it changes.

Lines with a placeholder (``FILE``, ``…``, ``[--option]``) are forms, not commands, and are
skipped; each block runs in one ``bash`` (its variables and functions
kept, ``set -euo pipefail``); ``runserver`` is started in the background (on a free port) for
the ``curl`` lines that follow it. Shell lines that are not this project's
(``export``, ``createdb``, ``celery``, ``pytest``, ``bash .ci/run``) are the README's
PostgreSQL and CI recipes, not commands a new user pastes on the embedded default, and
``makemessages`` is a translator's step that rewrites the committed catalogue."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
# A translator's step that rewrites the committed catalogue (tests/i18n checks it on a copy).
MAINTENANCE = {"makemessages"}
PLACEHOLDER = re.compile(r"FILE|…|\[--|\bCODE\b|\bDATE\b|\bNAME\b|\bUSERNAME\b|\bRUN\b")


def _project_line(line: str) -> bool:
    """A line a new user pastes on the embedded default: this project's ``manage.py``, ``curl``
    to it, or the shell variables and functions those lines use."""
    first = line.split()[0]
    return (
        first == "curl"
        or line.startswith(".venv/bin/python manage.py")
        or bool(re.match(r"^[A-Z_]+=('[^']*'|\$\([^)]*\)|\S+)\s*(#.*)?$", line))
        or bool(re.match(r"^[a-z_]+\(\) \{", line))
    )


def readme_blocks() -> list[list[str]]:
    """The README's shell blocks, each as the lines of it a new user pastes, in order; the first
    command's ``manage.py`` part comes first."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks: list[list[str]] = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        lines = []
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if "&&" in line and not line.startswith(("token", "curl")):
                line = line.split("&&")[-1].strip()
            if line and not line.startswith("#") and _project_line(line):
                lines.append(line)
        if lines:
            blocks.append(lines)
    return blocks


def readme_commands() -> list[str]:
    return [line for block in readme_blocks() for line in block]


def test_the_readme_has_the_commands_a_new_user_needs():
    commands = readme_commands()
    assert commands[0].endswith("manage.py demo")
    for needed in ("create_user", "assign_official", "grant_role", "runserver", "evaluate"):
        assert any(f"manage.py {needed}" in c for c in commands), needed


def test_every_readme_command_works_when_pasted_after_the_first(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_")) and key != "DATABASE_URL"
    }
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "EVALUATION_WAIT_SECONDS": "120",
    }
    server: subprocess.Popen[bytes] | None = None
    port = free_port()
    ran: list[str] = []
    python = shlex.quote(sys.executable)
    manage = shlex.quote(str(ROOT / "manage.py"))
    try:
        for block in readme_blocks():
            script = ["set -euo pipefail"]
            for line in block:
                maintenance = any(f"manage.py {name}" in line for name in MAINTENANCE)
                if PLACEHOLDER.search(line) or maintenance:
                    continue
                line = line.replace(".venv/bin/python manage.py", f"{python} {manage}")
                line = line.replace("localhost:8000", f"127.0.0.1:{port}")
                # An HTTP error must fail the line, as a person reading the answer would see.
                line = re.sub(r"\bcurl ", "curl --fail ", line)
                if f"{manage} runserver" in line:
                    server = subprocess.Popen(
                        [
                            sys.executable,
                            str(ROOT / "manage.py"),
                            "runserver",
                            f"127.0.0.1:{port}",
                            "--noreload",
                        ],
                        cwd=tmp_path,
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                    _wait_for(port, server)
                else:
                    script.append(line)
                ran.append(line)
            if len(script) == 1:
                continue
            if any(line.startswith("curl") or "curl " in line for line in script):
                assert server is not None, "a curl line before the server is started"
            done = subprocess.run(
                ["bash", "-c", "\n".join(script)],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=900,
            )
            assert done.returncode == 0, f"{script}\n{done.stdout}\n{done.stderr}"
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
    assert len(ran) >= 10, ran
    assert any(line.startswith("curl") for line in ran)


def _wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/docs/", timeout=5):
                return
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.fail("runserver did not answer")
            time.sleep(0.3)
