"""Reading inputs: every file the suite reads, parsed into validated records.

- ``records``: YAML with line numbers, and field checks that name file, line and field
- ``catalog``, ``catalog_records``, ``catalog_csv``: task catalogs (YAML, CSV)
- ``rubric``, ``gate_rules``, ``graph_rules``: the rules as data
- ``bundle``: the catalog, rubric, rules and gates of one run, with the bundled defaults
- ``scenario``, ``sweep``: what a plan must respect, and what-ifs to vary
- ``markdown``, ``import_words``, ``agreement``: assessments written as markdown

Modules here import only :mod:`analysis.model`, :mod:`analysis.errors`,
:mod:`analysis.files` and :mod:`analysis.resources`.
"""
