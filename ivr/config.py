"""The one Settings object: every setting comes from the environment (or `.env`)."""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from ivr.bank_time import zone
from ivr.errors import ConfigError

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_TIMEZONE = "Asia/Shanghai"  # the shipped main flow's opening hours are kept in it


def _default_config_dir() -> Path:
    """The project's own flows/prompts/routing, or the working directory's."""
    if (PROJECT_DIR / "flows").is_dir():
        return PROJECT_DIR
    return Path.cwd()


class Settings(BaseSettings):
    """Service settings; each field is the environment variable `IVR_<NAME>`."""

    model_config = SettingsConfigDict(
        env_prefix="IVR_", env_file=".env", extra="ignore", frozen=False
    )

    twilio_auth_token: str = ""
    twilio_account_sid: str = ""
    public_url: str = ""
    redis_url: str = ""
    database_url: str = ""
    data_dir: Path = Path("var")
    # Trained models and built language models, keyed by their inputs' hash.
    cache_dir: Path | None = None
    config_dir: Path = Field(default_factory=_default_config_dir)
    admin_token: str = ""
    recording_hosts: str = "api.twilio.com"
    # All Redis keys start with this, so tests and tenants can share one server.
    redis_prefix: str = "ivr:"
    call_ttl_seconds: int = 6 * 3600
    # Empty: whisper when its model packages are installed, else sphinx (said at start).
    asr_engine: str = ""
    # The Whisper model folder; empty: assembled under the cache dir (see asr_model_dir).
    asr_model_path: str = ""
    # Transcriptions one process runs at once, on one shared copy of the model.
    asr_concurrency: int = Field(default=1, ge=1, le=64)
    transcription_deadline_seconds: float = 6.0
    recording_max_bytes: int = 20 * 1024 * 1024
    recording_max_seconds: float = 120.0
    in_process_worker: bool = True
    # Persist call events to the ticket store inside each web process. `ivr serve`
    # turns it off there and runs one separate persister process, so database work
    # never holds up a webhook.
    in_process_persister: bool = True
    # `ivr persister` processes `ivr serve` starts; they share the stream's consumer group.
    persisters: int = Field(default=1, ge=1, le=32)
    # Events a persister took and left unacknowledged this long are another's to store:
    # it died (idempotent by event id, so a slow one taken over costs only repeated work).
    persister_claim_idle_seconds: float = Field(default=30.0, gt=0, le=3600)
    # A webhook answers within this whatever is hung (Redis, a lock): the apology and the
    # general queue, well inside the carrier's 15 s.
    webhook_deadline_seconds: float = Field(default=2.5, gt=0, le=10)
    log_level: str = "INFO"
    # Pages: a signed-in browser session ends after this long without a request.
    web_session_seconds: int = Field(default=8 * 3600, ge=60)
    # The agents' in-browser softphone (Twilio Voice SDK); empty: ring through the simulator.
    twilio_api_key: str = ""
    twilio_api_secret: str = ""
    twilio_twiml_app_sid: str = ""
    # `json`: one object a line with the call's CallSid, for log collectors.
    log_format: Literal["text", "json"] = "text"
    # A bearer token Prometheus scrapes /metrics with (an admin token works too).
    metrics_token: str = ""
    # Whether `ivr call` may move the service's clock on by the time it simulates
    # (ivr.clock). Unset: only when there is no public URL, so a real carrier never can.
    simulated_clock: bool | None = None
    # The bank's time zone (IANA name): where its days begin for reports, the dashboard's
    # and the console's "today", and what a date or a naive time typed into the API or a
    # page means. Asia/Shanghai because the hotline is the Shanghai bank's: the shipped
    # main flow keeps its opening hours in Asia/Shanghai, and a contact centre counts its
    # service level per local business day. `UTC` counts UTC days. The service warns at
    # start when a flow's opening hours keep another zone (ivr.flows.hours.zones_apart).
    timezone: str = DEFAULT_TIMEZONE

    @field_validator("public_url")
    @classmethod
    def _public_url_is_absolute(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError("IVR_PUBLIC_URL must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _timezone_is_known(cls, value: str) -> str:
        name = value.strip() or DEFAULT_TIMEZONE
        try:
            zone(name)
        except ConfigError:
            raise ValueError(
                f"unknown time zone {name!r}: use an IANA name such as Asia/Shanghai, or UTC"
            ) from None
        return name

    @field_validator("redis_prefix")
    @classmethod
    def _prefix_ends_with_colon(cls, value: str) -> str:
        return value if value.endswith(":") else value + ":"

    @cached_property
    def allowed_recording_hosts(self) -> frozenset[str]:
        """Hosts (or host:port) recordings may be fetched from."""
        return frozenset(h.strip().lower() for h in self.recording_hosts.split(",") if h.strip())

    @property
    def zone(self) -> ZoneInfo:
        """The bank's time zone (IVR_TIMEZONE): its days are the days reports count."""
        return zone(self.timezone)

    @property
    def clock_movable(self) -> bool:
        """Whether the simulator may move this service's clock (IVR_SIMULATED_CLOCK)."""
        if self.simulated_clock is not None:
            return self.simulated_clock
        return not self.public_url

    @property
    def model_cache_dir(self) -> Path:
        """Where trained and built models are cached (IVR_CACHE_DIR, else the data dir)."""
        return self.cache_dir or self.data_dir / "cache"

    @property
    def asr_model_dir(self) -> Path:
        """Where the Whisper model is assembled and read (IVR_ASR_MODEL_PATH, else the cache)."""
        return (
            Path(self.asr_model_path)
            if self.asr_model_path
            else self.model_cache_dir / "whisper-base"
        )

    @property
    def flows_dir(self) -> Path:
        """Where the menu flows live."""
        return self.config_dir / "flows"

    @property
    def prompts_dir(self) -> Path:
        """Where the prompt texts per language live."""
        return self.config_dir / "prompts"

    @property
    def routing_dir(self) -> Path:
        """Where topics, skills and routing policy live."""
        return self.config_dir / "routing"

    def database_url_async(self) -> str:
        """The ticket store URL with an async driver (aiosqlite, asyncpg)."""
        return async_database_url(self.database_url or f"sqlite:///{self.data_dir / 'ivr.db'}")

    def public_base(self, host: str, port: int) -> str:
        """The base URL the carrier uses to reach us."""
        return self.public_url or f"http://{host}:{port}"

    def ensure_auth_token(self) -> str:
        """The auth token; generated once and kept in the data dir when unset."""
        if self.twilio_auth_token:
            return self.twilio_auth_token
        path = self.data_dir / "twilio_auth_token"
        try:
            if path.exists():
                token = path.read_text().strip()
            else:
                self.data_dir.mkdir(parents=True, exist_ok=True)
                token = secrets.token_hex(16)
                path.write_text(token + "\n")
                path.chmod(0o600)
        except OSError as exc:
            raise ConfigError(f"IVR_DATA_DIR: cannot keep the auth token in {path}: {exc}") from exc
        self.twilio_auth_token = token
        return token


# The async driver the ticket store uses for each database a URL may name.
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}


def async_database_url(url: str) -> str:
    """`url` with the async driver for its database, whatever sync driver it named.

    Parsed by SQLAlchemy (`make_url`), so `postgresql+psycopg2://`, `postgres://`
    and passwords with odd characters all come out right; other databases pass as given.
    """
    parsed = make_url(url)
    driver = _ASYNC_DRIVERS.get(parsed.get_backend_name())
    if driver is None:
        return url
    return parsed.set(drivername=driver).render_as_string(hide_password=False)
