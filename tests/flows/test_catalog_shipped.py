"""Everything shipped loads, validates and lints clean, and the hotline has its promised shape."""

from __future__ import annotations

import datetime as dt

from ivr.config import DEFAULT_TIMEZONE, PROJECT_DIR
from ivr.flows.catalog import FlowCatalog
from ivr.flows.hours import is_open, zones_apart
from ivr.flows.model import (
    HoursNode,
    LanguageNode,
    MenuNode,
    RecordNode,
    RouteNode,
    SubflowNode,
    SurveyNode,
)
from ivr.flows.validate import validate
from ivr.ids import Language, Topic
from ivr.prompts.lint import lint
from ivr.prompts.model import CALM_SUFFIX

# Traditional characters a simplified-Chinese text should not hold.
TRADITIONAL = set("這會應該為說請們碼話戶餘額轉賬帳貸銀號電聯絡務時間選擇單閉開幫")


def shipped() -> FlowCatalog:
    return FlowCatalog.load(flows_dir=PROJECT_DIR / "flows", prompts_dir=PROJECT_DIR / "prompts")


def test_everything_shipped_loads_clean() -> None:
    catalog = shipped()  # raises, naming every problem, when anything is wrong
    assert validate(catalog.flows, catalog.prompts) == []
    assert lint(catalog.prompts) == []
    assert {"main", "cards", "survey"} <= set(catalog.names())
    # The other parts' configuration, from their own loaders.
    from ivr.nlu.examples import load_topics
    from ivr.routing.policy import load_policy

    load_policy(PROJECT_DIR / "routing" / "policy.yaml")
    load_topics(PROJECT_DIR / "routing")


def test_voices_and_recognition_languages() -> None:
    sets = shipped().prompts.sets
    en, zh = sets[Language.EN_US], sets[Language.ZH_CN]
    assert (en.say.voice, en.say.language, en.gather_language) == (
        "Polly.Joanna",
        "en-US",
        "en-US",
    )
    assert (zh.say.voice, zh.say.language, zh.gather_language) == (
        "Polly.Zhiyu",
        "cmn-CN",
        "cmn-Hans-CN",
    )


def test_mandarin_prompts_are_simplified_chinese() -> None:
    zh = shipped().prompts.sets[Language.ZH_CN]
    for prompt_id, text in zh.prompts.items():
        assert not TRADITIONAL & set(text), (prompt_id, TRADITIONAL & set(text))


def test_calming_variants_for_connecting_and_queue_prompts() -> None:
    prompts = shipped().prompts
    for base in ("connecting", "queue_position", "queue_hold", "agent_retry"):
        for language in Language:
            assert prompts.has(base + CALM_SUFFIX, language)
    calm = prompts.text("connecting", Language.EN_US, calm=True)
    assert "understand" in calm


def test_the_main_flow_has_its_promised_shape() -> None:
    main = shipped().get("main")
    language = main.node(main.start)
    assert isinstance(language, LanguageNode)
    assert language.options == {"1": Language.EN_US, "2": Language.ZH_CN}
    hours = main.node(language.next)
    assert isinstance(hours, HoursNode) and hours.timezone == "Asia/Shanghai"
    menu = main.node(hours.open)
    assert isinstance(menu, MenuNode) and "speech" in menu.input and menu.hints
    # Lost or stolen card is the first option, straight to routing.
    first = main.node(menu.options["1"])
    assert isinstance(first, RouteNode) and first.topic == Topic.LOST_STOLEN_CARD
    topics = {getattr(main.node(t), "topic", None) for t in menu.options.values()}
    for topic in (
        Topic.ACCOUNT_INQUIRY,
        Topic.PAYMENTS_TRANSFERS,
        Topic.LOANS,
        Topic.DIGITAL_BANKING,
        Topic.COMPLAINT,
    ):
        assert topic in topics
    assert isinstance(main.node(menu.options["2"]), SubflowNode)
    assert any(isinstance(main.node(t), RecordNode) for t in menu.options.values())
    assert set(menu.speech) >= {Topic.LOST_STOLEN_CARD, Topic.LOANS, Topic.COMPLAINT}


def test_after_hours_a_lost_card_still_reaches_the_card_team() -> None:
    main = shipped().get("main")
    hours = main.node("hours")
    assert isinstance(hours, HoursNode)
    after = main.node(hours.closed)
    assert isinstance(after, MenuNode)
    lost = main.node(after.options["1"])
    assert isinstance(lost, RouteNode) and lost.topic == Topic.LOST_STOLEN_CARD
    kinds = {main.node(t).type for t in after.options.values()}
    assert {"callback", "record"} <= kinds


def test_the_hotline_hours() -> None:
    hours = shipped().get("main").node("hours")
    assert isinstance(hours, HoursNode)
    # Monday 2026-11-30, 10:00 in Shanghai: open; 23:00: closed.
    assert is_open(hours, dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC))
    assert not is_open(hours, dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC))
    # National Day 2026-10-01 10:00 in Shanghai: closed.
    assert not is_open(hours, dt.datetime(2026, 10, 1, 2, 0, tzinfo=dt.UTC))


def test_cards_returns_and_the_survey_asks_first() -> None:
    catalog = shipped()
    cards = catalog.get("cards")
    assert any(node.type == "return" for node in cards.nodes.values())
    survey = catalog.get("survey")
    assert isinstance(survey.node(survey.start), SurveyNode)


def test_the_banks_default_zone_is_the_shipped_opening_hours_zone() -> None:
    """IVR_TIMEZONE's default matches the hours the main flow keeps, so reports count the
    days the hotline opens on; a zone set apart from them is named at start."""
    flows = shipped().flows
    assert zones_apart(flows, DEFAULT_TIMEZONE) == []
    assert zones_apart(flows, "UTC") == [
        "flow 'main', node 'hours': opening hours in Asia/Shanghai"
    ]
