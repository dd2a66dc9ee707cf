"""A schema-driven fuzz run: schemathesis makes requests from the OpenAPI document alone, valid
and not, for every operation, as a reviewer with a token, and checks that no answer is a server
error, an undocumented status, or a body or content type other than the document says.

Bounded (a few examples per operation) so it takes well under a minute; the walk in
test_schema_conformance.py checks the real answers of every operation with real data."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from evaluation.services import tokens

pytestmark = pytest.mark.django_db

EXAMPLES = 8
# What the schema promises. Not schemathesis' "positive data accepted" check: a request the
# schema allows may still be refused by the rules (a wrong password, a period that is not
# one), with a documented 400.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def app():
    """The project's WSGI application, called in this thread, inside the test's transaction:
    like Django's test client, it must not close the connection after each request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_no_request_the_schema_allows_gets_an_answer_it_does_not_document(world, app, reviewer):
    """Each operation in turn, positive and negative examples. (schemathesis' own pytest
    plugin does not run under pytest 9, so hypothesis drives the strategies directly.)"""

    def signed_in() -> dict[str, str]:
        """A fresh token each time: fuzzing sign-out and revocation revokes tokens."""
        _, token = tokens.token_issue(user=reviewer)
        return {"Authorization": f"Token {token}"}

    fuzzed = []
    for result in schemathesis.openapi.from_wsgi("/api/schema/", app).get_all_operations():
        operation = result.ok()
        strategy = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(
            GenerationMode.NEGATIVE
        )

        @given(case=strategy)
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def fuzz(case) -> None:
            cache.clear()  # rate limits are tested elsewhere
            case.call_and_validate(app=app, headers=signed_in(), checks=CHECKS)

        fuzz()
        if operation.method.upper() == "GET" and "{" not in operation.path:
            # Generated filters mostly narrow a list to nothing or are refused: ask for the
            # whole list too, so its rows are checked against the document as well.
            response = operation.Case().call_and_validate(
                app=app, headers=signed_in(), checks=CHECKS
            )
            assert response.status_code == 200, (operation.label, response.content[:300])
        fuzzed.append(operation.label)

    assert len(fuzzed) == len(set(fuzzed)) > 25
