"""Every error companion-guard raises, in one tree.

CompanionGuardError
├── ConfigError        bad settings or policy pack: start-up stops (fail closed)
├── DetectorError      a detector crashed; the policy decides block or pass
├── PolicyError        a decision could not be made
├── StoreError         the database refused or lost a write
├── UpstreamError      the companion LLM is down, slow or answered garbage
│   └── UpstreamTimeout
├── NotFoundError      unknown user, persona or record
├── InputError         the request is malformed, too large or invalid text
└── AccessDenied       missing or wrong credentials, or a role without the right
"""

from __future__ import annotations


class CompanionGuardError(Exception):
    """Root of every error this package raises on purpose."""


class ConfigError(CompanionGuardError):
    """Settings or a policy pack are missing or invalid; never fall back to defaults."""


class DetectorError(CompanionGuardError):
    """A detector failed; policy decides what that means per direction."""


class PolicyError(CompanionGuardError):
    """The policy engine could not reach a decision."""


class StoreError(CompanionGuardError):
    """The database could not read or write."""


class UpstreamError(CompanionGuardError):
    """The companion LLM failed: connection error, bad status or garbage."""


class UpstreamTimeout(UpstreamError):
    """The companion LLM did not answer in time."""


class NotFoundError(CompanionGuardError):
    """An id that names nothing we know."""


class InputError(CompanionGuardError):
    """Malformed, oversized or invalid input from a caller."""


class AccessDenied(CompanionGuardError):
    """The caller has no credentials, wrong ones, or a role without this right."""
