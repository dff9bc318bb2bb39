#!/usr/bin/env python
"""Audit the installed Python packages for known vulnerabilities (run through scripts/audit.sh).

    .venv/bin/python scripts/audit.py [--strict]

1. pip-audit over this environment, against PyPI's vulnerability data (the per-version JSON API).
2. A package pip-audit could not audit (the registry answered 404 for that version: a mirror that serves only
   project pages, or a local build such as torch's +cpu wheel) is checked against its project page, whose
   ``vulnerabilities`` are those of the latest release: that covers every package installed at its latest
   version. The rest are listed as not audited (with --strict they fail the run).
3. Every finding fails the run unless ACCEPTED below names it with the reason; docs/security-audit.md keeps the
   same list for readers. Exit status: 0 clean (or every finding accepted), 1 a finding, 2 unaudited with --strict.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from packaging.version import InvalidVersion, Version

PYPI_PROJECT = "https://pypi.org/pypi/{name}/json"
# Packages of this repository itself, never on PyPI.
OWN_PACKAGES = {"curbside"}
# vulnerability id -> why it does not affect Curbside (keep docs/security-audit.md in step).
ACCEPTED: dict[str, str] = {}


def run_pip_audit() -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "audit.json"
        result = subprocess.run(
            [sys.executable, "-m", "pip_audit", "--progress-spinner", "off", "--format", "json", "-o", str(out)],
            capture_output=True, text=True, timeout=900,
        )
        if not out.exists():
            sys.exit(f"pip-audit failed (exit {result.returncode}): {result.stderr.strip()[-2000:]}")
        return json.loads(out.read_text())["dependencies"]


def public(version: str) -> str:
    try:
        return Version(version).public
    except InvalidVersion:
        return version


def latest_release_vulnerabilities(name: str, version: str) -> tuple[list[dict] | None, str]:
    """The project's vulnerabilities when ``version`` is its latest release, else None and why not."""
    try:
        with urllib.request.urlopen(PYPI_PROJECT.format(name=name), timeout=30) as response:
            project = json.load(response)
    except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as error:
        return None, f"project page unreachable ({error})"
    latest = project.get("info", {}).get("version", "")
    if public(latest) != public(version):
        return None, f"installed {version}, latest {latest}: only the latest release's vulnerabilities are published"
    return [v for v in project.get("vulnerabilities") or [] if not v.get("withdrawn")], ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strict", action="store_true", help="fail when any package could not be audited")
    args = parser.parse_args()

    findings: list[tuple[str, str, dict]] = []
    unaudited: list[tuple[str, str, str]] = []
    dependencies = run_pip_audit()
    by_pip_audit = by_project_page = 0
    for dep in dependencies:
        name, version = dep["name"], dep.get("version", "")
        if name in OWN_PACKAGES:
            continue
        if "skip_reason" not in dep:
            by_pip_audit += 1
            findings += [(name, version, v) for v in dep.get("vulns", [])]
            continue
        if not version:  # pip-audit names no version when it could not read one
            version = dep["skip_reason"].rsplit("(", 1)[-1].rstrip(")")
        vulns, why_not = latest_release_vulnerabilities(name, version)
        if vulns is None:
            unaudited.append((name, version, why_not))
            continue
        by_project_page += 1
        findings += [(name, version, {"id": v.get("id"), "fix_versions": v.get("fixed_in", []),
                                      "aliases": v.get("aliases", [])})
                     for v in vulns]

    print(f"audited {by_pip_audit + by_project_page} packages ({by_pip_audit} by pip-audit, {by_project_page} "
          f"by their latest release's advisories); {len(unaudited)} not audited")
    unexplained = 0
    for name, version, vuln in findings:
        accepted = ACCEPTED.get(vuln["id"]) or next((ACCEPTED[a] for a in vuln.get("aliases", []) if a in ACCEPTED),
                                                     None)
        verdict = f"accepted: {accepted}" if accepted else "NOT ACCEPTED: upgrade, or explain it in ACCEPTED"
        unexplained += accepted is None
        print(f"{name} {version}: {vuln['id']} {' '.join(vuln.get('aliases', []))} "
              f"fixed in {', '.join(vuln.get('fix_versions', [])) or 'no release'} -- {verdict}")
    for name, version, why_not in unaudited:
        print(f"not audited: {name} {version} ({why_not})")
    if unexplained:
        sys.exit(1)
    if args.strict and unaudited:
        sys.exit(2)
    print("no unexplained vulnerabilities")


if __name__ == "__main__":
    main()
