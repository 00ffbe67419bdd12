"""Words heard with low confidence, read back to the caller: what they hear, what they answer.

Plain functions over text. The call controller (ivr.controller.confirming) asks
"We heard: ... If that is right, press 1. To say it again, press 2." and reads
the answer here; which takes are asked about is `needs_confirmation`
(ivr.speech.gather) against the record node's `confirm_below`.
"""

from __future__ import annotations

import re
from typing import Literal

from ivr.ids import Language
from ivr.security.redact import CARD_MASK, ID_MASK, SECRET_MASK, redact

Answer = Literal["yes", "again"]

KEYS: dict[str, Answer] = {"1": "yes", "2": "again"}

# What a caller may say instead of pressing. "Again" words are looked for first: "不是"
# holds "是", and "not right" holds "right". A key said as a word counts only alone.
_AGAIN_WORDS = frozenset({"no", "nope", "nah", "not", "wrong", "incorrect", "again", "repeat"})
_YES_WORDS = frozenset({"yes", "yeah", "yep", "yup", "right", "correct", "sure", "ok", "okay"})
_AGAIN_ZH = ("不", "错", "重新", "再说", "重说")
_YES_ZH = ("对", "是", "正确", "好", "嗯")
_SAID_KEYS: dict[str, Answer] = {"1": "yes", "one": "yes", "一": "yes", "幺": "yes"}
_SAID_KEYS |= {"2": "again", "two": "again", "二": "again", "两": "again"}

# Phrases that help the carrier's recogniser hear the answer, per language.
HINTS: dict[Language, tuple[str, ...]] = {
    Language.EN_US: ("yes", "no", "that's right", "say it again"),
    Language.ZH_CN: ("对", "是的", "不对", "再说一遍"),
}

# A read-back is a reminder, not a replay: a 30-second description is cut short.
MAX_WORDS = 30  # English, in words
MAX_CHARACTERS = 60  # Mandarin, in characters
_MASKS = (CARD_MASK, ID_MASK, SECRET_MASK)
_WORD = re.compile(r"[a-z']+")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_TRAILING = ".,;:!?。，；：！？、… "


def answer_of(digits: str, speech: str) -> Answer | None:
    """What the caller's keys or words at the question mean; None when neither yes nor again."""
    digits = digits.strip()
    if digits:
        return KEYS.get(digits)
    # "没错" (no mistake) is a yes, though it holds 错.
    text = speech.strip().lower().replace("’", "'").replace("没错", "对")
    bare = text.strip(_TRAILING)
    if not bare:
        return None
    if bare in _SAID_KEYS:
        return _SAID_KEYS[bare]
    words = set(_WORD.findall(text))
    if words & _AGAIN_WORDS or any(word in text for word in _AGAIN_ZH):
        return "again"
    if words & _YES_WORDS or any(word in text for word in _YES_ZH):
        return "yes"
    return None


def read_back(text: str, *, masked: str) -> str:
    """`text` as it may be said back to the caller: redacted (each card number, ID or PIN
    said as `masked`, e.g. "the number you gave"), without closing punctuation, and cut
    short when long."""
    said = redact(" ".join(text.split()))
    for mask in _MASKS:
        said = said.replace(mask, masked)
    if _HAN.search(said):
        if len(said) > MAX_CHARACTERS:
            return said[:MAX_CHARACTERS] + "…"
    else:
        words = said.split(" ")
        if len(words) > MAX_WORDS:
            return " ".join(words[:MAX_WORDS]) + " …"
    return said.rstrip(_TRAILING)
