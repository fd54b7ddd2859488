"""The document's own plan as scenarios: its limits, its phases and its items.

A document that states limits (``4時間以内``, ``at most 30 tasks``, ``LOW/MEDIUM
RISKタスクのみ``) or a phased plan gives up to two scenarios:

- ``limits``: the appetite (MEDIUM unless the text names another; HIGH is never
  safe), the time box and task cap it states, its phases as time boxes, the
  value objective; no coverage or resources (the text states none);
- ``plan``: the same limits with the plan's items, each linked to the listed
  task it repeats (its priority, ``優先度P0``, is given to that task), so the
  hand-made plan is checked as the seed's is.

A plan line is linked by its title's normalised keywords (the overlap
settings), preferring a task whose title contains the line's head and whose
environment the line does not contradict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from analysis.inputs.graph_rules import title_keywords
from analysis.inputs.import_words import infer_facts
from analysis.inputs.markdown.assemble import Assembler
from analysis.inputs.markdown.blocks import restore
from analysis.inputs.markdown.reader import Reader
from analysis.vocabulary import UNKNOWN

LIMIT_KEYS = ("budget_hours", "task_cap", "appetite")

__all__ = [
    "LIMIT_KEYS",
    "PlanLink",
    "plan_scenarios",
]


@dataclass(frozen=True)
class PlanLink:
    """A plan line, and the task it repeats (None when it names none)."""

    line: int
    text: str
    task: str | None
    phase: str | None
    priority: str | None


def _phase_title(text: str) -> str:
    head = re.split(r"\s*[(（]", text)[0]
    head = re.sub(
        r"^(?:phase|stage|wave|step|フェーズ|段階)\s*[0-9A-Z]+\s*[:：.\-–—]?\s*",
        "",
        head,
        flags=re.I,
    )
    return head.strip() or text.strip()


def _link(assembler: Assembler, text: str) -> str | None:
    records = assembler.records
    overlaps = assembler.overlaps
    keys = {tid: title_keywords(r["title"], overlaps) for tid, r in records.items()}
    words = title_keywords(text, overlaps)
    head = re.split(r"\s*[+＋(（]", text)[0].strip()
    env = infer_facts(assembler.reader.words, text)["environment"]
    candidates = [tid for tid, k in keys.items() if words and k == words]
    if not candidates and words:
        overlap = {tid: len(words & k) for tid, k in keys.items() if words & k}
        best = max(overlap.values(), default=0)
        candidates = [
            tid
            for tid, n in overlap.items()
            if n == best and best >= 1 and (words <= keys[tid] or keys[tid] <= words)
        ]
    if not candidates:
        return None
    order = list(records)
    return min(
        candidates,
        key=lambda tid: (
            head not in records[tid]["title"],
            env not in (UNKNOWN, records[tid]["environment"]),
            order.index(tid),
        ),
    )


def plan_scenarios(
    reader: Reader, assembler: Assembler, name: str
) -> tuple[dict[str, dict[str, Any]], list[PlanLink]]:
    """The document's limits and plan as scenario data, and its plan lines' links."""
    phase_names = {p["title"]: f"P{i}" for i, p in enumerate(reader.phases, start=1)}
    links: list[PlanLink] = []
    items: list[dict[str, Any]] = []
    for line in reader.plan_lines:
        plain = restore(line.text).strip()
        task = _link(assembler, plain)
        links.append(PlanLink(line.line, plain, task, line.phase, line.priority))
        if task and line.priority and "priority" not in assembler.records[task]:
            assembler.records[task]["priority"] = line.priority
        facts = infer_facts(reader.words, plain)
        activity = facts["activity"]
        if activity == UNKNOWN and task:
            activity = assembler.records[task]["activity"]
        item: dict[str, Any] = {
            "item": plain,
            "activity": activity,
            "tasks": [task] if task else [],
        }
        if line.phase in phase_names:
            item["phase"] = phase_names[line.phase]
        if facts["environment"] not in (UNKNOWN, "none"):
            item["environment"] = facts["environment"]
        items.append(item)
    for task_id, listed in assembler.lines.items():
        phase = listed.context.phase
        if phase in phase_names:  # a task under a phase heading is an item of the plan
            record = assembler.records[task_id]
            items.append(
                {
                    "item": record["title"],
                    "activity": record["activity"],
                    "phase": phase_names[phase],
                    "tasks": [task_id],
                }
            )
    stated = [reader.statements[k] for k in LIMIT_KEYS if k in reader.statements]
    limits: dict[str, Any] = {
        "name": f"{name}-limits",
        "description": "The limits the document states"
        + (f": {'; '.join(dict.fromkeys(stated))}" if stated else "")
        + ". HIGH is never chosen unless the document says otherwise.",
        "appetite": reader.appetite or "MEDIUM",
        "objective": "value",
        "merge_duplicates": True,
    }
    if "budget_hours" in reader.limits:
        limits["budget_hours"] = reader.limits["budget_hours"]
    if "task_cap" in reader.limits:
        limits["task_cap"] = int(reader.limits["task_cap"])
    if reader.phases and all(p["hours"] for p in reader.phases):
        limits["phases"] = [
            {
                "name": phase_names[p["title"]],
                "title": _phase_title(p["title"]),
                "hours": p["hours"],
            }
            for p in reader.phases
        ]
        limits["lanes"] = 1
    scenarios: dict[str, dict[str, Any]] = {}
    if reader.limits or reader.appetite or items or "phases" in limits:
        scenarios["limits"] = limits
    if items:
        scenarios["plan"] = {
            "name": f"{name}-plan",
            "description": f"The document's own plan: {len(items)} items"
            + (f" in {len(reader.phases)} phases" if reader.phases else "")
            + ", checked against its limits.",
            "plan": items,
        }
    return scenarios, links
