"""The validator: each kind of problem on its own, with file, node and the right line."""

from __future__ import annotations

import shutil
from pathlib import Path

import typer
from typer.testing import CliRunner

from ivr.cli import flows as flows_cli
from ivr.config import PROJECT_DIR
from ivr.flows.problems import FlowError
from ivr.ids import Language
from ivr.prompts.model import PromptCatalog, PromptSet, SayVoice
from tests.flows.flowtext import line_of, problems, write

GOOD = """
name: t
start: menu
nodes:
  menu:
    type: menu
    prompt: hello
    options:
      "1": agent
  agent:
    type: route
    topic: general
"""


def only(found: list[FlowError]) -> FlowError:
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


def catalog(**texts: dict[str, str]) -> PromptCatalog:
    """A prompt catalogue: language id -> {prompt id: text}."""
    sets = {
        Language(lang): PromptSet(
            language=Language(lang),
            say=SayVoice(voice="alice", language=lang),
            gather_language=lang,
            prompts=prompts,
        )
        for lang, prompts in texts.items()
    }
    return PromptCatalog(sets=sets)


def test_a_good_flow_has_no_problems(tmp_path: Path) -> None:
    write(tmp_path, "t", GOOD)
    assert problems(tmp_path) == []


def test_unknown_target_names_the_option_line(tmp_path: Path) -> None:
    text = write(tmp_path, "t", GOOD.replace('"1": agent', '"1": agent\n      "2": nowhere'))
    problem = only(problems(tmp_path))
    assert problem.node == "menu"
    assert problem.flow == "t"
    assert problem.file.endswith("t.yaml")
    assert "unknown node 'nowhere'" in problem.message
    assert problem.line == line_of(text, '"2": nowhere')


def test_unknown_next_and_on_fail_targets(tmp_path: Path) -> None:
    text = write(
        tmp_path,
        "t",
        GOOD.replace("prompt: hello", "prompt: hello\n    on_fail: gone")
        + "  intro:\n    type: say\n    prompt: hi\n    next: missing\n",
    )
    found = problems(tmp_path)
    by_message = {p.message: p for p in found}
    fail = by_message["'fail' leads to unknown node 'gone'"]
    assert fail.line == line_of(text, "on_fail: gone")
    following = by_message["'next' leads to unknown node 'missing'"]
    assert (following.node, following.line) == ("intro", line_of(text, "next: missing"))


def test_unknown_subflow(tmp_path: Path) -> None:
    text = write(
        tmp_path,
        "t",
        GOOD.replace('"1": agent', '"1": agent\n      "2": sub')
        + "  sub:\n    type: subflow\n    flow: nosuch\n    next: agent\n",
    )
    problem = only(problems(tmp_path))
    assert problem.node == "sub"
    assert "unknown sub-flow 'nosuch'" in problem.message
    assert problem.line == line_of(text, "flow: nosuch")


def test_a_known_subflow_with_a_return_is_fine(tmp_path: Path) -> None:
    write(
        tmp_path,
        "t",
        GOOD.replace('"1": agent', '"1": agent\n      "2": sub')
        + "  sub:\n    type: subflow\n    flow: other\n    next: agent\n",
    )
    write(tmp_path, "other", "name: other\nstart: back\nnodes:\n  back:\n    type: return\n")
    assert problems(tmp_path) == []


def test_a_return_in_a_top_level_flow_is_allowed(tmp_path: Path) -> None:
    # The engine ends the call there (after the node's prompt), so it is no dead end.
    menu = GOOD.replace('"1": agent', '"1": agent\n      "9": back')
    write(tmp_path, "t", menu + "  back:\n    type: return\n    prompt: goodbye\n")
    assert problems(tmp_path) == []


def test_unreachable_node(tmp_path: Path) -> None:
    text = write(tmp_path, "t", GOOD + "  lonely:\n    type: hangup\n")
    problem = only(problems(tmp_path))
    assert problem.node == "lonely"
    assert problem.message.startswith("unreachable")
    assert problem.line == line_of(text, "lonely:")


def test_missing_start_node(tmp_path: Path) -> None:
    write(tmp_path, "t", GOOD.replace("start: menu", "start: nope"))
    assert "start node 'nope' does not exist" in only(problems(tmp_path)).message


