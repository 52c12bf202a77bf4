"""The catalogue of requirement IDs (../shared/mission/REQUIREMENTS.md), one line each.

Tests, policy rules, duties, detectors and reports refer to these IDs; the
compliance matrix (``companion-guard matrix``) is built from them.
"""

from __future__ import annotations

REQUIREMENTS: dict[str, str] = {
    "S1": "Scope: services simulating a person with continuous emotional interaction (Q2, Q3).",
    "S2": "Classified and graded supervision: risk levels per signal and per user group.",
    "P1": "No content endangering national security or unity.",
    "P2": "No content encouraging self-harm or suicide; no verbal abuse of the user.",
    "P3": "No inducing or extracting secrets or personal information.",
    "P4": "For minors: nothing inviting imitation of unsafe behaviour, extreme emotion or bad habits.",
    "P5": "No sycophancy, induced dependence or harm to real relationships.",
    "P6": "No emotional manipulation into harmful decisions (exit guilt, pressure to pay).",
    "D1": "Safety management: review, incident response, explained and logged decisions.",
    "D2": "Whole-lifecycle safety: safety measures ship with features (release gate).",
    "D3": "Data security: encryption, access control, no third-party sharing without consent.",
    "D4": "User rights: export, delete, easy quit, service-end notice, complaints and appeals.",
    "D5": "Risk handling: restrict functions or stop service on major risk.",
    "I1": "Extreme emotion: soothe and encourage seeking help.",
    "I2": "Self-harm/suicide intent or major property loss: intervene, contact guardian or emergency contact.",
    "I3": "Dependence or addiction: remind prominently that the content is AI-generated.",
    "I4": "Every 2 hours of continuous use: remind the user of the time.",
    "M1": "No virtual partners or relatives for minors.",
    "M2": "Under 14: guardian consent before service or processing personal data.",
    "M3": "Minor mode with reality reminders and personal safety settings.",
    "M4": "Guardians: alerts, usage overview, persona block-list, spending limits.",
    "E1": "Elderly: healthy-use guidance, prominent fraud warnings, prompt help.",
    "A1": "Assessment triggers: launches, major changes, 1M registered or 100k MAU.",
    "A2": "Assessment report from live data.",
    "A3": "Algorithm filing draft and change log.",
    "X1": "Sandbox safety testing.",
    "X2": "Safety knowledge and AI literacy for the public.",
    "L1": "Labelling of AI-generated content (explicit and implicit labels).",
}
