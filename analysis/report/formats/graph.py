"""Graph facts as text: a table, JSON, or Graphviz DOT (levels coloured, inferred edges dashed)."""

from __future__ import annotations

import itertools
import json
from typing import Any

from analysis.assess.graph import GraphFacts, dropped_data, reduce_for_drawing
from analysis.model import Catalog
from analysis.report.formats.text import _LINE_BREAK, clock, finding_data, format_table, one_line
from analysis.vocabulary import LEVEL_COLOURS

__all__ = [
    "graph_to_data",
    "graph_to_dot",
    "format_graph",
]

_LEVEL_FILLS = {"LOW": "#e8f5e9", "MEDIUM": "#fff8e1", "HIGH": "#ffebee"}


def graph_to_data(facts: GraphFacts, catalog: Catalog) -> dict[str, Any]:
    """The graph facts as plain data: nodes, edges, clusters, blocked chains, critical path."""
    graph = facts.graph
    wave = {task: i for i, group in enumerate(facts.generations, start=1) for task in group}
    return {
        "catalog": {"name": catalog.name, "title": catalog.title, "tasks": len(catalog)},
        "rules": list(graph.graph.get("rules", ())),
        "nodes": [
            {
                "id": node,
                "issue": data["issue"],
                "title": data["title"],
                "risk": data["level"],
                "activity": data["activity"],
                "environment": data["environment"],
                "status": data["status"],
                "hours": data["hours"],
                "wave": wave[node],
            }
            for node, data in graph.nodes(data=True)
        ],
        "edges": [
            {"before": u, "after": v, "provenance": provenance, "rules": list(rules)}
            for u, v, provenance, rules in facts.edges()
        ],
        # Inferred edges left out because they would close a cycle.
        "dropped": [dropped_data(edge) for edge in graph.graph.get("dropped", ())],
        "clusters": [
            {
                "id": c.id,
                "tasks": list(c.tasks),
                "issues": list(c.issues),
                "evidence": [
                    {"kind": kind, "value": value, "tasks": list(tasks)}
                    for kind, value, tasks in c.evidence
                ],
                "duplicates": [
                    {
                        "tasks": list(d.tasks),
                        "activity": d.activity,
                        "environment": d.environment,
                        "levels": list(d.levels),
                        "declared_levels": list(d.declared),
                        "title": d.title,
                        "mergeable": d.mergeable,
                    }
                    for d in c.duplicates
                ],
                "related": list(c.related),
                "levels": list(c.levels),
                "declared_levels": list(c.declared_levels),
                "environments": list(c.environments),
                "mixed": c.mixed,
                "differs": list(c.differs),
            }
            for c in facts.clusters
        ],
        "excluded": list(facts.excluded),
        "blocked": [{"id": task, "chain": list(chain)} for task, chain in facts.blocked.items()],
        "critical_path": {"tasks": list(facts.critical_path), "hours": facts.critical_hours},
        "generations": [list(group) for group in facts.generations],
        "findings": [finding_data(f) for f in facts.findings()],
    }


def _dot_quote(text: str) -> str:
    r"""A DOT string that Graphviz shows verbatim (it reads ``\`` escapes and HTML entities).

    >>> print(_dot_quote('Tom &amp; "Jerry" C:\\new\nnext'))
    "Tom &amp;amp; \"Jerry\" C:\\new\nnext"
    """
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")
    return '"' + _LINE_BREAK.sub("\\\\n", text) + '"'


