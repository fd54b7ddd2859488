"""Seeded synthetic catalogs in the documented YAML format, and a scenario to plan them.

Every figure measured on a large catalog must be reproducible: the same
``--tasks`` and ``--seed`` give the same file, byte for byte. A catalog has
what real ones have, in proportions stated below as module constants:

- issues of 5 to 40 tasks in a row, some with declared counts (a few wrong, so
  the audit finds count mismatches), and a declared total;
- titles that share words: a subject (a component and a service name, about
  three tasks per subject whatever the size) with an activity word, a fifth
  in Japanese, some with an environment qualifier in parentheses; a few tasks
  copy an earlier task of another issue (duplicates), so overlap clusters
  and duplicate sets occur;
- activities, environments, touched areas and reversibility, each sometimes
  ``unknown`` (levels that are not computable); efforts (one figure, three
  points, or the activity's default); values, priorities or neither;
  outcomes; safeguards for some changes; statuses; declared levels for most
  tasks (mostly what the rubric gives, some not);
- a topic for a share of tasks (``topic_share``);
- declared dependencies on earlier tasks only (a DAG), mostly within the last
  ``LOCAL_WINDOW`` tasks, a few anywhere earlier; with ``chain``, every task
  also depends on the one before it (one chain through the whole catalog).

The scenario (:func:`scenario_data`) allows MEDIUM, merges duplicates, and
gives a budget of a share of all likely hours, optional lanes, phases (the
budget split evenly) and a task cap.

    .venv/bin/python bench/synthetic.py --tasks 10000 --seed 7 -o /tmp/c10k.yaml \\
        [--scenario-out /tmp/s10k.yaml --budget-share 0.2 --lanes 1 --phases 0 --cap N] \\
        [--chain] [--topic-share 0.3]

From Python: ``catalog_data(10_000, seed=7)`` and ``scenario_data(data)`` give the
dicts; ``write_catalog`` and ``write_scenario`` write them.
"""

from __future__ import annotations

import argparse
import os
import random
from pathlib import Path

import yaml

__all__ = [
    "ACTIVITIES",
    "ENVIRONMENTS",
    "AREAS",
    "LOCAL_WINDOW",
    "catalog_data",
    "scenario_data",
    "total_hours",
    "write_catalog",
    "write_scenario",
]

ACTIVITIES = ["design", "document", "template", "configure", "implement", "deploy", "experiment"]
ACTIVITY_WEIGHTS = [14, 6, 6, 14, 30, 18, 6, 3]  # the last: migrate
PAPER = {"design", "document", "template"}
ENVIRONMENTS = ["dev", "verification", "staging", "production"]
ENVIRONMENT_WEIGHTS = [50, 25, 12, 13]
AREAS = ["network", "data", "architecture", "security", "compute", "ci", "observability", "cost"]
OUTCOMES = ["observability", "reliability", "scalability", "security", "cost", "delivery_speed"]
SAFEGUARDS = ["rollback", "approval", "verification", "monitoring", "documentation"]
STATUSES = ["todo", "in_progress", "done", "blocked", "cancelled"]
STATUS_WEIGHTS = [85, 5, 5, 3, 2]

#: Shares of facts left ``unknown`` (never safe: scored as the riskiest value).
UNKNOWN_SHARE = {"activity": 0.03, "environment": 0.05, "touches": 0.05, "reversibility": 0.3}
#: Dependencies: chance of one or two on earlier tasks; most within the last LOCAL_WINDOW.
DEPENDS_ONE, DEPENDS_TWO, FAR_SHARE, LOCAL_WINDOW = 0.4, 0.1, 0.05, 30
#: A task that copies an earlier task of another issue (same title and facts).
DUPLICATE_SHARE = 0.03
#: Titles in Japanese; tasks with a declared level; declared levels off by one.
JAPANESE_SHARE, DECLARED_SHARE, WRONG_DECLARED_SHARE = 0.2, 0.7, 0.08
#: Tasks per title subject, on average, at any size.
TASKS_PER_SUBJECT = 3

