"""Overlap clusters found from the text alone, scored against the hand-made topics.

Imports the seed's markdown as it is (``analysis.inputs.markdown.read_markdown``:
no topics, no hand edits), finds overlap clusters from the titles only
(``find_overlaps(..., topics=False)``), maps each imported task to the bundled
catalog's task with the same issue and title, and scores the clusters against
the bundled catalog's topics as labels: a topic given to two or more tasks is a
cluster that should be found.

Prints the rule for "found", clusters expected and found, pairwise precision
(pairs of tasks put in one cluster that share a topic, over all such pairs)
and recall (over all pairs that share a topic), the misses and the false
joins, then every detected cluster with its evidence.

    .venv/bin/python bench/overlap_text.py [--seed FILE] [--catalog FILE] [--rules FILE]
    .venv/bin/python bench/overlap_text.py --scale 1000 10000

Target: at least 9 of the 11 expected clusters found, pairwise precision >= 0.9.

``--scale`` times the detection from titles alone on synthetic catalogs instead:
titles of two to four words drawn from 3,000 words with Zipf frequencies (so a
few words are in many titles, as "monitoring" or "cluster" are), each with an
activity word; it prints the time (best of 3), the clusters, and the growth
from the smallest to the largest size (10.0 per tenfold would be linear).
"""

from __future__ import annotations

import argparse
import random
import time
import unicodedata
from pathlib import Path

from analysis.assess.overlaps import FOUND_RULE, agreement_with_labels, find_overlaps
from analysis.assess.scoring import score_catalog
from analysis.inputs.catalog import read_catalog
from analysis.inputs.catalog_records import parse_catalog
from analysis.inputs.graph_rules import read_graph_rules
from analysis.inputs.markdown import read_markdown
from analysis.inputs.rubric import read_rubric
from analysis.model import Catalog

ROOT = Path(__file__).resolve().parent.parent
SEED_TEXT = ROOT.parent / "shared" / "seed" / "000_ad59c3a8ddd5b8a3.txt"
SEED_CATALOG = ROOT / "data" / "catalogs" / "cc03-ultra-marathon.yaml"


def _plain(title: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", title).casefold().split())


def topic_labels(imported: Catalog, labelled: Catalog) -> tuple[dict[str, str | None], list[str]]:
    """Each imported task's topic in ``labelled``, found by (issue, title); then the
    imported tasks that match no labelled task (compared by NFKC, case folded, spaces
    collapsed, when the exact title is not there)."""
    exact = {(t.issue, t.title): t for t in labelled.tasks}
    loose = {(t.issue, _plain(t.title)): t for t in labelled.tasks}
    labels: dict[str, str | None] = {}
    unmatched = []
    for task in imported.tasks:
        match = exact.get((task.issue, task.title)) or loose.get((task.issue, _plain(task.title)))
        if match is None:
            unmatched.append(task.id)
        labels[task.id] = match.topic if match else None
    return labels, unmatched


def synthetic_titles(n: int, seed: int = 3) -> Catalog:
    """``n`` tasks whose titles share words as real ones do (Zipf), without topics."""
    rng = random.Random(seed)
    vocabulary = [f"w{i:04d}" for i in range(3000)]
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    suffixes = ["設計", "実装", " Design", " Implementation", " (開発環境)"]
    tasks = []
    for i in range(n):
        words = rng.choices(vocabulary, weights, k=rng.randint(2, 4))
        tasks.append(
            {
                "id": f"T{i:05d}",
                "issue": 1 + i % 20,
                "title": " ".join(words) + rng.choice(suffixes),
                "activity": "design",
                "environment": "none",
                "effort": 1.0,
            }
        )
    return parse_catalog({"issues": [{"number": k} for k in range(1, 21)], "tasks": tasks})


def scale(sizes: list[int], rules_path: Path | None) -> None:
    rules = read_graph_rules(rules_path) if rules_path else read_graph_rules()
    rubric = read_rubric()
    times = {}
    for n in sizes:
        catalog = synthetic_titles(n)
        scores = score_catalog(catalog, rubric)
        best, clusters = float("inf"), ()
        for _ in range(3):
            start = time.perf_counter()
            clusters = find_overlaps(catalog, scores, rules, topics=False)
            best = min(best, time.perf_counter() - start)
        similar = sum(kind == "similar" for c in clusters for kind, _, _ in c.evidence)
        times[n] = best
        print(
            f"{n:>6} tasks: {best:.3f} s (best of 3), {len(clusters)} clusters, "
            f"{similar} similar joins (words in over {rules.overlaps.common_word_tasks} tasks "
            "propose no pair)"
        )
    if len(sizes) > 1:
        small, large = min(sizes), max(sizes)
        print(f"growth {small} -> {large}: x{times[large] / times[small]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=Path, default=SEED_TEXT)
    parser.add_argument("--catalog", type=Path, default=SEED_CATALOG)
    parser.add_argument("--rules", type=Path, default=None)
    parser.add_argument("--scale", type=int, nargs="+", metavar="N")
    args = parser.parse_args()
    if args.scale:
        scale(args.scale, args.rules)
        return

    imported = read_markdown(args.seed).catalog
    labelled = read_catalog(args.catalog)
    rules = read_graph_rules(args.rules) if args.rules else read_graph_rules()
    scores = score_catalog(imported, read_rubric())
    assert not any(t.topic for t in imported.tasks), "the import gives no topics"
    start = time.perf_counter()
    clusters = find_overlaps(imported, scores, rules, topics=False)
    seconds = time.perf_counter() - start
    labels, unmatched = topic_labels(imported, labelled)
    result = agreement_with_labels(clusters, labels)

    print(f"{args.seed.name}: {len(imported)} tasks imported; labels: topics of {args.catalog}")
    print(f"unmatched by (issue, title): {', '.join(unmatched) or 'none'}")
    similarity = rules.overlaps
    print(
        f"similarity: Dice of subjects >= {similarity.threshold}, at least "
        f"{similarity.min_shared} shared words; detection {seconds * 1000:.1f} ms"
    )
    print(f"found: {FOUND_RULE}")
    print()
    print(f"clusters expected {len(result.expected)}, found {len(result.found)}")
    print(f"detected clusters {len(clusters)}")
    print(
        f"pairwise precision {result.precision:.3f} ({result.correct}/{result.joined}), "
        f"recall {result.recall:.3f} ({result.correct}/{result.labelled})"
    )
    print()
    print("missed:")
    for label, why in result.missed:
        print(f"  {label}: {why}")
    if not result.missed:
        print("  none")
    print("false joins:")
    for cluster, a, b in result.false_joins:
        print(f"  {cluster}: {a} ({labels.get(a)}) + {b} ({labels.get(b)})")
    if not result.false_joins:
        print("  none")
    print()
    print("detected clusters:")
    titles = {t.id: t.title for t in imported.tasks}
    for cluster in clusters:
        evidence = "; ".join(f"{kind} {value!r}" for kind, value, _ in cluster.evidence)
        print(f"  {cluster.id} [{evidence}]")
        for task in cluster.tasks:
            print(f"      {task:<28} {labels.get(task) or '-':<18} {titles[task]}")
    met = len(result.found) >= 9 and result.precision >= 0.9
    print()
    print(
        f"target (>= 9 of {len(result.expected)} found, precision >= 0.9): "
        f"{'met' if met else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
