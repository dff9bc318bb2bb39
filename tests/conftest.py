"""Root conftest: the shared fixtures live in tests/support/ (see its modules' docstrings)."""

from __future__ import annotations

import sys
from pathlib import Path

# Make `support` importable whatever pytest's import mode (tests/ is not a package, and
# site-packages already has an unrelated top-level `tests`).
_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)

# Fixtures: postgres_url, fresh_postgres_url, postgres_server, chromium_browser, page, test_output_dir, fast_index,
# llm_server.
pytest_plugins = ["support.postgres", "support.browser", "support.webapp", "support.deployment", "support.llm_server"]