# A component is the first part of a title's subject. Most are one word, some
# two (the two-word ones make similar subjects: "Service Mesh alpha" and
# "Service Mesh beta" share two words of three). Japanese ones are written
# with the words the rules cut kanji runs at.
COMPONENTS = [
    "Ingress", "Registry", "Autoscaling", "Tracing", "Alerting", "Backup", "Secrets",
    "Certificates", "DNS", "Kafka", "Postgres", "Redis", "Envoy", "Terraform", "GitOps",
    "Vault", "Canary", "Quotas", "Firewall", "Bastion", "Service Mesh", "Load Balancer",
    "Feature Flags", "Circuit Breakers", "Rate Limiting", "Object Storage", "Edge Cluster",
    "Build Cache",
]  # fmt: skip
COMPONENTS_JA = [
    "監視", "ログ", "バックアップ", "証明書", "ネットワーク", "データベース", "キャッシュ",
    "認証", "レジストリ", "ゲートウェイ",
]  # fmt: skip
# Activity words are stop words or generic words of the bundled rules, so a
# title's subject is its component and service: about TASKS_PER_SUBJECT tasks
# share one, and clusters stay small at any size.
ACTIVITY_WORDS = {
    "design": (["Design"], ["設計"]),
    "document": (["Documentation"], ["文書化"]),
    "template": (["Templates"], ["テンプレート作成"]),
    "configure": (["Configuration", "Setup"], ["設定"]),
    "implement": (["Implementation"], ["実装", "構築"]),
    "deploy": (["Deployment"], ["デプロイ"]),
    "experiment": (["Experiment"], ["実験"]),
    "migrate": (["Migration"], ["移行"]),
    "unknown": (["Update", "Improvement"], ["改善"]),
}
ENVIRONMENT_WORDS = {
    "dev": ("dev", "開発環境"),
    "verification": ("verification", "検証環境"),
    "staging": ("staging", "ステージング"),
    "production": ("production", "本番"),
}
_SYLLABLES = [c + v for c in "kstnhmrgbdpz" for v in "aeiou"]


def _service_names(count: int) -> list[str]:
    """``count`` distinct pronounceable names (the second word of a subject)."""
    names = [a + b for a in _SYLLABLES for b in _SYLLABLES]
    if count <= len(names):
        return names[:count]
    return [a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in _SYLLABLES][:count]


def _level_of(activity: str, environment: str) -> str:
    """A rough guess at the rubric's level, for declared levels that mostly agree."""
    if activity in PAPER or environment == "none":
        return "LOW"
    if environment in ("dev", "verification"):
        return "MEDIUM"
    return "HIGH"


