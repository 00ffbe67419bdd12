"""The part of an utterance that names the caller's topic.

Callers often say what they are *not* calling about before what they are ("I'm
not calling about my loan, I want to pay my card bill"; "我不是卡丢了，只是要
启用新卡"), and add a second, lesser request at the end ("..., and also what's
my balance"; "…，顺便问一下怎么改密码"). Both mislead a bag-of-words model,
which sees "loan" and "balance" as strongly as the real request. `focus` sets
those two parts aside; what remains is classified. It works on folded text
(`ivr.nlu.text.fold`: lower case, simplified characters, contractions expanded)
and never returns less than a few words: when in doubt it keeps everything.
"""

from __future__ import annotations

import re

# "i am not calling about my loan, ..." / "not my pin i need to report my card missing": a lead
# clause that names what the call is not about, then a positive request. Speech arrives
# without commas, so the request's opening words mark where the negated part ends.
_NEGATED_LEAD_EN = re.compile(
    r"^(?:(?:hi|hello|hey|um|uh|so|yeah|yes|no|well|look|listen|okay)\b[, ]*)*"
    r"(?:i am |it is |this is |i was |that is |i am really |this is really )?not "
    r"(?:calling |ringing |phoning |asking |here |really )?"
    r"(?:about|for|regarding|because of|over|a|an|my|the|any) [^,.;!?]{1,60}?[,.;!?]* *"
    r"(?=(?:i (?:just |only |really |actually )?(?:want|need|would like|wanted|am calling|am trying"
    r"|have|just)|it is about|this is about|just|only|rather|instead|actually|what|can|could|how"
    r"|please)\b)"
)
# "我不是卡丢了，只是…" / "不是要转账 只是想…": not "不是我刷的" (a denial that *is* the topic).
_NEGATED_LEAD_ZH = re.compile(
    r"^[^，,。；;！!？?\s]{0,6}?不是(?!我|本人)[^，,。；;！!？?\s]{1,14}[，,；;\s]+(?=[\u3400-\u9fff])"
)
# ", and also what's my balance" / "，顺便问一下…": an aside after the main request.
_ASIDE_EN = re.compile(
    r"(?:[,.;] *(?:and )?|\band )(?:(?:uh|um|er|oh),? )*"
    r"(?:also|by the way|plus|while i have you)\b.*$"
)
_ASIDE_ZH = re.compile(r"[，,。；;]\s*(?:顺便|另外|还有|再问|也想问).*$")
_WORD = re.compile(r"[a-z0-9]+|[\u3400-\u9fff]")
# What must remain, in words or characters, for a cut to be kept.
_MIN_LEFT = 3


def focus(folded: str) -> str:
    """`folded` without a negated lead clause and a trailing aside, when enough remains."""
    text = folded
    for pattern in (_NEGATED_LEAD_EN, _NEGATED_LEAD_ZH):
        cut = pattern.sub("", text, count=1)
        if cut != text and _enough(cut):
            text = cut
            break
    for pattern in (_ASIDE_EN, _ASIDE_ZH):
        cut = pattern.sub("", text, count=1)
        if cut != text and _enough(cut):
            text = cut
            break
    return text.strip()


def _enough(text: str) -> bool:
    return len(_WORD.findall(text)) >= _MIN_LEFT
