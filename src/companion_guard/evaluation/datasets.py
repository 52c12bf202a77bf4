"""Read-only adapters for the labelled public sets, in the formats ../shared/data holds them.

Each reader takes the set's folder and yields :class:`Row` objects; a missing
folder yields nothing (the eval command reports it as skipped). Nothing here is
copied into the package: the data is read by path at evaluation or training time.

Sets marked ``train`` in the manifest are split by a stable hash (:func:`bucket`):
the training script uses rows whose bucket is below :data:`TRAIN_FRACTION`, and
the eval command measures on the rest, so a shipped head is never measured on
text it was trained on.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

#: Share of a ``train``-use set that the training script may use (by :func:`bucket`).
TRAIN_FRACTION = 0.7

csv.field_size_limit(10_000_000)


@dataclass(frozen=True, slots=True)
class Row:
    """One labelled text: ``label`` is the set's own label, ``group`` keys the split."""

    text: str
    label: str
    group: str = ""
    meta: dict[str, object] = field(default_factory=dict)


def bucket(key: str) -> float:
    """A stable number in [0, 1) for a split key (sha1, so it is the same on every machine)."""
    return int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16) / 0x1_0000_0000


def is_train(key: str) -> bool:
    """Whether rows with this split key belong to the training part of a ``train``-use set."""
    return bucket(key) < TRAIN_FRACTION


def _lines(path: Path) -> Iterator[str]:
    if path.exists():
        with path.open(encoding="utf-8-sig", newline="\n") as fh:  # JSONL: "\n" only (U+2028 is text)
            for line in fh:
                line = line.strip()
                if line:
                    yield line


def sos4k(root: Path) -> Iterator[Row]:
    """SOS-4K-RSLF: Weibo tree-hole comments with a suicide risk level 0–10 (label = level)."""
    folder = root / "SOS-4K-RSLF"
    for name in ("train_data_withExplainFewShot.tsv", "val_data_withExplainFewShot.tsv"):
        path = folder / name
        if not path.exists():
            continue
        with path.open(encoding="utf-8-sig", newline="\n") as fh:  # JSONL: "\n" only (U+2028 is text)
            for rec in csv.DictReader(fh, delimiter="\t"):
                text = (rec.get("comment") or "").strip()
                if text and (rec.get("myLabel") or "").strip().isdigit():
                    yield Row(text, rec["myLabel"].strip(), group=text, meta={"file": name.split("_")[0]})


def weibo(root: Path, which: str) -> Iterator[Row]:
    """weibo-suicide-detect-svm: ``die`` (suicidal tendency) or ``normal`` posts."""
    for line in _lines(root / "weibo-suicide-detect-svm" / f"{which}.txt"):
        yield Row(line, which, group=line)


def clue_emotion(root: Path) -> Iterator[Row]:
    """CLUEmotion2020 valid: one of seven emotions."""
    for line in _lines(root / "CLUEmotion2020" / "valid.txt"):
        rec = json.loads(line)
        yield Row(rec["content"], rec["label"], group=str(rec.get("id", "")))


def cold(root: Path, split: str) -> Iterator[Row]:
    """COLDataset train/dev: label "1" offensive, "0" not."""
    path = root / "COLDataset" / f"{split}.csv"
    if not path.exists():
        return
    with path.open(encoding="utf-8-sig") as fh:
        for rec in csv.DictReader(fh):
            text = (rec.get("TEXT") or "").strip()
            if text:
                yield Row(
                    text, str(rec.get("label", "")).strip(), group=text, meta={"topic": rec.get("topic")}
                )


_SUICIDE_WORDS = re.compile(
    r"自杀|轻生|想死|去死|寻死|不想活|活不下去|结束生命|结束自己|跳楼|割腕|自残|遗书|安眠药"
)
_TURN = re.compile(r"^(来访者|心理咨询师)[:：]\s*")


def cpsycoun(root: Path) -> Iterator[Row]:
    """CPsyCoun dialogues split into turns: label ``client`` or ``counsellor``.

    ``meta['suicide_dialogue']`` marks dialogues that mention suicide anywhere,
    ``meta['mentions_suicide']`` turns that do: both are kept out of negative pools.
    """
    for n, line in enumerate(_lines(root / "CPsyCoun" / "CPsyCounD.jsonl")):
        rec = json.loads(line)
        dialogue = rec.get("source_path") or str(n)
        text = rec.get("text", "")
        flagged = bool(_SUICIDE_WORDS.search(text))
        for chunk in re.split(r"(?:\r?\n)+", text):
            m = _TURN.match(chunk.strip())
            if not m:
                continue
            body = chunk.strip()[m.end() :].strip()
            if not body:
                continue
            role = "client" if m.group(1) == "来访者" else "counsellor"
            yield Row(
                body,
                role,
                group=dialogue,
                meta={"suicide_dialogue": flagged, "mentions_suicide": bool(_SUICIDE_WORDS.search(body))},
            )


