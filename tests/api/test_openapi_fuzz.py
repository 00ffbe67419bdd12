"""Schemathesis against /openapi.json of a real `ivr serve`: no 500, no answer off its schema.

Every documented operation gets a bounded number of generated requests, some
fitting its schema and some not, sent with the admin token. What is checked:
no server error, and every answer has the content type and body the OpenAPI
document promises. (schemathesis' lazy pytest loader does not run on pytest 9,
so the operations are walked here, each with its own hypothesis run.)
"""

from __future__ import annotations

import hypothesis
import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks
from schemathesis.specs.openapi import checks as openapi_checks

from tests.api.conftest import LIVE_ADMIN_TOKEN
from tests.servers import RunningService

ADMIN = {"Authorization": f"Bearer {LIVE_ADMIN_TOKEN}"}
EXAMPLES_PER_OPERATION = 10
CHECKS = [
    checks.not_a_server_error,
    openapi_checks.response_schema_conformance,
    openapi_checks.content_type_conformance,
]


def test_no_operation_answers_500_or_off_its_schema(live_service: RunningService) -> None:
    schema = schemathesis.openapi.from_url(f"{live_service.url}/openapi.json")
    failures: dict[str, str] = {}
    tried = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @hypothesis.given(case=strategy)
        @hypothesis.settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
            phases=[hypothesis.Phase.generate],
        )
        def fuzz(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=ADMIN, timeout=30, checks=CHECKS)

        tried += 1
        try:
            fuzz()
        except Exception as exc:  # gather every operation's failure, then report them all
            failures[operation.label] = str(exc)[:1500]
    assert tried >= 15
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
