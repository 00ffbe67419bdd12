"""Emotion cues in what the caller said: lexicon hits, negation, repetition, shouting.

The lexicon (`ivr.nlu.lexicon`) lists the phrases; this module finds them in
folded text, flips those a negator reaches ("not angry", "不太生气") to weight
0, raises those an intensifier precedes, and adds the cues no phrase list can
hold: repeated demands for a person, the same request said twice, capitals and
exclamation marks. Every cue names what matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ivr.ids import Emotion
from ivr.nlu.lexicon import ENTRIES
from ivr.nlu.models import EmotionCue, LexiconEntry
from ivr.nlu.modifiers import (
    CLAUSE_BREAKS_EN,
    INTENSIFIERS_EN,
    INTENSIFIERS_ZH,
    NEGATORS_EN,
    NEGATORS_ZH,
)
from ivr.nlu.text import fold

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
    found = [(pattern, list(pattern.regex.finditer(folded))) for pattern in _patterns()]
    shadowed = [m.span() for pattern, hits in found if pattern.entry.shadows for m in hits]
    for pattern, hits in found:
        entry = pattern.entry
        for match in hits:
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
