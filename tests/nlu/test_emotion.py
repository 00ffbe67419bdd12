"""Emotion cues and their fusion, as plain functions over plain data."""

from __future__ import annotations

import pytest

from ivr.ids import Emotion
from ivr.nlu.emotion import behaviour_cues, fuse, model_cues, read_emotion, voice_cues
from ivr.nlu.learner import TextClassifier
from ivr.nlu.models import Behaviour, EmotionCue
from ivr.nlu.text_cues import text_cues
from ivr.speech.models import VoiceCues


def _voice(**changes: float) -> VoiceCues:
    calm = {
        "loudness_dbfs": -24.0,
        "peak_dbfs": -6.0,
        "loudness_variance": 20.0,
        "pitch_hz": 180.0,
        "pitch_variance": 600.0,
        "speech_rate": 4.0,
        "silence_share": 0.2,
        "duration_seconds": 3.0,
    }
    return VoiceCues.model_validate(calm | changes)


@pytest.mark.parametrize(
    ("text", "emotion"),
    [
        ("I'm not angry, just confused", Emotion.NEUTRAL),
        ("I am not worried at all, I just want my balance", Emotion.NEUTRAL),
        ("我不生氣，只是有點搞不懂", Emotion.NEUTRAL),
        ("我没有担心，只是问问", Emotion.NEUTRAL),
        ("I'm absolutely furious with this bank", Emotion.ANGRY),
        ("this is f***ing ridiculous", Emotion.ANGRY),
        ("oh great, thanks for nothing", Emotion.ANGRY),
        ("I'm closing my account and switching banks", Emotion.ANGRY),
        ("你們到底能不能處理，氣死我了", Emotion.ANGRY),
        ("服务真好啊，呵呵", Emotion.ANGRY),
        ("I'm so scared someone has my money", Emotion.ANXIOUS),
        ("我很擔心我的錢", Emotion.ANXIOUS),
        ("my wife passed away last week", Emotion.SAD),
        ("我先生上個月過世了", Emotion.SAD),
        ("I need this done right now!!!", Emotion.AGITATED),
        ("agent, agent, AGENT", Emotion.AGITATED),
        ("人工！人工！", Emotion.AGITATED),
        ("我现在就要，马上处理", Emotion.AGITATED),
        ("what's my balance", Emotion.NEUTRAL),
        ("I'd like to speak to a manager", Emotion.NEUTRAL),
        # A threat to take the money elsewhere is anger, though it names "all my money".
        ("I'm going to move all my money to another bank if this isn't sorted", Emotion.ANGRY),
        ("I'm worried, all my money was in that account", Emotion.ANXIOUS),
        ("I'm struggling to keep up with my mortgage payments", Emotion.SAD),
        ("这个月的贷款还不上了，能不能延期", Emotion.SAD),
        # Negated or self-directed phrases stay calm; the same words aimed at the bank do not.
        ("there's no hurry at all, call me back tomorrow", Emotion.NEUTRAL),
        ("it's not urgent, just curious about the rate", Emotion.NEUTRAL),
        ("I messed up typing my PIN", Emotion.NEUTRAL),
        ("the chip is falling apart on my old card", Emotion.NEUTRAL),
        ("请问这张卡有什么用途", Emotion.NEUTRAL),
        ("恐怕会晚一点到账吧", Emotion.NEUTRAL),
        ("我老公把卡拿走了", Emotion.NEUTRAL),
        ("your branch staff have completely botched my transfer", Emotion.ANGRY),
        ("oh terrific, yet another charge I never agreed to", Emotion.ANGRY),
        ("我已经打了六次电话了", Emotion.ANGRY),
        ("等了两个礼拜还是没消息", Emotion.ANGRY),
        ("这个银行一点用也没有", Emotion.ANGRY),
        ("I've barely slept since I saw that withdrawal", Emotion.ANXIOUS),
        ("我就怕钱被转走", Emotion.ANXIOUS),
        ("我妈妈前几天走了，她的存款要怎么办", Emotion.SAD),
        ("我上个月被老板开除了", Emotion.SAD),
        ("I'm in a rush, just cancel the card", Emotion.AGITATED),
        ("我赶时间，你快点", Emotion.AGITATED),
        # Saying it again in one breath is insistence; politeness twice is not.
        ("block my card block my card I already said it", Emotion.AGITATED),
        ("余额 余额 我就要查个余额", Emotion.AGITATED),
        ("thank you thank you, that's all I needed", Emotion.NEUTRAL),
        ("好的好的，谢谢", Emotion.NEUTRAL),
        ("I had had the card for years", Emotion.NEUTRAL),
        # "妈妈的卡" is a mother's card, not the curse "妈的".
        ("我妈妈的卡不见了，我帮她挂失", Emotion.NEUTRAL),
        ("my wife did the bills before she passed and I don't know how", Emotion.SAD),
        ("oh great, another declined payment, love that for me", Emotion.ANGRY),
        ("how do I take a complaint to the ombudsman", Emotion.NEUTRAL),
        ("I'm going to the ombudsman with this", Emotion.ANGRY),
        # Blaming oneself is sadness; the same word aimed at the bank is anger.
        ("I clicked the link they sent, I feel so stupid", Emotion.SAD),
        ("我把钱都转给他了 觉得自己好蠢", Emotion.SAD),
        ("这张卡我没用过，怎么就扣了年费", Emotion.NEUTRAL),
        ("what a stupid system, I'm reporting you to the regulator", Emotion.ANGRY),
        # 别 negates its own verb (问), not the insult after it.
        ("别问了你这个破机器人", Emotion.ANGRY),
        ("我不生气，只是想问问", Emotion.NEUTRAL),
        ("我并不是很担心，就是问一下", Emotion.NEUTRAL),
        # An A-not-A question (会不会) negates nothing.
        ("明天要扣房贷，会不会钱都没了", Emotion.ANXIOUS),
        # 应急 is "for emergencies", not a hurry; 该被开除 is a demand, not a job lost.
        ("能不能给我的账户开个透支额度，应急用", Emotion.NEUTRAL),
        ("写这个系统的人该被开除", Emotion.ANGRY),
        ("what time do you close, quick, I'm driving there", Emotion.AGITATED),
        # 特别 holds 别 but negates nothing: "very panicked".
        ("卡背面还写着密码，我现在心里特别慌", Emotion.ANXIOUS),
        # Resignation and self-blame are sadness, calm as they sound.
        ("I gave up on the app, it's been a rough year", Emotion.SAD),
        ("I can't work out online banking, I'm just useless with these things", Emotion.SAD),
        ("贷款没批下来啊，没事，我本来也没抱什么希望", Emotion.SAD),
        ("oh, a real human, what a treat", Emotion.ANGRY),
        ("my balance is four hundred less and I don't know where it went", Emotion.ANXIOUS),
        # Harm done reads anxious; a scam or a strange link reported calmly does not.
        ("I got mugged last night and they took my wallet", Emotion.ANXIOUS),
        ("有人假冒银行客服打给我，我没给资料，想跟你们说一声", Emotion.NEUTRAL),
        ("网上银行重设密码的链接过期了，怎么重新申请", Emotion.NEUTRAL),
        ("不是被盗刷，就是卡找不到了，想先挂失", Emotion.NEUTRAL),
    ],
)
def test_text_reads(text: str, emotion: Emotion) -> None:
    assert read_emotion(text).emotion is emotion


