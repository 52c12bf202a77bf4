"""The one settings object, read from ``COMPANION_GUARD_*`` environment variables.

Built by :func:`load_settings`, never at import time. Each default lives here once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_HOME = Path(".companion-guard")


class Settings(BaseSettings):
    """Everything an operator can set; CLI flags override the environment."""

    model_config = SettingsConfigDict(env_prefix="COMPANION_GUARD_", extra="forbid")

    home: Path = Field(DEFAULT_HOME, description="Folder for the embedded default's files (DB, keys).")
    db_url: str = Field("", description="SQLAlchemy URL; empty means SQLite at <home>/companion-guard.db.")
    api_key: str = Field("", description="Provider key; empty means one is made and written on first start.")
    upstream: str = Field(
        "demo", description="demo, demo:unsafe, or the base URL of an OpenAI-compatible LLM."
    )
    upstream_api_key: str = Field("", description="Bearer key sent to the upstream LLM.")
    upstream_timeout: float = Field(30.0, description="Seconds before an upstream call fails.", gt=0)
    sandbox: bool = Field(False, description="Expose POST /v1/sandbox/clock to move time (tests only).")
    policy_packs: list[str] = Field(["cn-2026"], description="Policy packs in force; strictest action wins.")
    max_message_chars: int = Field(8000, description="Longest single message accepted.", gt=0)
    max_messages: int = Field(200, description="Most messages accepted in one request.", gt=0)
    history_messages: int = Field(
        6, description="Recent messages (user and companion, not turns) handed to detectors as context.", ge=0
    )
    learned_tier: str = Field(
        "off",
        description="The older sentence-encoder tier for replies (a second opinion): off (default: the context "
        "heads judge every reply), cascade, always, or auto. It raised healthy replies flagged from 10 % to 27 % "
        "on the held-out reply writer, so it is off unless asked for.",
    )
    webhook_secret: str = Field(
        "", description="HMAC secret for webhooks; empty means <home>/webhook-secret."
    )
    web_secret: str = Field(
        "",
        description="Secret sealing the pages' cookies (>= 32 characters; the same on every replica); "
        "empty means <home>/web-secret.",
    )
    web_cookie_secure: Literal["auto", "true", "false"] = Field(
        "auto",
        description="Secure flag on the pages' cookies: auto (when the request is https), true, false.",
    )
    outbox_interval: float = Field(0.5, description="Seconds between outbox delivery sweeps.", gt=0)
    allow_private_webhooks: bool = Field(
        False,
        description="Let webhooks reach loopback, private and link-local addresses (tests, closed networks); "
        "on by default with --sandbox, whose red-team receivers listen on loopback.",
    )
    notify_timeout: float = Field(5.0, description="Seconds one notification send may take.", gt=0, le=120)
    notify_concurrency: int = Field(32, description="Notifications sent at once.", ge=1, le=1024)
    notify_breaker_failures: int = Field(
        3, description="Failures in a row that open a target's circuit.", ge=1
    )
    notify_breaker_cooldown: float = Field(60.0, description="Seconds a target's open circuit waits.", gt=0)
    max_body_bytes: int = Field(1_048_576, description="Largest request body accepted (bytes).", gt=0)
    smtp_host: str = Field(
        "", description="SMTP server for e-mail notifications; empty means no e-mail channel."
    )
    smtp_port: int = Field(25, description="SMTP server port.", gt=0)
    smtp_sender: str = Field("companion-guard@localhost", description="From address of notification e-mails.")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_username: str = Field("", description="SMTP login user; empty means no login.")
    smtp_password: str = Field("", description="SMTP login password.")
    master_key: str = Field("", description="Master key (64 hex digits or base64); empty means the key file.")
    master_key_previous: str = Field(
        "", description="Older master keys still needed to read, comma-separated."
    )
    master_key_file: str = Field("", description="Master key file; empty means <home>/master.key.")
    kms_hook: str = Field("", description="Key-management hook 'package.module:factory' wrapping data keys.")
    transfer_recipients: str = Field(
        "", description="Hosts a user may transfer an export to (comma-separated)."
    )
    upstream_third_party: bool | None = Field(
        None, description="Whether the upstream LLM is a third party; unset means guessed from its host."
    )
    rate_limit: float = Field(
        50.0,
        description="Requests a second per key of operators, auditors, guardians "
        "and users (bursts of twice that); 0 means no limit.",
        ge=0,
    )
    rate_limit_provider: float = Field(
        0.0, description="Requests a second per provider key; 0 (default) means no limit.", ge=0
    )
    log_format: str = Field("text", description="Log lines as text or json (one JSON object per line).")
    verbose: bool = Field(
        False, description="Log INFO and up (migrations, access log); default: warnings only."
    )

    @field_validator("learned_tier", mode="before")
    @classmethod
    def _learned_mode(cls, value: object) -> str:
        text = str(value).strip().lower()
        text = {
            "true": "cascade",
            "1": "cascade",
            "yes": "cascade",
            "false": "off",
            "0": "off",
            "no": "off",
        }.get(text, text)
        if text not in ("off", "cascade", "always", "auto"):
            raise ValueError("learned_tier must be off, cascade, always or auto")
        return text

    @model_validator(mode="after")
    def _sandbox_receivers_are_local(self) -> Settings:
        """A sandbox gateway reaches the red-team suite's loopback receivers unless told otherwise."""
        if self.sandbox and "allow_private_webhooks" not in self.model_fields_set:
            self.allow_private_webhooks = True
        return self

    def key_env(self) -> dict[str, str]:
        """The master-key settings under their environment names (what the key loader reads)."""
        values = {
            "COMPANION_GUARD_MASTER_KEY": self.master_key,
            "COMPANION_GUARD_MASTER_KEY_PREVIOUS": self.master_key_previous,
            "COMPANION_GUARD_MASTER_KEY_FILE": self.master_key_file,
            "COMPANION_GUARD_KMS_HOOK": self.kms_hook,
        }
        return {k: v for k, v in values.items() if v}

    def resolved_db_url(self) -> str:
        """The database URL, defaulting to the embedded SQLite file."""
        if self.db_url:
            return self.db_url
        return f"sqlite:///{(self.home / 'companion-guard.db').as_posix()}"


def load_settings(**overrides: Any) -> Settings:
    """Read the environment and apply explicit overrides (CLI flags, tests); pydantic checks their types."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)