def test_dead_end(tmp_path: Path) -> None:
    text = write(
        tmp_path,
        "t",
        GOOD.replace('"1": agent', '"1": agent\n      "2": stuck')
        + "  stuck:\n    type: menu\n    prompt: hello\n",
    )
    problem = only(problems(tmp_path))
    assert (problem.node, problem.line) == ("stuck", line_of(text, "stuck:"))
    assert problem.message.startswith("dead end")


def test_loop_with_no_exit(tmp_path: Path) -> None:
    text = write(
        tmp_path,
        "t",
        """
        name: t
        start: a
        nodes:
          a:
            type: say
            prompt: hello
            next: b
          b:
            type: hours
            weekly: {mon: ["08:00-18:00"]}
            open: a
            closed: a
        """,
    )
    found = problems(tmp_path)
    assert {p.node for p in found} == {"a", "b"}
    assert all(p.message.startswith("loop with no exit") for p in found)
    assert {p.line for p in found} == {line_of(text, "  a:"), line_of(text, "  b:")}


def test_a_loop_through_a_menu_has_its_agent_exit(tmp_path: Path) -> None:
    write(
        tmp_path,
        "t",
        """
        name: t
        start: a
        nodes:
          a:
            type: say
            prompt: hello
            next: m
          m:
            type: menu
            prompt: hello
            options: {"1": a}
        """,
    )
    assert problems(tmp_path) == []


def test_a_menu_loop_without_agent_fallback_is_trapped(tmp_path: Path) -> None:
    write(
        tmp_path,
        "t",
        """
        name: t
        start: a
        nodes:
          a:
            type: say
            prompt: hello
            next: m
          m:
            type: menu
            prompt: hello
            options: {"1": a}
            agent_key: false
            on_fail: a
        """,
    )
    assert {p.node for p in problems(tmp_path)} == {"a", "m"}


def test_duplicate_digit_in_the_yaml(tmp_path: Path) -> None:
    text = write(tmp_path, "t", GOOD.replace('"1": agent', '"1": agent\n      1: menu'))
    problem = only(problems(tmp_path))
    assert problem.node == "menu"
    assert "key '1' is used twice in options" in problem.message
    assert problem.line == line_of(text, "1: menu")
    first = line_of(text, '"1": agent')
    assert f"first on line {first}" in problem.message


def test_duplicate_node_id(tmp_path: Path) -> None:
    text = write(tmp_path, "t", GOOD + "  agent:\n    type: hangup\n")
    problem = only(problems(tmp_path))
    assert problem.node == "agent"
    assert "defined twice" in problem.message
    assert problem.line == line_of(text, "  agent:", nth=2)


def test_star_and_zero_collide_with_repeat_and_agent_keys(tmp_path: Path) -> None:
    keys = '"1": agent\n      "*": agent\n      "0": agent'
    text = write(tmp_path, "t", GOOD.replace('"1": agent', keys))
    found = problems(tmp_path)
    assert len(found) == 2
    star, zero = sorted(found, key=lambda p: p.line or 0)
    assert "repeat_key" in star.message and star.line == line_of(text, '"*": agent')
    assert "agent_key" in zero.message and zero.line == line_of(text, '"0": agent')


def test_star_and_zero_are_fine_with_those_keys_off(tmp_path: Path) -> None:
    write(
        tmp_path,
        "t",
        GOOD.replace('"1": agent', '"*": agent\n      "0": agent').replace(
            "prompt: hello", "prompt: hello\n    repeat_key: false\n    agent_key: false"
        ),
    )
    assert problems(tmp_path) == []


def test_option_longer_than_num_digits(tmp_path: Path) -> None:
    write(tmp_path, "t", GOOD.replace('"1": agent', '"12": agent'))
    assert "needs 2 keys; num_digits is 1" in only(problems(tmp_path)).message


def test_prompt_missing_in_a_language(tmp_path: Path) -> None:
    text = write(tmp_path, "t", GOOD)
    prompts = catalog(
        **{
            "en-US": {"hello": "Hello.", "no_input": "x", "no_match": "y"},
            "zh-CN": {"no_input": "x", "no_match": "y"},
        }
    )
    problem = only(problems(tmp_path, prompts))
    assert problem.message == "prompt 'hello' is missing in zh-CN"
    assert problem.line == line_of(text, "prompt: hello")


def test_menu_retry_prompts_are_checked_too(tmp_path: Path) -> None:
    write(tmp_path, "t", GOOD.replace("prompt: hello", "prompt: hello\n    no_match: sorry"))
    prompts = catalog(**{"en-US": {"hello": "Hello.", "no_input": "x", "no_match": "y"}})
    assert "prompt 'sorry' is missing in en-US" in only(problems(tmp_path, prompts)).message


