"""routing/topics.yaml: every contract topic, enough varied examples, a clear error when broken."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ivr.config import PROJECT_DIR
from ivr.errors import ConfigError
from ivr.ids import Emotion, Language, Topic
from ivr.nlu.examples import EMOTIONS_FILE, TOPICS_FILE, load_emotion_examples, load_topics
from ivr.nlu.text import fold

TRADITIONAL_ONLY = re.compile("[錢卡帳號碼轉戶補掛遺盜詐騙貸還額費處話務關開錯單難過擔]")


def test_shipped_topics_cover_the_contract_with_40_examples_per_language() -> None:
    catalogue = load_topics(PROJECT_DIR / "routing")
    assert set(catalogue.topics) == set(Topic)
    for topic, definition in catalogue.topics.items():
        for language in Language:
            examples = definition.examples.get(language, [])
            assert len(examples) >= 40, (topic, language)
            assert len(set(examples)) == len(examples), (topic, language, "duplicates")
            assert definition.keywords.get(language), (topic, language, "no keywords")
        zh = definition.examples[Language.ZH_CN]
        assert any(TRADITIONAL_ONLY.search(e) for e in zh), (topic, "no traditional example")
        assert any(fold(e) == e for e in zh), (topic, "no simplified example")


def test_no_example_is_shared_by_two_topics() -> None:
    catalogue = load_topics(PROJECT_DIR / "routing")
    seen: dict[str, Topic] = {}
    for topic, definition in catalogue.topics.items():
        for examples in definition.examples.values():
            for example in examples:
                assert seen.setdefault(fold(example), topic) is topic, example


def _write(directory: Path, text: str) -> Path:
    (directory / TOPICS_FILE).write_text(text, encoding="utf-8")
    return directory


def test_unknown_topic_is_named(tmp_path: Path) -> None:
    _write(tmp_path, "topics:\n  pizza:\n    examples:\n      en-US: [hi]\n")
    with pytest.raises(ConfigError, match=r"topics\.yaml: topics\.pizza"):
        load_topics(tmp_path)


def test_broken_yaml_and_missing_file_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"topics\.yaml"):
        load_topics(tmp_path)
    _write(tmp_path, "topics: [unclosed\n")
    with pytest.raises(ConfigError, match=r"topics\.yaml"):
        load_topics(tmp_path)


def test_topic_without_examples_is_rejected(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "topics:\n  loans:\n    examples:\n      en-US: [mortgage]\n  general:\n    keywords: {}\n",
    )
    with pytest.raises(ConfigError, match="without examples: general"):
        load_topics(tmp_path)


def test_examples_hash_follows_the_examples(tmp_path: Path) -> None:
    body = "topics:\n  loans:\n    examples:\n      en-US: [mortgage]\n  general:\n"
    first = load_topics(_write(tmp_path, body + "    examples:\n      en-US: [hello]\n"))
    same = load_topics(_write(tmp_path, body + "    examples:\n      en-US: [hello]\n"))
    other = load_topics(_write(tmp_path, body + "    examples:\n      en-US: [hello, hi]\n"))
    assert first.examples_hash() == same.examples_hash() != other.examples_hash()


def test_phrases_per_language_for_the_recognition_vocabulary() -> None:
    catalogue = load_topics(PROJECT_DIR / "routing")
    english = catalogue.phrases(Language.EN_US)
    chinese = catalogue.phrases(Language.ZH_CN)
    assert "lost my card" in english and "I lost my card" in english
    assert "掛失" in chinese and "我要挂失银行卡" in chinese
    assert len(english) == len(set(english))
    assert not set(english) & set(chinese)


def test_shipped_emotion_examples_cover_every_emotion_in_both_languages() -> None:
    examples = load_emotion_examples(PROJECT_DIR / "routing")
    assert examples is not None
    for emotion in Emotion:
        for language in Language:
            assert len(examples.emotions[emotion][language]) >= 20, (emotion, language)


def test_emotion_examples_are_optional_and_checked(tmp_path: Path) -> None:
    assert load_emotion_examples(tmp_path) is None
    path = tmp_path / EMOTIONS_FILE
    path.write_text("emotions: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"emotions\.yaml"):
        load_emotion_examples(tmp_path)
    path.write_text("emotions:\n  furious:\n    en-US: [argh]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"emotions\.yaml: emotions\.furious"):
        load_emotion_examples(tmp_path)
    path.write_text("emotions:\n  angry:\n    en-US: [argh]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="neutral and at least one emotion"):
        load_emotion_examples(tmp_path)
    path.write_text(
        "emotions:\n  neutral:\n    en-US: [hello]\n  sad:\n    zh-CN: [唉]\n", encoding="utf-8"
    )
    loaded = load_emotion_examples(tmp_path)
    assert loaded is not None
    assert loaded.training_set() == (["hello", "唉"], ["neutral", "sad"])
