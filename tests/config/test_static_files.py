"""Static files are served in every mode, DEBUG off included (the README's defaults): the
admin is styled, and the API docs load their scripts from this server (no CDN)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.ports import free_port

ROOT = Path(settings.BASE_DIR)


def scripts(html: str) -> list[str]:
    return re.findall(r'<script[^>]+src="([^"]+)"', html)


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_the_api_docs_load_their_scripts_from_this_server(url):
    assert settings.DEBUG is False
    client = Client()

    page = client.get(url)

    assert page.status_code == 200
    sources = scripts(page.content.decode())
    assert sources, "the docs page names no script"
    for source in sources:
        assert source.startswith("/static/"), source
        script = client.get(source)
        assert script.status_code == 200, source
        assert len(b"".join(script.streaming_content)) > 10_000  # the real bundle, not a stub


def test_the_admin_is_styled():
    client = Client()
    login = client.get("/admin/login/").content.decode()
    (stylesheet,) = re.findall(r'href="(/static/admin/css/base\.css)"', login)

    response = client.get(stylesheet)

    assert response.status_code == 200
    assert b"".join(response.streaming_content).strip()


def test_runserver_with_the_readme_defaults_serves_the_docs_script(tmp_path):
    """What a new user does after the first command: runserver, DEBUG off (the default)."""
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DJANGO_DEBUG", "DJANGO_SETTINGS_MODULE", "CELERY_BROKER_URL")
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                html = urllib.request.urlopen(base + "/api/docs/", timeout=5).read().decode()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        (bundle,) = [s for s in scripts(html) if "swagger-ui-bundle" in s]
        with urllib.request.urlopen(base + bundle, timeout=10) as response:
            assert response.status == 200
            assert len(response.read()) > 10_000
    finally:
        server.terminate()
        server.wait(timeout=10)
