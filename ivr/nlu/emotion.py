"""Emotion: cues from what was said, how it sounded and how the caller behaved, fused.

Each cue names its source, the emotion it points to and its weight, so agents
and the ticket see why a caller was read as upset. Fusion is a plain function
over the cues: the emotion with the largest total wins when the total clears
a floor; intensity grows with the total and saturates at 1.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

from ivr.ids import Emotion
from ivr.nlu.learner import TextClassifier
from ivr.nlu.models import Behaviour, EmotionCue, EmotionReading, VoiceCues
from ivr.nlu.text import has_content, normalize
from ivr.nlu.text_cues import text_cues

# Below this total a caller reads as neutral: one mild word is not an emotion.
EMOTION_FLOOR = 0.35
# The learned text model's cue: its top emotion's probability times this weight, when the
# probability is at least the minimum (measured on blind caller sets, see DEVELOPERS.md).
MODEL_WEIGHT = 0.7
MODEL_MIN_PROBABILITY = 0.5
# Typical telephone speech sits around -20..-26 dBFS; above this a caller is shouting.
LOUD_DBFS = -14.0


def voice_cues(voice: VoiceCues, *, baseline: VoiceCues | None = None) -> list[EmotionCue]:
    """Cues in how the caller sounded, absolute and against the call's own baseline if known."""
    cues: list[EmotionCue] = []
    if voice.duration_seconds <= 0.2:
        return cues
    if voice.loudness_dbfs > LOUD_DBFS:
        weight = min(0.4 + 0.05 * (voice.loudness_dbfs - LOUD_DBFS), 0.8)
        cues.append(
            EmotionCue(
                source="voice",
                name="loud",
                emotion=Emotion.AGITATED,
                weight=round(weight, 3),
                detail=f"{voice.loudness_dbfs:.1f} dBFS",
            )
        )
    if baseline is not None and voice.loudness_dbfs - baseline.loudness_dbfs >= 6.0:
        rise = voice.loudness_dbfs - baseline.loudness_dbfs
        cues.append(
            EmotionCue(
                source="voice",
                name="louder_than_before",
                emotion=Emotion.AGITATED,
                weight=round(min(0.05 * rise, 0.6), 3),
                detail=f"+{rise:.1f} dB",
            )
        )
    if voice.loudness_variance > 80.0:
        cues.append(
            EmotionCue(
                source="voice",
                name="loudness_swings",
                emotion=Emotion.AGITATED,
                weight=0.2,
                detail=f"variance {voice.loudness_variance:.0f}",
            )
        )
    cues.extend(_pitch_and_rate_cues(voice, baseline))
    return cues


def _pitch_and_rate_cues(voice: VoiceCues, baseline: VoiceCues | None) -> list[EmotionCue]:
    """Raised or lively pitch and fast speech: agitation or worry; flat and slow: sadness."""
    cues: list[EmotionCue] = []
    if voice.pitch_hz is not None and baseline is not None and baseline.pitch_hz:
        rise = voice.pitch_hz / baseline.pitch_hz - 1.0
        if rise >= 0.2:
            cues.append(
                EmotionCue(
                    source="voice",
                    name="raised_pitch",
                    emotion=Emotion.AGITATED,
                    weight=round(min(rise, 0.5), 3),
                    detail=f"+{rise:.0%}",
                )
            )
    if voice.pitch_variance is not None and voice.pitch_variance > 2500.0:
        cues.append(
            EmotionCue(
                source="voice",
                name="lively_pitch",
                emotion=Emotion.AGITATED,
                weight=0.2,
                detail=f"variance {voice.pitch_variance:.0f}",
            )
        )
    if voice.speech_rate > 6.0:
        cues.append(
            EmotionCue(
                source="voice",
                name="fast_speech",
                emotion=Emotion.ANXIOUS,
                weight=0.25,
                detail=f"{voice.speech_rate:.1f}/s",
            )
        )
    flat = voice.pitch_variance is not None and voice.pitch_variance < 150.0
    if 0.0 < voice.speech_rate < 2.5 and flat and voice.loudness_dbfs < -28.0:
        cues.append(
            EmotionCue(
                source="voice",
                name="flat_slow_quiet",
                emotion=Emotion.SAD,
                weight=0.3,
                detail=f"{voice.speech_rate:.1f}/s",
            )
        )
    return cues


