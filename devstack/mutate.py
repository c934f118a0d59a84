"""``python -m devstack.mutate`` (``make mutate``): deliberate bugs in the runtime, and which test kills each.

A mutant is one textual replacement in one file of ``shared/durable_agents/runtime/``. Each is applied to
a fresh copy of the repository (never to the work tree), the runtime tests are run against that copy
(``pytest -x``: the first failure kills it), and the result is printed as a table: *killed by* the first
test that failed, or *SURVIVED*. The unmutated copy is run first: a suite that fails on its own kills
every mutant and proves nothing, so then the run stops.

Why a list and not mutmut or cosmic-ray: both mutate every operator of every line (several hundred
mutants in ``runtime/``), and one run of the runtime tests takes about two minutes on this 2-core
machine (its 16 x 50 contention test alone 40 s), so a full run would take hours. The list below is
the bugs that matter: the ten kinds of issue 13 and their equivalents in the current layout, each
aimed at one check the lease, commit and release paths (or the layout) rely on.

Every mutant's ``old`` text must occur exactly once in its file (checked before anything runs), so a
mutant whose target code moved fails loudly instead of silently testing nothing.

Exit status: 1 when a mutant of the lease, commit or release paths survived (or the baseline failed),
else 0; survivors elsewhere are printed and reported in ``.bench/mutants.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = Path("shared/durable_agents/runtime")
CRITICAL = frozenset({"lease", "commit", "release"})
"""Paths in which no mutant may survive."""

TESTS = (
    "tests/test_runtime_commit_outcomes.py",
    "tests/test_runtime_lease_after_waiting.py",
    "tests/test_runtime_joined_and_keyed_calls.py",
    "tests/test_runtime_guards.py",
    "tests/test_runtime_storage.py",
    "tests/test_runtime_layout.py",
    "tests/test_runtime_host_and_reaper.py",
    "tests/test_runtime_concurrency.py",
    "tests/test_faults.py",
    "tests/test_alarms.py",
)
"""The runtime tests, the quick and pointed ones first (with ``-x`` a killed mutant stops early)."""
IGNORED = shutil.ignore_patterns(
    ".git",
    ".venv*",
    ".bench",
    ".devstack",
    ".aws-sam",
    ".deploy-check",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    "*.egg-info",
    "build",
)


@dataclass(frozen=True)
class Mutant:
    """One deliberate bug: ``old`` replaced by ``new`` in ``file`` (relative to ``runtime/``)."""

    name: str
    path: str
    """Which part of the runtime it breaks: lease, commit, release, idempotency, layout, read-only, join,
    alarm."""
    what: str
    file: str
    old: str
    new: str


MUTANTS: tuple[Mutant, ...] = (
    # --- issue 13's five survivors -------------------------------------------------------------------
    Mutant(
        "close-without-fence",
        "commit",
        "the commit's (and release's) condition without the fence check",
        "table.py",
        '"ConditionExpression": "#owner = :owner AND fence = :fence",\n'
        '            "ExpressionAttributeNames"',
        '"ConditionExpression": "#owner = :owner",\n            "ExpressionAttributeNames"',
    ),
    Mutant(
        "fence-not-incremented",
        "lease",
        "the fence never incremented on acquire",
        "table.py",
        '":one": _n(1),',
        '":one": _n(0),',
    ),
    Mutant(
        "lease-end-inclusive",
        "lease",
        "`lease_until < :now` turned into `<=` (a lease taken in its last ms)",
        "table.py",
        '"attribute_not_exists(#owner) OR lease_until < :now"',
        '"attribute_not_exists(#owner) OR lease_until <= :now"',
    ),
    Mutant(
        "release-hides-lost-lease",
        "release",
        "`release` never reporting a lost lease",
        "table.py",
        'self._recognise(close, error.response.get("Item"), "released")',
        "return",
    ),
    Mutant(
        "other-cancellation-swallowed",
        "commit",
        "a transaction cancelled for a reason other than a failed condition swallowed as success",
        "table.py",
        "                    ) from error\n                raise\n",
        "                    ) from error\n                return\n",
    ),
    # --- the rest of issue 13's ten ---------------------------------------------------------------------
    Mutant(
        "acquire-trusts-any-old-owner",
        "lease",
        "a failed acquire taken as this request's own earlier attempt",
        "table.py",
        'if _str(old.get("owner")) == owner:',
        'if old.get("owner") is not None:',
    ),
    Mutant(
        "extend-without-fence",
        "lease",
        "extending a lease without the owner and fence check",
        "table.py",
        'UpdateExpression="SET lease_until = :until",\n'
        '                ConditionExpression="#owner = :owner AND fence = :fence",',
        'UpdateExpression="SET lease_until = :until",\n'
        '                ConditionExpression="attribute_exists(fence) OR #owner = :owner OR fence = :fence",',
    ),
    Mutant(
        "close-keeps-owner",
        "release",
        "a commit or release that leaves the owner in place (the lease never given back)",
        "table.py",
        'removes = ["#owner", "lease_until"]',
        'removes = ["lease_until"]',
    ),
    Mutant(
        "failed-turn-keeps-lease",
        "release",
        "a turn that raised keeps its lease (no release)",
        "turn.py",
        "            everyone = turn.all_held()\n"
        "            _release_all(self.table, everyone)\n"
        "            for one in everyone:\n",
        "            everyone = turn.all_held()\n            for one in everyone:\n",
    ),
    Mutant(
        "commit-lease-lost-as-success",
        "commit",
        "a commit whose lease was taken over reported as applied",
        "table.py",
        "        if closer == close.fence:\n            return\n",
        "        if closer is not None:\n            return\n",
    ),
    Mutant(
        "transient-not-retried",
        "commit",
        "a transient cancellation (TransactionConflict) not retried",
        "table.py",
        "if attempt + 1 < COMMIT_ATTEMPTS:",
        "if attempt + 1 < 1:",
    ),
    # --- the new layout ------------------------------------------------------------------------------------
    Mutant(
        "transaction-lease-failure-unrecognised",
        "commit",
        "a transaction whose close failed its condition not recognised as a lost lease",
        "table.py",
        'if "ConditionalCheckFailed" in codes[: len(commit.closes)]:',
        'if "ConditionalCheckFailed" in codes[:0]:',
    ),
    Mutant(
        "commit-without-old-item",
        "commit",
        "a failed commit judged without the item as it stands (a lost response taken for LeaseLost)",
        "table.py",
        'ReturnValuesOnConditionCheckFailure="ALL_OLD"\n'
        "                )\n"
        "            except self.client.exceptions.ConditionalCheckFailedException as error:\n"
        '                self._recognise(close, error.response.get("Item"), "committed")',
        'ReturnValuesOnConditionCheckFailure="NONE"\n'
        "                )\n"
        "            except self.client.exceptions.ConditionalCheckFailedException as error:\n"
        '                self._recognise(close, error.response.get("Item"), "committed")',
    ),
    Mutant(
        "slack-log-ignored",
        "commit",
        "closed_by: the slack log ignored (fence = version)",
        "table.py",
        "    return version + slack\n",
        "    return version\n",
    ),
    Mutant(
        "slack-log-never-written",
        "commit",
        "a close that changes the slack does not log it",
        "table.py",
        "        if after == before:\n            return None\n",
        "        if after == before or True:\n            return None\n",
    ),
    Mutant(
        "slack-log-trimmed-short",
        "commit",
        "the slack log keeps 2 entries, not SLACK_LOG_ENTRIES",
        "table.py",
        "[-SLACK_LOG_ENTRIES:]",
        "[-2:]",
    ),
    Mutant(
        "outcome-unknown-as-lease-lost",
        "commit",
        "a lost commit whose outcome can no longer be told reported as LeaseLost (not CommitOutcomeUnknown)",
        "table.py",
        "if log and log[0][0] > version and len(log) >= SLACK_LOG_ENTRIES:",
        "if False:",
    ),
    Mutant(
        "state-budget-4kb",
        "layout",
        "the STATE item's budget raised from 1 KB to 4 KB",
        "table.py",
        "STATE_ITEM_BYTES = 1024\n",
        "STATE_ITEM_BYTES = 4096\n",
    ),
    Mutant(
        "hot-set-never-evicted",
        "layout",
        "the hot set never moves its oldest values out",
        "storage.py",
        "while hot and close(hot, [], paged).held_size(now) > HOT_SET_BYTES:",
        "while False:",
    ),
    Mutant(
        "key-filter-forgets-owned-key",
        "layout",
        "the key filter says 'no' for a key that has an item",
        "storage.py",
        "            owned.add([key])\n",
        "            pass\n",
    ),
    Mutant(
        "key-filter-wrong-bit",
        "layout",
        "the key filter sets other bits than it tests ('no' for 'maybe')",
        "keyfilter.py",
        "self._bits[p // 8] |= 1 << (p % 8)",
        "self._bits[p // 8] |= 1 << ((p + 1) % 8)",
    ),
    Mutant(
        "record-unconditional",
        "idempotency",
        "the idempotency record's condition always true",
        "table.py",
        '"attribute_not_exists(sk) OR expires_at < :now_s"',
        '"attribute_not_exists(sk) OR attribute_exists(sk) OR expires_at < :now_s"',
    ),
    Mutant(
        "fingerprint-unchecked",
        "idempotency",
        "a reused key with another request replayed, not refused",
        "turn.py",
        "if record.fingerprint != self.fingerprint:",
        "if False:",
    ),
    Mutant(
        "record-never-expires",
        "idempotency",
        "an expired idempotency record still honoured",
        "table.py",
        'if item is None or _num(item.get("expires_at")) < clock.now_s():',
        "if item is None:",
    ),
    Mutant(
        "record-not-read-on-acquire",
        "idempotency",
        "the record read beside the acquire ignored",
        "turn.py",
        "            if record is not None:\n                _release_all(self.table, [held])",
        "            if record is not None and False:\n                _release_all(self.table, [held])",
    ),
    Mutant(
        "joined-close-dropped",
        "join",
        "a joined participant's close (and writes) left out of the commit",
        "turn.py",
        "            with turn.lock:\n                turn.joined[self.pk] = held\n",
        "            pass\n",
    ),
    Mutant(
        "joined-writes-released",
        "join",
        "a joined participant that wrote is released, its writes dropped",
        "turn.py",
        "if not held.storage.dirty and not held.records:\n            self.table.release(",
        "if True:\n            self.table.release(",
    ),
    Mutant(
        "read-only-unvalidated",
        "read-only",
        "a read-only turn trusts its reads (the version check skipped)",
        "turn.py",
        "if storage.read_version <= snapshot.ver and self.table.peek(self.pk).ver == snapshot.ver:",
        "if True:",
    ),
    Mutant(
        "page-overwrites-longer",
        "commit",
        "a late page write replaces a longer page (pre-put condition)",
        "table.py",
        '"attribute_not_exists(sk) OR size(e) <= :n"',
        '"attribute_not_exists(sk) OR size(e) >= :n"',
    ),
    Mutant(
        "transaction-size-unchecked",
        "commit",
        "the 4 MB transaction limit not enforced before sending",
        "table.py",
        "    if total > MAX_TRANSACTION_BYTES:\n",
        "    if total > 4 * MAX_TRANSACTION_BYTES:\n",
    ),
    Mutant(
        "acquire-sets-no-ttl",
        "lease",
        "the acquire sets no TTL (a failed first turn never expires)",
        "table.py",
        '"expires_at = if_not_exists(expires_at, :exp) "',
        '"lease_exp = if_not_exists(lease_exp, :exp) "',
    ),
    Mutant(
        "alarm-never-yields",
        "alarm",
        "an alarm turn waits the whole budget for an object a chat turn holds (lock-order inversion)",
        "turn.py",
        "            budget = min(budget, BACKGROUND_WAIT_SECONDS)",
        "            budget = max(budget, BACKGROUND_WAIT_SECONDS)",
    ),
    Mutant(
        "alarm-yield-counted-as-failure",
        "alarm",
        "an alarm that yielded to a busy object counted as a failed try",
        "turn.py",
        "storage._set_alarm(now + deferral_ms(), retry)",
        "storage._set_alarm(now + deferral_ms(), retry + 1)",
    ),
    Mutant(
        "commit-never-rewrites-state",
        "commit",
        "a commit's close keeps the old hot set (writes lost)",
        "table.py",
        '                    values[f":{name}"] = _string_list(parts)\n'
        '                    sets.append(f"{name} = :{name}")\n',
        '                    values[f":{name}"] = _string_list(parts)\n'
        '                    sets.append(f"{name} = if_not_exists({name}, :{name})")\n',
    ),
)


@dataclass
class Result:
    name: str
    path: str
    what: str
    outcome: str
    """``killed``, ``SURVIVED``, or ``timeout`` (a hang counts as killed: the suite did not pass)."""
    killed_by: str | None
    seconds: float


def check(mutants: tuple[Mutant, ...]) -> None:
    """Every mutant's text occurs exactly once in its file (before anything runs)."""
    problems = []
    for mutant in mutants:
        text = (ROOT / RUNTIME / mutant.file).read_text()
        count = text.count(mutant.old)
        if count != 1:
            problems.append(f"{mutant.name}: its text occurs {count} times in {mutant.file}")
    if len({m.name for m in mutants}) != len(mutants):
        problems.append("mutant names are not unique")
    if problems:
        raise SystemExit("mutants out of date:\n  " + "\n  ".join(problems))


