"""Page text: English and 中文 hold the same keys and the same {placeholders}."""

from __future__ import annotations

import re

from ivr.ids import Language
from ivr.web.text import catalogue


def test_both_languages_hold_the_same_keys_and_placeholders() -> None:
    english, chinese = catalogue(Language.EN_US), catalogue(Language.ZH_CN)
    assert set(english) == set(chinese)
    for key, text in english.items():
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", chinese[key])), key
