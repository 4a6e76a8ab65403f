#!/usr/bin/env python3
"""Set-up and main jobs on a fresh machine that has only python3.

    python3 tasks.py reproduce [extra `neurosparse reproduce` options]
        create .venv, install neurosparse with all extras, regenerate every registered
        study's figure in quick mode under out/ (default: --all --quick --out out)
    python3 tasks.py test [extra pytest options]
        create .venv, install neurosparse with all extras and the test tools, run pytest

The install is skipped when pyproject.toml has not changed since the last one (a stamp
in .venv records its hash). torch is pinned to 2.13.0, the CPU build these machines
install from a local wheel (an unpinned torch would pull several GB of CUDA packages).
Set NEUROSPARSE_VENV to use another environment folder.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("NEUROSPARSE_VENV", ROOT / ".venv"))
TORCH = "torch==2.13.0"


def _bin(name: str) -> Path:
    sub = "Scripts" if os.name == "nt" else "bin"
    return VENV / sub / name


def _run(cmd: list[str | Path]) -> int:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.call([str(c) for c in cmd], cwd=ROOT)


def ensure_env() -> None:
    """Create the virtual environment and install the package (idempotent)."""
    if not _bin("python").exists():
        print(f"creating virtual environment {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=False).create(VENV)
    stamp = VENV / ".neurosparse-install"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + TORCH.encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    pip = [_bin("python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    if _run([*pip, "--upgrade", "pip"]) != 0:
        sys.exit("tasks.py: could not upgrade pip in the virtual environment")
    if _run([*pip, TORCH, "-e", ".[all,test]"]) != 0:
        sys.exit("tasks.py: installing neurosparse failed (see pip's message above)")
    stamp.write_text(digest)


def reproduce(args: list[str]) -> int:
    ensure_env()
    args = args or ["--all", "--quick", "--out", "out"]
    return _run([_bin("neurosparse"), "reproduce", *args])


def test(args: list[str]) -> int:
    ensure_env()
    code = _run([_bin("python"), "-m", "pytest", *args])
    if code == 5:
        print(
            "tasks.py: pytest collected no tests -- treating that as a failure",
            file=sys.stderr,
        )
    return code


def main(argv: list[str]) -> int:
    jobs = {"reproduce": reproduce, "test": test}
    if not argv or argv[0] not in jobs:
        print("usage: python3 tasks.py {reproduce|test} [options]", file=sys.stderr)
        return 2
    return jobs[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
