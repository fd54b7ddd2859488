"""Planning: the best safe selection, why the rest is left out, and when the work runs.

- ``results``: what planning returns (no solver behind it: figures read these)
- ``units``, ``selection_model``, ``lanes``, ``greedy``, ``reasons``, ``selection``: the selection
- ``plan_check``: a hand-made plan checked against its own limits
- ``jobs``, ``schedule_bounds``, ``schedule_heuristics``, ``scheduling``, ``timeline``, ``risk``:
  the schedule
- ``budget``: one deterministic work budget per command, shared by its solves; progress
- ``scenarios``: a scenario assessed end to end; two compared
- ``sweeps``, ``sweep_results``, ``frontier``: many what-ifs, their saved table, the frontier
- ``psplib``: the PSPLIB benchmark's instances for the scheduling engine

OR-Tools is imported only by ``selection_model`` and ``scheduling``.
"""
