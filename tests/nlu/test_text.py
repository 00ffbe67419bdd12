"""Folding and tokens: one form for both Chinese scripts, English contractions and digits."""

from ivr.nlu.text import (
    MAX_CHARS,
    fold,
    has_content,
    has_language,
    normalize,
    pinyin_terms,
    word_ngrams,
    words,
)


def test_traditional_characters_fold_to_simplified() -> None:
    assert fold("我的錢包被盜了，要掛失") == fold("我的钱包被盗了，要挂失")


def test_contractions_and_case_fold() -> None:
    assert fold("I CAN'T log in, it WON'T work") == "i can not log in, it will not work"
    assert fold("I’m locked out") == "i am locked out"


def test_numbers_become_zero_only_in_normalize() -> None:
    assert fold("card 4521") == "card 4521"
    assert normalize("card 4521") == "card 0"
    # Speech writes amounts in words, a typed text in digits: the classifier sees one form.
    assert normalize("转账两千元") == normalize("转账2000元") == "转账0元"
    assert normalize("二十万分") == normalize("200000分")
    # Numerals that are words, or a single numeral, stay as they are.
    for text in ("千万不要", "万一", "三星手机", "一下", "第三"):
        assert normalize(text) == text


def test_pinyin_terms_bring_homophones_together() -> None:
    assert pinyin_terms(normalize("首期 hello")) == ["shou", "qi", "shou_qi"]
    # 新政 (new policy) misheard as 心脏 (heart): the same toneless syllables.
    assert set(pinyin_terms("新政")) & set(pinyin_terms("心正")) == {"xin", "zheng", "xin_zheng"}


def test_chinese_is_segmented_without_spaces() -> None:
    assert "挂失" in words(normalize("我要掛失銀行卡"))
    assert "card" in words(normalize("我的card丢了"))


def test_bigrams_join_neighbours() -> None:
    assert word_ngrams("lost my card") == ["lost", "my", "card", "lost my", "my card"]


def test_has_language_rejects_digits_emoji_and_symbols() -> None:
    for text in ("", "   ", "12345", "😀😀", "#*!?", "\x00\x01"):
        assert not has_language(normalize(text)), text
    assert has_language(normalize("hi"))
    assert has_language(normalize("喂"))


def test_very_long_text_is_cut() -> None:
    assert len(fold("a" * 10_000)) == MAX_CHARS


def test_has_content_needs_a_word_beyond_fillers_and_vague_nouns() -> None:
    assert not has_content(normalize("um yeah the thing from before"))
    assert not has_content(normalize("就是那个事情"))
    assert not has_content(normalize("1234"))
    assert has_content(normalize("the thing from my mortgage"))
    assert has_content(normalize("我的房贷"))
