"""Test infrastructure shared by the whole suite: a throwaway PostgreSQL cluster, a live
ASGI server and a headless Chromium. tests/conftest.py registers the fixtures as plugins."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
INSTALL_SYSTEM_DEPS = REPO_ROOT / "scripts" / "install-system-deps.sh"
