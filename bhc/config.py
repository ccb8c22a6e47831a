"""Configuration: a TOML file, overridable per key by ``BHC_<SECTION>_<KEY>`` env vars.

Every key has a default, so a missing file means the embedded setup (SQLite and the simulated
carrier). A bad value raises :class:`ConfigError` naming the key, so start-up fails clearly.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from matching.availability import AvailabilityError, is_time_range, parse_windows
from matching.followup_timing import BadDelay, parse_delay

SIMULATED_AUTH_TOKEN = "simulated-auth-token"
SIMULATED_ACCOUNT_SID = "AC" + "0" * 32


class ConfigError(ValueError):
    """A configuration key has a bad value; the message names the key."""


@dataclass(frozen=True)
class ServerConfig:
    public_url: str = "http://127.0.0.1:8080"
    host: str = "127.0.0.1"
    port: int = 8080
    threads: int = 16
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host headers to trust
    # (0: none, the app faces the internet itself).
    trusted_proxies: int = 0
    # /healthz (and the coordinators' banner) call the engine stale when no engine finished a
    # step for this long.
    engine_stale_after_s: float = 30.0
    # /metrics asks for this bearer token; without one it answers only on the loopback address.
    metrics_token: str = ""
    log_format: str = "text"  # or "json": one object per line


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = "sqlite:///bhc.sqlite3"


# How outbound calls learn whether a machine answered. Never Twilio's synchronous detection,
# which keeps the callee in silence for seconds ("Answering Machine Detection" page): "async"
# lets them hear us at once and ends a call early only on a voicemail beep or a fax; "off"
# leaves it to the keys (pressing 1 is the human check).
MACHINE_DETECTION = ("async", "off")


@dataclass(frozen=True)
class CarrierConfig:
    kind: str = "simulated"
    machine_detection: str = "async"


@dataclass(frozen=True)
class TwilioConfig:
    account_sid: str = ""
    auth_token: str = ""
    api_base_url: str = "https://api.twilio.com"
    # Twilio Region and Edge Location, passed to twilio.rest.Client ("Using the Twilio REST API
    # in a non-US Region"): e.g. region "ie1" with edge "dublin" for api.dublin.ie1.twilio.com.
    region: str = ""
    edge: str = ""
    # The account's calls per second (Twilio's default is 1): the engines together never
    # create calls faster, so the carrier never queues one in an order we did not choose.
    calls_per_second: float = 1.0


@dataclass(frozen=True)
class MatchingConfig:
    ring_timeout_s: int = 20
    max_attempts: int = 10
    max_wait_s: int = 300
    strategy: str = "waves"  # chosen with benchmarks/strategies.py; see README
    wave_size: int = 3
    quiet_hours: str = "21:00-08:00"
    daily_cap: int = 3
    weekly_cap: int = 10
    poll_interval_s: float = 1.0
    # Once the caller's own neighbourhood has no helpers left, ring those of adjacent ones.
    widen_to_adjacent: bool = False
    # For this long after a match, either side who phones in is first offered to be put
    # through to the other again (0: never).
    reconnect_hours: int = 24


@dataclass(frozen=True)
class PrivacyConfig:
    retention_months: int = 24


@dataclass(frozen=True)
class FollowupConfig:
    delay: str = "next-day 10:00"


@dataclass(frozen=True)
class CallbackConfig:
    retry_every_s: int = 900
    give_up_after_h: int = 48


@dataclass(frozen=True)
class OfficeConfig:
    coordinator_phone: str = ""
    hours: str = "mo-fr 09:00-17:00"
    email: str = ""


# Neural voices Twilio offers for the catalogues' languages (Amazon Polly, "Text-to-speech"
# voices of <Say>): Laura speaks nl-NL, Amy en-GB. Without a voice the account's default speaks.
DEFAULT_VOICES = {"nl": "Polly.Laura-Neural", "en": "Polly.Amy-Neural"}


@dataclass(frozen=True)
class AlertsConfig:
    """When the office ([office] email) gets an e-mail."""

    engine_after_s: float = 120.0  # no engine step for this long
    unmatched: bool = True  # a request ended without a match


@dataclass(frozen=True)
class MailConfig:
    """The SMTP server alerts go out through; no host means no mail."""

    host: str = ""
    port: int = 587
    starttls: bool = True
    user: str = ""
    password: str = ""
    sender: str = ""


@dataclass(frozen=True)
class IvrConfig:
    default_language: str = "nl"
    english_key: str = "9"
    gather_timeout_s: int = 6
    hold_message_every_s: int = 20
    max_requests_per_hour: int = 4
    # Per language code: the carrier's text-to-speech voice, and the Say language (default:
    # the catalogue's Language header). In TOML a table, in the environment "nl=...,en=...".
    voices: dict = field(default_factory=lambda: dict(DEFAULT_VOICES))
    speech_languages: dict = field(default_factory=dict)
    # Per language code: the speaking rate in percent, spoken as SSML <prosody rate> where the
    # language's voice takes SSML (Polly and Google voices); other languages speak at 100%.
    speech_rate: dict = field(default_factory=lambda: {"nl": "90"})
    # How long a menu waits for the key of a participant who asked for more time (never less
    # than gather_timeout_s).
    more_time_gather_timeout_s: int = 12
    # A spoken menu choice recognised with less confidence than this is not taken.
    speech_min_confidence: float = 0.4

    def rate_for(self, language: str) -> int:
        """The speaking rate of ``language`` in percent (100: as the voice speaks)."""
        return int(self.speech_rate.get(language, 100))


@dataclass(frozen=True)
class AdminConfig:
    secret_key: str = ""
    session_hours: int = 8
    max_login_failures: int = 5
    login_lockout_minutes: int = 15


# The measures of the pilots' evaluation; a survey CSV has item columns <scale>_1 .. <scale>_N.
SURVEY_SCALES = ("cohesion", "solidarity", "liveability", "informal_care", "self_reliance")


@dataclass(frozen=True)
class SurveyConfig:
    """How many items each survey scale has, and which items are reverse-keyed (a 5 on
    "people here hardly know each other" means low cohesion, so it is scored as 6 - answer)."""

    cohesion_items: int = 3
    solidarity_items: int = 3
    liveability_items: int = 3
    informal_care_items: int = 3
    self_reliance_items: int = 3
    reverse_items: str = ""  # item columns separated by ";", e.g. "cohesion_2;liveability_3"
    # The De Jong Gierveld loneliness total (0-6) from which a respondent counts as lonely.
    lonely_from: int = 2

    def items(self) -> dict[str, list[str]]:
        """The item columns of each scale, in order."""
        return {scale: [f"{scale}_{n}" for n in range(1, getattr(self, f"{scale}_items") + 1)]
                for scale in SURVEY_SCALES}

    def reversed_items(self) -> frozenset[str]:
        return frozenset(item.strip().lower() for item in self.reverse_items.split(";")
                         if item.strip())


@dataclass(frozen=True)
class Config:
    server: ServerConfig = field(default_factory=ServerConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    carrier: CarrierConfig = field(default_factory=CarrierConfig)
    twilio: TwilioConfig = field(default_factory=TwilioConfig)
    matching: MatchingConfig = field(default_factory=MatchingConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    followup: FollowupConfig = field(default_factory=FollowupConfig)
    callback: CallbackConfig = field(default_factory=CallbackConfig)
    office: OfficeConfig = field(default_factory=OfficeConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    mail: MailConfig = field(default_factory=MailConfig)
    ivr: IvrConfig = field(default_factory=IvrConfig)
    admin: AdminConfig = field(default_factory=AdminConfig)
    survey: SurveyConfig = field(default_factory=SurveyConfig)

    @property
    def auth_token(self) -> str:
        """The token webhooks are signed with; the simulated carrier has a fixed one."""
        if self.carrier.kind == "simulated" and not self.twilio.auth_token:
            return SIMULATED_AUTH_TOKEN
        return self.twilio.auth_token

    @property
    def account_sid(self) -> str:
        if self.carrier.kind == "simulated" and not self.twilio.account_sid:
            return SIMULATED_ACCOUNT_SID
        return self.twilio.account_sid

    @property
    def api_base_url(self) -> str:
        """Where the REST client sends requests: the in-process simulator when simulated."""
        if self.carrier.kind == "simulated":
            return self.server.public_url.rstrip("/") + "/sim"
        return self.twilio.api_base_url

    def replace(self, **sections: Mapping[str, Any]) -> "Config":
        """A copy with some keys changed, e.g. ``replace(matching={"max_attempts": 3})``."""
        return from_mapping(_merge(to_mapping(self), sections))


def _check(config: Config) -> None:
    """Validate values whose type alone does not say they are usable."""
    if config.carrier.kind not in ("simulated", "twilio"):
        raise ConfigError("carrier.kind must be 'simulated' or 'twilio'")
    if config.carrier.kind == "twilio":
        for key in ("account_sid", "auth_token"):
            if not getattr(config.twilio, key):
                raise ConfigError(f"twilio.{key} is required when carrier.kind = 'twilio'")
    if not 0 <= config.server.trusted_proxies <= 5:
        raise ConfigError("server.trusted_proxies must be a number of proxies from 0 to 5")
    if not re.match(r"^https?://[^/\s]+", config.server.public_url):
        raise ConfigError("server.public_url must be an http(s) URL")
    if not re.match(r"^https?://[^/\s]+", config.twilio.api_base_url):
        raise ConfigError("twilio.api_base_url must be an http(s) URL")
    _check_region(config.twilio)
    if config.carrier.machine_detection not in MACHINE_DETECTION:
        raise ConfigError("carrier.machine_detection must be 'async' or 'off'")
    if not 0 < config.twilio.calls_per_second <= 10_000:
        raise ConfigError("twilio.calls_per_second must be a positive number")
    if config.matching.strategy not in ("sequential", "waves"):
        raise ConfigError("matching.strategy must be 'sequential' or 'waves'")
    for key in ("ring_timeout_s", "max_attempts", "max_wait_s", "wave_size", "daily_cap",
                "weekly_cap"):
        if getattr(config.matching, key) < 1:
            raise ConfigError(f"matching.{key} must be at least 1")
    if config.matching.poll_interval_s <= 0:
        raise ConfigError("matching.poll_interval_s must be positive")
    quiet = config.matching.quiet_hours
    if quiet and not is_time_range(quiet):
        raise ConfigError("matching.quiet_hours must look like '21:00-08:00' or be empty")
    if not 1 <= config.server.port <= 65535:
        raise ConfigError("server.port must be between 1 and 65535")
    _check_operations(config)
    _check_languages(config.ivr)
    if not re.match(r"^[0-9*#]$", config.ivr.english_key):
        raise ConfigError("ivr.english_key must be one phone key")
    if config.ivr.max_requests_per_hour < 1:
        raise ConfigError("ivr.max_requests_per_hour must be at least 1")
    if config.ivr.more_time_gather_timeout_s < 1:
        raise ConfigError("ivr.more_time_gather_timeout_s must be at least 1")
    if not 0 <= config.ivr.speech_min_confidence <= 1:
        raise ConfigError("ivr.speech_min_confidence must be between 0 and 1")
    if config.matching.reconnect_hours < 0:
        raise ConfigError("matching.reconnect_hours must be 0 (off) or more")
    for key in ("retry_every_s", "give_up_after_h"):
        if getattr(config.callback, key) < 1:
            raise ConfigError(f"callback.{key} must be at least 1")
    if config.privacy.retention_months < 1:
        raise ConfigError("privacy.retention_months must be at least 1")
    try:
        parse_delay(config.followup.delay)
    except BadDelay as exc:
        raise ConfigError(f"followup.delay: {exc}") from None
    if config.office.coordinator_phone:
        from bhc.phones import InvalidPhoneNumber, to_e164

        try:
            to_e164(config.office.coordinator_phone)
        except InvalidPhoneNumber:
            raise ConfigError("office.coordinator_phone is not a valid phone number") from None
    if config.office.email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+",
                                                 config.office.email):
        raise ConfigError("office.email is not an email address")
    try:
        parse_windows(config.office.hours)
    except AvailabilityError as exc:
        raise ConfigError(f"office.hours: {exc}") from None
    if not config.database.url:
        raise ConfigError("database.url must not be empty")
    for key in ("session_hours", "max_login_failures", "login_lockout_minutes"):
        if getattr(config.admin, key) < 1:
            raise ConfigError(f"admin.{key} must be at least 1")
    _check_survey(config.survey)


def _check_operations(config: Config) -> None:
    """Health, metrics, logs, alerts and the mail they go out by."""
    if config.server.engine_stale_after_s <= 0:
        raise ConfigError("server.engine_stale_after_s must be positive")
    if config.server.log_format not in ("text", "json"):
        raise ConfigError("server.log_format must be 'text' or 'json'")
    if config.alerts.engine_after_s <= 0:
        raise ConfigError("alerts.engine_after_s must be positive")
    mail = config.mail
    if not 1 <= mail.port <= 65535:
        raise ConfigError("mail.port must be between 1 and 65535")
    if mail.host:
        if not re.fullmatch(r"[^@\s]+@[^@\s]+", mail.sender):
            raise ConfigError("mail.sender must be an email address when mail.host is set")
        if not config.office.email:
            raise ConfigError("office.email is required when mail.host is set: alerts go there")


def _check_region(twilio: TwilioConfig) -> None:
    """Region and edge name hosts like api.dublin.ie1.twilio.com; Twilio asks for both ("when
    specifying a region parameter ..., be sure to also specify the edge"), and has stopped
    serving the region-only hosts such as api.ie1.twilio.com."""
    for key in ("region", "edge"):
        if not re.match(r"^[a-z0-9-]{0,20}$", getattr(twilio, key)):
            raise ConfigError(f"twilio.{key} must be a Twilio {key} name such as "
                              f"{'ie1' if key == 'region' else 'dublin'}, in lower case")
    if twilio.region and twilio.region != "us1" and not twilio.edge:
        raise ConfigError(f"twilio.region = {twilio.region!r} needs twilio.edge too (e.g. "
                          "region 'ie1' with edge 'dublin')")


def _check_survey(survey: SurveyConfig) -> None:
    for scale in SURVEY_SCALES:
        if not 0 <= getattr(survey, f"{scale}_items") <= 50:
            raise ConfigError(f"survey.{scale}_items must be between 0 and 50")
    known = {item for items in survey.items().values() for item in items}
    for item in sorted(survey.reversed_items() - known):
        raise ConfigError(f"survey.reverse_items: {item!r} is not an item of a scale "
                          "(write e.g. cohesion_2, within the scale's item count)")
    if not 1 <= survey.lonely_from <= 6:
        raise ConfigError("survey.lonely_from must be a loneliness score from 1 to 6")


def _check_languages(ivr: IvrConfig) -> None:
    """Every language named must have a caller catalogue (bhc/translations/<code>)."""
    from bhc.i18n import available_languages

    known = available_languages()
    if ivr.default_language not in known:
        raise ConfigError(f"ivr.default_language must be one of {', '.join(known)} (a language "
                          f"with a catalogue), not {ivr.default_language!r}")
    # speech_rate: Polly takes 20% to 200% ("Changing a voice speed", Amazon Polly docs).
    patterns = {"voices": r"^[\w.:-]{1,60}$", "speech_languages": r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$",
                "speech_rate": r"^([2-9]\d|1\d\d|200)$"}
    for key, pattern in patterns.items():
        for code, value in getattr(ivr, key).items():
            if code not in known:
                raise ConfigError(f"ivr.{key}: {code!r} is not a language with a catalogue "
                                  f"({', '.join(known)})")
            if not re.match(pattern, value):
                raise ConfigError(f"ivr.{key}.{code}: {value!r} is not a valid value")


# Tables whose values are numbers, kept as text like every table (validated in _check).
NUMBER_TABLES = frozenset({"ivr.speech_rate"})


def languages_without_voice(config: Config) -> list[str]:
    """Languages callers may hear that name no ``[ivr] voices`` entry: the carrier then speaks
    them with the account's default voice, which may not speak the language at all (an invalid
    voice and language pair fails the <Say>, "TwiML Voice: <Say>")."""
    from bhc.i18n import available_languages

    return [code for code in available_languages() if not config.ivr.voices.get(code)]


def _table(name: str, value: Any) -> dict[str, str]:
    """A table of strings: a TOML table, or "a=x, b=y" from the environment."""
    if isinstance(value, str):
        pairs = [item.split("=", 1) for item in re.split(r"[,;]", value) if item.strip()]
        if any(len(pair) != 2 for pair in pairs):
            raise ConfigError(f"{name} must look like 'nl=value, en=value', not {value!r}")
        value = {code.strip(): text.strip() for code, text in pairs}
    if isinstance(value, Mapping) and name in NUMBER_TABLES:  # speech_rate = { nl = 90 }
        value = {code: str(v) if isinstance(v, int) and not isinstance(v, bool) else v
                 for code, v in value.items()}
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise ConfigError(f"{name} must be a table of strings, e.g. {{ nl = \"...\" }}")
    return dict(value)


def _coerce(section: str, key: str, value: Any, default: Any) -> Any:
    name = f"{section}.{key}"
    kind = type(default)
    if kind is dict:
        return _table(name, value)
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "0", "false", "no"):
            return value.lower() in ("1", "true", "yes")
        raise ConfigError(f"{name} must be true or false, not {value!r}")
    if kind is int:
        if isinstance(value, bool):
            raise ConfigError(f"{name} must be a whole number, not {value!r}")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be a whole number, not {value!r}") from None
    if kind is float:
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be a number, not {value!r}") from None
    if not isinstance(value, str):
        raise ConfigError(f"{name} must be a string, not {value!r}")
    return value


def from_mapping(data: Mapping[str, Any]) -> Config:
    """Build a validated Config from nested dicts; unknown sections or keys are errors."""
    sections = {f.name: f for f in dataclasses.fields(Config)}
    built: dict[str, Any] = {}
    for section, values in data.items():
        if section not in sections:
            raise ConfigError(f"unknown config section [{section}]")
        if not isinstance(values, Mapping):
            raise ConfigError(f"[{section}] must be a table")
        cls = sections[section].default_factory()  # type: ignore[misc]
        defaults = dataclasses.asdict(cls)
        kwargs = {}
        for key, value in values.items():
            if key not in defaults:
                raise ConfigError(f"unknown config key {section}.{key}")
            kwargs[key] = _coerce(section, key, value, defaults[key])
        built[section] = dataclasses.replace(cls, **kwargs)
    config = Config(**built)
    _check(config)
    return config


def to_mapping(config: Config) -> dict[str, dict[str, Any]]:
    return dataclasses.asdict(config)


def _merge(base: dict, overrides: Mapping[str, Any]) -> dict:
    merged = {section: dict(values) for section, values in base.items()}
    for section, values in overrides.items():
        merged.setdefault(section, {}).update(values)
    return merged


def _env_overrides(environ: Mapping[str, str]) -> dict[str, dict[str, str]]:
    overrides: dict[str, dict[str, str]] = {}
    for field_ in dataclasses.fields(Config):
        section = field_.name
        for key in dataclasses.asdict(field_.default_factory()):  # type: ignore[misc]
            env_name = f"BHC_{section.upper()}_{key.upper()}"
            if env_name in environ:
                overrides.setdefault(section, {})[key] = environ[env_name]
    return overrides


def load(path: str | os.PathLike | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Load config from ``path`` (or ``$BHC_CONFIG``), then apply env overrides."""
    environ = os.environ if environ is None else environ
    path = path or environ.get("BHC_CONFIG")
    data: dict[str, Any] = {}
    if path:
        file = Path(path)
        if not file.exists():
            raise ConfigError(f"config file {file} does not exist")
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {file} is not valid TOML: {exc}") from None
    return from_mapping(_merge(data, _env_overrides(environ)))
