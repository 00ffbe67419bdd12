"""Prompt texts per language, and how each language is spoken and heard.

`prompts/<language>.yaml` holds, for one language:

    language: en-US
    say: {voice: Polly.Joanna, language: en-US}    # attributes of <Say>
    gather_language: en-US                           # <Gather language=...>
    prompts:
      main_menu: "For cards, press 1. ..."
      connecting.calm: "..."      # a calming variant, used for upset callers

Texts may hold `{name}` placeholders filled by the engine (position, minutes).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ivr.ids import Language, Topic

CALM_SUFFIX = ".calm"


class SayVoice(BaseModel):
    """The `<Say>` attributes for one language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    voice: str = Field(description="e.g. Polly.Joanna, Polly.Zhiyu, alice")
    language: str = Field(description="the <Say language> code, e.g. en-US, zh-CN")


class PromptSet(BaseModel):
    """All prompts of one language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    language: Language
    say: SayVoice
    gather_language: str = Field(description="<Gather language>: en-US, cmn-Hans-CN")
    prompts: dict[str, str]
    lines: dict[str, int] = Field(default_factory=dict, exclude=True)
    # Filled by the loader: the file this set came from, for lint messages.
    source: str | None = Field(default=None, exclude=True)


class PromptCatalog(BaseModel):
    """Every language's prompt set; the engine asks it for text."""

    model_config = ConfigDict(frozen=True)

    sets: dict[Language, PromptSet]

    def text(
        self, prompt_id: str, language: Language, *, calm: bool = False, **params: object
    ) -> str:
        """The text of `prompt_id` in `language`, the calming variant when asked and present."""
        prompts = self.sets[language].prompts
        template = prompts.get(prompt_id + CALM_SUFFIX) if calm else None
        if template is None:
            template = prompts[prompt_id]
        return template.format(**params) if params else template

    def has(self, prompt_id: str, language: Language) -> bool:
        """Whether `language` has a text for `prompt_id`."""
        return prompt_id in self.sets[language].prompts


# Prompts the engine itself plays; every language must have each of them.
ENGINE_PROMPTS: tuple[str, ...] = (
    "no_input",  # the caller said and pressed nothing
    "no_match",  # what they pressed or said fits no option
    "didnt_catch",  # speech heard with low confidence: ask again
    "clarify_topic",  # topic unclear: a short clarifying question before the key menu
    "error_apology",  # something failed inside: we connect them to an agent
    "restart",  # a step for an unknown or expired call: start again politely
    "one_moment",  # while their recording is transcribed, or their message checked
    "connecting",  # an agent is being dialled
    "queue_position",  # {position}, {minutes}
    "queue_hold",  # between announcements
    "queue_callback_offer",  # press 1 for a callback
    "queue_max_wait",  # waited the longest we allow: 1 for a callback, 2 for a voicemail
    "agent_retry",  # the agent did not answer: finding another
    "callback_booked",  # {when}
    "voicemail_prompt",  # leave a message after the tone
    "voicemail_saved",  # a message our worker heard speech in
    "voicemail_kept",  # a message not checked in time: kept for an agent to listen to
    "message_silent",  # a message without speech: once more, after the tone
    "transfer_connecting",
    "survey_thanks",
    "goodbye",
    "calming",  # first, to a sad, anxious or angry caller whose words we understood
    "record_again",  # a recording came back empty: once more, after the tone
    # a description heard unsurely (ivr.controller.confirming): read back, {words}; said in
    # place of a redacted number; say it again; thanks for a second take; no answer: go on
    "heard_confirm",
    "heard_masked",
    "heard_again",
    "heard_second_take",
    "heard_assumed",
    # what we understood a caller's words to be about (ivr.flows.menu.understood_prompt)
    *(f"understood_{topic.value}" for topic in Topic),
)