def test_negated_cue_is_reported_with_no_weight() -> None:
    cues = text_cues("I'm not angry, just confused")
    assert [(c.name, c.weight) for c in cues] == [("negated_anger_word", 0.0)]


def test_negation_does_not_cross_a_clause() -> None:
    assert read_emotion("I'm not happy, I'm furious").emotion is Emotion.ANGRY


def test_intensifier_raises_intensity() -> None:
    plain = read_emotion("I am worried")
    strong = read_emotion("I am extremely worried")
    assert plain.emotion is strong.emotion is Emotion.ANXIOUS
    assert strong.intensity > plain.intensity


def test_every_cue_names_its_source_and_what_matched() -> None:
    reading = read_emotion("this is ridiculous, fix it right now")
    assert {(c.source, c.name, c.detail) for c in reading.cues} == {
        ("text", "anger_word", "ridiculous"),
        ("text", "urgency", "fix it right now"),
    }


def test_loud_voice_alone_reads_agitated() -> None:
    reading = read_emotion("what is my balance", voice=_voice(loudness_dbfs=-8.0))
    assert reading.emotion is Emotion.AGITATED
    assert [c.name for c in reading.cues] == ["loud"]


def test_typical_voice_adds_no_cue() -> None:
    assert voice_cues(_voice()) == []


def test_voice_against_the_calls_baseline() -> None:
    cues = voice_cues(
        _voice(loudness_dbfs=-16.0, pitch_hz=240.0), baseline=_voice(loudness_dbfs=-26.0)
    )
    assert {c.name for c in cues} == {"louder_than_before", "raised_pitch"}


def test_fast_speech_is_anxious_and_flat_slow_quiet_is_sad() -> None:
    assert [c.emotion for c in voice_cues(_voice(speech_rate=7.5))] == [Emotion.ANXIOUS]
    sad = voice_cues(_voice(speech_rate=1.8, pitch_variance=80.0, loudness_dbfs=-32.0))
    assert [c.emotion for c in sad] == [Emotion.SAD]


def test_behaviour_cues() -> None:
    cues = behaviour_cues(
        Behaviour(
            zero_presses=3,
            no_match_count=2,
            no_input_count=1,
            hold_seconds=900,
            repeat_caller_24h=True,
            open_complaint=True,
        )
    )
    assert {c.name for c in cues} == {
        "repeated_zero",
        "repeated_no_match",
        "long_hold",
        "repeat_caller_24h",
        "open_complaint",
    }
    assert all(c.source == "behaviour" for c in cues)
    assert behaviour_cues(Behaviour()) == []


