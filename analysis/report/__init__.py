"""Reporting: results as text, tables, charts and the weekly HTML report.

- ``formats``: tables, JSON, CSV and DOT for the terminal and scripts
- ``markdown``: audits and plans as GitHub comments
- ``frames``, ``figures``, ``chart_style``: pandas tables and plotly charts of results
  (``dependency_chart``: the dependency graph, each task's name where it can be read)
- ``tables``: those tables as HTML made for reading (units, levels, nothing cut short)
- ``overview``: the report's first screen: what to do, what is left out, what changed
- ``limits``: what a report lists and draws of a large catalog (rows, issues, tasks)
- ``history``: weekly snapshots in SQLite, and what changed
- ``notebook``, ``offline_html``, ``render``, ``batch``: the report notebook run and
  converted to a page that opens offline, one catalog or a folder of them
- ``handover``: the notebook's side of a report: the inputs it is handed (``prepared``:
  what the command hands over), assessed; the plan and snapshots it writes
- ``ahead``: the report's kernel launched before ``assess report`` parses its options
- ``publish``: a week's files published as one set, and put right after a kill
"""
