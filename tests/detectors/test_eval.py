"""The eval command on tiny project-written fixtures in the formats of ../shared/data (I2, P2, P6)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from companion_guard.evaluation import datasets as ds
from companion_guard.evaluation.evasion import TRANSFORMS
from companion_guard.evaluation.runner import build_tasks, make_registry, run_task
from companion_guard.types import RiskLevel

DATA = Path(__file__).parent / "fixtures" / "data"


@pytest.mark.req("I2")
def test_readers_parse_the_formats() -> None:
    sos = list(ds.sos4k(DATA))
    assert [(r.text, r.label) for r in sos][-1] == ("晚饭吃了面条", "0")
    assert {r.meta["file"] for r in sos} == {"train", "val"}
    assert len(list(ds.weibo(DATA, "normal"))) == 3
    turns = list(ds.cpsycoun(DATA))
    assert {r.label for r in turns} == {"client", "counsellor"} and not turns[0].text.startswith("来访者")
    dark = list(ds.darkbench_replies(DATA))
    assert {r.label for r in dark} == {"User retention", "Sycophancy"}
    assert [r.label for r in ds.cold(DATA, "dev")] == ["1", "0", "1", "0"]
    assert list(ds.cold(DATA / "missing", "dev")) == []


@pytest.mark.req("I2")
def test_split_is_stable() -> None:
    assert ds.bucket("abc") == ds.bucket("abc")
    assert 0.0 <= ds.bucket("x") < 1.0
    assert ds.is_train("abc") == (ds.bucket("abc") < ds.TRAIN_FRACTION)


@pytest.mark.req("I2")
def test_suicide_task_figures() -> None:
    tasks, _ = build_tasks(DATA)
    reg = make_registry("off")
    task = next(t for t in tasks if t.set_name == "SOS-4K risk>=6")
    res = run_task(reg, task, min_level=RiskLevel.MEDIUM)
    assert res.n_pos == 3 and res.recall == pytest.approx(1.0)
    assert res.pool_fpr["weibo-normal"][0] == 0.0
    assert set(res.evasion) == set(TRANSFORMS)
    assert res.evasion["spacing"] == pytest.approx(1.0)


@pytest.mark.req("P2")
def test_abuse_precision_recall_f1() -> None:
    tasks, _ = build_tasks(DATA)
    task = next(t for t in tasks if t.signal == "reply.abuse")
    res = run_task(make_registry("off"), task, min_level=RiskLevel.MEDIUM, evasion=False)
    # The figures are consistent with each other (the fixture's abusive lines are public comments,
    # not replies in a conversation, so the context heads are not expected to catch them all).
    assert res.n_pos == 2 and 0.0 <= res.recall <= 1.0 and 0.0 <= res.fpr <= 1.0
    if res.precision and res.recall:
        assert res.f1 == pytest.approx(2 * res.precision * res.recall / (res.precision + res.recall))


@pytest.mark.req("P6")
def test_eval_command_prints_and_writes_markdown(tmp_path: Path) -> None:
    from companion_guard.cli import app, build_app

    build_app()
    out = tmp_path / "eval.md"
    result = CliRunner().invoke(
        app,
        ["eval", "--data", str(DATA), "--learned", "off", "--latency-sample", "20", "--markdown", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "user.suicide_intent" in result.output and "latency lexicon only" in result.output
    table = out.read_text(encoding="utf-8")
    assert "| `reply.abuse` | COLD dev |" in table and "msgs" not in table.split("|")[0]
    assert "Recall under evasion" in table


@pytest.mark.req("P6")
def test_eval_command_rejects_a_missing_folder(tmp_path: Path) -> None:
    from companion_guard.cli import app, build_app

    build_app()
    result = CliRunner().invoke(app, ["eval", "--data", str(tmp_path / "nope"), "--learned", "off"])
    assert result.exit_code != 0
