"""`ivr serve`: run the call service, with a private Redis when none is configured."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from ivr.cli.call import DEFAULT_URL as DEFAULT_CALL_URL
from ivr.cli.local_service import remove_address, write_address
from ivr.config import Settings
from ivr.connections import check_reachable, redact_url
from ivr.errors import ConfigError, UnavailableError
from ivr.metrics.webhooks import prepare_shared_metrics
from ivr.private_redis import PRIVATE, PrivateRedis, die_with_parent, private_dir

APP_FACTORY = "ivr.app:create_app"
PERSISTER_NICENESS = 10
# Exit status for "the configuration is wrong", as click uses for bad usage.
EXIT_CONFIG = 2
_LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
_ANY_ADDRESS = ("0.0.0.0", "::", "")


def load_settings() -> Settings:
    """Settings from the environment; ConfigError naming each variable at fault."""
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "?"
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"IVR_{field.upper()}: {message}")
        raise ConfigError("; ".join(problems)) from exc
    if settings.log_level.lower() not in _LOG_LEVELS:
        raise ConfigError(f"IVR_LOG_LEVEL must be one of {', '.join(_LOG_LEVELS)}")
    return settings


def local_base_url(settings: Settings, host: str, port: int) -> str:
    """The URL the carrier (or `ivr call`) uses: IVR_PUBLIC_URL, else this host and port."""
    # A wildcard bind address is not something a client can dial.
    reachable = "127.0.0.1" if host in _ANY_ADDRESS else host
    if ":" in reachable and not reachable.startswith("["):
        reachable = f"[{reachable}]"
    return settings.public_base(reachable, port)


def banner(
    *, settings: Settings, base_url: str, redis_url: str, private: bool, workers: int
) -> list[str]:
    """What `ivr serve` tells whoever started it: where it runs and what to configure."""
    database = settings.database_url or f"sqlite:///{settings.data_dir / 'ivr.db'}"
    redis_note = f"private redis-server, data in {settings.data_dir / 'redis'}" if private else ""
    token = settings.twilio_auth_token
    kept_in = settings.data_dir / "twilio_auth_token"
    try:
        generated = bool(token) and kept_in.is_file() and kept_in.read_text().strip() == token
    except OSError:
        generated = False
    if generated:
        token_note = f"{token}  (generated, kept in {kept_in}; requests must be signed with it)"
    else:
        # Supplied through IVR_TWILIO_AUTH_TOKEN: a real account secret, kept out of logs.
        masked = f"{token[:4]}…" if len(token) > 8 else "…"
        token_note = f"{masked} is set  (IVR_TWILIO_AUTH_TOKEN; requests must be signed with it)"
    return [
        f"ivr: serving {base_url} ({workers} worker{'s' if workers != 1 else ''})",
        f"  Redis         {redact_url(redis_url)}{'  (' + redis_note + ')' if redis_note else ''}",
        f"  Ticket store  {redact_url(database)}",
        f"  Voice URL     POST {base_url}/twilio/voice   (the phone number's 'A call comes in')",
        f"  Status URL    POST {base_url}/twilio/status  (the number's status callback)",
        f"  Auth token    {token_note}",
        f"  Try a call    {try_call_command(base_url)}   (in another terminal, same folder)",
    ]


def try_call_command(base_url: str) -> str:
    """The `ivr call` line that reaches this service, as the user can type it."""
    script = Path(sys.executable).with_name("ivr")
    try:
        program = str(script.relative_to(Path.cwd()))
    except ValueError:
        program = "ivr" if shutil.which("ivr") == str(script) else str(script)
    target = "" if base_url == DEFAULT_CALL_URL else f" --url {base_url}"
    return f"{program} call{target} --press 1"


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # uvicorn shuts down gracefully on SIGTERM and then re-raises the signal to the
    # handler it found: this one, so the `finally` that stops Redis still runs.
    raise SystemExit(0)


def _export(settings: Settings) -> None:
    """Hand the resolved settings to the worker processes through their environment."""
    # IVR_PUBLIC_URL stays unset when it was: the service then checks signatures
    # against the URL each request was sent to, so a local client may call
    # http://localhost:PORT or http://127.0.0.1:PORT alike.
    os.environ["IVR_TWILIO_AUTH_TOKEN"] = settings.twilio_auth_token
    os.environ["IVR_DATA_DIR"] = str(Path(settings.data_dir).resolve())
    # Exactly the hosts configured: `ivr call --audio` serves recordings from 127.0.0.1,
    # and trying that locally means saying so (IVR_RECORDING_HOSTS=127.0.0.1).
    os.environ["IVR_RECORDING_HOSTS"] = settings.recording_hosts


def check_port_free(host: str, port: int) -> None:
    """ConfigError when host:port cannot be listened on, before anything slow starts."""
    try:
        family = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM)[0][0]
        with socket.create_server((host, port), family=family):
            pass
    except OSError as exc:
        raise ConfigError(
            f"--host {host} --port {port}: cannot listen there ({exc.strerror or exc}); "
            "is another ivr serve running? choose another --port"
        ) from exc


def check_config(settings: Settings) -> None:
    """Refuse to start on invalid flows or prompts: ConfigError lists every problem."""
    from ivr.flows.catalog import FlowCatalog

    # Checked here, once, before anything starts: a worker process failing the same
    # check would only log a traceback, and uvicorn restarts or drops workers quietly.
    FlowCatalog.load(flows_dir=settings.flows_dir, prompts_dir=settings.prompts_dir)


def check_speech(settings: Settings) -> None:
    """Refuse to start on a missing or corrupt Whisper model (ConfigError naming it).

    Checked (and the model assembled) once here, so web workers never race to
    assemble it and none of them starts on a model that fails its hash.
    """
    from ivr.speech.recognize import check_engine

    check_engine(settings)


def run(*, host: str, port: int, workers: int, persister: bool = True) -> None:
    """Start Redis when needed, then uvicorn with the app factory; stop Redis after."""
    import uvicorn

    settings = load_settings()
    check_port_free(host, port)
    check_config(settings)
    if settings.in_process_worker:
        check_speech(settings)
    # What the service keeps (tickets, call state, the auth token) is for its user only.
    os.umask(PRIVATE)
    with contextlib.suppress(OSError):
        private_dir(Path(settings.data_dir))
    settings.ensure_auth_token()
    base_url = local_base_url(settings, host, port)
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    private = None if settings.redis_url else PrivateRedis(data_dir=settings.data_dir)
    watchdog: Watchdog | None = None
    try:
        if private is None:
            check_reachable(settings.redis_url)
        if private is not None:
            private.start()
        # Web workers, persister and transcription reach a private Redis by its Unix socket.
        redis_url = private.local_url if private is not None else settings.redis_url
        # Every worker process reads its Settings from this environment.
        os.environ["IVR_REDIS_URL"] = redis_url
        _export(settings)
        for line in banner(
            settings=settings,
            base_url=base_url,
            redis_url=redis_url,
            private=private is not None,
            workers=workers,
        ):
            typer.echo(line)
        # Persister processes for all web workers (IVR_PERSISTERS, one by default): no
        # webhook waits on ticket-store work.
        watchdog = Watchdog(private, persisters=settings.persisters if persister else 0)
        watchdog.start()
        write_address(settings.data_dir, base_url)  # `ivr call` from this folder finds us
        os.environ["IVR_IN_PROCESS_PERSISTER"] = "false"
        # Webhook latency from every worker adds up in one folder; any worker answers /metrics.
        prepare_shared_metrics(Path(settings.data_dir))
        uvicorn.run(
            APP_FACTORY,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=settings.log_level.lower(),
            log_config=_uvicorn_logging(settings),
        )
    finally:
        remove_address(settings.data_dir)
        if watchdog is not None:
            watchdog.stop()
        if private is not None:
            private.stop()
        signal.signal(signal.SIGTERM, previous)


def _uvicorn_logging(settings: Settings) -> dict[str, Any] | None:
    """uvicorn's own text logging, or None for JSON lines: ivr.logs formats its records then."""
    from uvicorn.config import LOGGING_CONFIG

    if settings.log_format == "text":
        return LOGGING_CONFIG
    from ivr.logs import configure_logging

    configure_logging(settings.log_level, "json")
    return None


