#!/usr/bin/env bash
# Audit the project's installed Python packages for known vulnerabilities (pip-audit, see scripts/audit.py).
# Findings and why each is acceptable: docs/security-audit.md. Pass --strict to fail when a package could not be audited.
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exec "$repo_root/.venv/bin/python" "$repo_root/scripts/audit.py" "$@"
