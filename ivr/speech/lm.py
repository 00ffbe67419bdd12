"""A small back-off trigram language model in ARPA format, computed in plain Python.

Pocketsphinx's stock model knows general American English; callers to a bank
say a narrow set of things. A domain model built from the bank's phrases,
mixed at the unigram level with a background of common English words, lets
the decoder prefer "block my card" over "black my cart" while still hearing
words nobody wrote down.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping

BOS = "<s>"
EOS = "</s>"
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
# Spoken forms of the digits, so "press 1" and "press one" teach the same thing.
_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def tokenize(text: str) -> list[str]:
    """Lower-case words of `text` as a recogniser would write them (digits spelled out)."""
    lowered = text.lower().replace("-", " ").replace("’", "'")
    lowered = re.sub(r"\d", lambda m: f" {_DIGITS[int(m.group())]} ", lowered)
    return _WORD.findall(lowered)


def _log10(p: float) -> float:
    return math.log10(p) if p > 0 else -99.0


def build_arpa(
    sentences: Iterable[Iterable[str]],
    *,
    background: Mapping[str, float] | None = None,
    background_weight: float = 0.1,
    discount: float = 0.5,
) -> str:
    """ARPA text of a back-off trigram model over tokenised `sentences`.

    `background` maps words to probabilities (need not sum to one); it gets
    `background_weight` of the unigram mass so unseen but common words stay
    reachable. `discount` is the absolute discount taken from every seen
    bigram and trigram for the back-off mass.
    """
    grams: list[Counter[tuple[str, ...]]] = [Counter(), Counter(), Counter()]
    for words in sentences:
        padded = [BOS, *words, EOS]
        if len(padded) < 3:
            continue
        for order in range(3):
            for i in range(len(padded) - order):
                gram = tuple(padded[i : i + order + 1])
                if gram != (BOS,):
                    grams[order][gram] += 1
    unigrams = _unigram_probs(grams[0], background or {}, background_weight)
    probs: list[dict[tuple[str, ...], float]] = [{(w,): p for w, p in unigrams.items()}, {}, {}]
    backoffs: list[dict[tuple[str, ...], float]] = [{}, {}, {}]
    for order in (1, 2):
        probs[order], backoffs[order - 1] = _discounted(
            grams[order], lambda g: _lower_prob(g, probs, backoffs), discount
        )
    return _write(probs, backoffs)


def _unigram_probs(
    counts: Counter[tuple[str, ...]], background: Mapping[str, float], weight: float
) -> dict[str, float]:
    domain_total = sum(counts.values()) or 1
    background_total = sum(background.values()) or 1.0
    mix = weight if background else 0.0
    words = {g[0] for g in counts} | set(background)
    probs = {
        w: (1 - mix) * counts[(w,)] / domain_total + mix * background.get(w, 0.0) / background_total
        for w in words
    }
    probs[BOS] = 0.0
    return probs


def _lower_prob(
    gram: tuple[str, ...],
    probs: list[dict[tuple[str, ...], float]],
    backoffs: list[dict[tuple[str, ...], float]],
) -> float:
    """p(w | shorter history) under the back-off model built so far."""
    if len(gram) == 1:
        return probs[0].get(gram, 0.0)
    if gram in probs[len(gram) - 1]:
        return probs[len(gram) - 1][gram]
    weight = backoffs[len(gram) - 2].get(gram[:-1], 1.0)
    return weight * _lower_prob(gram[1:], probs, backoffs)


def _discounted(
    counts: Counter[tuple[str, ...]],
    lower: Callable[[tuple[str, ...]], float],
    discount: float,
) -> tuple[dict[tuple[str, ...], float], dict[tuple[str, ...], float]]:
    """Discounted probabilities of n-grams and the back-off weights of their histories."""
    by_history: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
    for gram in counts:
        by_history[gram[:-1]].append(gram)
    probs: dict[tuple[str, ...], float] = {}
    weights: dict[tuple[str, ...], float] = {}
    for history, seen in by_history.items():
        total = sum(counts[g] for g in seen)
        for gram in seen:
            probs[gram] = (counts[gram] - discount) / total
        left = 1.0 - sum(probs[g] for g in seen)
        covered = sum(lower(g[1:]) for g in seen)
        weights[history] = left / max(1e-9, 1.0 - covered)
    return probs, weights


def _write(
    probs: list[dict[tuple[str, ...], float]], backoffs: list[dict[tuple[str, ...], float]]
) -> str:
    lines = ["\\data\\"]
    lines += [f"ngram {n + 1}={len(probs[n])}" for n in range(3)]
    for n in range(3):
        lines += ["", f"\\{n + 1}-grams:"]
        for gram in sorted(probs[n]):
            text = f"{_log10(probs[n][gram]):.4f}\t{' '.join(gram)}"
            if n < 2:
                text += f"\t{_log10(backoffs[n].get(gram, 1.0)):.4f}"
            lines.append(text)
    lines += ["", "\\end\\", ""]
    return "\n".join(lines)
