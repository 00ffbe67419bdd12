"""No card number at rest in Redis: not in a call's state, the event stream, nor the AOF."""

from __future__ import annotations

import asyncio
from pathlib import Path

from ivr.connections import PrivateRedis, redis_client
from ivr.keys import Keys
from ivr.simulator.script import Hangup, Press, Speak
from tests.telephony.conftest import Service

CARD = "4111 1111 1111 1111"


async def test_a_spoken_card_number_is_redacted_before_redis_keeps_it(
    private_service: tuple[Service, PrivateRedis], tmp_path: Path
) -> None:
    service, private = private_service
    record = await service.carrier().place_call(
        [Press("1"), Speak(f"my card number is {CARD} and I lost it"), Hangup()]
    )
    assert record.errors == []
    keys = Keys(prefix=service.settings.redis_prefix)
    client = redis_client(private.url)
    try:
        state = await client.get(keys.call(record.call_sid))
        assert state is not None and b"[card redacted]" in state
        entries = await client.xrange(keys.events_stream())
        written = b"".join(v for _, fields in entries for v in fields.values())
        await client.bgrewriteaof()
        await asyncio.sleep(0.5)
    finally:
        await client.aclose()
    assert b"4111" not in state
    assert b"4111" not in written
    on_disk = b"".join(p.read_bytes() for p in (tmp_path / "redis-data").rglob("*") if p.is_file())
    assert b"4111 1111" not in on_disk and b"4111111111111111" not in on_disk
