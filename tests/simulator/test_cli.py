"""`ivr call` over real HTTP: step options in order, scripts, stdin-fed interactive calls."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

from ivr.cli import app
from ivr.simulator.stand_in import StandIn

TOKEN = "cli-test-token"
MENU = (
    '<Gather input="dtmf speech" action="/step"><Say>Press a key or say it</Say></Gather>'
    "<Redirect>/twilio/voice</Redirect>"
)


def menu_routes() -> dict[str, object]:
    def step(params: dict[str, str]) -> str:
        heard = params.get("Digits") or params.get("SpeechResult") or "nothing"
        if heard == "9":
            return "<Say>Goodbye</Say><Hangup/>"
        return f"<Say>You said {heard}</Say>{MENU}"

    return {"/twilio/voice": MENU, "/step": step}


@pytest.fixture
def live() -> Iterator[tuple[StandIn, str]]:
    """The stand-in served over real HTTP on a free loopback port."""
    stand_in = StandIn(TOKEN, menu_routes())  # type: ignore[arg-type]
    config = uvicorn.Config(
        stand_in.app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield stand_in, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def said(stand_in: StandIn) -> list[str]:
    return [
        r.params.get("Digits") or r.params.get("SpeechResult", "")
        for r in stand_in.received
        if r.path == "/step"
    ]


def test_step_options_are_used_in_the_order_given(live: tuple[StandIn, str]) -> None:
    stand_in, url = live
    result = CliRunner().invoke(
        app,
        ["call", "--url", url, "--token", TOKEN, "--press", "1", "--say", "lost card",
         "--press", "2", "--say", "thanks", "--press", "9"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert said(stand_in) == ["1", "lost card", "2", "thanks", "9"]
    assert all(r.signature_valid for r in stand_in.received)
    assert "You said lost card" in result.output
    assert "Digits='2'" in result.output
    assert "ended: completed, by service" in result.output
    assert stand_in.to("/twilio/status")[0].params["CallStatus"] == "completed"


def test_the_token_comes_from_the_environment_or_the_data_dir(
    live: tuple[StandIn, str], tmp_path: Path
) -> None:
    stand_in, url = live
    result = CliRunner().invoke(
        app, ["call", "--url", url, "--press", "9"], env={"IVR_TWILIO_AUTH_TOKEN": TOKEN}
    )
    assert result.exit_code == 0, result.output
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "twilio_auth_token").write_text(TOKEN + "\n")
    result = CliRunner().invoke(
        app,
        ["call", "--url", url, "--press", "9"],
        env={"IVR_TWILIO_AUTH_TOKEN": None, "IVR_DATA_DIR": str(tmp_path / "var")},
    )
    assert result.exit_code == 0, result.output
    assert [r.signature_valid for r in stand_in.received].count(True) == 6


def test_a_wrong_token_fails_clearly(live: tuple[StandIn, str]) -> None:
    _, url = live
    result = CliRunner().invoke(app, ["call", "--url", url, "--token", "wrong", "--press", "9"])
    assert result.exit_code == 1
    assert "HTTP 403" in result.output
    assert "application error" in result.output


def test_a_script_file_drives_the_call(live: tuple[StandIn, str], tmp_path: Path) -> None:
    stand_in, url = live
    script = tmp_path / "call.yaml"
    script.write_text(
        "- press: '3'\n- say: 我想查询余额\n  confidence: 0.7\n- silence\n- press: '9'\n"
    )
    result = CliRunner().invoke(
        app, ["call", "--url", url, "--token", TOKEN, "--lang", "zh-CN", "--script", str(script)]
    )
    assert result.exit_code == 0, result.output
    assert said(stand_in) == ["3", "我想查询余额", "9"]
    assert len(stand_in.to("/twilio/voice")) == 2, "the silence fell through to the Redirect"
    voice = stand_in.to("/twilio/voice")[0].params
    assert voice["From"].startswith("+86") and voice["FromCountry"] == "CN"
    assert stand_in.to("/step")[1].params["Confidence"] == "0.70"


def test_a_bad_script_is_refused_before_calling(live: tuple[StandIn, str], tmp_path: Path) -> None:
    stand_in, url = live
    script = tmp_path / "bad.yaml"
    script.write_text("- press: 'x'\n")
    result = CliRunner().invoke(
        app, ["call", "--url", url, "--token", TOKEN, "--script", str(script)]
    )
    assert result.exit_code == 2
    assert "bad.yaml: step 1" in result.output
    assert stand_in.received == []


def test_interactive_mode_reads_the_caller_from_stdin(live: tuple[StandIn, str]) -> None:
    stand_in, url = live
    result = CliRunner().invoke(
        app,
        ["call", "--url", url, "--token", TOKEN, "--from", "+14155550111"],
        input="1\nmy card is gone\n\n9\n",
    )
    assert result.exit_code == 0, result.output
    assert said(stand_in) == ["1", "my card is gone", "9"]
    assert "Press a key or say it" in result.output
    assert "keys or words" in result.output
    assert stand_in.to("/twilio/voice")[0].params["From"] == "+14155550111"


def test_interactive_end_of_input_hangs_up(live: tuple[StandIn, str]) -> None:
    stand_in, url = live
    result = CliRunner().invoke(app, ["call", "--url", url, "--token", TOKEN], input="2\n")
    assert result.exit_code == 0, result.output
    assert said(stand_in) == ["2"]
    assert "by caller" in result.output


def test_an_audio_step_answers_a_record(live: tuple[StandIn, str], tmp_path: Path) -> None:
    stand_in, url = live
    stand_in.routes["/twilio/voice"] = '<Record action="/step" maxLength="20"/>'
    audio = tmp_path / "message.wav"
    subprocess.run(["espeak-ng", "-w", str(audio), "my card was stolen"], check=True)
    result = CliRunner().invoke(
        app,
        [
            "call",
            "--url",
            url,
            "--token",
            TOKEN,
            "--audio",
            str(audio),
            "--press",
            "9",
            "--keep-recordings",
            "0",
        ],
    )
    assert result.exit_code == 0, result.output
    posted = stand_in.to("/step")[0].params
    assert posted["RecordingUrl"].startswith("http://127.0.0.1:")
    assert posted["RecordingSid"].startswith("RE")
    assert said(stand_in)[1] == "9"


def test_interactive_record_takes_a_file_path(live: tuple[StandIn, str], tmp_path: Path) -> None:
    stand_in, url = live
    stand_in.routes["/twilio/voice"] = '<Record action="/step"/>'
    audio = tmp_path / "message.wav"
    subprocess.run(["espeak-ng", "-w", str(audio), "hello"], check=True)
    result = CliRunner().invoke(
        app,
        ["call", "--url", url, "--token", TOKEN, "--keep-recordings", "0"],
        input=f"{audio}\n9\n",
    )
    assert result.exit_code == 0, result.output
    assert "recording: audio file or words" in result.output
    assert stand_in.to("/step")[0].params["RecordingSid"].startswith("RE")
    assert said(stand_in)[1] == "9"


def test_json_output_is_the_call_record(live: tuple[StandIn, str]) -> None:
    _, url = live
    result = CliRunner().invoke(
        app, ["call", "--url", url, "--token", TOKEN, "--press", "9", "--json"]
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["status"] == "completed" and record["call_sid"].startswith("CA")
    assert [h["text"] for h in record["heard"]] == ["Press a key or say it", "Goodbye"]
    assert [r["purpose"] for r in record["requests"]] == ["voice", "gather", "status"]


def test_bad_options_are_refused(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["call", "--token", "t", "--audio", str(tmp_path / "no.wav")])
    assert missing.exit_code == 2
    assert runner.invoke(app, ["call", "--lang", "fr-FR", "--token", "t"]).exit_code == 2
    bad_agent = runner.invoke(app, ["call", "--agent", "sleepy", "--token", "t", "--press", "1"])
    assert bad_agent.exit_code == 2 and "sleepy" in bad_agent.output
