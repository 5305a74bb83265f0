"""Shared test set-up.

The suite is split as the package is layered: ``tests/unit/<package>/`` tests one module of
``src/pressup/<package>/`` with synthetic data; ``tests/integration/`` tests flows across
packages (the CLI, the web app, the browser, the corpus). Helpers shared by several test
modules live in ``tests/support/``.
"""
