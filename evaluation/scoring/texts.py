"""The words the scoring core hands to the layers that show them, and how they are marked.

The core cannot import Django, yet its rule kinds know what is particular to each kind's
sentences. So a kind returns a ``Text``: an English template marked for the translation
catalogue with ``gettext_noop`` (a keyword ``makemessages`` picks up in any Python file) and
the figures that fill it. The layer that shows it translates the template and writes each
figure as it writes figures (``evaluation.vocabulary.say``), as Django's ``ValidationError``
carries a message, a code and its params.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeAlias


def gettext_noop(message: str) -> str:
    """``message`` unchanged: the mark that puts it in the catalogue, to be translated where
    it is shown."""
    return message


@dataclass(frozen=True, slots=True)
class Rate:
    """A fraction written as a percentage (0.25 is 25.00%)."""

    value: Decimal


Figure: TypeAlias = "Text | Rate | Decimal | dt.date | int | str | None"
"""What fills a placeholder: a ``Decimal`` in the indicator's unit, a ``Rate``, a date, a year or
count of years (``int``), a figure already written (``str``), another ``Text``, or nothing
(``None``, written as a dash)."""


@dataclass(frozen=True, slots=True)
class Text:
    """A sentence (or a part of one) to show in the reader's language. ``key`` names it, as a
    refusal's code names the refusal; ``template`` is its English with named placeholders,
    marked for the catalogue; ``figures`` fill them."""

    key: str
    template: str
    figures: Mapping[str, Figure] = field(default_factory=dict)

    def templates(self) -> tuple[str, ...]:
        """This template and those of the texts among its figures (for the catalogue's tests)."""
        inner = (f.templates() for f in self.figures.values() if isinstance(f, Text))
        return (self.template, *(t for found in inner for t in found))


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a committed target cannot stand: ``code`` for machines, ``in_field`` beside the field
    it was typed in (placeholder ``floor``) and ``in_row`` for a file's row (``target`` as
    written and ``floor`` in words), both marked for the catalogue."""

    code: str
    in_field: str
    in_row: str
