"""Load benchmark of the officials' portal (not a test): 50 signed-in officials load "where my
city stands" against a bare Django view on the same server. ``bench/portal.py`` runs it whole
(data, server, rounds, table); by hand, against a database holding the demo and a provisional
run (``manage.py demo``, ``manage.py evaluate --programme 2020 --provisional``):

    DJANGO_SETTINGS_MODULE=bench.portal_settings \\
        .venv/bin/gunicorn -w 2 -b 127.0.0.1:8110 config.wsgi
    .venv/bin/locust -f bench/portal_locust.py --headless -u 50 -r 25 -t 45s \\
        -H http://127.0.0.1:8110 --only-summary Dashboard        # then: ... Bare

The demo official of ``demo_portal`` signs in once through the sign-in page; each of the 50
simulated officials then loads the page over and over with that session, with no wait. See
docs/benchmarks.md.
"""

from __future__ import annotations

import re

import requests
from locust import HttpUser, constant, events, task

USERNAME = "demo.official"
PASSWORD = "demo-portal-2020"


_SESSION: dict[str, str] = {}


@events.test_start.add_listener
def _sign_in_once(environment, **_kwargs) -> None:
    """Sign in once through the sign-in page (a password hash takes a while on purpose, and is
    not what is measured); every simulated official then uses that session's cookie."""
    with requests.Session() as browser:
        host = environment.host
        browser.get(host + "/")
        response = browser.post(
            host + "/",
            {
                "username": USERNAME,
                "password": PASSWORD,
                "csrfmiddlewaretoken": browser.cookies.get("csrftoken", ""),
            },
            headers={"Referer": host + "/"},
        )
        match = re.search(r"/city/(\d+)/", response.url)
        assert match, f"sign-in failed: {response.status_code} {response.url}"
        _SESSION.update(browser.cookies.get_dict(), city=match.group(1))


class _Official(HttpUser):
    abstract = True
    wait_time = constant(0)

    def on_start(self) -> None:
        for name in ("sessionid", "csrftoken"):
            self.client.cookies.set(name, _SESSION[name])
        self.city = _SESSION["city"]


class Dashboard(_Official):
    @task
    def dashboard(self) -> None:
        self.client.get(f"/city/{self.city}/", name="dashboard")


class Bare(_Official):
    @task
    def bare(self) -> None:
        self.client.get("/bench/bare/", name="bare view")
