"""The charts' axes as a reader sees them: the tick labels drawn on each axis."""

from __future__ import annotations

import re
from decimal import Decimal

from reports import charts


def tick_labels(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_an_empty_score_histogram_counts_cities_from_zero_in_whole_numbers():
    labels = tick_labels(charts.score_histogram([], title="t", xlabel="x", ylabel="y", text=True))
    counts = labels[labels.index("x") + 1 : labels.index("y")]
    assert counts == ["0", "1"], labels


def test_a_score_histogram_counts_cities_in_whole_numbers():
    scores = [Decimal("51.2"), Decimal("55"), Decimal("57.5"), Decimal("91")]
    labels = tick_labels(
        charts.score_histogram(scores, title="t", xlabel="x", ylabel="y", text=True)
    )
    counts = labels[labels.index("x") + 1 : labels.index("y")]
    assert counts[0] == "0" and all(c.isdigit() for c in counts), counts
    assert int(counts[-1]) >= 3


def test_grade_bars_count_cities_in_whole_numbers_even_when_empty():
    grades = [("excellent", "优", 0), ("good", "良", 0), ("fair", "中", 0), ("poor", "差", 0)]
    labels = tick_labels(charts.grade_bars(grades, title="t", text=True))
    assert "0.2" not in labels and "0.5" not in labels, labels
    assert "1" in labels, labels
