"""A multipart body to a webhook: an unsigned one is refused before it is read."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from tests.telephony.conftest import Service

MIB = 1 << 20


async def test_an_unsigned_30_mib_multipart_body_is_refused_unread(service: Service) -> None:
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'--b\r\nContent-Disposition: form-data; name="CallSid"\r\n\r\n'
        for _ in range(30):
            sent += MIB
            yield b"x" * MIB
        yield b"\r\n--b--\r\n"

    async with httpx.AsyncClient(
        transport=service.transport, base_url=service.settings.public_url
    ) as client:
        answer = await client.post(
            "/twilio/voice",
            content=body(),
            headers={"Content-Type": "multipart/form-data; boundary=b"},
        )
    assert answer.status_code == 403
    assert sent < 30 * MIB  # the service stopped listening long before the end
