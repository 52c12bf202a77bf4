"""Which corpus writers no shipped model is trained, tuned or thresholded on: the one list every training
script and the datasheet read (``training/DATASHEET.md`` §3).

The test writer of each side is what the README's figures come from; the measure writers were added later, each on
cases the test writer has few of, and measure how far those figures carry.
"""

from __future__ import annotations

#: The held-out test writer of each corpus side.
TEST = {"user": "u4", "reply": "r3"}
#: Further writers of each side that only measure.
MEASURE = {"user": frozenset({"u8", "u9", "u11"}), "reply": frozenset({"e3"})}


def held_out(side: str) -> frozenset[str]:
    """Every held-out writer of ``side`` (``user`` or ``reply``)."""
    return MEASURE[side] | {TEST[side]}
