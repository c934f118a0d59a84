"""``make install-check``: ``pip install .`` and ``pip install -e .`` into a fresh venv, then use them.

Checks, for each install, from a folder outside the repository: ``durable_agents`` imports from where the
install put it (site-packages, or ``shared/`` for ``-e``), its dependencies came along (the API module
imports), ``py.typed`` and the package data are there and read (the gazetteer's airports table, the chat
page's files). Exit status 0 when both installs passed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

USE = r"""
import importlib.resources, json, sys
import durable_agents, durable_agents.api.app
from durable_agents.llm.gazetteer import gazetteer
package = importlib.resources.files("durable_agents")
files = ["py.typed", "llm/airports.tsv", "web/index.html", "web/app.js", "web/style.css"]
missing = [name for name in files if not package.joinpath(name).is_file()]
paris = gazetteer().lookup("Paris")
found = {"file": durable_agents.__file__, "missing": missing, "paris": paris.iata if paris else None}
print(json.dumps(found))
"""


def check(python: Path, expect_under: Path, cwd: Path) -> list[str]:
    completed = subprocess.run([str(python), "-c", USE], capture_output=True, text=True, cwd=cwd)
    if completed.returncode != 0:
        return [f"import failed: {completed.stderr[-1500:]}"]
    outcome = json.loads(completed.stdout.splitlines()[-1])
    problems = [f"missing package data: {outcome['missing']}"] if outcome["missing"] else []
    if not Path(outcome["file"]).resolve().is_relative_to(expect_under.resolve()):
        problems.append(f"durable_agents imported from {outcome['file']}, not under {expect_under}")
    if outcome["paris"] is None:
        problems.append("the gazetteer found no Paris (airports.tsv not read)")
    return problems


def main() -> int:
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        venv, outside = Path(scratch) / "venv", Path(scratch)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        python = venv / "bin" / "python"
        site = Path(
            subprocess.check_output(
                [str(python), "-c", "import site; print(site.getsitepackages()[0])"], text=True
            ).strip()
        )
        for label, arguments, expect_under in [
            ("pip install .", [str(ROOT)], site),
            ("pip install -e .", ["-e", str(ROOT)], ROOT / "shared"),
        ]:
            started = time.monotonic()
            install = subprocess.run(
                [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *arguments],
                capture_output=True,
                text=True,
            )
            found = (
                [f"install failed: {install.stderr[-1500:]}"]
                if install.returncode
                else check(python, expect_under, outside)
            )
            print(f"  {'FAIL' if found else 'ok  '} {label} ({time.monotonic() - started:.1f} s)")
            problems += [f"{label}: {problem}" for problem in found]
    for problem in problems:
        print(f"       {problem}")
    print(f"install check: {'FAILED' if problems else 'passed'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
