"""Page text in English and 中文: one YAML file per language in ivr/web/text/.

A page author adds a key to both files (tests/web/test_text.py checks they
hold the same keys) and writes `{{ t("key") }}` in a template, or reads
`data-*` attributes rendered from it in a script. The agent's choice of
language is remembered in the `ivr_lang` cookie (set by GET /lang).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from starlette.requests import Request

from ivr.ids import DEFAULT_LANGUAGE, Language

TEXT_DIR = Path(__file__).parent / "text"
LANG_COOKIE = "ivr_lang"


@cache
def catalogue(language: Language) -> dict[str, str]:
    """Every page string in `language`, by key."""
    raw = yaml.safe_load((TEXT_DIR / f"{language.value}.yaml").read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in raw.items()}


def page_language(request: Request) -> Language:
    """The language the user chose (cookie), else the browser's first fit, else English."""
    chosen = request.cookies.get(LANG_COOKIE, "")
    if chosen in {lang.value for lang in Language}:
        return Language(chosen)
    accept = request.headers.get("accept-language", "").lower()
    if accept.startswith("zh"):
        return Language.ZH_CN
    return DEFAULT_LANGUAGE


def translate(language: Language, key: str, **values: object) -> str:
    """The text for `key` in `language` (English when missing there), `{name}`s filled in."""
    text = catalogue(language).get(key) or catalogue(DEFAULT_LANGUAGE).get(key) or key
    return text.format(**values) if values else text
