"""SVG charts of the assessment report (matplotlib, text drawn as paths so any viewer shows Chinese)."""

from __future__ import annotations

import io
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: CJK fonts tried in order (``fonts-noto-cjk`` on Debian provides the first).
CJK_FONTS = [
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "SimHei",
    "DejaVu Sans",
]


@lru_cache(maxsize=1)
def _setup() -> None:
    """Headless backend and CJK fonts, once per process, before pyplot is first used."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "font.family": "sans-serif",
            "font.sans-serif": CJK_FONTS,
            "svg.fonttype": "path",
            "axes.unicode_minus": False,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": 9,
        }
    )
    import logging

    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    _add_fonts_installed_after_the_cache()


def _add_fonts_installed_after_the_cache() -> None:
    """matplotlib lists the system's fonts once and caches the list: CJK fonts installed later (``apt-get install
    fonts-noto-cjk`` after its first use) stay unseen and every Chinese label turns to boxes. Add them."""
    from matplotlib import font_manager

    if {f.name for f in font_manager.fontManager.ttflist} & set(CJK_FONTS[:-1]):
        return
    for path in font_manager.findSystemFonts():
        if any(k in path for k in ("CJK", "wqy", "SourceHan", "simhei")):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):  # an unreadable font file: skip it
                continue


def _svg(fig: Figure) -> str:
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]


def bars(labels: list[str], values: list[float], *, title: str, color: str = "#3b6ea8") -> str:
    """A bar chart as an SVG document."""
    _setup()
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.2, 2.6))
    ax.bar(range(len(values)), values, color=color)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_title(title)
    for i, v in enumerate(values):
        ax.annotate(f"{v:g}", (i, v), ha="center", va="bottom", fontsize=8)
    return _svg(fig)


def line(labels: list[str], values: list[float], *, title: str) -> str:
    """A line chart over days as an SVG document."""
    _setup()
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.2, 2.4))
    ax.plot(range(len(values)), values, color="#3b6ea8", marker="o", markersize=2)
    step = max(1, len(labels) // 8)
    ax.set_xticks(range(0, len(labels), step), [labels[i][5:] for i in range(0, len(labels), step)])
    ax.set_title(title)
    ax.set_ylim(bottom=0)
    return _svg(fig)
