"""Just enough of the gettext PO format to read entries back (the tests only)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$')


@dataclass(frozen=True)
class Entry:
    msgid: str
    msgstrs: tuple[str, ...]
    fuzzy: bool
    obsolete: bool
    locations: tuple[str, ...]

    @property
    def translated(self) -> bool:
        return not self.fuzzy and all(self.msgstrs)


def read_po(path: Path) -> list[Entry]:
    entries = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        fields: dict[str, str] = {}
        current = None
        fuzzy = obsolete = False
        locations: list[str] = []
        for raw in block.splitlines():
            line = raw
            if line.startswith("#~"):
                obsolete = True
                line = line[2:].strip()
            if line.startswith("#,"):
                fuzzy = fuzzy or "fuzzy" in line
                continue
            if line.startswith("#:"):
                locations += line[2:].split()
                continue
            if line.startswith("#"):
                continue
            match = _KEYWORD.match(line)
            if match:
                current = match.group(1)
                fields[current] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and current:
                fields[current] += ast.literal_eval(line)
        if "msgid" not in fields or fields["msgid"] == "":
            continue
        msgstrs = tuple(v for k, v in sorted(fields.items()) if k.startswith("msgstr"))
        entries.append(Entry(fields["msgid"], msgstrs, fuzzy, obsolete, tuple(locations)))
    return entries
