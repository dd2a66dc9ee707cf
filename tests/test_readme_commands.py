"""Every command of the README works when pasted after the first one, as a new user pastes
them: in a shell, one after the other, on a fresh embedded database, with the README's
defaults (DJANGO_DEBUG off, no broker). The commands are read from README.md itself, so the
test follows the README as it changes.

Lines with a placeholder (``FILE``, ``…``, ``[--option]``) are forms, not commands, and are
skipped; ``<token>`` is filled in from the previous answer; ``runserver`` is started in the
background (on a free port) for the ``curl`` lines that follow it; ``curl`` is replayed with
urllib (same method, form fields and headers). Shell lines that are not this project's
(``export``, ``createdb``, ``celery``, ``pytest``, ``bash .ci/run``) are the README's
PostgreSQL and CI recipes, not commands a new user pastes on the embedded default, and
``makemessages`` is a translator's step that rewrites the committed catalogue."""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# A translator's step that rewrites the committed catalogue (tests/i18n checks it on a copy).
MAINTENANCE = {"makemessages"}
PLACEHOLDER = re.compile(r"FILE|…|\[--|\bCODE\b|\bDATE\b|\bNAME\b|\bUSERNAME\b|\bRUN\b")


def readme_commands() -> list[str]:
    """The README's shell lines that run this project (``manage.py`` or ``curl``), in order;
    the first command's ``manage.py`` part comes first."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lines: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if "&&" in line:
                line = line.split("&&")[-1].strip()
            # `manage.py verify_run 1; echo "exit status $?"`: the project's command is the first.
            words = shlex.split(line, comments=True)
            if ";" in line and words:
                words = shlex.split(line.split(";")[0], comments=True)
            if not words:
                continue
            if words[0] == "curl" or (len(words) > 1 and words[1] == "manage.py"):
                lines.append(shlex.join(words))
    return lines


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _curl(words: list[str], port: int) -> str:
    method, data, headers, url = "GET", {}, {}, ""
    args = iter(words[1:])
    for word in args:
        if word == "-X":
            method = next(args)
        elif word == "-d":
            key, _, value = next(args).partition("=")
            data[key] = value
        elif word == "-H":
            name, _, value = next(args).partition(":")
            headers[name.strip()] = value.strip()
        else:
            url = word.replace("localhost:8000", f"127.0.0.1:{port}")
    body = urllib.parse.urlencode(data).encode() if data else None
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status < 400, (words, response.status)
        return str(response.read().decode())


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
    port = _free_port()
    answer = ""
    ran: list[str] = []
    try:
        for line in readme_commands():
            maintenance = any(f"manage.py {name}" in line for name in MAINTENANCE)
            if PLACEHOLDER.search(line) or maintenance:
                continue
            if "<token>" in line:
                line = line.replace("<token>", json.loads(answer)["token"])
            words = shlex.split(line)
            if words[0] == "curl":
                assert server is not None, "a curl line before the server is started"
                answer = _curl(words, port)
                ran.append(line)
                continue
            command = [sys.executable, str(ROOT / "manage.py"), *words[2:]]
            if words[2] == "runserver":
                server = subprocess.Popen(
                    [*command, f"127.0.0.1:{port}", "--noreload"],
                    cwd=tmp_path,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                _wait_for(port, server)
                ran.append(line)
                continue
            done = subprocess.run(
                command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
            )
            assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
            answer = done.stdout
            ran.append(line)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
    assert len(ran) >= 10, ran
    assert any("curl" in line for line in ran)


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
