"""Text normalisation and tokens shared by the topic classifier and the emotion reader.

Callers speak English, Mandarin or both in one breath, and Chinese arrives in
simplified or traditional characters without spaces. Everything is folded to
one form first (NFKC, lower case, simplified characters, digits as 0) so that
one model and one lexicon serve both scripts.
"""

from __future__ import annotations

import itertools
import logging
import pkgutil
import re
import unicodedata
from functools import lru_cache

import jieba
from pypinyin import lazy_pinyin

# A caller never says 10 kB in one turn; longer input is cut so latency stays flat.
MAX_CHARS = 1000

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_TOKEN = re.compile(f"[{_CJK}]+|[a-z0-9]+(?:'[a-z]+)?")
_LETTER = re.compile(f"[a-z{_CJK}]")
_SPACES = re.compile(r"\s+")
_CONTRACTIONS = (
    (re.compile(r"\bcan't\b"), "can not"),
    (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'m\b"), " am"),
    (re.compile(r"'re\b"), " are"),
    (re.compile(r"'ve\b"), " have"),
    (re.compile(r"'ll\b"), " will"),
    (re.compile(r"'d\b"), " would"),
)


@lru_cache(maxsize=1)
def _to_simplified_table() -> dict[int, str]:
    """Single-character traditional -> simplified table from OpenCC's shipped dictionary.

    A translate() table, not OpenCC's phrase matcher: folding runs on every
    utterance and every training example, and characters alone are what the
    classifier's features need (speech transcripts get the phrase-aware
    conversion in ivr.speech.chinese).
    """
    raw = pkgutil.get_data("opencc", "dictionary/TSCharacters.txt")
    if raw is None:  # pragma: no cover - the package ships the file
        return {}
    table: dict[int, str] = {}
    for line in raw.decode("utf-8").splitlines():
        traditional, _, simplified = line.partition("\t")
        first = simplified.split(" ")[0]
        if len(traditional) == 1 and len(first) == 1 and traditional != first:
            table[ord(traditional)] = first
    return table


@lru_cache(maxsize=1)
def _segmenter() -> jieba.Tokenizer:
    """jieba's tokenizer, initialised once (its dictionary ships in the wheel)."""
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def fold(text: str) -> str:
    """NFKC, lower case, simplified characters, contractions expanded; no digit folding."""
    text = unicodedata.normalize("NFKC", text[:MAX_CHARS]).lower().replace("’", "'")
    text = text.translate(_to_simplified_table())
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    return _SPACES.sub(" ", text).strip()


def normalize(text: str) -> str:
    """The classifier's view of a text: `fold`, every number in digits as 0, and one written
    in Chinese words as 0 too (speech gives 两千 where a typed text has 2000)."""
    return _CHINESE_NUMBER.sub(_number_as_zero, _NUMBER.sub("0", fold(text)))


# A run of Chinese numerals that is a number: with a unit (十 百 千 万 亿) or two digits.
_CHINESE_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百千万亿]{2,}")
# A number in digits, however long: 5000, 2,000 and 3.5 all read as 0.
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NUMERAL_UNITS = frozenset("十百千万亿")
_NUMERAL_DIGITS = frozenset("零〇一二两三四五六七八九")
# Numeral runs that are ordinary words: "by all means", "in case", "one by one".
_NUMERAL_WORDS = frozenset({"千万", "万一", "一一", "十分", "一万"})


def _number_as_zero(match: re.Match[str]) -> str:
    # A numeral alone (三星, 第三) is left as a word; runs of two or more are judged.
    run = match.group(0)
    digits = sum(c in _NUMERAL_DIGITS for c in run)
    is_number = run not in _NUMERAL_WORDS and (
        digits >= 2 or (any(c in _NUMERAL_UNITS for c in run) and digits >= 1)
    )
    return "0" if is_number else run


def has_language(text: str) -> bool:
    """True when the (normalised) text holds at least one letter or Chinese character."""
    return _LETTER.search(text) is not None


def words(text: str) -> list[str]:
    """Word tokens of a normalised text: Latin words as they are, Chinese segmented by jieba."""
    out: list[str] = []
    for token in _TOKEN.findall(text):
        if _CJK_RUN.fullmatch(token):
            out.extend(w for w in _segmenter().lcut(token, HMM=False) if w.strip())
        else:
            out.append(token)
    return out


def pinyin_terms(text: str) -> list[str]:
    """Toneless pinyin of each Chinese run in a normalised text: syllables and syllable
    pairs. Speech recognisers swap characters that sound alike (收取 for 首期, 心脏 for
    新政); their pinyin stays close where the characters do not."""
    out: list[str] = []
    for run in _CJK_RUN.findall(text):
        syllables = lazy_pinyin(run)
        out.extend(syllables)
        out.extend(f"{a}_{b}" for a, b in itertools.pairwise(syllables))
    return out


def word_ngrams(text: str) -> list[str]:
    """Unigrams and bigrams of `words`: the word half of the classifier's features."""
    tokens = words(text)
    return tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]


# Words that say nothing of what a call is about: function words, fillers, greetings
# and vague nouns ("the thing from before", "就是那个事情"). A text of these alone
# gives the topic model nothing to go on, however sure its arithmetic.
_VAGUE_EN = """
    a an the this that these those it its i me my mine we us our you your he him his she
    her they them their is am are was were be been being do does did have has had will
    would shall should can could may might must of to from in on at by for with about as
    into onto over after before since until than then so and or if not no yes yeah yep ok
    okay um uh er erm hmm ah oh well like just really actually basically also too again
    still there here what which who whom whose when where why how thing things stuff
    something anything everything matter one some any all sort kind bit get got go going
    gone want wanted need know think said say says tell told call calling called hi hello
    hey please thanks thank sorry bye earlier last previous time ago that's it's what's
    there's here's who's let's
"""
_VAGUE_ZH = """
    我 你 他 她 它 我们 你们 他们 的 了 是 就 就是 那个 这个 那 这 个 件 那件 这件 事 事情
    东西 嗯 啊 呃 哦 喂 吧 呢 吗 嘛 一下 一个 想 要 问 问问 有 在 说 之前 上次 以前 刚才
    还 也 都 和 跟 对 好 好的 你好 请问 请 麻烦 然后 还有 什么 怎么 关于 那边 这边 上回
"""
_VAGUE_WORDS = frozenset(str.split(_VAGUE_EN + _VAGUE_ZH))


def has_content(text: str) -> bool:
    """True when a normalised text holds a word beyond function words, fillers and vague nouns."""
    return any(w not in _VAGUE_WORDS and not w.isdigit() for w in words(text))
