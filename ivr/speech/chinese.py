"""Mandarin transcripts in one written form: simplified characters, numbers as words.

Whisper writes Mandarin in traditional or simplified characters as the audio
reminds it, and numbers as digits or words. Tickets, the classifier and the
scoring of bench/asr.py want one form: simplified characters (OpenCC's
phrase-aware t2s, Apache-2.0) and numbers as they are spoken (二十, 两千元,
一千亿, 百分之五, 二零一五年), which is how callers' words are written in the
topic examples and how Mandarin reference transcripts are written.
"""

from __future__ import annotations

import re
from functools import lru_cache

from opencc import OpenCC

_DIGIT_WORDS = "零一二三四五六七八九"
_SMALL_UNITS = ("", "十", "百", "千")
_BIG_UNITS = ("", "万", "亿", "万亿")
_NUMBER = re.compile(r"(\d+(?:,\d{3})*)(?:\.(\d+))?(%?)")
_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")
# Digits read one by one: years (2015年), numbers with a leading zero, and long
# numbers that are not round (card, account and phone numbers: 尾号12345).
_YEAR_FOLLOWS = "年"
_READ_AS_DIGITS_FROM = 5


@lru_cache(maxsize=1)
def _converter() -> OpenCC:
    """OpenCC's traditional -> simplified conversion (its dictionaries load once)."""
    return OpenCC("t2s")


def to_simplified(text: str) -> str:
    """`text` with traditional characters and phrases made simplified."""
    return str(_converter().convert(text)) if text else text


def _below_ten_thousand(value: int) -> str:
    """四千零二十 for 4020 (leading 一十 kept for the caller of this helper to trim)."""
    out: list[str] = []
    zero = False
    for position in range(3, -1, -1):
        digit = value // 10**position % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(_DIGIT_WORDS[digit] + _SMALL_UNITS[position])
    return "".join(out)


def integer_words(value: int) -> str:
    """A whole number as spoken: 20 -> 二十, 2000 -> 两千, 100000000000 -> 一千亿."""
    if value == 0:
        return "零"
    if value >= 10_000 ** len(_BIG_UNITS):
        return "".join(_DIGIT_WORDS[int(d)] for d in str(value))
    groups: list[int] = []
    while value:
        groups.append(value % 10_000)
        value //= 10_000
    out = ""
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            if out and not out.endswith("零"):
                out += "零"
            continue
        if out and group < 1000 and not out.endswith("零"):
            out += "零"
        out += _below_ten_thousand(group) + _BIG_UNITS[index]
    out = out.rstrip("零")
    if out.startswith("一十"):  # 十二, not 一十二
        out = out[1:]
    # 两 before 千, 万 and 亿 at the start, as people say 两千元, 两万.
    if re.match(r"二[千万亿]", out):
        out = "两" + out[1:]
    return out


def _spoken(match: re.Match[str], following: str) -> str:
    whole, fraction, percent = match.group(1).replace(",", ""), match.group(2), match.group(3)
    year = following.startswith(_YEAR_FOLLOWS) and len(whole) == 4
    code = len(whole) >= _READ_AS_DIGITS_FROM and int(whole) % 1000 != 0
    if not fraction and not percent and (year or code or (len(whole) > 1 and whole[0] == "0")):
        return "".join(_DIGIT_WORDS[int(d)] for d in whole)
    words = integer_words(int(whole))
    if fraction:
        words += "点" + "".join(_DIGIT_WORDS[int(d)] for d in fraction)
    return "百分之" + words if percent else words


def numbers_as_words(text: str) -> str:
    """Arabic numbers in Mandarin text written as spoken words."""
    return _NUMBER.sub(lambda m: _spoken(m, text[m.end() :]), text)


def normalise_mandarin(text: str) -> str:
    """A Mandarin transcript in simplified characters, numbers as words, no CJK spacing."""
    return _CJK_SPACE.sub("", numbers_as_words(to_simplified(text))).strip()
