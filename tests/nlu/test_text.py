"""Folding and tokens: one form for both Chinese scripts, English contractions and digits."""

from ivr.nlu.text import MAX_CHARS, fold, has_content, has_language, normalize, word_ngrams, words


def test_traditional_characters_fold_to_simplified() -> None:
    assert fold("我的錢包被盜了，要掛失") == fold("我的钱包被盗了，要挂失")


def test_contractions_and_case_fold() -> None:
    assert fold("I CAN'T log in, it WON'T work") == "i can not log in, it will not work"
    assert fold("I’m locked out") == "i am locked out"


def test_digits_become_zero_only_in_normalize() -> None:
    assert fold("card 4521") == "card 4521"
    assert normalize("card 4521") == "card 0000"


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
