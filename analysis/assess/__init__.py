"""Assessing a catalog: levels with reasons, safety gates, the dependency graph, the audit.

- ``scoring``: a rubric turns each task's facts into a level, with every reason
- ``gates``: execution criteria checked against tasks and plans
- ``outcomes``: the outcome areas a selection advances
- ``overlaps``, ``graph``: duplicates and related work, dependencies, blocked-by, critical path
- ``claims``: a document's claims ("N of M safe", total effort) and the scales of its levels
- ``audit``: counts and findings, where a catalog disagrees with itself
"""
