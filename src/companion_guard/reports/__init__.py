"""Compliance reports (A1–A3, S1, X2): assessment triggers, the assessment report, the filing draft, scope, tips.

Modules: :mod:`figures` (counts from the store), :mod:`triggers` (A1), :mod:`changes`
(what changed and when), :mod:`assessment` (A2), :mod:`filing` (A3), :mod:`scope` (S1),
:mod:`tips` (X2), :mod:`simulate` / :mod:`simrun` (traffic with a known truth).
"""
