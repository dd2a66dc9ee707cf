"""Verify an evaluation dossier (评价档案) with nothing but Python 3.11+ and the copy of the pure
scoring core it carries: no Django, no database, no network.

    python3 verify.py dossier.zip            the ZIP, its own scoring core
    python3 dossier.zip                      the same (the ZIP runs itself)
    python3 verify.py                        an unzipped package (this file's folder)
    python3 verify.py DIR --lang en          an unzipped package, in English
    python3 verify.py dossier.zip --evidence EVIDENCE_DIR   also the evidence files kept there

It checks every file against the package's manifest (its SHA-256), the ledger entries (each
entry's digest recomputed from what it records, each entry following the one before it), the
run, its decisions and its ruleset against their last ledger entries, every city's result
recomputed by the scoring core from the package's inputs under the package's ruleset (every
number, grade, decision and reason, each city's and the run's input and result digests), the
rules of sign-off, and the evidence digests. It prints "matches" (exit status 0) or each
difference on its own line (exit status 1); a package it cannot read exits with status 2.

This file is shipped in the package as ``verify.py``; in the project it is
``reports/verify_dossier.py`` and imports nothing but the standard library and the scoring core.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

GENESIS = "0" * 64

# Every sentence the verifier says, in English and in Chinese.
WORDS: dict[str, tuple[str, str]] = {
    "matches": ("matches", "一致（matches）"),
    "differ": (
        "{n} difference(s): the package does not match",
        "{n} 处差异：档案与核验结果不一致（does not match）",
    ),
    "unreadable": ("the package cannot be read: {why}", "无法读取档案：{why}"),
    "identity": (
        "Dossier of run #{run} · programme {programme} · as of {as_of} · ruleset {ruleset}",
        "评价档案：评价 #{run} · {programme} 批次 · 评价基准日 {as_of} · 规则集 {ruleset}",
    ),
    "counts": (
        "cities: {cities}, indicator results: {indicators}, input files: {inputs}, evidence "
        "files: {evidence}",
        "{cities} 个城市，{indicators} 项指标结果，{inputs} 个输入文件，{evidence} 个佐证材料",
    ),
    "ledger_range": (
        "Ledger: entries #{first} to #{last}; last #{last} {digest} (the ministry confirms it "
        "with: manage.py verify_run --ledger --head {last}:{digest})",
        "账本：第 {first} 至第 {last} 条；最后一条 #{last} {digest}（主管部门可用 "
        "manage.py verify_run --ledger --head {last}:{digest} 确认）",
    ),
    "package_digest": (
        "Manifest SHA-256: {digest}",
        "清单 SHA-256：{digest}",
    ),
    "missing_file": (
        "{file}: listed in the manifest, not in the package",
        "{file}：清单列出但档案中没有",
    ),
    "extra_file": ("{file}: in the package, not in the manifest", "{file}：档案中有但清单未列出"),
    "file_digest": (
        "{file}: SHA-256: in the manifest {stored}, the file {now}",
        "{file}：SHA-256：清单记载 {stored}，文件实际 {now}",
    ),
    "removed": (
        "ledger entries #{first} to #{last} are missing: entry #{seq} follows entry #{before}",
        "账本第 {first} 至第 {last} 条缺失：第 {seq} 条紧随第 {before} 条",
    ),
    "not_following": (
        "ledger entry #{seq} does not follow the entry before it",
        "账本第 {seq} 条与前一条不衔接",
    ),
    "altered": (
        "ledger entry #{seq} ({subject} #{id}, {action}) has been altered: its digest does not "
        "match what it records",
        "账本第 {seq} 条（{subject} #{id}，{action}）已被改动：摘要与其记载内容不符",
    ),
    "no_entry": (
        "{what}: no ledger entry in the package",
        "{what}：档案中没有其账本记录",
    ),
    "against_ledger": (
        "{what}: {field}: in the ledger {ledger}, in the package {package}",
        "{what}：{field}：账本记载 {ledger}，档案记载 {package}",
    ),
    "run": ("run", "评价"),
    "ruleset": ("ruleset", "规则集"),
    "decision_of": ("the decision for city {city}", "城市 {city} 的资金决定"),
    "city_diff": (
        "city {city}: {field}: in the package {stored}, recomputed {now}",
        "城市 {city}：{field}：档案记载 {stored}，重新计算 {now}",
    ),
    "indicator_diff": (
        "city {city}, indicator {indicator}: {field}: in the package {stored}, recomputed {now}",
        "城市 {city}，指标 {indicator}：{field}：档案记载 {stored}，重新计算 {now}",
    ),
    "run_diff": (
        "run: {field}: in the package {stored}, recomputed {now}",
        "评价：{field}：档案记载 {stored}，重新计算 {now}",
    ),
    "not_scored": (
        "city {city}: in the results, but the inputs have no such city",
        "城市 {city}：结果中有，输入中没有",
    ),
    "not_in_results": (
        "city {city}: in the inputs, but not in the results",
        "城市 {city}：输入中有，结果中没有",
    ),
    "indicator_missing": (
        "city {city}, indicator {indicator}: {where}",
        "城市 {city}，指标 {indicator}：{where}",
    ),
    "only_stored": ("in the results, not scored now", "结果中有，重新计算中没有"),
    "only_now": ("scored now, not in the results", "重新计算中有，结果中没有"),
    "refused": (
        "city {city}: its inputs cannot be scored: {why}",
        "城市 {city}：其输入无法计分：{why}",
    ),
    "rule": ("city {city}: {rule}", "城市 {city}：{rule}"),
    "run_rule": ("run: {rule}", "评价：{rule}"),
    "unsigned_final": (
        "a decision awaiting sign-off has a final amount or a signer",
        "待确认的决定已有最终金额或签批人",
    ),
    "signed_incomplete": (
        "signed off without a signer, a time or a final amount",
        "已签批但缺少签批人、时间或最终金额",
    ),
    "four_eyes": (
        "four-eyes rule broken: signed off by {person}, who triggered the run",
        "违反双人原则：签批人 {person} 即发起本次评价者",
    ),
    "confirmed_differs": (
        "confirmed, but the final decision {final} is not the recommended {recommended}",
        "已确认，但最终决定 {final} 不同于建议 {recommended}",
    ),
    "override_no_reason": ("overridden without a reason", "改定但未说明理由"),
    "override_amount": (
        "overridden to {amount}, outside 0 to the remaining {remaining}",
        "改定为 {amount}，超出 0 至剩余资金 {remaining} 的范围",
    ),
    "override_decision": (
        "overridden to {decision} {amount}: an amount above 0 is a release",
        "改定为 {decision} {amount}：金额大于 0 即为拨付",
    ),
    "not_finalised": (
        "the run is finalised, but {n} of its decisions await sign-off",
        "评价已定稿，但有 {n} 项决定尚待签批",
    ),
    "no_finalised": ("the run is not finalised", "评价尚未定稿"),
    "evidence_bad": (
        "evidence {kind} #{id}: its SHA-256 {sha256} is not a SHA-256",
        "佐证材料 {kind} #{id}：SHA-256 {sha256} 格式不正确",
    ),
    "evidence_recorded": (
        "evidence {kind} #{id} (city {city}): SHA-256: recorded when sent {stored}, the file {now}",
        "佐证材料 {kind} #{id}（城市 {city}）：SHA-256：提交时记载 {stored}，文件实际 {now}",
    ),
    "evidence_unknown": (
        "evidence {kind} #{id}: no such {kind} in the package",
        "佐证材料 {kind} #{id}：档案中没有该记录",
    ),
    "evidence_file": (
        "evidence {kind} #{id} ({file}): SHA-256: in the package {stored}, the file kept {now}",
        "佐证材料 {kind} #{id}（{file}）：SHA-256：档案记载 {stored}，所存文件实际 {now}",
    ),
    "evidence_absent": (
        "evidence {kind} #{id} ({file}): not found in {folder}",
        "佐证材料 {kind} #{id}（{file}）：在 {folder} 中未找到",
    ),
    "evidence_checked": (
        "{n} evidence file(s) checked against {folder}",
        "已对照 {folder} 核验 {n} 个佐证材料",
    ),
}

# What a difference is about, in each language.
FIELDS: dict[str, tuple[str, str]] = {
    "input_digest": ("input digest", "输入摘要"),
    "result_digest": ("result digest", "结果摘要"),
    "years_elapsed": ("construction years elapsed", "已过建设年数"),
    "remaining_amount": ("remaining amount (yuan)", "剩余资金（元）"),
    "score": ("score", "得分"),
    "grade": ("grade", "等级"),
    "release_share": ("share released", "拨付比例"),
    "recommended_decision": ("recommended decision", "建议决定"),
    "recommended_amount": ("recommended amount (yuan)", "建议金额（元）"),
    "reason": ("reason", "理由"),
    "kind": ("rule kind", "规则类型"),
    "status": ("status", "状态"),
    "weight": ("weight", "权重"),
    "full_target": ("target", "目标"),
    "target_source": ("target source", "目标来源"),
    "target": ("mid-term target", "中期目标"),
    "actual": ("actual", "实际值"),
    "attainment": ("attainment", "完成率"),
    "points": ("points", "得分点"),
    "base_value": ("baseline value", "基期值"),
    "final_value": ("final value", "期末值"),
    "final_decision": ("final decision", "最终决定"),
    "final_amount": ("final amount (yuan)", "最终金额（元）"),
    "decided_by_id": ("decided by", "签批人"),
    "decided_at": ("decided at", "签批时间"),
    "override_reason": ("override reason", "改定理由"),
    "finalised_at": ("finalised at", "定稿时间"),
    "as_of": ("as-of date", "评价基准日"),
    "triggered_by_id": ("triggered by", "发起人"),
    "rules": ("indicator rules", "指标规则"),
    "bands": ("grade bands", "等级区间"),
    "tasks": ("tasks", "任务"),
    "optional_task_weight": ("optional tasks' weight", "自选任务权重"),
    "version": ("version", "版本"),
}

NONE = "—"


class Unreadable(Exception):
    pass


class Say:
    def __init__(self, language: str) -> None:
        self.zh = not language.startswith("en")

    def __call__(self, key: str, **figures: Any) -> str:
        english, chinese = WORDS[key]
        return (chinese if self.zh else english).format(**figures)

    def field(self, name: str) -> str:
        english, chinese = FIELDS.get(name, (name, name))
        return chinese if self.zh else english


# The package: a ZIP or a folder ----------------------------------------------------------------


class Package:
    def __init__(self, where: Path) -> None:
        self.where = where
        self.zip: zipfile.ZipFile | None = None
        if where.is_file():
            try:
                self.zip = zipfile.ZipFile(where)
            except zipfile.BadZipFile as exc:
                raise Unreadable(f"{where}: {exc}") from None
        elif not where.is_dir():
            raise Unreadable(f"{where}: no such file or folder")

    def names(self) -> set[str]:
        if self.zip is not None:
            return {n for n in self.zip.namelist() if not n.endswith("/")}
        return {
            p.relative_to(self.where).as_posix()
            for p in self.where.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }

    def read(self, name: str) -> bytes:
        try:
            if self.zip is not None:
                return self.zip.read(name)
            return (self.where / name).read_bytes()
        except (KeyError, OSError) as exc:
            raise Unreadable(f"{name}: {exc}") from None

    def json(self, name: str) -> Any:
        try:
            return json.loads(self.read(name).decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise Unreadable(f"{name}: {exc}") from None


def _decimal(text: Any) -> Decimal | None:
    if text is None or text == "":
        return None
    try:
        return Decimal(str(text))
    except InvalidOperation:
        raise Unreadable(f"{text!r} is not a number") from None


def _shown(value: Any) -> str:
    if value is None or value == "":
        return NONE
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


# The inputs: each kind's reader puts its rows into the cities' CityInput ------------------------

Builder = dict[str, dict[str, Any]]  # city code -> CityInput's fields


def _read_cities(rows: list[dict[str, Any]], cities: Builder, core: Any) -> None:
    for row in rows:
        fields = cities.setdefault(row["city"], {})
        fields["remaining_amount"] = _decimal(row["remaining_amount"])
        if "first_tranche" in row:
            fields["first_tranche"] = _decimal(row["first_tranche"])


def _read_targets(rows: list[dict[str, Any]], cities: Builder, core: Any) -> None:
    for row in rows:
        fields = cities.setdefault(row["city"], {})
        fields.setdefault("targets", []).append((row["indicator"], _decimal(row["value"])))


def _read_values(rows: list[dict[str, Any]], cities: Builder, core: Any) -> None:
    for row in rows:
        cities.setdefault(row["city"], {}).setdefault("observations", []).append(
            core.Observation(
                indicator=row["indicator"],
                period=core.Period.parse(row["period"]),
                value=_decimal(row["value"]),
            )
        )


def _read_plan(rows: list[dict[str, Any]], cities: Builder, core: Any) -> None:
    for row in rows:
        cities.setdefault(row["city"], {}).setdefault("plan", []).append(
            (int(row["year"]), _decimal(row["planned"]))
        )


def _read_expenditure(rows: list[dict[str, Any]], cities: Builder, core: Any) -> None:
    # Summed below (``_sum_expenditure``) as the database sums it for a run.
    for row in rows:
        cities.setdefault(row["city"], {}).setdefault("spent_rows", []).append(
            core.Observation(
                indicator=core.BUDGET_INDICATOR,
                period=core.Period.parse(row["period"]),
                value=_decimal(row["amount"]),
            )
        )


def _read_task_choices(rows: list[dict[str, Any]], cities: Builder, core: Any) -> None:
    for row in rows:
        cities.setdefault(row["city"], {}).setdefault("optional_tasks", []).append(row["task"])


def _read_task_scores(rows: list[dict[str, Any]], cities: Builder, core: Any) -> None:
    for row in rows:
        cities.setdefault(row["city"], {}).setdefault("panel_scores", []).append(
            core.PanelScore(task=row["task"], expert=row["expert"], score=_decimal(row["score"]))
        )


def _read_verified_values(rows: list[dict[str, Any]], cities: Builder, core: Any) -> None:
    for row in rows:
        cities.setdefault(row["city"], {}).setdefault("verified", []).append(
            core.VerifiedValue(
                indicator=row["indicator"],
                period=core.Period.parse(row["period"]),
                claimed=_decimal(row["claimed"]),
                verified=_decimal(row["verified"]),
            )
        )


# One reader per input kind, by the name the manifest gives it (``reports.dossier.INPUTS``).
INPUTS: dict[str, Callable[[list[dict[str, Any]], Builder, Any], None]] = {
    "cities": _read_cities,
    "targets": _read_targets,
    "values": _read_values,
    "plan": _read_plan,
    "expenditure": _read_expenditure,
    "task_choices": _read_task_choices,
    "task_scores": _read_task_scores,
    "verified_values": _read_verified_values,
}


class Core:
    """The scoring core shipped in the package, imported from it."""

    def __init__(self, root: Path) -> None:
        sys.path.insert(0, str(root))
        for name in [m for m in sys.modules if m == "evaluation" or m.startswith("evaluation.")]:
            del sys.modules[name]
        import evaluation.scoring as scoring
        from evaluation.scoring import digest
        from evaluation.scoring.budget import BUDGET_INDICATOR

        self.scoring = scoring
        self.digest = digest
        self.BUDGET_INDICATOR = BUDGET_INDICATOR
        self.Observation = scoring.Observation
        self.Period = scoring.Period
        self.PanelScore = scoring.PanelScore
        self.VerifiedValue = scoring.types.VerifiedValue


def _city_inputs(
    package: Package, manifest: dict[str, Any], core: Core, programme: Any, as_of: dt.date
) -> list[Any]:
    cities: Builder = {}
    for name, path in sorted(manifest.get("inputs", {}).items()):
        reader = INPUTS.get(name)
        if reader is None:
            raise Unreadable(f"{path}: an input kind this verifier does not know ({name})")
        reader(package.json(path), cities, core)
    out = []
    for code, fields in sorted(cities.items()):
        spent = fields.pop("spent_rows", None)
        for name in (
            "targets",
            "observations",
            "plan",
            "optional_tasks",
            "panel_scores",
            "verified",
        ):
            if name in fields:
                fields[name] = tuple(fields[name])
        if "optional_tasks" in fields:
            fields["optional_tasks"] = tuple(sorted(fields["optional_tasks"]))
        city = core.scoring.CityInput(city=code, **fields)
        if spent is not None or "expenditure" in manifest.get("inputs", {}):
            totals, _problems = core.scoring.summarise(
                spent or (), as_of=as_of, from_year=programme.baseline_year + 1
            )
            city = replace(city, expenditure=totals)
        out.append(city)
    return out


# The checks ------------------------------------------------------------------------------------


def _check_manifest(package: Package, manifest: dict[str, Any], say: Say) -> list[str]:
    out = []
    listed: dict[str, str] = manifest.get("files", {})
    present = package.names() - {"manifest.json"}
    for name in sorted(listed):
        if name not in present:
            out.append(say("missing_file", file=name))
            continue
        now = hashlib.sha256(package.read(name)).hexdigest()
        if now != listed[name]:
            out.append(say("file_digest", file=name, stored=listed[name], now=now))
    for name in sorted(present - listed.keys()):
        out.append(say("extra_file", file=name))
    return out


def entry_digest(entry: dict[str, Any]) -> str:
    """The ledger's digest of an entry (``evaluation/ledger.py``: the SHA-256 of the UTF-8 JSON
    array ``[seq, previous, at, subject, object_id, action, actor, actor_name, state]``)."""
    payload = json.dumps(
        [
            entry["seq"],
            entry["previous"],
            entry["at"],
            entry["subject"],
            entry["object_id"],
            entry["action"],
            entry["actor"],
            entry["actor_name"],
            entry["state"],
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _check_chain(ledger: dict[str, Any], say: Say) -> tuple[list[str], tuple[int, int, str]]:
    """Every entry's digest recomputed, and each entry following the one before it."""
    out = []
    chain: list[tuple[int, str, str, dict[str, Any] | None]] = [
        (int(e["seq"]), e["previous"], e["digest"], e) for e in ledger.get("entries", [])
    ]
    chain += [
        (int(seq), previous, digest, None) for seq, previous, digest in ledger.get("links", [])
    ]
    chain.sort(key=lambda link: link[0])
    for (seq, previous, digest, entry), before in zip(chain, [None, *chain[:-1]], strict=True):
        if entry is not None and entry_digest(entry) != digest:
            out.append(
                say(
                    "altered",
                    seq=seq,
                    subject=entry["subject"],
                    id=entry["object_id"],
                    action=entry["action"],
                )
            )
        if before is None:
            continue
        if seq > before[0] + 1:
            out.append(say("removed", first=before[0] + 1, last=seq - 1, seq=seq, before=before[0]))
        elif previous != before[2]:
            out.append(say("not_following", seq=seq))
    if not chain:
        return out, (0, 0, GENESIS)
    return out, (chain[0][0], chain[-1][0], chain[-1][2])