def behaviour_cues(behaviour: Behaviour) -> list[EmotionCue]:
    """Cues in how the caller moved through the menu and in the bank's records."""
    cues: list[EmotionCue] = []
    if behaviour.zero_presses >= 2:
        cues.append(
            EmotionCue(
                source="behaviour",
                name="repeated_zero",
                emotion=Emotion.AGITATED,
                weight=min(0.25 * (behaviour.zero_presses - 1), 0.6),
                detail=f"pressed 0 {behaviour.zero_presses} times",
            )
        )
    misses = behaviour.no_match_count + behaviour.no_input_count
    if misses >= 2:
        cues.append(
            EmotionCue(
                source="behaviour",
                name="repeated_no_match",
                emotion=Emotion.AGITATED,
                weight=min(0.15 * (misses - 1), 0.45),
                detail=f"{misses} unrecognised or empty answers",
            )
        )
    if behaviour.hold_seconds >= 300:
        weight = min(0.2 + 0.3 * (behaviour.hold_seconds - 300) / 900, 0.5)
        cues.append(
            EmotionCue(
                source="behaviour",
                name="long_hold",
                emotion=Emotion.ANGRY,
                weight=round(weight, 3),
                detail=f"{behaviour.hold_seconds:.0f} s",
            )
        )
    if behaviour.repeat_caller_24h:
        cues.append(
            EmotionCue(
                source="behaviour",
                name="repeat_caller_24h",
                emotion=Emotion.ANGRY,
                weight=0.2,
                detail="called within 24 h",
            )
        )
    if behaviour.open_complaint:
        cues.append(
            EmotionCue(
                source="behaviour",
                name="open_complaint",
                emotion=Emotion.ANGRY,
                weight=0.3,
                detail="an open complaint ticket",
            )
        )
    return cues


def fuse(cues: Iterable[EmotionCue]) -> EmotionReading:
    """The emotion with the largest total weight, if it clears the floor; else neutral."""
    kept = list(cues)
    totals: dict[Emotion, float] = defaultdict(float)
    for cue in kept:
        if cue.emotion is not Emotion.NEUTRAL and cue.weight > 0:
            totals[cue.emotion] += cue.weight
    if not totals:
        return EmotionReading(emotion=Emotion.NEUTRAL, intensity=0.0, cues=kept)
    # Ties go to the emotion that calls for the most care first.
    order = [Emotion.ANGRY, Emotion.AGITATED, Emotion.ANXIOUS, Emotion.SAD]
    best = max(order, key=lambda e: (totals.get(e, 0.0), -order.index(e)))
    total = totals[best]
    if total < EMOTION_FLOOR:
        return EmotionReading(emotion=Emotion.NEUTRAL, intensity=round(total, 3), cues=kept)
    intensity = 1.0 - math.exp(-1.3 * total)
    return EmotionReading(emotion=best, intensity=round(min(intensity, 1.0), 3), cues=kept)


def model_cues(model: TextClassifier, text: str) -> list[EmotionCue]:
    """The learned reading of the words (routing/emotions.yaml), when it names an emotion.

    Examples teach what the lexicon cannot list: feeling carried by the situation
    ("the rent goes out tomorrow and the money is not there"). Its weight is its
    probability scaled so that, alone, only a fairly sure reading clears the floor.
    """
    if not has_content(normalize(text)):
        return []  # "thank you, that's everything": nothing for a learned reading to go on
    label, probability = model.ranked(text)[0]
    if label == Emotion.NEUTRAL.value or probability < MODEL_MIN_PROBABILITY:
        return []
    return [
        EmotionCue(
            source="text",
            name="text_model",
            emotion=Emotion(label),
            weight=round(MODEL_WEIGHT * probability, 3),
            detail=f"p={probability:.2f}",
        )
    ]


def read_emotion(
    text: str,
    *,
    voice: VoiceCues | None = None,
    baseline: VoiceCues | None = None,
    behaviour: Behaviour | None = None,
    model: TextClassifier | None = None,
) -> EmotionReading:
    """Every cue from text (lexicon, and the learned model if given), voice and behaviour, fused."""
    cues = text_cues(text)
    if model is not None:
        # "I'm not worried, just curious": the caller denies the feeling the words name,
        # and the model, reading "worried", must not say it back.
        denied = {c.emotion for c in cues if c.name.startswith("negated_")}
        cues.extend(c for c in model_cues(model, text) if c.emotion not in denied)
    if voice is not None:
        cues.extend(voice_cues(voice, baseline=baseline))
    if behaviour is not None:
        cues.extend(behaviour_cues(behaviour))
    return fuse(cues)