def catalog_data(
    tasks: int,
    seed: int = 7,
    *,
    topic_share: float = 0.3,
    chain: bool = False,
    name: str | None = None,
) -> dict:
    """A catalog of ``tasks`` tasks in the YAML shape, the same for the same arguments."""
    rng = random.Random(seed)
    subjects_wanted = max(8, tasks // TASKS_PER_SUBJECT)
    services = _service_names(max(4, subjects_wanted // (len(COMPONENTS) + len(COMPONENTS_JA))))
    issues: list[dict] = []
    rows: list[dict] = []
    sizes: dict[int, list[str]] = {}
    number, left_in_issue = 100, 0
    for index in range(tasks):
        if left_in_issue == 0:
            number += 1 + rng.randrange(3)
            left_in_issue = rng.randint(5, 40)
            issues.append({"number": number, "title": f"Platform work stream {number}"})
            sizes[number] = []
        left_in_issue -= 1
        task_id = f"{number}-T{len(sizes[number]) + 1:03d}"
        sizes[number].append(task_id)
        earlier = [row for row in rows[-100:] if row["issue"] != number]
        if earlier and rng.random() < DUPLICATE_SHARE:
            task = _copy(rng.choice(earlier), task_id, number)
        else:
            task = _task(rng, task_id, number, services, topic_share)
        task["depends_on"] = _dependencies(rng, rows, index, chain)
        if not task["depends_on"]:
            del task["depends_on"]
        rows.append(task)
    _declare_counts(rng, issues, sizes, rows)
    effort_defaults = {"design": 0.5, "document": 0.5, "template": 0.5, "configure": 1.0}
    effort_defaults |= {"implement": 2.0, "deploy": 1.0, "experiment": 1.0, "migrate": 3.0}
    return {
        "catalog": {
            "name": name or f"synthetic-{tasks}-s{seed}" + ("-chain" if chain else ""),
            "title": f"Synthetic catalog of {tasks} tasks (seed {seed})",
            "source": f"bench/synthetic.py --tasks {tasks} --seed {seed}"
            + (" --chain" if chain else ""),
            "declared": {"total": tasks + (1 if rng.random() < 0.5 else 0)},
        },
        "defaults": {
            "effort_hours": effort_defaults | {"unknown": 2.0},
            "value_by_priority": {"P0": 5, "P1": 3, "P2": 2},
            "value": 1,
        },
        "issues": issues,
        "tasks": rows,
    }


def _task(
    rng: random.Random, task_id: str, issue: int, services: list[str], topic_share: float
) -> dict:
    activity = "unknown"
    if rng.random() >= UNKNOWN_SHARE["activity"]:
        activity = rng.choices([*ACTIVITIES, "migrate"], ACTIVITY_WEIGHTS)[0]
    if activity in PAPER:
        environment = "none"
    elif rng.random() < UNKNOWN_SHARE["environment"]:
        environment = "unknown"
    else:
        environment = rng.choices(ENVIRONMENTS, ENVIRONMENT_WEIGHTS)[0]
    japanese = rng.random() < JAPANESE_SHARE
    component = rng.choice(COMPONENTS_JA if japanese else COMPONENTS)
    service = rng.choice(services)
    english, words_ja = ACTIVITY_WORDS[activity]
    if japanese:
        title = f"{component} {service}{rng.choice(words_ja)}"
    else:
        title = f"{component} {service} {rng.choice(english)}"
    if environment in ENVIRONMENT_WORDS and rng.random() < 0.5:
        title += f" ({ENVIRONMENT_WORDS[environment][1 if japanese else 0]})"
    task: dict = {"id": task_id, "issue": issue, "title": title, "activity": activity}
    task["environment"] = environment
    if rng.random() < UNKNOWN_SHARE["touches"]:
        task["touches"] = "unknown"
    else:
        task["touches"] = sorted(rng.sample(AREAS, rng.choices([1, 2, 3], [6, 3, 1])[0]))
    if rng.random() >= UNKNOWN_SHARE["reversibility"]:
        task["reversibility"] = rng.choices(["reversible", "partial", "irreversible"], [6, 3, 1])[0]
    draw = rng.random()
    if draw < 0.5:
        task["effort"] = round(rng.uniform(0.25, 6.0), 2)
    elif draw < 0.8:
        likely = round(rng.uniform(0.25, 6.0), 2)
        optimistic = round(likely * rng.uniform(0.5, 1.0), 2)
        pessimistic = round(likely * rng.uniform(1.0, 3.0), 2)
        task["effort"] = {
            "optimistic": optimistic,
            "likely": likely,
            "pessimistic": pessimistic,
        }
    draw = rng.random()
    if draw < 0.35:
        task["priority"] = rng.choice(["P0", "P1", "P2"])
    elif draw < 0.8:
        task["value"] = rng.randint(1, 10)
    if rng.random() < topic_share:
        task["topic"] = f"{component.lower().replace(' ', '-')}-{service}"
    if rng.random() < 0.5:
        task["outcomes"] = sorted(rng.sample(OUTCOMES, rng.randint(1, 2)))
    status = rng.choices(STATUSES, STATUS_WEIGHTS)[0]
    if status != "todo":
        task["status"] = status
    if rng.random() < DECLARED_SHARE:
        level = _level_of(activity, environment)
        if rng.random() < WRONG_DECLARED_SHARE:
            level = rng.choice([x for x in ("LOW", "MEDIUM", "HIGH") if x != level])
        task["declared_risk"] = level
    if activity not in PAPER:
        for field in SAFEGUARDS:
            if rng.random() < 0.3:
                task[field] = f"{field} for {task_id}"
    return task


def _copy(original: dict, task_id: str, issue: int) -> dict:
    """The same work filed again in another issue: same title and facts, no links."""
    task = {k: v for k, v in original.items() if k != "depends_on"}
    task["id"], task["issue"] = task_id, issue
    return task


def _dependencies(rng: random.Random, rows: list[dict], index: int, chain: bool) -> list[str]:
    if index == 0:
        return []
    draw = rng.random()
    count = 1 if draw < DEPENDS_ONE else 2 if draw < DEPENDS_ONE + DEPENDS_TWO else 0
    chosen: set[int] = {index - 1} if chain else set()
    for _ in range(count):
        if rng.random() < FAR_SHARE:
            chosen.add(rng.randrange(index))
        else:
            chosen.add(rng.randrange(max(0, index - LOCAL_WINDOW), index))
    return [rows[k]["id"] for k in sorted(chosen)]


def _declare_counts(
    rng: random.Random, issues: list[dict], sizes: dict[int, list[str]], rows: list[dict]
) -> None:
    """Declared totals for about half the issues; one in ten of them is off by one."""
    for issue in issues:
        if rng.random() < 0.5:
            total = len(sizes[issue["number"]])
            if rng.random() < 0.1:
                total += rng.choice([-1, 1])
            issue["declared"] = {"total": max(0, total)}


def total_hours(data: dict) -> float:
    """The sum of every task's likely effort (its own, else its activity's default)."""
    defaults = data.get("defaults", {}).get("effort_hours", {})
    total = 0.0
    for task in data["tasks"]:
        effort = task.get("effort")
        if effort is None:
            effort = defaults.get(task["activity"], max(defaults.values()))
        total += effort["likely"] if isinstance(effort, dict) else effort
    return total


def scenario_data(
    data: dict,
    *,
    budget_share: float = 0.2,
    lanes: int = 1,
    phases: int = 0,
    cap: int | None = None,
    appetite: str = "MEDIUM",
    name: str | None = None,
) -> dict:
    """A scenario for the catalog ``data``: a budget of ``budget_share`` of all likely hours."""
    budget = round(total_hours(data) * budget_share, 2)
    scenario: dict = {
        "name": name or f"{data['catalog']['name']}-limits",
        "description": f"bench/synthetic.py: {budget_share:g} of all hours, {lanes} lane(s)",
        "appetite": appetite,
        "budget_hours": budget,
        "objective": "value",
        "merge_duplicates": True,
        "lanes": lanes,
    }
    if cap is not None:
        scenario["task_cap"] = cap
    if phases:
        box = round(budget / phases, 2)
        scenario["phases"] = [{"name": f"P{k + 1}", "hours": box} for k in range(phases)]
    return scenario


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """libyaml's dumper when there is one; copies are written out, never as aliases."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def _dump(data: dict, path: str | os.PathLike) -> None:
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120)
    Path(path).write_text(text, encoding="utf-8")


def write_catalog(data: dict, path: str | os.PathLike) -> Path:
    """Write catalog ``data`` as YAML to ``path``; returns the path."""
    _dump(data, path)
    return Path(path)


def write_scenario(data: dict, path: str | os.PathLike) -> Path:
    """Write scenario ``data`` as YAML to ``path``; returns the path."""
    _dump(data, path)
    return Path(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("-o", "--out", required=True, help="the catalog file to write")
    parser.add_argument("--scenario-out", help="also write a scenario file here")
    parser.add_argument("--budget-share", type=float, default=0.2)
    parser.add_argument("--lanes", type=int, default=1)
    parser.add_argument("--phases", type=int, default=0)
    parser.add_argument("--cap", type=int, default=None, help="the scenario's task cap")
    parser.add_argument("--topic-share", type=float, default=0.3)
    parser.add_argument("--chain", action="store_true", help="one chain through every task")
    parser.add_argument("--name", help="the catalog's name (default: synthetic-N-sSEED)")
    args = parser.parse_args()
    data = catalog_data(
        args.tasks, args.seed, topic_share=args.topic_share, chain=args.chain, name=args.name
    )
    write_catalog(data, args.out)
    print(f"{args.out}: {args.tasks} tasks, {len(data['issues'])} issues")
    if args.scenario_out:
        scenario = scenario_data(
            data,
            budget_share=args.budget_share,
            lanes=args.lanes,
            phases=args.phases,
            cap=args.cap,
        )
        write_scenario(scenario, args.scenario_out)
        print(f"{args.scenario_out}: budget {scenario['budget_hours']} h")


if __name__ == "__main__":
    main()