def copy_tree(into: Path) -> Path:
    target = into / "repo"
    shutil.copytree(ROOT, target, ignore=IGNORED, symlinks=True)
    return target


def run_tests(repo: Path, timeout: float) -> tuple[str, str | None]:
    """(``passed`` | ``failed`` | ``timeout``, the first failing test) of the runtime tests in ``repo``."""
    tests = list(TESTS)
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BINDING_", "PYTHONPATH"))}
    environ["PYTHONDONTWRITEBYTECODE"] = "1"
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
            cwd=repo,
            env=environ,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return "timeout", None
    if completed.returncode == 0:
        return "passed", None
    failed = re.search(r"^(?:FAILED|ERROR) (\S+)", completed.stdout, re.MULTILINE)
    return "failed", failed.group(1) if failed else f"pytest exit {completed.returncode}"


def run_mutant(mutant: Mutant, timeout: float) -> Result:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"mutant-{mutant.name}-") as tmp:
        repo = copy_tree(Path(tmp))
        path = repo / RUNTIME / mutant.file
        path.write_text(path.read_text().replace(mutant.old, mutant.new, 1))
        outcome, test = run_tests(repo, timeout)
    label = {"passed": "SURVIVED", "failed": "killed", "timeout": "timeout"}[outcome]
    return Result(mutant.name, mutant.path, mutant.what, label, test, round(time.monotonic() - started, 1))


