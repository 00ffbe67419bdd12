"""What a caller hears when even the prompt files cannot be read: the last fallback.

Kept here, per language, rather than as a literal where it is used, so that
`ivr prompts lint` checks it like every prompt: a caller who reaches it has
already met a failure, and still hears what we can do, in their own language.
"""

from __future__ import annotations

from dataclasses import dataclass

from ivr.ids import Language


@dataclass(frozen=True)
class FallbackSay:
    """A `<Say>` that needs no prompt file: its text, voice and language code."""

    text: str
    voice: str
    language: str


# Twilio's own voices ("alice", Polly's Zhiyu) need no configuration of ours.
LAST_WORDS: dict[Language, FallbackSay] = {
    Language.EN_US: FallbackSay("We are connecting you to an agent now.", "alice", "en-US"),
    Language.ZH_CN: FallbackSay("现在为您转接客服专员。", "Polly.Zhiyu", "cmn-CN"),
}
SOURCE = "ivr/prompts/fallback.py"


def last_words(language: Language) -> FallbackSay:
    """The fallback in `language` (English when there is none for it)."""
    return LAST_WORDS.get(language, LAST_WORDS[Language.EN_US])