def graph_to_dot(facts: GraphFacts, catalog: Catalog) -> str:
    """Graphviz DOT of the transitive reduction: nodes coloured by level, clusters boxed.

    Inferred edges are dashed and labelled with their rule; the critical path is
    bold; excluded tasks have a double border and blocked ones a dotted one.
    """
    graph = reduce_for_drawing(facts.graph)
    on_path = set(itertools.pairwise(facts.critical_path))
    excluded, blocked = set(facts.excluded), set(facts.blocked)
    lines = [
        f"digraph {_dot_quote(catalog.name)} {{",
        '  graph [rankdir=LR, fontname="sans-serif"];',
        '  node [shape=box, style="rounded,filled", fontname="sans-serif"];',
        '  edge [fontname="sans-serif", fontsize=9];',
    ]

    def node_line(node: str) -> str:
        data = graph.nodes[node]
        level = data["level"]
        style = "rounded,filled" + (",dotted" if node in blocked else "")
        extra = ", peripheries=2" if node in excluded else ""
        label = f"{node} [{level}]\n{data['title']}"
        fill, colour = _LEVEL_FILLS[level], LEVEL_COLOURS[level]
        return (
            f'    {_dot_quote(node)} [label={_dot_quote(label)}, fillcolor="{fill}", '
            f'color="{colour}", style="{style}"{extra}];'
        )

    clustered: set[str] = set()
    for cluster in facts.clusters:
        evidence = "; ".join(f"{kind} {value}" for kind, value, _ in cluster.evidence)
        lines.append(f"  subgraph {_dot_quote('cluster_' + cluster.id)} {{")
        lines.append(f"    label={_dot_quote(f'{cluster.id}: {evidence}')}; style=dashed;")
        lines += [node_line(node) for node in cluster.tasks]
        lines.append("  }")
        clustered.update(cluster.tasks)
    lines += [node_line(node)[2:] for node in graph.nodes if node not in clustered]
    for u, v, data in graph.edges(data=True):
        attrs = []
        if data["provenance"] == "inferred":
            attrs += ["style=dashed", f"label={_dot_quote(', '.join(data['rules']))}"]
        if (u, v) in on_path:
            attrs.append("penwidth=2.5")
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f"  {_dot_quote(u)} -> {_dot_quote(v)}{suffix};")
    lines.append("}")
    return "\n".join(lines)


def format_graph(facts: GraphFacts, catalog: Catalog, fmt: str) -> str:
    """The graph facts as ``table``, ``json`` or ``dot`` text."""
    if fmt == "json":
        return json.dumps(graph_to_data(facts, catalog), ensure_ascii=False, indent=2)
    if fmt == "dot":
        return graph_to_dot(facts, catalog)
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r} (table, json or dot)")
    graph = facts.graph
    edges = facts.edges()
    declared = sum(e[2] == "declared" for e in edges)
    dropped = graph.graph.get("dropped", ())
    wave = {task: i for i, group in enumerate(facts.generations, start=1) for task in group}
    parts = [
        f"{one_line(catalog.title or catalog.name)}: {len(catalog)} tasks, {len(edges)} edges "
        f"({declared} declared, {len(edges) - declared} inferred by "
        f"{', '.join(graph.graph.get('rules', ())) or 'no rule'}), {len(facts.clusters)} "
        f"overlap clusters, {len(facts.generations)} waves",
        "",
        format_table(
            ["id", "issue", "risk", "wave", "hours", "title"],
            [
                [n, f"#{d['issue']}", d["level"], wave[n], clock(d["hours"]), d["title"]]
                for n, d in graph.nodes(data=True)
            ],
        ),
        "",
        "Edges (before -> after):",
        format_table(
            ["before", "after", "provenance", "rules"],
            [[u, v, p, ", ".join(r)] for u, v, p, r in edges],
        )
        if edges
        else "  none",
        "",
        f"Inferred edges dropped, as they would close a cycle ({len(dropped)}):",
        format_table(
            ["before", "after", "rules", "would close a cycle with"],
            [
                [
                    d.before,
                    d.after,
                    ", ".join(d.rules),
                    " -> ".join([d.path[0][0], *(link[1] for link in d.path)]),
                ]
                for d in dropped
            ],
        )
        if dropped
        else "  none",
        "",
        "Overlap clusters:",
        format_table(
            ["cluster", "tasks", "duplicates", "evidence"],
            [
                [
                    c.id,
                    ", ".join(c.tasks),
                    "; ".join(
                        ", ".join(d.tasks) + ("" if d.mergeable else " (never merged)")
                        for d in c.duplicates
                    )
                    or "-",
                    "; ".join(f"{kind} {value!r}" for kind, value, _ in c.evidence),
                ]
                for c in facts.clusters
            ],
        )
        if facts.clusters
        else "  none",
        "",
        f"Blocked ({len(facts.blocked)}; excluded: {', '.join(facts.excluded) or 'none'}):",
    ]
    parts += [f"  {task}: {' -> '.join(chain)}" for task, chain in facts.blocked.items()] or [
        "  none"
    ]
    path = " -> ".join(facts.critical_path) or "none"
    parts += ["", f"Critical path ({facts.critical_hours:g} h): {path}", ""]
    findings = facts.findings()
    parts.append(f"Findings ({len(findings)}):")
    parts += [f"  [{f.kind}] {one_line(f.message)}" for f in findings] or ["  none"]
    return "\n".join(parts)
