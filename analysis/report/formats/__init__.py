"""Results as text, one module per result.

- ``text``: aligned terminal tables, one-line cells, markdown tables
- ``audit``, ``graph`` (with Graphviz DOT), ``plan`` (with CSV), ``compare``,
  ``imported``, ``sweep``: each result as a table, JSON, and where it fits markdown
"""
