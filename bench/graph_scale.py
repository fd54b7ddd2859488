"""How the graph stages scale: synthetic catalogs of 100, 1,000 and 10,000 tasks.

Each catalog has about three edges per task: two declared dependencies on
earlier tasks and about one inferred by the rules (topics of four tasks mixing
designs and changes). Prints the time of each stage (best of --repeat runs), the
total, and the growth from 1k to 10k tasks (10.0 would be exactly linear).

    .venv/bin/python bench/graph_scale.py [--sizes 100 1000 10000] [--repeat 3]

Target: everything for 10,000 tasks in under 5 s on a 2-core machine, growth
close to linear. The transitive reduction is for drawing and is not timed here.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

from analysis.assess.graph import blocked_by, build_graph, critical_path, generations
from analysis.assess.overlaps import find_overlaps
from analysis.assess.scoring import score_catalog
from analysis.inputs.catalog_records import parse_catalog
from analysis.inputs.graph_rules import read_graph_rules
from analysis.inputs.rubric import read_rubric

ENVIRONMENTS = ["none", "dev", "verification", "staging", "production"]
WORDS = ["mesh", "helm", "slo", "gitops", "logging", "tracing", "registry", "backup", "ingress"]


def synthetic_catalog_data(n: int, seed: int = 7) -> dict:
    """A catalog of ``n`` tasks in the YAML shape, deterministic for a seed.

    Tasks come in topics of four, in the order the inference rules expect (a
    design, a template or document, a change in development, then a change
    anywhere), and declare dependencies only on earlier tasks: the graph is
    acyclic by construction.
    """
    rng = random.Random(seed)
    tasks = []
    for i in range(n):
        position = i % 4
        if position == 0:
            activity, environment = "design", "none"
        elif position == 1:
            activity, environment = rng.choice(["template", "document"]), "none"
        elif position == 2:
            activity = rng.choice(["configure", "implement", "deploy"])
            environment = rng.choice(["dev", "verification"])
        else:
            activity = rng.choice(["implement", "deploy", "experiment", "migrate"])
            environment = rng.choice(ENVIRONMENTS[1:])
        paper = environment == "none"
        deps = rng.sample(range(max(0, i - 50), i), min(i, 2)) if i else []
        word = rng.choice(WORDS)
        tasks.append(
            {
                "id": f"T{i:05d}",
                "issue": 1 + i % 20,
                "title": f"{word} {i} 設計" if paper else f"{word} {i} 実装",
                "activity": activity,
                "environment": environment,
                "touches": [rng.choice(["network", "data", "compute", "ci", "observability"])],
                "effort": round(rng.uniform(0.1, 4.0), 2),
                "depends_on": [f"T{d:05d}" for d in deps],
                "topic": f"topic-{i // 4}",
            }
        )
    return {"issues": [{"number": k} for k in range(1, 21)], "tasks": tasks}


def best_of(repeat: int, fn: Callable[[], object]) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def run(n: int, repeat: int) -> dict[str, float]:
    rubric, rules = read_rubric(), read_graph_rules()
    data = synthetic_catalog_data(n)
    times: dict[str, float] = {}
    times["load"], catalog = best_of(repeat, lambda: parse_catalog(data))
    times["scoring"], scores = best_of(repeat, lambda: score_catalog(catalog, rubric))
    times["overlaps"], clusters = best_of(repeat, lambda: find_overlaps(catalog, scores, rules))
    times["inference"], graph = best_of(
        repeat, lambda: build_graph(catalog, scores, rules, clusters)
    )
    excluded = [t.id for t in catalog if scores[t.id].level == "HIGH"]
    times["blocked-by"], blocked = best_of(repeat, lambda: blocked_by(graph, excluded))
    times["critical path"], (path, hours) = best_of(repeat, lambda: critical_path(graph))
    times["waves"], waves = best_of(repeat, lambda: generations(graph))
    times["graph total"] = sum(
        times[k] for k in ("overlaps", "inference", "blocked-by", "critical path", "waves")
    )
    print(
        f"{n:>6} tasks  {graph.number_of_edges():>6} edges "
        f"({graph.number_of_edges() / n:.1f}/task)  {len(clusters):>5} clusters  "
        f"{len(blocked):>5} blocked  path {len(path)} tasks / {hours:.1f} h  {len(waves)} waves"
    )
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results = {n: run(n, args.repeat) for n in args.sizes}
    stages = list(next(iter(results.values())))
    print()
    print(
        f"{'stage (s, best of ' + str(args.repeat) + ')':<26}"
        + "".join(f"{n:>12}" for n in results)
    )
    for stage in stages:
        print(f"{stage:<26}" + "".join(f"{results[n][stage]:>12.4f}" for n in results))
    if 1000 in results and 10000 in results:
        print()
        print("growth 1k -> 10k (10.0 = linear):")
        for stage in stages:
            small, large = results[1000][stage], results[10000][stage]
            print(f"  {stage:<24}{large / small:>8.1f}")
        total = results[10000]["graph total"]
        print(
            f"\n10,000 tasks, graph stages: {total:.2f} s (target < 5 s): "
            f"{'met' if total < 5 else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
