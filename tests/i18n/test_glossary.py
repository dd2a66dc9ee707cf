"""The Chinese catalogue says each thing with the glossary's word (``docs/glossary.md``).

Two checks, both read from the glossary's table: a message whose English names a thing (its
**English** word, whole) says it with one of the thing's Chinese words; and no message uses a
word of a thing's **never** column. The few messages where a word means something else are
allowed below, each with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.i18n.po import Entry, read_po

ROOT = Path(__file__).resolve().parents[2]
GLOSSARY = ROOT / "docs" / "glossary.md"
CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
CHINESE = re.compile(r"[\u4e00-\u9fff]+")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdr]|\{[a-z_]*\}")

# (the thing's English word, the message): why the message names it without its Chinese word.
UNSAID: dict[tuple[str, str], str] = {
    ("run", "%(file)s: dry run, nothing was saved; it would be %(summary)s."): (
        "a dry run of an import (试运行), not an evaluation run"
    ),
    (
        "run",
        "From the project's directory on a server holding the programme's database, after the "
        "README's install, run:",
    ): "run a command (运行)",
    ("official", "official"): "the kind of a run: 正式 (an official run), not a city's official",
    ("official", "official (its decisions go to sign-off)"): "the kind of a run: 正式",
    ("official", "Run the mid-term evaluation now (official)"): "an official run: 正式",
    (
        "official",
        "The scheduled official mid-term run starts this many days after the as-of date, so "
        "the last reports can still be submitted and approved.",
    ): "an official run: 正式中期评价",
    (
        "official",
        "The second-tranche decision of every city of this official evaluation run, as signed "
        "off by the ministry's reviewers.",
    ): "an official run: 正式评价",
    ("period", "A period's report is due on this day of the following month."): "每期, each period",
    ("reviewer", "The reviewer's comment"): "审核意见, the reviewer's comment",
    ("reviewer", "Reviewers' admin"): "审核后台, the reviewers' admin site",
    ("return", "a carriage return"): "回车符, a character of a name, not a report sent back",
    ("report", "Self-evaluation report"): "自评报告, the self-evaluation's printed document",
    ("report", "The self-evaluation report (PDF, to print and stamp)"): (
        "自评报告, the self-evaluation's printed document"
    ),
}
# (a never-word, the message): why the word is right there.
SAID: dict[tuple[str, str], str] = {
    ("报告", "Self-evaluation report"): "自评报告: the process's own name for the document",
    ("报告", "The self-evaluation report (PDF, to print and stamp)"): (
        "自评报告: the process's own name for the document"
    ),
}


@dataclass(frozen=True)
class Thing:
    english: str
    chinese: tuple[str, ...]
    never: tuple[str, ...]

    def named_in(self, msgid: str, longer: list[str]) -> bool:
        """Whether the English names the thing: its word, or its plural or past form (report(s),
        approve(d), submit(ted), return(ed)), outside placeholders, paths and the longer words
        of other things that contain it ("official run" is not an official)."""
        text = PLACEHOLDER.sub(" ", msgid)
        for other in longer:
            text = re.sub(_word(other), " ", text, flags=re.IGNORECASE)
        return re.search(_word(self.english), text, re.IGNORECASE) is not None


def _word(english: str) -> str:
    return rf"(?<![\w/-]){re.escape(english)}(s|d|ed|ted)?(?![\w-])"


def things() -> list[Thing]:
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in GLOSSARY.read_text(encoding="utf-8").splitlines()
        if line.startswith("| ") and not line.startswith("| thing")
    ]
    return [
        Thing(
            english=english,
            chinese=tuple(CHINESE.findall(chinese)),
            never=tuple(CHINESE.findall(never)),
        )
        for _thing, _code, chinese, english, never in rows
    ]


def longer_words(thing: Thing) -> list[str]:
    return [
        t.english
        for t in things()
        if t.english != thing.english and thing.english.lower() in t.english.lower()
    ]


def messages() -> list[Entry]:
    return [e for e in read_po(CATALOGUE) if e.msgid and "\x04" not in e.msgid]


def test_the_glossary_names_every_thing_once():
    listed = things()
    assert len(listed) >= 20
    words = [w for t in listed for w in t.chinese]
    assert len({t.english for t in listed}) == len(listed), "an English word names two things"
    for thing in listed:
        assert thing.chinese, f"{thing.english} has no Chinese word"
        assert not set(thing.never) & set(words), f"{thing.english}: a never-word is in use"


@pytest.mark.parametrize("thing", things(), ids=lambda t: t.english)
def test_a_thing_named_in_english_is_said_with_its_chinese_word(thing):
    unsaid = [
        f"{e.msgid!r} -> {' | '.join(e.msgstrs)!r}"
        for e in messages()
        if thing.named_in(e.msgid, longer_words(thing))
        and not any(word in s for s in e.msgstrs for word in thing.chinese)
        and (thing.english, e.msgid) not in UNSAID
    ]
    assert unsaid == [], f"{thing.english} is {'/'.join(thing.chinese)}:\n  " + "\n  ".join(unsaid)


@pytest.mark.parametrize("thing", [t for t in things() if t.never], ids=lambda t: t.english)
def test_no_message_uses_a_word_the_glossary_rules_out(thing):
    used = [
        f"{word} in {e.msgid!r} -> {' | '.join(e.msgstrs)!r}"
        for e in messages()
        for word in thing.never
        if any(word in s for s in e.msgstrs) and (word, e.msgid) not in SAID
    ]
    assert used == [], f"{thing.english} is {'/'.join(thing.chinese)}:\n  " + "\n  ".join(used)


def test_the_allowances_are_still_needed():
    """An allowance for a message that is gone, or that now says the word, is dropped."""
    by_id = {e.msgid: e for e in messages()}
    by_english = {t.english: t for t in things()}
    stale = [
        key
        for key in UNSAID
        if key[1] not in by_id
        or not by_english[key[0]].named_in(key[1], longer_words(by_english[key[0]]))
        or any(w in s for s in by_id[key[1]].msgstrs for w in by_english[key[0]].chinese)
    ] + [
        key
        for key in SAID
        if key[1] not in by_id or not any(key[0] in s for s in by_id[key[1]].msgstrs)
    ]
    assert stale == []
