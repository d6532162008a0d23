"""pip-audit over the pinned lock file, honest about what it could check.

``python scripts/pip_audit.py [requirements.lock]`` runs pip-audit on the
hashed lock without installing anything (``--disable-pip``) and asks PyPI's
JSON API for known vulnerabilities. Exit 1 when a pinned package has one.

A machine that reaches only a package mirror (no JSON API, no OSV) cannot
get vulnerability data: pip-audit then lists every package as "could not be
audited" and still exits 0. This script says so in one loud line instead of
passing silently; ``FOREWARN_AUDIT_STRICT=1`` turns that into a failure (for
a CI that does reach pypi.org).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def main(argv: list[str]) -> int:
    lock = Path(argv[1] if len(argv) > 1 else "requirements.lock")
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "audit.json"
        command = [
            sys.executable, "-m", "pip_audit", "--vulnerability-service", "pypi",
            "--disable-pip", "--require-hashes", "--progress-spinner", "off",
            "--format", "json", "--output", str(report), "-r", str(lock),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - our own argv
        if not report.exists():
            print(done.stderr.strip() or "pip-audit failed", file=sys.stderr)
            return done.returncode or 1
        data = json.loads(report.read_text(encoding="utf-8"))
    packages = data.get("dependencies", [])
    vulnerable = [p for p in packages if p.get("vulns")]
    skipped = [p for p in packages if p.get("skip_reason")]
    for package in vulnerable:
        for vuln in package["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
            print(f"{package['name']} {package['version']}: {vuln['id']} (fixed in {fixes})")
    audited = len(packages) - len(skipped)
    print(f"pip-audit: {audited} of {len(packages)} pinned packages audited, "
          f"{len(vulnerable)} with known vulnerabilities")
    if skipped:
        reason = skipped[0]["skip_reason"]
        print(f"WARNING: {len(skipped)} packages could not be audited (no vulnerability data "
              f"reachable from this machine?), e.g. {reason}", file=sys.stderr)
        if os.environ.get("FOREWARN_AUDIT_STRICT") == "1":
            return 1
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
