"""Sign-in: a token for a session cookie, role per page, CSRF on writes, expiry, sign-out."""

from __future__ import annotations

import redis.asyncio as aioredis

from ivr.keys import Keys
from ivr.web.sessions import SESSION_COOKIE
from tests.web.conftest import Web, csrf_in


async def test_a_page_sends_the_signed_out_to_sign_in_and_back(web: Web) -> None:
    page = await web.client.get("/test/agent-page")
    assert page.status_code == 303
    assert page.headers["location"] == "/signin?next=/test/agent-page"
    signed = await web.sign_in("agent", next_path="/test/agent-page")
    assert signed.status_code == 303 and signed.headers["location"] == "/test/agent-page"
    cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=" in cookie
    page = await web.client.get("/test/agent-page")
    assert page.status_code == 200 and "hello amy" in page.text


async def test_the_session_lives_in_redis_not_in_the_cookie(
    web: Web, redis: aioredis.Redis, keys: Keys
) -> None:
    await web.sign_in("agent")
    session_id = web.client.cookies[SESSION_COOKIE]
    assert web.tokens["agent"] not in session_id
    assert await redis.ttl(keys.web_session(session_id)) > 0


async def test_a_bad_token_is_told_so_and_gets_no_session(web: Web) -> None:
    web.tokens["agent"] = "ivr_not-a-token"
    answer = await web.sign_in("agent")
    assert answer.status_code == 401
    assert "not valid" in answer.text
    assert SESSION_COOKIE not in web.client.cookies


async def test_sign_in_refuses_a_form_without_its_csrf_token(web: Web) -> None:
    await web.client.get("/signin")
    answer = await web.client.post("/signin", data={"token": web.tokens["agent"], "csrf": "x"})
    assert answer.status_code == 403
    assert SESSION_COOKIE not in web.client.cookies


async def test_a_token_of_another_role_is_told_so_and_sees_nothing(web: Web) -> None:
    await web.sign_in("supervisor")
    page = await web.client.get("/test/agent-page")
    assert page.status_code == 403
    assert "for an agent" in page.text and "a supervisor" in page.text
    assert "hello" not in page.text
    assert (await web.client.get("/test/supervisor-page")).status_code == 200


async def test_writes_need_the_sessions_csrf_token(web: Web) -> None:
    await web.sign_in("agent")
    csrf = csrf_in((await web.client.get("/test/agent-page")).text)
    refused = await web.client.post("/test/agent-write", headers={"X-CSRF-Token": "forged"})
    assert refused.status_code == 403
    missing = await web.client.post("/test/agent-write")
    assert missing.status_code == 403
    done = await web.client.post("/test/agent-write", headers={"X-CSRF-Token": csrf})
    assert done.status_code == 200 and done.json() == {"done": "amy"}


async def test_an_expired_session_gets_a_401_a_script_can_act_on(
    web: Web, redis: aioredis.Redis, keys: Keys
) -> None:
    await web.sign_in("agent")
    await redis.delete(keys.web_session(web.client.cookies[SESSION_COOKIE]))
    answer = await web.client.post(
        "/test/agent-write", headers={"Accept": "application/json", "X-CSRF-Token": "x"}
    )
    assert answer.status_code == 401
    assert answer.json()["signin"].startswith("/signin?next=")


async def test_sign_out_ends_the_session_on_the_server(
    web: Web, redis: aioredis.Redis, keys: Keys
) -> None:
    await web.sign_in("agent")
    session_id = web.client.cookies[SESSION_COOKIE]
    csrf = csrf_in((await web.client.get("/test/agent-page")).text)
    out = await web.client.post("/signout", data={"csrf": csrf})
    assert out.status_code == 303
    assert await redis.exists(keys.web_session(session_id)) == 0
    web.client.cookies.set(SESSION_COOKIE, session_id)  # a copied cookie is worth nothing now
    assert (await web.client.get("/test/agent-page")).status_code == 303


async def test_the_next_page_never_leaves_the_site(web: Web) -> None:
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        signed = await web.sign_in("agent", next_path=evil)
        assert signed.headers["location"] == "/console"


async def test_the_language_choice_is_remembered(web: Web) -> None:
    chosen = await web.client.get("/lang", params={"to": "zh-CN", "next": "/signin"})
    assert chosen.status_code == 303
    page = await web.client.get("/signin")
    assert 'lang="zh-CN"' in page.text and "登录热线工作台" in page.text


async def test_a_page_script_can_ask_whether_it_is_still_signed_in(
    web: Web, redis: aioredis.Redis, keys: Keys
) -> None:
    await web.sign_in("agent")
    assert (await web.client.get("/session")).json() == {"role": "agent", "agent_id": "amy"}
    await redis.delete(keys.web_session(web.client.cookies[SESSION_COOKIE]))
    gone = await web.client.get("/session", headers={"Accept": "application/json"})
    assert gone.status_code == 401
