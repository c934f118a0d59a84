"""``make mutate`` stays aimed at the code: each mutant's text is still in its file, exactly once (a
mutant whose target moved would otherwise fail the whole run, or, found twice, mutate the wrong line)."""

from __future__ import annotations

from devstack.mutate import MUTANTS, ROOT, RUNTIME, TESTS, check


def test_every_mutant_still_finds_its_text_once() -> None:
    check(MUTANTS)  # raises SystemExit naming the stale ones
    for mutant in MUTANTS:
        assert mutant.old != mutant.new, mutant.name
        assert (ROOT / RUNTIME / mutant.file).is_file(), mutant.name


def test_every_test_file_the_mutants_are_run_against_exists() -> None:
    """A renamed test file would otherwise fail the unmutated baseline (pytest: file not found)."""
    assert TESTS and all((ROOT / path).is_file() for path in TESTS), [
        p for p in TESTS if not (ROOT / p).is_file()
    ]
    assert len(set(TESTS)) == len(TESTS)