def table(results: list[Result]) -> str:
    lines = ["| mutant | path | what it breaks | outcome | killed by | s |", "|---|---|---|---|---|---|"]
    for r in results:
        lines.append(
            f"| `{r.name}` | {r.path} | {r.what} | {r.outcome} | {r.killed_by or ''} | {r.seconds:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.mutate", description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="run only these mutants (default: all)")
    parser.add_argument(
        "--jobs", type=int, default=1, help="mutants run at once (default 1: the machine is shared)"
    )
    parser.add_argument("--timeout", type=float, default=900, help="seconds one test run may take")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated run")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--out", default=str(ROOT / ".bench"), help="where mutants.md and mutants.json go")
    parser.add_argument("--publish", action="store_true", help="also write them to benchmarks/ (committed)")
    args = parser.parse_args(argv)
    check(MUTANTS)
    chosen = tuple(m for m in MUTANTS if not args.names or m.name in args.names)
    unknown = set(args.names) - {m.name for m in MUTANTS}
    if unknown:
        parser.error(f"unknown mutants: {', '.join(sorted(unknown))}")
    if args.list:
        for m in chosen:
            print(f"{m.name:32} {m.path:12} {m.what}")
        return 0
    started = time.monotonic()
    if not args.no_baseline:
        with tempfile.TemporaryDirectory(prefix="mutant-baseline-") as tmp:
            outcome, test = run_tests(copy_tree(Path(tmp)), args.timeout)
        if outcome != "passed":
            print(f"the unmutated runtime tests do not pass ({outcome}: {test}); no mutant can be judged")
            return 1
        print(f"baseline: the runtime tests pass ({time.monotonic() - started:.0f} s)", flush=True)
    results: list[Result] = []
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        for result in pool.map(lambda m: run_mutant(m, args.timeout), chosen):
            print(
                f"{result.outcome:9} {result.name:32} {result.killed_by or ''} ({result.seconds:.0f} s)",
                flush=True,
            )
            results.append(result)
    markdown = table(results)
    survivors = [r for r in results if r.outcome == "SURVIVED"]
    critical = [r for r in survivors if r.path in CRITICAL]
    took = time.monotonic() - started
    summary = (
        f"{len(results) - len(survivors)} of {len(results)} mutants killed in {took:.0f} s; "
        f"survivors: {', '.join(r.name for r in survivors) or 'none'}"
    )
    for out in [Path(args.out)] + ([ROOT / "benchmarks"] if args.publish else []):
        out.mkdir(parents=True, exist_ok=True)
        (out / "mutants.md").write_text(f"# make mutate\n\n{markdown}\n\n{summary}\n")
        (out / "mutants.json").write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    print("\n" + markdown + "\n\n" + summary)
    if critical:
        print(
            f"mutants of the lease, commit and release paths survived: {', '.join(r.name for r in critical)}"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
