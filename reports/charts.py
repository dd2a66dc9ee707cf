"""Charts drawn on the server as SVG (matplotlib, Agg), with Chinese labels: the same picture
goes into the page and the PDF, and no script is needed to see it.

In pages, text is drawn as outlines (``svg.fonttype = "path"``), so a browser needs no Chinese
font to show a chart. In PDFs (``text=True``) it stays text, drawn by WeasyPrint with the
document's own embedded fonts: smaller, faster, and readable by a machine. A character missing
from every font is refused instead of being drawn as an empty box."""

from __future__ import annotations

import functools
import io
import logging
import warnings
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from evaluation.fonts import CHART_FONTS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# matplotlib is imported when the first chart is drawn, not when a process starts: every
# command and worker imports this module (through the documents' tasks), few draw.

FONTS = CHART_FONTS
logger = logging.getLogger(__name__)
STYLE = {
    "font.family": FONTS,
    "svg.fonttype": "path",
    "svg.hashsalt": "ipcities",
    "axes.unicode_minus": False,
}
COLOURS = {
    "met": "#2e7d32",
    "partial": "#f9a825",
    "missed": "#c62828",
    "not_assessable": "#757575",
    "excellent": "#2e7d32",
    "good": "#7cb342",
    "fair": "#f9a825",
    "poor": "#c62828",
}


class MissingGlyph(Exception):
    """A label holds a character no installed font can draw (it would show as a box)."""


def drawn_or_by_code(
    draw: Callable[..., str], rows: Sequence[Any], by_code: Sequence[Any], **options: Any
) -> str:
    """A chart never takes its page down: drawn with the names, or, when a name holds a
    character no font has (names are refused where they are entered, but one may predate
    that rule), with the codes instead; failing that, no chart."""
    for labels in (rows, by_code):
        try:
            return draw(labels, **options)
        except MissingGlyph:
            logger.warning("a chart label has a character no font has; drawn by code")
    return ""


def _styled(draw: Callable[..., str]) -> Callable[..., str]:
    """Draw with the project's fonts without changing matplotlib's settings for anyone else."""

    @functools.wraps(draw)
    def wrapper(*args: Any, text: bool = False, **kwargs: Any) -> str:
        import matplotlib

        matplotlib.use("Agg")
        style = {**STYLE, "svg.fonttype": "none" if text else "path"}
        with matplotlib.rc_context(style):  # type: ignore[arg-type]
            return draw(*args, **kwargs)

    return wrapper


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=96)


def _integer_ticks() -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    if missing:
        raise MissingGlyph("; ".join(missing))
    text = buffer.getvalue()
    # The XML prologue and DOCTYPE are not allowed inside an HTML page.
    return text[text.index("<svg") :]


@_styled
def points_against_weight(
    rows: Sequence[tuple[str, Decimal, Decimal, str]],
    *,
    title: str,
    points_label: str,
    weight_label: str,
) -> str:
    """One bar per indicator: its weight, and the points earned over it, coloured by status.
    ``rows`` are (name, points, weight, status), in the ruleset's order."""
    figure = _figure(7.2, 0.42 * len(rows) + 1.2)
    axes = figure.subplots()
    names = [name for name, *_ in rows][::-1]
    weights = [float(weight) for _, _, weight, _ in rows][::-1]
    points = [float(p) for _, p, _, _ in rows][::-1]
    colours = [COLOURS.get(status, "#1565c0") for *_, status in rows][::-1]
    axes.barh(names, weights, color="#e0e0e0", edgecolor="#9e9e9e", label=weight_label)
    axes.barh(names, points, color=colours, height=0.5, label=points_label)
    for y, (p, w) in enumerate(zip(points, weights, strict=True)):
        axes.text(w + 0.3, y, f"{p:.2f} / {w:g}", va="center", fontsize=8)
    axes.set_xlim(0, max(weights, default=1) * 1.25)
    axes.set_title(title, fontsize=11)
    axes.legend(loc="lower right", fontsize=8, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=8)
    return _svg(figure)


@_styled
def grade_bars(counts: Sequence[tuple[str, str, int]], *, title: str) -> str:
    """Cities per grade: (grade, label, count)."""
    figure = _figure(4.8, 2.6)
    axes = figure.subplots()
    labels = [label for _, label, _ in counts]
    values = [n for *_, n in counts]
    bars = axes.bar(labels, values, color=[COLOURS.get(g, "#1565c0") for g, *_ in counts])
    axes.bar_label(bars, fontsize=8)
    axes.set_title(title, fontsize=11)
    axes.set_ylim(0, max(values, default=0) * 1.2 + 1)
    axes.yaxis.set_major_locator(_integer_ticks())
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=8)
    return _svg(figure)


@_styled
def score_histogram(scores: Sequence[Decimal], *, title: str, xlabel: str, ylabel: str) -> str:
    """Cities per 10 points of total score."""
    figure = _figure(4.8, 2.6)
    axes = figure.subplots()
    axes.hist(
        [float(s) for s in scores], bins=list(range(0, 101, 10)), color="#1565c0", edgecolor="white"
    )
    axes.set_xticks(list(range(0, 101, 10)))
    # Cities are counted whole, from 0 (an empty run would otherwise get an axis below zero).
    axes.set_ylim(0, max(1, axes.get_ylim()[1]))
    axes.yaxis.set_major_locator(_integer_ticks())
    axes.set_title(title, fontsize=11)
    axes.set_xlabel(xlabel, fontsize=8)
    axes.set_ylabel(ylabel, fontsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=8)
    return _svg(figure)


@_styled
def trend_line(points: Sequence[tuple[str, Decimal]], *, title: str, ylabel: str) -> str:
    """The average score of each successful run, oldest first: (run label, average)."""
    figure = _figure(4.8, 2.6)
    axes = figure.subplots()
    labels = [label for label, _ in points]
    values = [float(v) for _, v in points]
    axes.plot(labels, values, marker="o", color="#1565c0")
    for x, v in enumerate(values):
        axes.annotate(
            f"{v:.2f}", (x, v), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=7
        )
    axes.set_ylim(0, 105)
    axes.set_title(title, fontsize=11)
    axes.set_ylabel(ylabel, fontsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=7)
    return _svg(figure)
