"""Words that change what a lexicon cue means: negators, intensifiers, clause breaks.

`ivr.nlu.text_cues` flips a cue a negator reaches ("not angry"), strengthens one an
intensifier precedes ("so angry"), and stops either at a clause break.
"""

from __future__ import annotations

NEGATORS_EN = frozenset({"not", "never", "no", "without", "hardly", "nor", "neither"})
NEGATORS_ZH = ("不", "没", "别", "未", "无", "并非", "不是")
INTENSIFIERS_EN = frozenset(
    {
        "very",
        "so",
        "really",
        "extremely",
        "absolutely",
        "totally",
        "completely",
        "super",
        "incredibly",
        "too",
        "utterly",
        "truly",
        "seriously",
        "deeply",
        "terribly",
        "awfully",
    }
)
INTENSIFIERS_ZH = (
    "非常",
    "很",
    "太",
    "超",
    "特别",
    "真",
    "好",
    "极",
    "十分",
    "超级",
    "实在",
    "相当",
)
# A clause boundary ends the reach of a negator ("not angry, just confused").
CLAUSE_BREAKS_EN = frozenset({"but", "just", "only", "and", "yet", "though", "although"})
