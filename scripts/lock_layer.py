"""Pin the Lambda layer's dependencies: write shared/requirements.txt from pyproject.toml (``make lock``).

The layer ships the project's dependencies with the ``tracing`` extra (the Powertools Tracer's X-Ray SDK,
which brings botocore, so boto3 comes pinned beside it: one SDK, the one the deploy check ran), resolved
by pip for Lambda's platform (Python 3.13, manylinux arm64, wheels only). ``sam build`` reads the result
as it is, and so does the deploy check: every build installs exactly these versions.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "shared" / "requirements.txt"
PLATFORM = ("--platform", "manylinux2014_aarch64", "--python-version", "3.13", "--implementation", "cp")
HEADER = """\
# The Lambda layer's dependencies, pinned: written by `make lock` (scripts/lock_layer.py) from pyproject.toml
# (its dependencies and the tracing extra) for Python 3.13 on arm64. Do not edit: change pyproject.toml and
# run `make lock`. sam build installs exactly these; so does the deploy check (make deploy-check).
"""


def requirements() -> list[str]:
    """pyproject.toml's dependencies plus its ``tracing`` extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [*project["dependencies"], *project["optional-dependencies"]["tracing"]]


def resolve(wanted: list[str]) -> dict[str, str]:
    """``{name: version}`` of everything pip would install for ``wanted`` on Lambda's platform."""
    with tempfile.TemporaryDirectory() as target:
        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--dry-run", "--ignore-installed"]
        command = [*pip, "--report", "-", "--only-binary=:all:", *PLATFORM, "--target", target, *wanted]
        report = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    installs = json.loads(report)["install"]
    return {normalized(item["metadata"]["name"]): item["metadata"]["version"] for item in installs}


def normalized(name: str) -> str:
    """A distribution name as PEP 503 compares them: ``Typing_Extensions`` -> ``typing-extensions``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def main() -> None:
    pins = resolve(requirements())
    LOCK.write_text(HEADER + "".join(f"{name}=={version}\n" for name, version in sorted(pins.items())))
    print(f"{LOCK.relative_to(ROOT)}: {len(pins)} pinned")


if __name__ == "__main__":
    main()