def test_language_node_naming_an_unknown_language(tmp_path: Path) -> None:
    text = write(
        tmp_path,
        "t",
        """
        name: t
        start: lang
        nodes:
          lang:
            type: language
            prompt: hello
            options:
              "1": en-US
              "2": fr-FR
            next: agent
          agent:
            type: route
        """,
    )
    problem = only(problems(tmp_path))
    assert problem.node == "lang"
    assert problem.line == line_of(text, '"2": fr-FR')
    assert "options.2" in problem.message


def test_language_node_naming_a_language_without_prompts(tmp_path: Path) -> None:
    text = write(
        tmp_path,
        "t",
        """
        name: t
        start: lang
        nodes:
          lang:
            type: language
            prompt: hello
            options: {"1": en-US, "2": zh-CN}
            next: agent
          agent:
            type: route
        """,
    )
    prompts = catalog(**{"en-US": {"hello": "Hello."}})
    problem = only(problems(tmp_path, prompts))
    assert problem.message == "language 'zh-CN' has no prompts"
    assert problem.line == line_of(text, "options:")


def test_hours_with_a_bad_time_zone_and_an_empty_span(tmp_path: Path) -> None:
    text = write(
        tmp_path,
        "t",
        """
        name: t
        start: h
        nodes:
          h:
            type: hours
            timezone: Mars/Olympus_Mons
            weekly:
              mon: ["08:00-18:00"]
              tue: ["09:00-09:00"]
            open: agent
            closed: agent
          agent:
            type: route
        """,
    )
    found = sorted(problems(tmp_path), key=lambda p: p.line or 0)
    assert len(found) == 2
    assert "unknown time zone 'Mars/Olympus_Mons'" in found[0].message
    assert found[0].line == line_of(text, "timezone:")
    assert "tue" in found[1].message and "empty" in found[1].message
    assert found[1].line == line_of(text, "tue:")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    write(
        tmp_path,
        "t",
        GOOD.replace('"1": agent', '"1": agent\n      "2": nowhere\n      "*": agent')
        + "  lonely:\n    type: hangup\n",
    )
    messages = [p.message for p in problems(tmp_path)]
    assert len(messages) == 3, messages


def test_subflows_running_each_other_in_a_circle(tmp_path: Path) -> None:
    run = "    type: subflow\n    flow: {flow}\n    next: agent\n"
    write(
        tmp_path,
        "t",
        GOOD.replace('"1": agent', '"1": agent\n      "2": sub')
        + "  sub:\n"
        + run.format(flow="u"),
    )
    write(
        tmp_path,
        "u",
        "name: u\nstart: sub\nnodes:\n  sub:\n"
        + run.format(flow="t")
        + "  agent:\n    type: route\n",
    )
    found = problems(tmp_path)
    messages = {(p.flow, p.message) for p in found}
    assert ("t", "sub-flows run each other in a circle: t -> u -> t") in messages
    assert ("u", "sub-flows run each other in a circle: u -> t -> u") in messages


THREE_FAULTS = """
name: t
start: intro
nodes:
  intro:
    type: say
    prompt: goodbye
    next: nowhere_node
  rec:
    type: recordz
    prompt: goodbye
  bye:
    type: say
    prompt: no_such_prompt
    next: end
  end:
    type: hangup
"""


def three_faults(text: str) -> dict[str, tuple[int, str]]:
    """node -> (line, message start) of the three faults of THREE_FAULTS as written."""
    return {
        "rec": (line_of(text, "rec:"), "Input tag 'recordz' found using 'type'"),
        "intro": (line_of(text, "nowhere_node"), "'next' leads to unknown node 'nowhere_node'"),
        "bye": (
            line_of(text, "prompt: no_such_prompt"),
            "prompt 'no_such_prompt' is missing in en-US, zh-CN",
        ),
    }