class Watchdog(threading.Thread):
    """Keeps `ivr serve`'s helpers alive: the persister process and the private Redis.

    Either may die under it (the OOM killer, an operator's kill): calls would go on
    being answered while their events piled up unsaved, or every webhook would
    apologise. Each is started again within a second, Redis on the same port from
    its append-only data, so the web workers reconnect to the same URL.
    """

    def __init__(
        self, private: PrivateRedis | None, *, persisters: int = 1, every: float = 1.0
    ) -> None:
        super().__init__(name="ivr-watchdog", daemon=True)
        self.private = private
        self.every = every
        # None of them: the persisters run as services of their own (`--no-persister`).
        # Several share the stream's consumer group, each under its own consumer name.
        self.persisters = [start_persister() for _ in range(persisters)]
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.wait(self.every):
            try:
                self._check()
            except Exception as exc:  # keep watching; say why this round failed
                typer.echo(f"ivr serve: could not restart a helper: {exc}", err=True)

    def _check(self) -> None:
        if self.private is not None and self.private.exited():
            typer.echo("ivr serve: the private redis-server exited; starting it again", err=True)
            self.private.revive()
        for i, process in enumerate(self.persisters):
            if process.poll() is not None and not self._stopping.is_set():
                typer.echo(
                    f"ivr serve: the persister exited ({process.returncode}); starting it again",
                    err=True,
                )
                self.persisters[i] = start_persister()

    def stop(self) -> None:
        """Stop watching, then stop the persisters (Redis is stopped by its owner)."""
        self._stopping.set()
        if self.is_alive():
            self.join(timeout=10)
        for process in self.persisters:
            stop_process(process)


