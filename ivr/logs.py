"""Logging that never carries card numbers, ID numbers, PINs or callers' phone numbers.

Two formats (IVR_LOG_FORMAT): `text`, one readable line a record, and `json`,
one object a line for log collectors. Every record logged while a webhook of
a call is handled carries that call's CallSid (`call_sid`), set by the carrier's
front door in a context variable, so one call's lines can be gathered across
processes. Access lines (uvicorn's) lose the caller numbers in their paths and
query strings (`?caller=+86...`, `/api/customers/+86...`).
"""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import unquote_plus

from ivr.security.redact import RedactingFilter, redact

LogFormat = Literal["text", "json"]

CALL_SID: ContextVar[str | None] = ContextVar("ivr_call_sid", default=None)
"""The CallSid of the call whose webhook this task is answering, if any."""

NUMBER_MASK = "[number]"
# Query parameters that name a person's phone number, whatever their value looks like.
NUMBER_PARAMS = frozenset({"caller", "called", "phone", "number"})
# A phone number as a URL carries it: an optional + (%2B), 7 or more digits, maybe spaced.
_NUMBER = re.compile(r"^\+?(?:[0-9][ ().-]?){6,}[0-9]$")
# Dates and times are not numbers of a person (`since=2026-12-04`).
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access")
_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(call)s: %(message)s"


def bind_call(call_sid: str | None) -> Token[str | None]:
    """Tag every record logged from here on in this task with `call_sid`."""
    return CALL_SID.set(call_sid or None)


def _is_number(value: str) -> bool:
    text = unquote_plus(value).strip()
    return bool(_NUMBER.match(text)) and not _DATE.match(text)


def redact_target(target: str) -> str:
    """A request path and query with callers' numbers and card numbers masked."""
    path, sep, query = target.partition("?")
    segments = [NUMBER_MASK if _is_number(s) else s for s in path.split("/")]
    pairs = []
    for pair in query.split("&") if query else []:
        name, eq, value = pair.partition("=")
        if eq and value and (unquote_plus(name).lower() in NUMBER_PARAMS or _is_number(value)):
            value = NUMBER_MASK
        pairs.append(f"{name}{eq}{value}")
    return redact("/".join(segments) + sep + "&".join(pairs))


class CallFilter(logging.Filter):
    """Puts the current call's CallSid on each record (`record.call_sid`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Tag the record; never drops it."""
        sid = CALL_SID.get()
        record.call_sid = sid
        record.call = f" [{sid}]" if sid else ""
        return True


class AccessFilter(logging.Filter):
    """Masks numbers in the request line of uvicorn's access records."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the path argument (client, method, path, version, status)."""
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_target(args[2]), *args[3:])
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: at, level, logger, message, call_sid, and the error if any."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        line: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        sid = getattr(record, "call_sid", None)
        if sid:
            line["call_sid"] = sid
        if record.exc_info:
            line["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


def configure_logging(level: str, log_format: LogFormat = "text") -> None:
    """Log to stderr at `level` in `log_format`, with redaction and the CallSid on every record."""
    root = logging.getLogger()
    ours = [h for h in root.handlers if any(isinstance(f, RedactingFilter) for f in h.filters)]
    handler = ours[0] if ours else logging.StreamHandler()
    if not ours:
        handler.addFilter(CallFilter())
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
    handler.setFormatter(
        JsonFormatter() if log_format == "json" else logging.Formatter(_TEXT_FORMAT)
    )
    root.setLevel(level.upper())
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, AccessFilter) for f in access.filters):
        access.addFilter(AccessFilter())
    if log_format == "json":
        # uvicorn's own handlers print plain text: let its records reach ours instead.
        for name in _UVICORN:
            logger = logging.getLogger(name)
            logger.handlers.clear()
            logger.propagate = True
