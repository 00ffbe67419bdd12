"""`ivr flows validate|graph` and `ivr prompts lint`: check and draw what admins edit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ivr.config import Settings
from ivr.flows.graph import render_svg
from ivr.flows.loader import read_flow_files
from ivr.flows.problems import FlowError
from ivr.flows.validate import retry_prompts, validate
from ivr.prompts.lint import lint
from ivr.prompts.loader import LintError, read_prompt_files
from ivr.prompts.model import PromptCatalog

flows_app = typer.Typer(help="Check and draw the menu flows (flows/*.yaml).", no_args_is_help=True)
prompts_app = typer.Typer(help="Check the prompt texts (prompts/*.yaml).", no_args_is_help=True)


def _dirs(directory: Path | None) -> tuple[Path, Path]:
    """(flows dir, prompts dir) for DIR: a config dir holding flows/, or a flows dir itself."""
    if directory is None:
        settings = Settings()
        return settings.flows_dir, settings.prompts_dir
    if (directory / "flows").is_dir():
        return directory / "flows", directory / "prompts"
    beside = directory.parent / "prompts"
    return directory, beside if beside.is_dir() else Settings().prompts_dir


def _report(problems: list[FlowError] | list[LintError]) -> None:
    for problem in problems:
        typer.echo(str(problem), err=True)


@flows_app.command("validate")
def validate_command(
    directory: Annotated[
        Path | None,
        typer.Argument(help="a flows folder, or a config folder holding flows/ and prompts/"),
    ] = None,
) -> None:
    """Report every problem in the flows, with file, node and line; exit 1 when there is one."""
    flows_dir, prompts_dir = _dirs(directory)
    prompts, prompt_problems = read_prompt_files(prompts_dir)
    flows, problems = read_flow_files(flows_dir)
    problems.extend(validate(flows, prompts))
    if prompts is None:
        _report(prompt_problems)
    _report(problems)
    if problems or prompts is None:
        typer.echo(f"{len(problems)} problem(s) in {flows_dir}", err=True)
        raise typer.Exit(1)
    count = sum(len(flow.nodes) for flow in flows.values())
    typer.echo(f"ok: {len(flows)} flow(s), {count} nodes in {flows_dir}")


@flows_app.command("graph")
def graph_command(
    name: Annotated[str, typer.Argument(help="the flow's name, e.g. main")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="the SVG file (default: NAME.svg)")
    ] = None,
    directory: Annotated[
        Path | None, typer.Option("--dir", help="the flows folder (default: the configured one)")
    ] = None,
) -> None:
    """Draw flow NAME as an SVG picture."""
    flows_dir = directory or Settings().flows_dir
    flows, problems = read_flow_files(flows_dir)
    if name not in flows:
        _report([p for p in problems if p.flow == name])
        known = ", ".join(sorted(flows)) or "none"
        typer.echo(f"no usable flow {name!r} in {flows_dir} (flows: {known})", err=True)
        raise typer.Exit(1)
    target = output or Path(f"{name}.svg")
    target.write_text(render_svg(flows[name]), encoding="utf-8")
    typer.echo(f"wrote {target}")


@prompts_app.command("lint")
def lint_command(
    directory: Annotated[
        Path | None, typer.Argument(help="the prompts folder (default: the configured one)")
    ] = None,
) -> None:
    """Check the service language and consistency of every prompt, the retry prompts the
    flows beside them name and the fallback said from code; exit 1 on any problem."""
    prompts_dir = directory or Settings().prompts_dir
    catalog, problems = read_prompt_files(prompts_dir)
    flows_dir = prompts_dir.parent / "flows"
    flows = read_flow_files(flows_dir)[0] if flows_dir.is_dir() else {}
    if catalog is not None:
        problems.extend(lint(catalog, retry_prompts=retry_prompts(flows)))
    _report(problems)
    if problems or catalog is None:
        typer.echo(f"{len(problems)} problem(s) in {prompts_dir}", err=True)
        raise typer.Exit(1)
    typer.echo(f"ok: {_summary(catalog)} in {prompts_dir}")


def _summary(catalog: PromptCatalog) -> str:
    return ", ".join(f"{lang}: {len(s.prompts)} prompts" for lang, s in catalog.sets.items())


def register(app: typer.Typer) -> None:
    """Add `ivr flows ...` and `ivr prompts ...` to the `ivr` app."""
    from ivr.cli import flow_versions  # needs the ticket store; `validate` does not

    flow_versions.register(flows_app)
    app.add_typer(flows_app, name="flows")
    app.add_typer(prompts_app, name="prompts")