def start_persister() -> subprocess.Popen[bytes]:
    """`ivr persister` as a child process that dies with this one."""
    # Its own session: a Ctrl-C in the terminal reaches `ivr serve`, which stops it in order.
    return subprocess.Popen(
        [sys.executable, "-m", "ivr", "persister"],
        preexec_fn=_persister_child,
        start_new_session=True,
    )


def _persister_child() -> None:
    """In the persister before exec: die with us, and yield the CPU to the web workers.

    Callers waiting for their next prompt come first; under a burst the stream
    (durable in Redis) grows for a moment and the persister catches up after.
    """
    die_with_parent()
    with contextlib.suppress(OSError):
        os.nice(PERSISTER_NICENESS)


def stop_process(process: subprocess.Popen[bytes], *, timeout: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if it will not go."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8080,
    workers: Annotated[int, typer.Option(min=1, help="Web worker processes.")] = 1,
    persister: Annotated[
        bool,
        typer.Option(
            help="Run one `ivr persister` beside the workers; --no-persister when the "
            "persisters run as services of their own (docker-compose.yml)."
        ),
    ] = True,
) -> None:
    """Run the call service: Twilio webhooks, the JSON API and the pages."""
    try:
        run(host=host, port=port, workers=workers, persister=persister)
    except ConfigError as exc:
        typer.echo(f"ivr serve: {exc}", err=True)
        raise typer.Exit(EXIT_CONFIG) from None
    except UnavailableError as exc:
        typer.echo(f"ivr serve: {exc}", err=True)
        raise typer.Exit(1) from None


def register(app: typer.Typer) -> None:
    """Add `ivr serve` to the `ivr` app."""
    app.command("serve")(serve)
