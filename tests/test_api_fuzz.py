"""The published API, fuzzed: requests generated from the OpenAPI schema for every operation, as
an administrator and as a sales rep, on whichever database the suite runs on. Every response
must be no server error, have a status code the schema documents, match the documented schema,
and invalid input must be refused.

In the suite: a fixed seed (derandomised) and ``LIANKE_FUZZ_EXAMPLES`` examples per operation
(15). A deep run, hundreds per operation::

    LIANKE_FUZZ_EXAMPLES=300 .venv/bin/pytest -p no:randomly tests/test_api_fuzz.py

A failure prints the request that broke it (``case.as_curl_command()``-style): make a regular
test of it in the test module of what it found (see ``test_a_malformed_key_…`` in
``lianke/core/tests/test_api.py``), then fix it.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = int(os.environ.get("LIANKE_FUZZ_EXAMPLES", "15"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, negative_data_rejection]


@pytest.fixture
def api_schema(db, settings):
    from django.core.signals import request_finished, request_started
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections
    from drf_spectacular.generators import SchemaGenerator

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    loaded = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
    loaded.app = get_wsgi_application()
    # Requests go through the WSGI handler in this thread, on the test's connection and inside
    # its transaction: the handler must not close that connection at the end of each request
    # (Django's test client keeps it open the same way).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield loaded
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def records(org):
    """An account and a contact of two reps: some generated ids name records a caller may read,
    some records he may not."""
    from lianke.customers.models import Account, Contact

    for owner in (org.rep_js, org.rep_zj):
        account = Account.objects.create(name=f"{owner.username} 钢铁有限公司", owner=owner)
        Contact.objects.create(name="王磊", account=account, owner=owner)


def _as(user) -> dict:
    from lianke.org.tokens import issue_token

    return {"Authorization": f"Token {issue_token(user=user, name='fuzz', scope='read_write').key}"}


FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,  # the fixed seed: the same requests on every run
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize("who", ["admin", "rep_js"])
def test_every_operation_answers_as_documented(api_schema, org, records, who):
    """Each operation of the schema in turn; the failures of all of them reported together."""
    headers = _as(getattr(org, who))
    failures = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 10  # the schema lists the registered types' operations
    for operation in operations:

        @FUZZ
        @given(case=operation.as_strategy())
        def fuzz(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            fuzz()
        except Exception as exc:  # noqa: BLE001 - collected, then reported together
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)


def test_the_schema_documents_the_errors_an_operation_can_give(api_schema):
    """A client learns from the schema that reading a record may answer 404, that a stale
    ``If-Match`` answers 412, and what an error looks like."""
    spec = api_schema.raw_schema
    detail = next(ops for path, ops in spec["paths"].items() if path.endswith("/{id}/"))
    assert {"400", "401", "403", "404", "429"} <= set(detail["get"]["responses"])
    assert {"409", "412", "503"} <= set(detail["patch"]["responses"])
    listing = next(ops for path, ops in spec["paths"].items() if "{" not in path and "get" in ops)
    assert "404" not in listing["get"]["responses"]  # a list names no record
    assert spec["components"]["schemas"]["Error"]["required"] == ["detail"]
