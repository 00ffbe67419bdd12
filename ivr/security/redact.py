"""Redaction of card numbers, resident IDs, CVVs and PINs, before anything is stored or logged.

Pure functions over strings. What is removed:
- card numbers: 13-19 digits passing the Luhn check, written with spaces or
  dashes, or spoken as words ("four one one one ...", "四一一一...");
- Chinese resident ID numbers: 18 characters whose last is the ISO 7064 check;
- CVV, PIN and passwords: 3-8 digits after their cue words, in either language.
What stays: amounts, dates, phone numbers (a leading '+' marks a phone
number, and fewer than 13 digits are never a card), anything failing the checks.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

CARD_MASK = "[card redacted]"
ID_MASK = "[id redacted]"
SECRET_MASK = "[redacted]"

_EN_DIGITS = {
    "zero": "0",
    "oh": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
_ZH_DIGITS = {
    "零": "0",
    "〇": "0",
    "一": "1",
    "幺": "1",
    "二": "2",
    "两": "2",
    "三": "3",
    "四": "4",
    "五": "5",
    "六": "6",
    "七": "7",
    "八": "8",
    "九": "9",
}
_EN_WORD = "|".join(sorted(_EN_DIGITS, key=len, reverse=True))
# One digit as written or spoken; English words must stand alone ("someone" is no digit).
_TOKEN = rf"(?:[0-9]|(?<![A-Za-z])(?:{_EN_WORD})(?![A-Za-z])|[{''.join(_ZH_DIGITS)}])"
# A run of digits; separators are spaces, dashes and commas, never '.', so "12.50" stays two runs.
_RUN = re.compile(rf"(?<![0-9A-Za-z+]){_TOKEN}(?:[\s,\-]{{0,3}}{_TOKEN})*", re.IGNORECASE)
_TOKEN_RE = re.compile(_TOKEN, re.IGNORECASE)
# Everything redacted holds a digit: a card number, an ID and a secret are runs of _TOKEN
# (an ID's \d included). Text without one is returned unread, in one pass instead of three.
_ANY_DIGIT = re.compile(rf"\d|{_TOKEN}", re.IGNORECASE)

_RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z+])\d{6}[ -]?\d{8}[ -]?\d{3}[0-9Xx](?![0-9A-Za-z])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

_CUE = re.compile(
    r"(?:\b(?:cvv2?|cvc2?|cid|security\s+code|verification\s+code|"
    r"card\s+verification\s+(?:value|code)|pin(?:\s+(?:number|code))?|passcode|password)\b"
    r"|密码|安全码|验证码|校验码|識別碼|驗證碼)"
    r"(?:[\s:：=#,，]|\b(?:is|was|number|code|it's|its)\b|是|为|為|号码|號碼)*",
    re.IGNORECASE,
)
_SECRET_DIGITS = (3, 8)


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn check used by card numbers."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def resident_id_valid(text: str) -> bool:
    """Whether 18 characters form a Chinese resident ID number with a correct check character."""
    chars = text.upper()
    if len(chars) != 18 or not chars[:17].isdigit():
        return False
    total = sum(int(c) * w for c, w in zip(chars[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == chars[17]


def _tokens(run: str) -> list[tuple[int, int, str, bool]]:
    """(start, end, digit, starts_group) for each digit written or spoken in `run`.

    A group is what a person says or writes in one go: a block of numerals
    between separators, or a single spoken word.
    """
    out: list[tuple[int, int, str, bool]] = []
    prev_end = -1
    for m in _TOKEN_RE.finditer(run):
        word = m.group(0)
        numeral = word.isdigit()
        digit = word if numeral else _EN_DIGITS.get(word.lower()) or _ZH_DIGITS[word]
        joined = numeral and prev_end == m.start() and out and run[m.start() - 1].isdigit()
        out.append((m.start(), m.end(), digit, not joined))
        prev_end = m.end()
    return out


def _card_span(run: str) -> tuple[int, int] | None:
    """The part of a digit run that is a card number, if any.

    The whole run is tried first; then runs of whole groups anchored at either
    end, so a stray word said next to a card number ("... 1111, one more
    thing") does not hide it, while a longer block of numerals is never cut.
    """
    toks = _tokens(run)
    n = len(toks)
    digits = "".join(t[2] for t in toks)
    if 13 <= n <= 19 and luhn_valid(digits):
        return toks[0][0], toks[-1][1]
    starts = [i for i, t in enumerate(toks) if t[3]]
    ends = [*starts[1:], n]
    windows = [(0, e) for e in ends] + [(s, n) for s in starts]
    for start, stop in sorted(windows, key=lambda w: w[0] - w[1]):
        if 13 <= stop - start <= 19 and luhn_valid(digits[start:stop]):
            return toks[start][0], toks[stop - 1][1]
    return None


def _replace_spans(text: str, spans: list[tuple[int, int, str]]) -> str:
    out, pos = [], 0
    for start, end, mask in sorted(spans):
        if start < pos:
            continue
        out.append(text[pos:start])
        out.append(mask)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _secret_spans(text: str) -> Iterator[tuple[int, int, str]]:
    """Digits following a CVV / PIN / password cue word."""
    for cue in _CUE.finditer(text):
        run = _RUN.match(text, cue.end())
        if run is None:
            continue
        count = len(_tokens(run.group(0)))
        if _SECRET_DIGITS[0] <= count <= _SECRET_DIGITS[1]:
            yield run.start(), run.end(), SECRET_MASK


def redact(text: str) -> str:
    """`text` with card numbers, resident IDs, CVVs and PINs replaced by markers."""
    if not text or _ANY_DIGIT.search(text) is None:
        return text
    spans: list[tuple[int, int, str]] = []
    for m in _RESIDENT_ID.finditer(text):
        if resident_id_valid(re.sub(r"[ -]", "", m.group(0))):
            spans.append((m.start(), m.end(), ID_MASK))
    text = _replace_spans(text, spans)
    spans = list(_secret_spans(text))
    text = _replace_spans(text, spans)
    spans = []
    for m in _RUN.finditer(text):
        found = _card_span(m.group(0))
        if found is not None:
            spans.append((m.start() + found[0], m.start() + found[1], CARD_MASK))
    return _replace_spans(text, spans)


def mask_digits(text: str) -> str:
    """Every digit replaced by '*': for input entered in a flow node marked secure."""
    return re.sub(r"[0-9]", "*", text)


# Keys whose values are identifiers we need verbatim (they hold no caller speech).
STRUCTURAL_KEYS = frozenset(
    {
        "caller",
        "called",
        "number",
        "call_sid",
        "callback_id",
        "booked_call_sid",
        "agent_id",
        "recording_url",
        "node",
        "flow",
        "queue",
        "language",
        "topic",
        "emotion",
        "engine",
        "endpoint",
        "strategy",
        "kind",
        "id",
    }
)


def redact_data(value: Any, *, key: str | None = None) -> Any:
    """A copy of JSON-like `value` with every free-text string redacted."""
    if isinstance(value, str):
        return value if key in STRUCTURAL_KEYS else redact(value)
    if isinstance(value, dict):
        return {k: redact_data(v, key=str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v, key=key) for v in value]
    return value


def event_data_at_rest(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """A call event's data as it may be kept anywhere: secure digits masked, free text redacted."""
    cleaned = dict(data)
    if event_type == "menu.input" and cleaned.get("secure"):
        for field in ("digits", "speech"):
            if isinstance(cleaned.get(field), str):
                cleaned[field] = mask_digits(cleaned[field])
    result: dict[str, Any] = redact_data(cleaned)
    return result


def needs_redaction(event_type: str, data: dict[str, Any]) -> bool:
    """Whether `event_data_at_rest` could change `data`: secure input, or free text with a digit.

    False spares a copy of every event that holds nothing to mask (most of them).
    """
    if event_type == "menu.input" and data.get("secure"):
        return True
    return _holds_digits(data, None)


def _holds_digits(value: Any, key: str | None) -> bool:
    """Whether a free-text string in `value` holds a digit, as `redact_data` walks it."""
    if isinstance(value, str):
        return key not in STRUCTURAL_KEYS and _ANY_DIGIT.search(value) is not None
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, str):  # most values: checked here rather than by another call
                if v and str(k) not in STRUCTURAL_KEYS and _ANY_DIGIT.search(v) is not None:
                    return True
            elif _holds_digits(v, str(k)):
                return True
    elif isinstance(value, list | tuple):
        for v in value:
            if _holds_digits(v, key):
                return True
    return False


class RedactingFilter(logging.Filter):
    """A logging filter that redacts each record's rendered message, so logs never carry secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message, redact it, and drop the arguments it came from."""
        record.msg = redact(record.getMessage())
        record.args = None
        return True
