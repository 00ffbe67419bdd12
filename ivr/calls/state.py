"""CallState: everything the service knows about a call in progress.

Kept in Redis keyed by CallSid with an expiry, so consecutive webhooks of one
call may land on different server processes.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from ivr.ids import Emotion, Language, Topic, is_upset
from ivr.nlu.models import EmotionCue, Reading, VoiceCues

# Where an utterance's words came from: speech at a menu (the carrier's recogniser),
# the carrier's recogniser standing in for a recording, or our own transcript of one.
UtteranceSource = Literal["menu", "carrier", "recording"]


class Phase(StrEnum):
    """Where the call is, beyond the flow node."""

    MENU = "menu"  # in the flow, at `node`
    TRANSCRIBING = "transcribing"  # waiting for a recording's transcript
    LISTENING = "listening"  # a message is checked for speech while the caller holds
    QUEUED = "queued"  # in <Enqueue>, polled through the wait URL
    DIALING = "dialing"  # <Dial> to an agent
    CALLBACK = "callback"  # chose a callback while waiting
    VOICEMAIL = "voicemail"  # chose voicemail while waiting
    SURVEY = "survey"  # after the agent leg
    ENDED = "ended"


class Frame(BaseModel):
    """A sub-flow call: where to go on in the calling flow after `return`."""

    flow: str
    next: str


class Utterance(BaseModel):
    """One thing the caller said, read once; the reading travels with the call from then on.

    `number` orders a call's utterances as the caller said them (1, 2, ...). It is
    in the `nlu.read` event of the reading, so the ticket takes the reading of the
    latest utterance whatever order the events reach it in. A recording's number is
    taken when it is sent for transcription, so a transcript that arrives late keeps
    its place.
    """

    number: int
    text: str
    source: UtteranceSource
    node: str | None = None
    reading: Reading
    voice: VoiceCues | None = None  # how the caller sounded (our own recordings only)


class Take(BaseModel):
    """One recording's words at a describe step (or the carrier's stand-in for it), kept
    while the caller is asked to confirm them (ivr.controller.confirming).

    Its number and reading were given before the question, so whatever the caller
    answers, the words are read once and keep their place.
    """

    flow: str
    node: str  # the record node the words were said at
    number: int  # the utterance number (CallState.said) the words were given
    text: str  # as heard; redacted before Redis keeps it (CallStore.close)
    source: UtteranceSource
    confidence: float | None = None  # the recogniser's, 0..1; None when it gave none
    reading: Reading | None = None  # the worker's (or the listener's) reading of `text`
    voice: VoiceCues | None = None
    asked: int = 0  # times the caller has been asked to confirm these words


RECENT_UTTERANCES = 3  # whose cues the emotion before routing, and the screen pop, take


class CallState(BaseModel):
    """One call in progress."""

    call_sid: str
    caller: str = ""
    called: str = ""
    language: Language = Language.EN_US
    language_chosen: bool = False
    flow: str = "main"
    node: str = ""
    # flow name -> the published version the call entered it with (ivr.flows.pinning)
    flow_versions: dict[str, int] = Field(default_factory=dict)
    stack: list[Frame] = Field(default_factory=list)
    phase: Phase = Phase.MENU
    attempts: int = 0  # failed tries at the current input node
    path: list[str] = Field(default_factory=list)  # "flow/node" visited, for the ticket
    seq: int = 0  # webhooks handled, for stable step names
    started_at: float = 0.0
    # understanding
    topic: Topic | None = None
    topic_confidence: float = 0.0
    emotion: Emotion = Emotion.NEUTRAL
    emotion_intensity: float = 0.0
    heard: list[Utterance] = Field(default_factory=list)  # every utterance, read once
    said: int = 0  # utterance numbers given out (a recording's before its transcript)
    # behaviour, for emotion
    zero_presses: int = 0
    no_match_count: int = 0
    no_input_count: int = 0
    repeat_caller: bool = False
    open_complaint: bool = False
    last_agent_id: str | None = None
    # transcription
    recording_node: str | None = None  # a message's: None when left from the queue
    recording_url: str = ""  # the message being checked for speech
    recording_seconds: float = 0.0
    empty_takes: int = 0  # recordings in a row that held nothing (asked once more, then on)
    transcribe_deadline: float = 0.0
    transcribing: int = 0  # the utterance number of the recording being transcribed
    # words heard with low confidence, read back and waiting for the caller's yes or retake
    unconfirmed: Take | None = None
    retakes: int = 0  # takes the caller asked to say again at this record node (at most one)
    # routing
    queue: str | None = None
    queue_entered_at: float | None = None
    queue_polls: int = 0
    agent_id: str | None = None
    agent_endpoint: str | None = None
    tried_agents: list[str] = Field(default_factory=list)
    route_count: int = 0
    connected_at: float | None = None
    values: dict[str, str] = Field(default_factory=dict)  # menu `store_as` results
    # The latest status callback heard (SequenceNumber, Timestamp): an older one is stale.
    status_order: tuple[int, float] = (-1, 0.0)
    carrier_status: str = ""

    @property
    def upset(self) -> bool:
        """Whether prompts should take their calming variant."""
        return is_upset(self.emotion, self.emotion_intensity)

    def recent_cues(self) -> list[EmotionCue]:
        """The word and voice cues of the caller's latest utterances, each once at its strongest.

        Saying "block it" three times does not triple its weight; two different angry
        words ("气死", "乱扣") stay two cues. Behaviour cues are left out: how the
        caller behaved then is not how they behave now.
        """
        strongest: dict[tuple[str, str, str, str], EmotionCue] = {}
        for utterance in self.heard[-RECENT_UTTERANCES:]:
            for cue in utterance.reading.cues:
                if cue.source == "behaviour":
                    continue
                key = (cue.source, cue.name, cue.emotion.value, cue.detail)
                if key not in strongest or cue.weight > strongest[key].weight:
                    strongest[key] = cue
        return list(strongest.values())
