"""The ``convviz`` command line (``app.cli:main``, the console entry point).

``main`` parses the arguments and dispatches: ``serve`` starts the web application; ``shape``, ``rf`` and
``solve`` (:mod:`app.cli.commands`) and ``summary`` (:mod:`app.cli.summary`) print the REST API's answers as
tables (:mod:`app.cli.tables`), or as the same JSON with ``--json``.
"""

from app.cli.main import main

__all__ = ["main"]