def test_behaviour_makes_a_mild_text_upset() -> None:
    calm = read_emotion("I still need help with my card")
    pushed = read_emotion(
        "I still need help with my card",
        behaviour=Behaviour(zero_presses=3, repeat_caller_24h=True, open_complaint=True),
    )
    assert calm.emotion is Emotion.NEUTRAL
    assert pushed.emotion is not Emotion.NEUTRAL
    assert pushed.intensity > calm.intensity


def test_fuse_floor_and_intensity_bounds() -> None:
    weak = EmotionCue(source="text", name="x", emotion=Emotion.SAD, weight=0.2)
    assert fuse([weak]).emotion is Emotion.NEUTRAL
    many = [EmotionCue(source="text", name="x", emotion=Emotion.ANGRY, weight=0.9)] * 20
    reading = fuse(many)
    assert reading.emotion is Emotion.ANGRY
    assert 0.9 < reading.intensity <= 1.0
    assert fuse([]).intensity == 0.0


def test_ties_go_to_anger() -> None:
    cues = [
        EmotionCue(source="text", name="a", emotion=Emotion.SAD, weight=0.5),
        EmotionCue(source="text", name="b", emotion=Emotion.ANGRY, weight=0.5),
    ]
    assert fuse(cues).emotion is Emotion.ANGRY


@pytest.mark.parametrize(
    "text",
    [
        "等了" + "好几" * 3000 + "X",  # once took exponential time (nested alternatives)
        "打了" + "1" * 6000 + "次X",
        "我老公" + "走" * 5000,
        "oh, great " * 1000 + "thanks for nothing",
    ],
)
def test_long_repetitive_speech_reads_in_one_pass(text: str) -> None:
    # The lexicon's patterns run over 10 kB of speech: none may backtrack without end.
    reading = read_emotion(text)
    assert reading.emotion in set(Emotion)


def test_repetition_cue_names_what_was_repeated() -> None:
    cues = [c for c in text_cues("stop it stop it stop it now") if c.name == "repetition"]
    assert len(cues) == 1 and cues[0].emotion is Emotion.AGITATED
    assert cues[0].detail == "stop it"


def _situations() -> TextClassifier:
    """A small learned reader: situations, not emotion words, carry the feeling."""
    texts = [
        "rent goes out tomorrow and the money is not there",
        "the mortgage payment bounces on friday and we have nothing left",
        "my pay has not arrived and the landlord wants the rent tonight",
        "what are your opening hours on saturday",
        "I would like a statement for last month",
        "please send me a new card to my home address",
    ]
    labels = ["anxious"] * 3 + ["neutral"] * 3
    return TextClassifier().fit(texts, labels, calibrate=False)


def test_learned_model_adds_a_cue_the_lexicon_lacks() -> None:
    text = "the rent goes out tomorrow and the money is not there yet"
    assert read_emotion(text).emotion is Emotion.NEUTRAL
    model = _situations()
    cues = model_cues(model, text)
    assert [c.name for c in cues] == ["text_model"] and cues[0].emotion is Emotion.ANXIOUS
    assert cues[0].detail.startswith("p=")
    reading = read_emotion(text, model=model)
    assert reading.emotion is Emotion.ANXIOUS
    assert "text_model" in {c.name for c in reading.cues}


def test_learned_model_stays_quiet_on_neutral_and_meaningless_text() -> None:
    model = _situations()
    assert model_cues(model, "what are your opening hours on sunday") == []
    assert model_cues(model, "12345 ?!") == []
    assert read_emotion("", model=model).emotion is Emotion.NEUTRAL


def test_learned_model_does_not_say_back_a_feeling_the_caller_denies() -> None:
    texts = [
        "worried about the rent",
        "so worried about my money",
        "worried sick about the loan",
        "what are your opening hours",
        "I would like a statement",
        "send me a new card",
    ]
    model = TextClassifier().fit(texts, ["anxious"] * 3 + ["neutral"] * 3, calibrate=False)
    text = "I'm not worried, just asking about the rent"
    assert [c.emotion for c in model_cues(model, text)] == [Emotion.ANXIOUS]
    reading = read_emotion(text, model=model)
    assert reading.emotion is Emotion.NEUTRAL
    assert "text_model" not in {c.name for c in reading.cues}
    # Without the denial the same words read anxious.
    assert read_emotion("worried, just asking about the rent", model=model).emotion is (
        Emotion.ANXIOUS
    )


def test_learned_model_needs_words_of_substance() -> None:
    """Sarcastic thanks teach the model that "thanks" can be angry; plain thanks is not."""
    texts = [
        "thanks for nothing you useless lot",
        "oh thanks so much for losing my transfer",
        "thanks a lot for the extra fee",
        "what are your opening hours",
        "I would like a statement",
        "send me a new card",
    ]
    model = TextClassifier().fit(texts, ["angry"] * 3 + ["neutral"] * 3, calibrate=False)
    assert model.ranked("thanks")[0][0] == "angry"
    assert model_cues(model, "thank you, that's everything") == []
    assert [c.emotion for c in model_cues(model, "thanks for the extra fee")] == [Emotion.ANGRY]
