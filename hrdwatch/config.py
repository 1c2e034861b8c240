"""Configuration: the YAML file a user edits, validated into typed settings.

Every mistake becomes a :class:`ConfigError` whose message names the source and
the key, so the CLI can print one clear sentence and exit with code 2.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from hrdwatch.detect.relevance import TopicSpec, builtin_topics
from hrdwatch.yamlsafe import load_yaml

CONFIG_ENV = "HRDWATCH_CONFIG"
DEFAULT_CONFIG_NAME = "hrdwatch.yaml"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,79}$")


class ConfigError(Exception):
    """The configuration cannot be used; the message says where and why."""


def parse_duration(value: str | int | float) -> float:
    """Seconds in a duration like ``30s``, ``15m``, ``6h``, ``1d`` (a bare number is seconds)."""
    seconds = _seconds(value)
    if seconds <= 0:
        raise ValueError(f"{value!r} must be longer than zero")
    return seconds


def _seconds(value: str | int | float) -> float:
    """Seconds in a duration; 0 allowed (a caller decides)."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"{value!r} is not a duration like 30s, 15m, 6h or 1d")
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds < 0:
        raise ValueError(f"{value!r} must not be negative")
    return seconds


def _http_url(value: str) -> str:
    if not re.match(r"^https?://[^/\s]+", value):
        raise ValueError("must be an absolute http:// or https:// URL")
    return value


Duration = Annotated[float, BeforeValidator(parse_duration)]  # 30s, 15m, 6h, 1d (or seconds)
DurationOrZero = Annotated[float, BeforeValidator(_seconds)]  # the same, 0 allowed
HttpUrl = Annotated[str, AfterValidator(_http_url)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceConfig(_Strict):
    id: str
    url: HttpUrl
    kind: Literal["page", "listing", "feed"] = "page"
    follow: str | None = None
    select: str | None = None
    exclude: tuple[str, ...] = ()
    language: Literal["en", "sq", "fr"] | None = None
    every: Duration = 6 * 3600.0
    topics: tuple[str, ...] | None = None
    allow_domains: tuple[str, ...] = ()
    max_new_documents: int = Field(default=25, ge=1, le=1000)
    recheck_documents: int = Field(default=10, ge=0, le=100)
    enabled: bool = True

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError("must be a slug of lower-case letters, digits, '-', '_' or '.' (e.g. coe-tirana-news)")
        return value

    @field_validator("follow")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"is not a valid regular expression: {exc}") from exc
        return value

    @field_validator("select")
    @classmethod
    def _css(cls, value: str | None) -> str | None:
        if value is not None:
            _check_css(value)
        return value

    @field_validator("exclude", mode="before")
    @classmethod
    def _css_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        for selector in value or ():
            _check_css(str(selector))
        return value

    @model_validator(mode="after")
    def _follow_for_listing(self) -> SourceConfig:
        if self.follow is not None and self.kind != "listing":
            raise ValueError("'follow' is only used by sources of kind 'listing'")
        return self


def _check_css(selector: str) -> None:
    from cssselect import SelectorError, parse

    try:
        parse(selector)
    except SelectorError as exc:
        raise ValueError(f"{selector!r} is not a valid CSS selector: {exc}") from exc


class CrawlSettings(_Strict):
    """How politely and how hard we fetch."""

    user_agent: str = "hrdwatch/0.1 (+https://github.com/hrdwatch/hrdwatch; human-rights source monitor)"
    timeout: Duration = 30.0
    max_page_size: int = 10 * 1024 * 1024
    concurrency: int = Field(default=16, ge=1, le=256)
    concurrency_per_domain: int = Field(default=2, ge=1, le=16)
    delay: float = Field(default=0.25, ge=0)
    retries: int = Field(default=2, ge=0, le=10)
    obey_robots: bool = True
    # robots.txt kept between crawls (RFC 9309: at most 24 h); 0: asked again every crawl
    robots_max_age: DurationOrZero = 24 * 3600.0
    processes: int | None = Field(default=None, ge=1, le=32)  # crawl processes; None: one per CPU for 40+ sources


