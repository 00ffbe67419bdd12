"""Emotion: cues from what was said, how it sounded and how the caller behaved, fused.

Each cue names its source, the emotion it points to and its weight, so agents
and the ticket see why a caller was read as upset. Fusion is a plain function
over the cues: the emotion with the largest total wins when the total clears
a floor; intensity grows with the total and saturates at 1.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from ivr.ids import Emotion
from ivr.nlu.learner import TextClassifier
from ivr.nlu.lexicon import (
    CLAUSE_BREAKS_EN,
    ENTRIES,
    INTENSIFIERS_EN,
    INTENSIFIERS_ZH,
    NEGATORS_EN,
    NEGATORS_ZH,
    LexiconEntry,
)
from ivr.nlu.models import Behaviour, EmotionCue, EmotionReading
from ivr.nlu.text import fold, has_language, normalize
from ivr.speech.models import VoiceCues

# Below this total a caller reads as neutral: one mild word is not an emotion.
EMOTION_FLOOR = 0.35
# The learned text model's cue: its top emotion's probability times this weight, when the
# probability is at least the minimum (measured on blind caller sets, see DEVELOPERS.md).
MODEL_WEIGHT = 0.7
MODEL_MIN_PROBABILITY = 0.5
# Typical telephone speech sits around -20..-26 dBFS; above this a caller is shouting.
LOUD_DBFS = -14.0
_CJK = re.compile(r"[\u3400-\u9fff]")
_CLAUSE_END = re.compile(r"[,.;:!?，。；：！？、]")
_SHOUTED_WORD = re.compile(r"\b[A-Z]{3,}\b")
_EXCLAIMS = re.compile(r"[!！]")
_PERSON = "demand_for_person"
# Words that hold a negator's character without negating: 特别慌 is "very panicked".
_NOT_NEGATORS_ZH = frozenset(
    {"特别", "分别", "区别", "差别", "个别", "类别", "级别", "告别", "无论"}
)
# What may stand between a Chinese negator and the cue it negates: degree and helper words.
_NEGATION_GAP_ZH = frozenset("是很太会要用必那么怎么有再大特别都也还真好过算够感到觉得一点被")
_LATIN_WORD = re.compile(r"[a-z0-9]+")
_CHINESE_REPEAT = re.compile(r"([\u3400-\u9fff]{2,6})[\s,，.。!！、]*\1")
_FILLERS_EN = frozenset(
    {
        "yes",
        "yeah",
        "yep",
        "okay",
        "hello",
        "bye",
        "very",
        "really",
        "the",
        "and",
        "that",
        "had",
        "hmm",
    }
)
_POLITE_EN = frozenset({"thank you", "thanks a lot", "hello there", "bye bye", "i mean"})
_POLITE_ZH = frozenset({"好的", "是的", "对的", "没事", "可以", "谢谢你", "你好", "再见", "明白"})


@dataclass(frozen=True, slots=True)
class _Pattern:
    entry: LexiconEntry
    regex: re.Pattern[str]
    chinese: bool


@lru_cache(maxsize=1)
def _patterns() -> tuple[_Pattern, ...]:
    """Every lexicon entry compiled once: one alternation per entry and script."""
    out: list[_Pattern] = []
    for entry in ENTRIES:
        english = [p for p in entry.english]
        chinese = [fold(p) for p in entry.chinese if _CJK.search(p)]
        english += [rf"{p}" for p in entry.chinese if not _CJK.search(p)]
        if english:
            out.append(_Pattern(entry, re.compile(rf"\b(?:{'|'.join(english)})\b"), False))
        if chinese:
            out.append(_Pattern(entry, re.compile("|".join(chinese)), True))
    return tuple(out)


def _clause_before(text: str, start: int) -> str:
    """The text of the current clause up to `start` (negation does not cross a comma)."""
    head = text[max(0, start - 30) : start]
    parts = _CLAUSE_END.split(head)
    return parts[-1] if parts else ""


def _modifier(text: str, start: int, chinese: bool) -> float:
    """0 when the cue is negated, 1.5 when intensified, else 1."""
    clause = _clause_before(text, start)
    if chinese:
        if _negated_zh(clause[-5:]):
            return 0.0
        return 1.5 if any(word in clause[-3:] for word in INTENSIFIERS_ZH) else 1.0
    tokens = clause.split()[-3:]
    for i, token in enumerate(tokens):
        if token in NEGATORS_EN and not CLAUSE_BREAKS_EN.intersection(tokens[i + 1 :]):
            return 0.0
    return 1.5 if INTENSIFIERS_EN.intersection(tokens[-2:]) else 1.0


def _negated_zh(near: str) -> bool:
    """Whether a negator in `near` (the characters just before a cue) reaches the cue.

    It reaches across degree and helper words only ("不太生气", "没那么担心"), not across
    a verb ("别问了你这个破机器人" is no negated insult), and an A-not-A question
    ("会不会", "是不是") negates nothing.
    """
    for negator in NEGATORS_ZH:
        at = near.rfind(negator)
        if at < 0 or near[max(0, at - 1) : at + 2] in _NOT_NEGATORS_ZH:
            continue
        after = at + len(negator)
        if at > 0 and after < len(near) and near[at - 1] == near[after]:
            continue  # 会不会, 有没有, 是不是: a question
        if all(ch in _NEGATION_GAP_ZH for ch in near[after:]):
            return True
    return False


def text_cues(text: str) -> list[EmotionCue]:
    """Cues in what the caller said: lexicon hits (negation, intensifiers), shouting, demands."""
    folded = fold(text)
    cues: list[EmotionCue] = []
    person_demands = 0
    shadowed = [
        match.span()
        for pattern in _patterns()
        if pattern.entry.shadows
        for match in pattern.regex.finditer(folded)
    ]
    for pattern in _patterns():
        entry = pattern.entry
        for match in pattern.regex.finditer(folded):
            if not entry.shadows and any(
                a <= match.start() and match.end() <= b for a, b in shadowed
            ):
                continue
            if entry.name == _PERSON:
                person_demands += 1
                continue
            factor = _modifier(folded, match.start(), pattern.chinese) if entry.negatable else 1.0
            name = entry.name if factor else f"negated_{entry.name}"
            cues.append(
                EmotionCue(
                    source="text",
                    name=name,
                    emotion=entry.emotion,
                    weight=round(entry.weight * factor, 3),
                    detail=match.group(0),
                )
            )
    if person_demands >= 2:
        cues.append(
            EmotionCue(
                source="text",
                name="repeated_demand_for_person",
                emotion=Emotion.AGITATED,
                weight=min(0.3 * person_demands, 0.9),
                detail=f"{person_demands} times",
            )
        )
    cues.extend(_typography_cues(text[:1000]))
    cues.extend(_repetition_cues(folded))
    return cues


def _repetition_cues(folded: str) -> list[EmotionCue]:
    """Saying the same thing again in one breath: "block it block it", "余额 余额"."""
    repeats: list[str] = []
    tokens = _LATIN_WORD.findall(folded)
    i = 0
    while i < len(tokens):
        for n in (4, 3, 2, 1):
            unit = tokens[i : i + n]
            if len(unit) == n and unit == tokens[i + n : i + 2 * n] and _repeatable(unit):
                repeats.append(" ".join(unit))
                i += 2 * n - 1
                break
        i += 1
    for match in _CHINESE_REPEAT.finditer(folded):
        phrase = match.group(1)
        if len(set(phrase)) > 1 and phrase not in _POLITE_ZH:
            repeats.append(phrase)
    if not repeats:
        return []
    return [
        EmotionCue(
            source="text",
            name="repetition",
            emotion=Emotion.AGITATED,
            weight=min(0.45 + 0.15 * (len(repeats) - 1), 0.75),
            detail=", ".join(repeats[:3]),
        )
    ]


def _repeatable(unit: list[str]) -> bool:
    """Whether repeating these words is insistence, not "no no", "very very" or "thank you"."""
    if len(unit) == 1:
        return len(unit[0]) >= 3 and unit[0] not in _FILLERS_EN
    return " ".join(unit) not in _POLITE_EN


def _typography_cues(text: str) -> list[EmotionCue]:
    """Shouting in writing: several exclamation marks or words in capitals."""
    cues: list[EmotionCue] = []
    exclaims = len(_EXCLAIMS.findall(text))
    if exclaims >= 2:
        weight = min(0.15 * exclaims, 0.6)
        cues.append(
            EmotionCue(
                source="text",
                name="exclamations",
                emotion=Emotion.AGITATED,
                weight=weight,
                detail=f"{exclaims} exclamation marks",
            )
        )
    shouted = [w for w in _SHOUTED_WORD.findall(text) if w not in {"ATM", "PIN", "APP", "SMS"}]
    if len(shouted) >= 2:
        cues.append(
            EmotionCue(
                source="text",
                name="capitals",
                emotion=Emotion.AGITATED,
                weight=min(0.2 * len(shouted), 0.6),
                detail=" ".join(shouted[:5]),
            )
        )
    return cues


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
    if not has_language(normalize(text)):
        return []
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
