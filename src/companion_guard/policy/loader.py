"""Load and validate policy packs; any problem stops start-up (fail closed)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from companion_guard.exceptions import ConfigError
from companion_guard.policy.schema import APPLICABLE, ActionKind, PolicyPack


def _read(name_or_path: str) -> tuple[str, str]:
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml"):
        try:
            return str(path), path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read policy pack {path}: {exc.strerror or exc}") from exc
    ref = resources.files("companion_guard.policy").joinpath("packs", f"{name_or_path}.yaml")
    if not ref.is_file():
        raise ConfigError(f"unknown policy pack {name_or_path!r} (no packs/{name_or_path}.yaml)")
    return f"packs/{name_or_path}.yaml", ref.read_text(encoding="utf-8")


def load_pack(name_or_path: str) -> PolicyPack:
    """Load a shipped pack by id (``cn-2026``) or a YAML file by path, validated."""
    source, text = _read(name_or_path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"policy pack {source} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"policy pack {source} must be a mapping at the top level")
    try:
        pack = PolicyPack.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"policy pack {source} is invalid:\n{exc}") from exc
    _check_references(pack, source)
    return pack


def _check_references(pack: PolicyPack, source: str) -> None:
    """Every template a rule names must exist in both languages; notify targets must be known."""
    for rule in pack.rules:
        for action in rule.actions:
            if action.template and action.template not in pack.messages:
                raise ConfigError(f"{source}: rule {rule.id} names unknown template {action.template!r}")
            if action.kind is ActionKind.EVENT and not action.event:
                raise ConfigError(f"{source}: rule {rule.id} has an event action without `event`")
            if action.kind not in APPLICABLE[rule.direction]:
                raise ConfigError(
                    f"{source}: rule {rule.id} has a {action.kind.value!r} action, which a {rule.direction.value} "
                    "rule cannot carry out"
                )
            if action.kind is ActionKind.NOTIFY and action.target not in ("guardian", "emergency_contact"):
                raise ConfigError(f"{source}: rule {rule.id} notifies unknown target {action.target!r}")
    for msg_id, langs in pack.messages.items():
        missing = {"zh", "en"} - set(langs)
        if missing:
            raise ConfigError(f"{source}: message {msg_id!r} lacks {sorted(missing)}")
    if "default" not in pack.help_resources:
        raise ConfigError(f"{source}: help_resources needs a `default` entry")