def _last_states(ledger: dict[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
    states: dict[tuple[str, int], dict[str, Any]] = {}
    for entry in sorted(ledger.get("entries", []), key=lambda e: int(e["seq"])):
        try:
            states[(entry["subject"], int(entry["object_id"]))] = json.loads(entry["state"])
        except ValueError:
            continue
    return states


def _same(a: Any, b: Any) -> bool:
    if a is None or a == "" or b is None or b == "":
        return (a is None or a == "") and (b is None or b == "")
    try:
        return Decimal(str(a)) == Decimal(str(b))
    except InvalidOperation:
        return str(a) == str(b)


def _against_ledger(
    what: str,
    state: dict[str, Any] | None,
    package: dict[str, Any],
    fields: Iterable[str],
    say: Say,
) -> list[str]:
    if state is None:
        return [say("no_entry", what=what)]
    out = []
    for name in fields:
        ledger_value, package_value = state.get(name), package.get(name)
        if name.endswith("_at") and ledger_value and package_value:
            same = _instant(ledger_value) == _instant(package_value)
        else:
            same = _same(ledger_value, package_value)
        if not same:
            out.append(
                say(
                    "against_ledger",
                    what=what,
                    field=say.field(name),
                    ledger=_shown(ledger_value),
                    package=_shown(package_value),
                )
            )
    return out


def _instant(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


RUN_FIELDS = (
    "as_of",
    "kind",
    "status",
    "years_elapsed",
    "input_digest",
    "result_digest",
    "triggered_by_id",
    "finalised_at",
)
DECISION_FIELDS = (
    "remaining_amount",
    "recommended_decision",
    "recommended_amount",
    "reason",
    "status",
    "final_decision",
    "final_amount",
    "decided_by_id",
    "decided_at",
    "override_reason",
)


def _check_against_ledger(
    ledger: dict[str, Any], results: dict[str, Any], ruleset: dict[str, Any], say: Say
) -> list[str]:
    states = _last_states(ledger)
    run = results["run"]
    out = _against_ledger(say("run"), states.get(("run", int(run["id"]))), run, RUN_FIELDS, say)
    for city in results["cities"]:
        decision = city["decision"]
        out += _against_ledger(
            say("decision_of", city=city["city"]),
            states.get(("decision", int(decision["id"]))),
            decision,
            DECISION_FIELDS,
            say,
        )
    out += _ruleset_against_ledger(states, ruleset, say)
    return out


def _ruleset_against_ledger(
    states: dict[tuple[str, int], dict[str, Any]], package: dict[str, Any], say: Say
) -> list[str]:
    spec = package["ruleset"]
    state = states.get(("ruleset", int(spec["id"])))
    if state is None:
        return [say("no_entry", what=say("ruleset"))]
    ids: dict[str, int] = package.get("indicator_ids", {})

    def numbers(rows: Iterable[Iterable[Any]]) -> list[tuple[Any, ...]]:
        return sorted(tuple(_canonical(v) for v in row) for row in rows)

    ours = {
        "version": spec["version"],
        "optional_task_weight": spec["optional_task_weight"],
        "rules": numbers(
            [ids.get(r["indicator"]), r["kind"], r["floor"], r["weight"]]
            for r in spec["indicators"]
        ),
        "bands": numbers([b["grade"], b["min_score"], b["release_share"]] for b in spec["bands"]),
        "tasks": numbers(
            [ids.get(t["task"]), t["compulsory"], t["weight"]] for t in spec.get("tasks", [])
        ),
    }
    theirs = {
        "version": state.get("version"),
        "optional_task_weight": state.get("optional_task_weight"),
        "rules": numbers(state.get("rules", [])),
        "bands": numbers(state.get("bands", [])),
        # A task's entry keeps its position too; the scoring core does not read it.
        "tasks": numbers([t[0], t[1], t[2] or "0"] for t in state.get("tasks", [])),
    }
    out = []
    for name in ours:
        same = (
            ours[name] == theirs[name]
            if isinstance(ours[name], list)
            else _same(ours[name], theirs[name])
        )
        if not same:
            out.append(
                say(
                    "against_ledger",
                    what=say("ruleset"),
                    field=say.field(name),
                    ledger=_shown(theirs[name]),
                    package=_shown(ours[name]),
                )
            )
    return out


def _canonical(value: Any) -> str:
    """A number as one text whatever its places (``10.00`` and ``10`` alike); other values as
    they are."""
    if not _is_number(value):
        return str(value)
    text = format(Decimal(str(value)).normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    try:
        Decimal(str(value))
    except InvalidOperation:
        return False
    return True


def _rounded(value: Any, places: int | None) -> Any:
    if isinstance(value, Decimal) and places is not None:
        return value.quantize(Decimal(1).scaleb(-places))
    return value


def _compare(
    out: list[str],
    say: Say,
    city: str,
    indicator: str | None,
    pairs: Iterable[tuple[str, Any, Any]],
    places: dict[str, int],
) -> None:
    for name, stored, now in pairs:
        now = _rounded(now, places.get(name))
        if name in places:
            same = _same(stored, now)
        else:
            same = (stored or "") == ("" if now is None else str(now))
        if same:
            continue
        figures = {
            "city": city,
            "field": say.field(name),
            "stored": _shown(stored),
            "now": _shown(now),
        }
        if indicator is None:
            out.append(say("city_diff", **figures))
        else:
            out.append(say("indicator_diff", indicator=indicator, **figures))


INDICATOR_FIELDS = (
    "kind",
    "status",
    "target_source",
    "weight",
    "full_target",
    "target",
    "actual",
    "attainment",
    "points",
    "base_value",
    "final_value",
    "reason",
)


def _check_results(
    core: Core,
    ruleset: dict[str, Any],
    results: dict[str, Any],
    inputs: list[Any],
    say: Say,
) -> tuple[list[str], int]:
    scoring, digest = core.scoring, core.digest
    p = ruleset["programme"]
    programme = scoring.ProgrammeSpec(
        code=p["code"],
        baseline_year=int(p["baseline_year"]),
        construction_years=int(p["construction_years"]),
    )
    r = ruleset["ruleset"]
    spec = scoring.RulesetSpec(
        label=r["label"],
        indicators=tuple(
            scoring.IndicatorRule(
                indicator=i["indicator"],
                kind=i["kind"],
                floor=_decimal(i["floor"]),
                weight=_decimal(i["weight"]),
            )
            for i in r["indicators"]
        ),
        bands=tuple(
            scoring.GradeBand(
                grade=b["grade"],
                min_score=_decimal(b["min_score"]),
                release_share=_decimal(b["release_share"]),
            )
            for b in r["bands"]
        ),
        tasks=tuple(
            scoring.Task(
                code=t["task"], compulsory=bool(t["compulsory"]), weight=_decimal(t["weight"])
            )
            for t in r.get("tasks", [])
        ),
        optional_task_weight=_decimal(r.get("optional_task_weight")) or Decimal(0),
        spot_checks=None
        if not r.get("spot_checks")
        else scoring.types.SpotCheckPart(
            tolerance=_decimal(r["spot_checks"]["tolerance"]),
            deduction=_decimal(r["spot_checks"]["deduction"]),
        ),
    )
    run = results["run"]
    as_of = dt.date.fromisoformat(run["as_of"])
    places: dict[str, int] = results.get("places", {})
    out: list[str] = []
    outcomes: dict[str, Any] = {}
    refused = False
    for city in inputs:
        try:
            outcome = scoring.evaluate(
                programme=programme, ruleset=spec, as_of=as_of, cities=[city]
            )
        except scoring.EvaluationError as exc:
            refused = True
            out.append(say("refused", city=city.city, why="; ".join(exc.messages)))
        else:
            outcomes[city.city] = outcome.cities[0]
    years = scoring.years_elapsed(programme, as_of)
    if not _same(run.get("years_elapsed"), years):
        out.append(
            say(
                "run_diff",
                field=say.field("years_elapsed"),
                stored=_shown(run.get("years_elapsed")),
                now=years,
            )
        )
    stored_cities = {c["city"]: c for c in results["cities"]}
    indicators = 0
    for code in sorted(stored_cities.keys() | outcomes.keys()):
        stored = stored_cities.get(code)
        now = outcomes.get(code)
        if stored is None:
            out.append(say("not_in_results", city=code))
            continue
        indicators += len(stored["indicators"])
        if now is None:
            if code not in {c.city for c in inputs}:
                out.append(say("not_scored", city=code))
            continue
        decision = stored["decision"]
        _compare(
            out,
            say,
            code,
            None,
            [
                ("input_digest", stored["input_digest"], now.input_digest),
                ("remaining_amount", decision["remaining_amount"], now.remaining_amount),
                ("score", stored["score"], now.score),
                ("grade", stored["grade"], now.grade),
                ("release_share", stored["release_share"], now.release_share),
                ("recommended_decision", decision["recommended_decision"], str(now.decision)),
                ("recommended_amount", decision["recommended_amount"], now.amount),
                ("reason", stored["reason"], now.reason),
                ("result_digest", stored["result_digest"], digest.city_outcome_digest(now)),
            ],
            places,
        )
        kept = {i["indicator"]: i for i in stored["indicators"]}
        scored = {i.indicator: i for i in now.indicators}
        for indicator in sorted(kept.keys() | scored.keys()):
            if indicator not in scored:
                out.append(
                    say(
                        "indicator_missing",
                        city=code,
                        indicator=indicator,
                        where=say("only_stored"),
                    )
                )
            elif indicator not in kept:
                out.append(
                    say("indicator_missing", city=code, indicator=indicator, where=say("only_now"))
                )
            else:
                mine, theirs = kept[indicator], scored[indicator]
                _compare(
                    out,
                    say,
                    code,
                    indicator,
                    [
                        (
                            name,
                            mine.get(name),
                            str(getattr(theirs, name))
                            if name in ("status", "target_source")
                            else getattr(theirs, name),
                        )
                        for name in INDICATOR_FIELDS
                    ],
                    places,
                )
    if not refused:
        input_digest = digest.combine(
            digest.inputs_header(programme, as_of),
            ((c, o.input_digest) for c, o in outcomes.items()),
        )
        result_digest = digest.combine(
            digest.outcome_header(programme.code, spec.label, years),
            ((c, digest.city_outcome_digest(o)) for c, o in outcomes.items()),
        )
        for name, now_digest in (("input_digest", input_digest), ("result_digest", result_digest)):
            if run.get(name) != now_digest:
                out.append(
                    say(
                        "run_diff",
                        field=say.field(name),
                        stored=_shown(run.get(name)),
                        now=now_digest,
                    )
                )
    return out, indicators


def _check_sign_off(results: dict[str, Any], say: Say) -> list[str]:
    """The rules of sign-off, as ``reports.verification`` applies them to the stored run."""
    out = []
    signed = set(results["signed_statuses"])
    run = results["run"]
    awaiting = 0
    for city in results["cities"]:
        d, code = city["decision"], city["city"]
        breaches = []
        if d["status"] not in signed:
            awaiting += 1
            if d["final_amount"] is not None or d["decided_by_id"] is not None:
                breaches.append(say("unsigned_final"))
        else:
            if d["decided_by_id"] is None or d["decided_at"] is None or d["final_amount"] is None:
                breaches.append(say("signed_incomplete"))
            if d["decided_by_id"] is not None and d["decided_by_id"] == run.get("triggered_by_id"):
                breaches.append(say("four_eyes", person=d.get("decided_by") or d["decided_by_id"]))
            if d["status"] == results["confirmed"] and (
                not _same(d["final_amount"], d["recommended_amount"])
                or d["final_decision"] != d["recommended_decision"]
                or d["override_reason"]
            ):
                breaches.append(
                    say(
                        "confirmed_differs",
                        final=f"{d['final_decision']} {_shown(d['final_amount'])}",
                        recommended=f"{d['recommended_decision']} {d['recommended_amount']}",
                    )
                )
            if d["status"] == results["overridden"]:
                amount = _decimal(d["final_amount"])
                remaining = _decimal(d["remaining_amount"]) or Decimal(0)
                if not d["override_reason"]:
                    breaches.append(say("override_no_reason"))
                if amount is not None and not Decimal(0) <= amount <= remaining:
                    breaches.append(
                        say("override_amount", amount=_shown(amount), remaining=_shown(remaining))
                    )
                elif amount is not None and (amount > 0) != (d["final_decision"] == "release"):
                    breaches.append(
                        say(
                            "override_decision", decision=d["final_decision"], amount=_shown(amount)
                        )
                    )
        out += [say("rule", city=code, rule=b) for b in breaches]
    if not run.get("finalised_at"):
        out.append(say("run_rule", rule=say("no_finalised")))
    elif awaiting:
        out.append(say("run_rule", rule=say("not_finalised", n=awaiting)))
    return out


def _check_evidence(
    evidence: list[dict[str, Any]],
    package: Package,
    manifest: dict[str, Any],
    folder: Path | None,
    say: Say,
    checked: list[int],
) -> list[str]:
    out = []
    known: dict[str, set[int]] = {"expenditure": set(), "rectification": set()}
    if "expenditure" in manifest.get("inputs", {}):
        known["expenditure"] = {
            int(r["id"]) for r in package.json(manifest["inputs"]["expenditure"])
        }
    for item in evidence:
        kind, number, sha = item["kind"], item["id"], item.get("sha256", "")
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            out.append(say("evidence_bad", kind=kind, id=number, sha256=sha))
        if kind == "expenditure" and int(number) not in known["expenditure"]:
            out.append(say("evidence_unknown", kind=kind, id=number))
        recorded = item.get("recorded_sha256")
        if recorded and recorded != sha:
            out.append(
                say(
                    "evidence_recorded",
                    kind=kind,
                    id=number,
                    city=item.get("city"),
                    stored=recorded,
                    now=sha,
                )
            )
        if folder is not None:
            path = folder / item["file"]
            if not path.is_file():
                path = folder / Path(item["file"]).name
            if not path.is_file():
                out.append(
                    say("evidence_absent", kind=kind, id=number, file=item["file"], folder=folder)
                )
                continue
            checked[0] += 1
            now = hashlib.sha256(path.read_bytes()).hexdigest()
            if now != sha:
                out.append(
                    say(
                        "evidence_file",
                        kind=kind,
                        id=number,
                        file=item["file"],
                        stored=sha,
                        now=now,
                    )
                )
    return out


def verify(
    where: Path, *, language: str | None, evidence: Path | None
) -> tuple[list[str], list[str]]:
    """What the verifier tells (its identity lines) and each difference."""
    package = Package(where)
    manifest = package.json("manifest.json")
    say = Say(language or manifest.get("language", "zh-hans"))
    core = Core(where)
    ruleset, results = package.json("ruleset.json"), package.json("results.json")
    ledger, evidence_rows = package.json("ledger.json"), package.json("evidence.json")
    run = results["run"]
    programme = ruleset["programme"]
    as_of = dt.date.fromisoformat(run["as_of"])
    try:
        inputs = _city_inputs(
            package,
            manifest,
            core,
            core.scoring.ProgrammeSpec(
                code=programme["code"],
                baseline_year=int(programme["baseline_year"]),
                construction_years=int(programme["construction_years"]),
            ),
            as_of,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise Unreadable(f"inputs: {exc!r}") from None
    differences = _check_manifest(package, manifest, say)
    chain, (first, last, head) = _check_chain(ledger, say)
    differences += chain
    differences += _check_against_ledger(ledger, results, ruleset, say)
    recomputed, indicators = _check_results(core, ruleset, results, inputs, say)
    differences += recomputed
    differences += _check_sign_off(results, say)
    checked = [0]
    differences += _check_evidence(evidence_rows, package, manifest, evidence, say, checked)
    told = [
        say(
            "identity",
            run=run["id"],
            programme=run["programme"],
            as_of=run["as_of"],
            ruleset=run["ruleset"],
        ),
        say(
            "counts",
            cities=len(results["cities"]),
            indicators=indicators,
            inputs=len(manifest.get("inputs", {})),
            evidence=len(evidence_rows),
        ),
        say("ledger_range", first=first, last=last, digest=head),
        say("package_digest", digest=hashlib.sha256(package.read("manifest.json")).hexdigest()),
    ]
    if evidence is not None:
        told.append(say("evidence_checked", n=checked[0], folder=evidence))
    return told, differences


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    here = Path(argv[0]).resolve()
    parser = argparse.ArgumentParser(prog="verify.py", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "package",
        nargs="?",
        help="the dossier's ZIP, or its unzipped folder (default: the folder of this file, or "
        "the ZIP it runs from)",
    )
    parser.add_argument(
        "--lang", choices=["zh-hans", "en"], help="the language (default: the dossier's)"
    )
    parser.add_argument("--evidence", help="a folder holding the evidence files, to check them too")
    options = parser.parse_args(argv[1:])
    where = (
        Path(options.package).resolve()
        if options.package
        else (here if here.is_file() and zipfile.is_zipfile(here) else here.parent)
    )
    try:
        told, differences = verify(
            where,
            language=options.lang,
            evidence=Path(options.evidence).resolve() if options.evidence else None,
        )
    except (Unreadable, KeyError, TypeError, ValueError, ImportError) as exc:
        say = Say(options.lang or "zh-hans")
        print(say("unreadable", why=exc), file=sys.stderr)
        return 2
    say = Say(options.lang or Package(where).json("manifest.json").get("language", "zh-hans"))
    for line in told:
        print(line)
    if not differences:
        print(say("matches"))
        return 0
    for line in differences:
        print(line)
    print(say("differ", n=len(differences)))
    return 1


if __name__ == "__main__":
    sys.exit(main())
