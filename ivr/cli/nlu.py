"""`ivr nlu classify|eval`: read one utterance, or measure a classifier on a labelled CSV."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ivr.config import Settings
from ivr.errors import IvrError

if TYPE_CHECKING:  # the learner pulls in scikit-learn: imported when a command runs
    from ivr.nlu.evaluation import EvaluationReport
    from ivr.nlu.understanding import Understanding

nlu_app = typer.Typer(help="Understand callers: topic and emotion.", no_args_is_help=True)


class Target(StrEnum):
    """What `ivr nlu eval` measures when no --train is given."""

    TOPIC = "topic"
    EMOTION = "emotion"


def _understanding() -> Understanding:
    """The shipped model from IVR_CONFIG_DIR's routing/, cached in IVR_DATA_DIR."""
    from ivr.nlu.understanding import Understanding

    settings = Settings()
    return Understanding.load(settings.routing_dir, cache_dir=settings.data_dir / "nlu")


def _stages() -> Callable[[str], None]:
    """Prints each stage of a long evaluation on stderr with the seconds since the start,
    so someone training on BANKING77 sees it move (stdout stays the report)."""
    started = time.perf_counter()

    def say(stage: str) -> None:
        typer.echo(f"eval {time.perf_counter() - started:6.1f} s  {stage}", err=True)

    return say


def _fail(exc: IvrError) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(2)


@nlu_app.command("classify")
def classify_command(
    text: Annotated[str, typer.Argument(help="what the caller said")],
    lang: Annotated[str, typer.Option("--lang", help="en-US or zh-CN")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Print the topic (with confidence and runner-up) and the emotion (with every cue)."""
    try:
        understanding = _understanding()
    except IvrError as exc:
        raise _fail(exc) from exc
    from ivr.nlu.understanding import resolve_language

    language = resolve_language(lang, text)
    reading = understanding.read(text, language)
    prediction = understanding.topic(text, language)
    if as_json:
        payload = reading.model_dump(mode="json")
        payload["runner_up_confidence"] = prediction.runner_up_confidence
        payload["needs_clarification"] = understanding.needs_clarification(prediction)
        typer.echo(json.dumps(payload, ensure_ascii=False))
        return
    typer.echo(f"language: {reading.language}")
    typer.echo(
        f"topic: {reading.topic.value} ({reading.topic_confidence:.2f}, {reading.topic_source})"
    )
    if reading.runner_up is not None:
        typer.echo(f"runner-up: {reading.runner_up.value} ({prediction.runner_up_confidence:.2f})")
    typer.echo(f"emotion: {reading.emotion.value} ({reading.emotion_intensity:.2f})")
    for cue in reading.cues:
        typer.echo(
            f"  cue: {cue.source}/{cue.name} -> {cue.emotion.value} {cue.weight:+.2f}"
            f" {cue.detail}".rstrip()
        )


@nlu_app.command("eval")
def eval_command(
    test: Annotated[
        Path, typer.Option("--test", help="CSV with columns text,category (and maybe emotion)")
    ],
    train: Annotated[
        Path | None, typer.Option("--train", help="train the generic learner on this CSV first")
    ] = None,
    target: Annotated[
        Target, typer.Option("--target", help="without --train: the shipped topic or emotion model")
    ] = Target.TOPIC,
) -> None:
    """Print accuracy, macro-F1, the worst classes, training time, latency; last `accuracy:`."""
    try:
        report = _evaluate(test=test, train=train, target=target)
    except IvrError as exc:
        raise _fail(exc) from exc
    for line in report.lines():
        typer.echo(line)


def _evaluate(*, test: Path, train: Path | None, target: Target) -> EvaluationReport:
    """Train (when asked) and measure; errors name the file and line at fault."""
    from ivr.nlu.evaluation import csv_has_column, evaluate, read_labelled_csv
    from ivr.nlu.learner import TextClassifier

    say = _stages()
    say(f"reading {test}")
    # A dev set labelled with both may carry the emotion in its own column.
    emotion_column = target is Target.EMOTION and csv_has_column(test, "emotion")
    rows = read_labelled_csv(test, label="emotion" if emotion_column else "category")
    if train is not None:
        say(f"reading {train}")
        training = read_labelled_csv(train)
        started = time.perf_counter()
        classifier = TextClassifier().fit(
            [r.text for r in training],
            [r.category for r in training],
            calibrate=False,
            progress=say,
        )
        seconds = time.perf_counter() - started
        say(f"predicting {len(rows)} test rows")
        report = evaluate(lambda t: classifier.ranked(t)[0][0], rows, train_seconds=seconds)
        report.model = classifier.describe()
        return report
    say("loading the shipped model (trained and cached on first use)")
    started = time.perf_counter()
    understanding = _understanding()
    seconds = time.perf_counter() - started
    say(f"predicting {len(rows)} test rows")
    if target is Target.EMOTION:
        return evaluate(lambda t: understanding.emotion(t).emotion.value, rows)
    return evaluate(lambda t: understanding.topic(t).topic.value, rows, train_seconds=seconds)


def register(app: typer.Typer) -> None:
    """Add `ivr nlu` to the `ivr` app."""
    app.add_typer(nlu_app, name="nlu")
