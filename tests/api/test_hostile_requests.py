"""Hostile requests against a real `ivr serve`: a clear 4xx, never a 500, nothing personal in logs.

The session's `live_service` (tests/api/conftest.py) answers; the fuzzing of
every documented operation lives in `test_openapi_fuzz.py` beside this.
"""

from __future__ import annotations

import subprocess
import time

import httpx
import pytest

from tests.api.conftest import LIVE_ADMIN_TOKEN
from tests.servers import IVR, RunningService

CALLER = "+8613800001111"


@pytest.fixture(scope="module")
def service(live_service: RunningService) -> RunningService:
    """The session's live service."""
    return live_service


@pytest.fixture(scope="module")
def agent_token(service: RunningService) -> str:
    """A token of the agent role, as `ivr token create` prints it."""
    done = subprocess.run(
        [str(IVR), "token", "create", "--role", "agent", "--agent", "a1"],
        env=service.env,
        capture_output=True,
        text=True,
        check=True,
    )
    return next(w for w in done.stdout.split() if w.startswith("ivr_"))


def _api(service: RunningService, token: str = LIVE_ADMIN_TOKEN) -> httpx.Client:
    return httpx.Client(
        base_url=service.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def _messages(response: httpx.Response) -> list[str]:
    """The `msg` (or `message`) of every error in the API's error body."""
    detail = response.json()["detail"]
    assert isinstance(detail, list), detail
    return [str(e.get("msg") or e.get("message")) for e in detail]


def test_json_nested_5000_deep_in_a_patch_is_refused_clearly(
    service: RunningService, agent_token: str
) -> None:
    body = b'{"notes": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    with _api(service, agent_token) as api:
        response = api.patch(
            "/api/tickets/T-1", content=body, headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 422, response.text
    assert any("nested too deeply" in m for m in _messages(response))


def test_a_bare_array_nested_5000_deep_is_refused_too(service: RunningService) -> None:
    with _api(service) as api:
        response = api.patch(
            "/api/tickets/T-1",
            content=b"[" * 5000 + b"]" * 5000,
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    "text",
    [
        "[" * 20_000 + "]" * 20_000,
        "{a: " * 20_000 + "1" + "}" * 20_000,
        "".join(f"{'  ' * i}- \n" for i in range(300)),
    ],
    ids=["flow-sequences", "flow-mappings", "block-sequences"],
)
def test_yaml_nested_deep_in_a_flow_is_refused_with_its_line(
    service: RunningService, text: str
) -> None:
    with _api(service) as api:
        response = api.put(
            "/api/flows/deep",
            content=text.encode(),
            headers={"Content-Type": "application/yaml"},
        )
        assert response.status_code == 422, response.text
        [error] = response.json()["detail"]
        assert "nested more than" in error["message"]
        assert error["file"] == "flows/deep.yaml"
        assert isinstance(error["line"], int)
        # Nothing was saved: the flow is still unknown.
        assert api.get("/api/flows/deep").status_code == 404


@pytest.mark.parametrize("offset", [10**20, -1])
def test_an_offset_out_of_range_is_refused_clearly(service: RunningService, offset: int) -> None:
    with _api(service) as api:
        response = api.get("/api/tickets", params={"offset": offset})
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", "offset"]


def test_a_large_offset_in_range_is_an_empty_page(service: RunningService) -> None:
    with _api(service) as api:
        response = api.get("/api/tickets", params={"offset": 10**9})
    assert response.status_code == 200, response.text
    assert response.json() == []


def test_personal_numbers_stay_out_of_the_access_log(service: RunningService) -> None:
    with _api(service) as api:
        assert api.get("/api/tickets", params={"caller": CALLER}).status_code == 200
        assert api.get(f"/api/customers/{CALLER}").status_code == 200
        assert api.get("/api/customers/%2B8613800001111").status_code == 200
        # A marker request that is logged after the two above.
        assert api.get("/api/tickets", params={"topic": "loans"}).status_code == 200
    log = _wait_for(service, "topic=loans")
    assert "/api/customers/" in log and "caller=" in log
    assert "13800001111" not in log
    assert "8613800" not in log


def _wait_for(service: RunningService, text: str) -> str:
    """The service's log once it holds `text` (access lines are written as requests end)."""
    for _ in range(100):
        log = service.output()
        if text in log:
            return log
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never logged:\n{service.output()[-2000:]}")
