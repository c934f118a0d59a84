"""``make mutate`` stays aimed at the code: each mutant's text is still in its file, exactly once (a
mutant whose target moved would otherwise fail the whole run, or, found twice, mutate the wrong line)."""

from __future__ import annotations

from devstack.mutate import MUTANTS, ROOT, RUNTIME, check


def test_every_mutant_still_finds_its_text_once() -> None:
    check(MUTANTS)  # raises SystemExit naming the stale ones
    for mutant in MUTANTS:
        assert mutant.old != mutant.new, mutant.name
        assert (ROOT / RUNTIME / mutant.file).is_file(), mutant.name
