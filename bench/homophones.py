"""Topic accuracy on Mandarin with misheard homophones: the learner with and without pinyin.

Run by hand: `.venv/bin/python bench/homophones.py`.

Speech recognisers swap characters that sound alike (收取 for 首期, 心脏 for
新政). Each Mandarin row of the dev set (tests/data/nlu_dev.csv, never trained
on) is copied three times with 10%, 20% or 30% of its characters replaced by
another character of the same toneless pinyin (from the characters in the
examples and the dev set, seeded); the topic learner is trained from
routing/topics.yaml with and without the toneless pinyin block, in the same
run, and scored on the clean rows of both languages and the swapped ones.
"""

from __future__ import annotations

import csv
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

from pypinyin import lazy_pinyin

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ivr.nlu.examples import load_topics  # noqa: E402
from ivr.nlu.learner import TextClassifier  # noqa: E402

RATES = (0.1, 0.2, 0.3)


def _is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


def main() -> None:
    """Train both learners, score every set, print accuracies and the ratio."""
    texts, labels = load_topics(ROOT / "routing").training_set()
    with (ROOT / "tests" / "data" / "nlu_dev.csv").open(encoding="utf-8", newline="") as rows:
        dev = list(csv.DictReader(rows))
    seen = sorted({c for t in texts + [r["text"] for r in dev] for c in t if _is_cjk(c)})
    by_sound: dict[str, list[str]] = defaultdict(list)
    for char in seen:
        by_sound[lazy_pinyin(char)[0]].append(char)
    rng = random.Random(17)

    def misheard(text: str, rate: float) -> str:
        out = []
        for char in text:
            others = [o for o in by_sound.get(lazy_pinyin(char)[0], []) if o != char]
            swap = _is_cjk(char) and others and rng.random() < rate
            out.append(rng.choice(others) if swap else char)
        return "".join(out)

    mandarin = [r for r in dev if r["language"] == "zh-CN"]
    sets = {
        "dev en-US": [(r["text"], r["category"]) for r in dev if r["language"] == "en-US"],
        "dev zh-CN": [(r["text"], r["category"]) for r in mandarin],
    }
    for rate in RATES:
        sets[f"zh {rate:.0%} swapped"] = [
            (misheard(r["text"], rate), r["category"]) for r in mandarin for _ in range(3)
        ]
    scores: dict[bool, dict[str, float]] = {}
    for pinyin in (False, True):
        started = time.process_time()
        model = TextClassifier(encoder=False, pinyin=pinyin).fit(texts, labels)
        print(f"trained in {time.process_time() - started:.1f} s CPU: {model.describe()}")
        scores[pinyin] = {}
        for name, rows in sets.items():
            predicted = model.predict([text for text, _ in rows])
            hits = sum(p == label for p, (_, label) in zip(predicted, rows, strict=True))
            scores[pinyin][name] = hits / len(rows)
    print(f"{'set':16} {'n':>4} {'characters':>10} {'+ pinyin':>9} {'ratio':>6}")
    for name, rows in sets.items():
        plain, with_pinyin = scores[False][name], scores[True][name]
        ratio = with_pinyin / plain
        print(f"{name:16} {len(rows):4} {plain:10.4f} {with_pinyin:9.4f} {ratio:6.3f}")


if __name__ == "__main__":
    main()