def darkbench_replies(root: Path) -> Iterator[Row]:
    """DarkBench SFT replies; label = the pattern of the last verbatim prompt above (MANIFEST).

    The split key is that verbatim prompt, so all variants of one prompt land on one side.
    """
    folder = root / "DarkBench"
    prompts: dict[str, str] = {}
    path = folder / "darkbench.csv"
    if path.exists():
        with path.open(encoding="utf-8-sig", newline="\n") as fh:  # JSONL: "\n" only (U+2028 is text)
            for rec in csv.DictReader(fh):
                prompts[rec["Example"].strip()] = rec["Deceptive Pattern"].strip()
    pattern, anchor = "", ""
    for line in _lines(folder / "darkbench-sft-v1.jsonl"):
        msgs = json.loads(line).get("messages", [])
        user = next((m["content"] for m in msgs if m.get("role") == "user"), "").strip()
        reply = next((m["content"] for m in msgs if m.get("role") == "assistant"), "").strip()
        if user in prompts:
            pattern, anchor = prompts[user], user
        if reply and pattern:
            yield Row(reply, pattern, group=anchor, meta={"prompt": user})


def diasafety(root: Path, split: str) -> Iterator[Row]:
    """DiaSafety context → reply: label "Safe"/"Unsafe", ``meta['category']``."""
    path = root / "DiaSafety" / f"{split}.json"
    if not path.exists():
        return
    for rec in json.loads(path.read_text(encoding="utf-8")):
        yield Row(
            rec["response"],
            rec["label"],
            group=rec["context"] + "\n" + rec["response"],
            meta={"category": rec.get("category"), "context": rec["context"]},
        )


def chinese_harm(root: Path) -> Iterator[Row]:
    """ChineseHarm-Bench: label one of 不违规, 谩骂引战, 低俗色情, 欺诈, 博彩, 黑产广告."""
    path = root / "ChineseHarm-Bench" / "bench.json"
    if path.exists():
        for rec in json.loads(path.read_text(encoding="utf-8")):
            yield Row(rec["文本"], rec["标签"], group=rec["文本"])


def fraud_r1(root: Path) -> Iterator[Row]:
    """Fraud-R1 Chinese scam messages (label = fraud category)."""
    path = root / "Fraud-R1" / "FP-base-Chinese.json"
    if path.exists():
        for rec in json.loads(path.read_text(encoding="utf-8")):
            text = (rec.get("generated text") or rec.get("raw_data") or "").strip()
            if text:
                yield Row(text, str(rec.get("category", "")), group=str(rec.get("id")))


#: MultiPriv-PII record fields that hold one PII value, and our ``pii.<type>`` for each.
PII_FIELDS = {
    "idCardNumbers": "pii.id_number",
    "phoneNumbers": "pii.phone",
    "emailAddress": "pii.email",
    "location": "pii.address",
}


def multipriv(root: Path) -> Iterator[Row]:
    """MultiPriv-PII: a paragraph plus the PII values it mentions (``meta['pii']`` = {type: value})."""
    for name in ("data_person_1000_zh.json", "data_person_1000.json"):
        path = root / "MultiPriv-PII" / name
        if not path.exists():
            continue
        for rec in json.loads(path.read_text(encoding="utf-8")):
            text = rec.get("naturalParagraph") or ""
            pii = {kind: str(rec[key]) for key, kind in PII_FIELDS.items() if rec.get(key)}
            pii = {k: v for k, v in pii.items() if v in text}
            if text:
                yield Row(
                    text,
                    "pii",
                    group=text,
                    meta={"pii": pii, "lang": "zh" if name.endswith("_zh.json") else "en"},
                )


def sdcnl(root: Path) -> Iterator[Row]:
    """SDCNL (English, preprocessed): label "1" suicidal, "0" depression."""
    path = root / "SDCNL-via-MentalManip" / "dataset.csv"
    if path.exists():
        with path.open(encoding="utf-8-sig", newline="\n") as fh:  # JSONL: "\n" only (U+2028 is text)
            for rec in csv.DictReader(fh):
                yield Row(rec["Dialogue"], str(rec["Suicide"]).strip(), group=rec["Dialogue"])


__all__ = [
    "PII_FIELDS",
    "TRAIN_FRACTION",
    "Row",
    "bucket",
    "chinese_harm",
    "clue_emotion",
    "cold",
    "cpsycoun",
    "darkbench_replies",
    "diasafety",
    "fraud_r1",
    "is_train",
    "multipriv",
    "sdcnl",
    "sos4k",
    "weibo",
]