def test_a_malformed_node_does_not_hide_a_missing_prompt(tmp_path: Path) -> None:
    # Regression: an unknown node type used to skip the prompt checks of every other node.
    shutil.copytree(PROJECT_DIR / "prompts", tmp_path / "prompts")
    text = write(tmp_path / "flows", "t", THREE_FAULTS)
    expected = three_faults(text)
    prompts = catalog(**{lang: {"goodbye": "Bye."} for lang in ("en-US", "zh-CN")})
    found = problems(tmp_path / "flows", prompts)
    assert sorted(p.node or "" for p in found) == sorted(expected), [str(p) for p in found]
    for problem in found:
        line, message = expected[problem.node or ""]
        assert (problem.flow, problem.line) == ("t", line)
        assert problem.message.startswith(message)
    # `ivr flows validate DIR` reads the shipped prompts and reports the same three.
    app = typer.Typer()
    flows_cli.register(app)
    result = CliRunner().invoke(app, ["flows", "validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "3 problem(s)" in result.output
    for node, (line, message) in expected.items():
        assert f"t.yaml:{line}: t/{node}: {message}" in result.output


def test_a_menu_that_can_never_be_left_is_refused(tmp_path: Path) -> None:
    # Every option and the failure path lead back to the menu; only an unannounced '0'
    # would get the caller out: refused like a loop of say nodes.
    text = write(
        tmp_path,
        "t",
        """
        name: t
        start: m
        nodes:
          m:
            type: menu
            prompt: hello
            options: {"1": again, "2": m}
            on_fail: again
          again:
            type: say
            prompt: hello
            next: m
        """,
    )
    found = only(problems(tmp_path))
    assert (found.node, found.line) == ("m", line_of(text, "  m:"))
    assert found.message.startswith("menu can never be left")


def test_a_menu_with_one_way_out_is_fine(tmp_path: Path) -> None:
    write(
        tmp_path,
        "t",
        """
        name: t
        start: m
        nodes:
          m:
            type: menu
            prompt: hello
            options: {"1": m, "2": bye}
            on_fail: m
          bye:
            type: hangup
        """,
    )
    assert problems(tmp_path) == []


def test_deep_or_huge_yaml_is_a_clear_problem_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "deep.yaml").write_text("name: deep\nstart: " + "[" * 5000 + "]" * 5000 + "\n")
    (tmp_path / "huge.yaml").write_text(
        "name: huge\nstart: a\nnodes:\n"
        + "".join(f"  n{i}: {{type: hangup}}\n" for i in range(20000))
    )
    found = {p.flow: p for p in problems(tmp_path)}
    assert found["deep"].message == "not YAML: nested more than 64 levels deep"
    assert found["deep"].line == 2
    assert found["huge"].message.startswith("too large: more than")


RECORDING = """
name: t
start: describe
nodes:
  describe:
    type: record
    prompt: hello
    purpose: PURPOSE
    next: agent
  agent:
    type: route
"""


def _recording(purpose: str, setting: str = "") -> str:
    text = RECORDING.replace("PURPOSE", purpose)
    return text.replace("    next: agent", f"    next: agent\n    {setting}") if setting else text


def test_a_describe_step_confirms_doubtful_words_below_one_half_unless_told() -> None:
    from ivr.flows.model import RecordNode
    from ivr.speech.gather import CONFIRM_BELOW

    node = RecordNode(type="record", prompt="p", next="n")
    assert node.confirm_below == CONFIRM_BELOW == 0.5


def test_confirm_below_on_a_describe_step_is_fine_from_never_to_always(tmp_path: Path) -> None:
    for value in ("0", "0.65", "1"):
        write(tmp_path, "t", _recording("describe", f"confirm_below: {value}"))
        assert problems(tmp_path) == [], value


def test_confirm_below_outside_zero_to_one_names_its_line(tmp_path: Path) -> None:
    for value in ("1.5", "-0.1", "often"):
        text = write(tmp_path, "t", _recording("describe", f"confirm_below: {value}"))
        problem = only(problems(tmp_path))
        assert problem.node == "describe"
        assert "confirm_below" in problem.message, problem.message
        assert problem.line == line_of(text, "confirm_below:")


def test_confirm_below_on_a_voicemail_is_refused_since_nothing_is_read_back(
    tmp_path: Path,
) -> None:
    text = write(tmp_path, "t", _recording("voicemail", "confirm_below: 0.6"))
    problem = only(problems(tmp_path))
    assert problem.node == "describe"
    assert "purpose: describe" in problem.message and "voicemail" in problem.message
    assert problem.line == line_of(text, "confirm_below:")
    # Left unset, a voicemail's default threshold is simply never used.
    write(tmp_path, "t", _recording("voicemail"))
    assert problems(tmp_path) == []