class EmailSettings(_Strict):
    smtp: str
    from_: str = Field(alias="from")
    to: tuple[str, ...]
    digest: bool = False
    user_env: str = "HRDWATCH_SMTP_USER"
    password_env: str = "HRDWATCH_SMTP_PASSWORD"
    timeout: Duration = 30.0

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("smtp")
    @classmethod
    def _smtp_url(cls, value: str) -> str:
        if not re.match(r"^smtps?://[^/:\s]+(?::\d+)?/?$", value):
            raise ValueError(
                "must look like smtp://host:587 or smtps://host:465 (credentials come from the environment)"
            )
        return value

    @field_validator("to", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class WebhookSettings(_Strict):
    url: HttpUrl
    secret_env: str | None = None
    timeout: Duration = 15.0


class NotifySettings(_Strict):
    email: EmailSettings | None = None
    webhooks: tuple[WebhookSettings, ...] = ()
    apprise: tuple[str, ...] = ()
    max_age: Duration = 48 * 3600.0  # give up on a delivery this old
    retry_initial: Duration = 30.0  # first retry delay; doubles each time (with jitter)…
    retry_max: Duration = 3600.0  # …up to this
    unreachable_after: int = Field(default=3, ge=1)  # consecutive failed crawls before a notice


class RunSettings(_Strict):
    """How `hrdwatch run` drives crawls."""

    max_parallel: int = Field(default=4, ge=1, le=64)  # crawls at once (each its own process)
    crawl_timeout: Duration = 30 * 60.0  # a crawl running longer is killed and recorded as an error
    notify_every: Duration = 60.0  # the delivery worker's own interval (retries)
    jitter: float = Field(default=0.1, ge=0, le=0.5)  # fraction of a source's interval, at most 5 minutes
    prefork: bool = True  # crawl processes forked from a warm server (hrdwatch.prefork), read at start


class RetentionSettings(_Strict):
    """What `hrdwatch db prune` keeps. Snapshots that carried a change and each document's
    latest snapshot are always kept, and so is every sentence fingerprint ("already seen")."""

    keep_last: int = Field(default=10, ge=0)  # other snapshots kept per document, newest first
    max_age: Duration | None = None  # drop other snapshots older than this, even within keep_last


class Config(_Strict):
    database: str | None = None
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    run: RunSettings = Field(default_factory=RunSettings)
    sources: tuple[SourceConfig, ...] = ()
    topics: dict[str, TopicSpec] = Field(default_factory=dict)
    crawl: CrawlSettings = Field(default_factory=CrawlSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)

    @model_validator(mode="after")
    def _check(self) -> Config:
        seen: set[str] = set()
        for source in self.sources:
            if source.id in seen:
                raise ValueError(f"duplicate source id {source.id!r}")
            seen.add(source.id)
        known = set(self.all_topics())
        for source in self.sources:
            for name in source.topics or ():
                if name not in known:
                    raise ValueError(
                        f"source {source.id!r}: unknown topic {name!r} (known: {', '.join(sorted(known))})"
                    )
        return self

    def all_topics(self) -> dict[str, TopicSpec]:
        """The built-in topics, overridden or extended by the config's own."""
        return {**builtin_topics(), **self.topics}

    def source(self, source_id: str) -> SourceConfig:
        for source in self.sources:
            if source.id == source_id:
                return source
        raise ConfigError(f"no source with id {source_id!r} in the configuration")

    def database_url(self) -> str:
        if self.database:
            return self.database
        return f"sqlite:///{default_data_dir() / 'hrdwatch.db'}"


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "hrdwatch"


@dataclass(frozen=True)
class LoadedConfig:
    config: Config
    path: Path | None  # None: the built-in default


def _location(loc: tuple[Any, ...], data: Any) -> str:
    """'source coe-news, key follow' from a pydantic error location."""
    parts: list[str] = []
    node = data
    i = 0
    while i < len(loc):
        key = loc[i]
        if key == "sources" and i + 1 < len(loc) and isinstance(loc[i + 1], int):
            index = loc[i + 1]
            sid = None
            if isinstance(node, dict) and isinstance(node.get("sources"), list):
                items = node["sources"]
                if index < len(items) and isinstance(items[index], dict):
                    sid = items[index].get("id")
            parts.append(f"source {sid!r}" if sid else f"source #{index + 1}")
            i += 2
            continue
        if isinstance(key, str) and not key.startswith("function-"):
            parts.append(key)
        i += 1
    if not parts:
        return "the configuration"
    if parts[0].startswith("source "):
        rest = ".".join(parts[1:])
        return f"{parts[0]}, key '{rest}'" if rest else parts[0]
    return f"key '{'.'.join(parts)}'"


def parse_config(data: Any, origin: str = "configuration") -> Config:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: the top level must be a mapping of keys (database, sources, topics, …)")
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = _location(tuple(error["loc"]), data)
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "unknown key"
            elif error["type"] == "missing":
                message = "required key is missing"
            problems.append(f"{where}: {message}")
        raise ConfigError(f"{origin}: " + "; ".join(problems)) from None


def load_config(path: str | os.PathLike[str] | None = None) -> LoadedConfig:
    """Find and load the configuration: PATH, else $HRDWATCH_CONFIG, else ./hrdwatch.yaml, else the default."""
    chosen: Path | None = None
    if path is not None:
        chosen = Path(path)
    elif os.environ.get(CONFIG_ENV):
        chosen = Path(os.environ[CONFIG_ENV])
    elif Path(DEFAULT_CONFIG_NAME).is_file():
        chosen = Path(DEFAULT_CONFIG_NAME)
    if chosen is None:
        from hrdwatch.defaults import default_config_text

        return LoadedConfig(parse_config(load_yaml(default_config_text()), "built-in configuration"), None)
    try:
        text = chosen.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read configuration file {chosen}: {exc.strerror or exc}") from None
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{chosen}: not valid YAML: {exc}") from None
    return LoadedConfig(parse_config(data, str(chosen)), chosen)
