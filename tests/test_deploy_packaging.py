"""A runtime people can install: pyproject.toml's package and its data, and the layer's pinned lock."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "shared" / "durable_agents"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "shared" / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([0-9][A-Za-z0-9.+!-]*)", line)
            assert match, f"not an exact pin: {line!r}"
            name = normalized(match.group(1))
            assert name not in pins, f"pinned twice: {name}"
            pins[name] = match.group(2)
    return pins


def test_the_lock_pins_every_dependency_and_the_tracing_extra_within_pyprojects_ranges() -> None:
    pins = lock()
    wanted = [*PROJECT["project"]["dependencies"], *PROJECT["project"]["optional-dependencies"]["tracing"]]
    for text in wanted:
        requirement = Requirement(text)
        name = normalized(requirement.name)
        assert name in pins, f"{name} is not pinned"
        assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]} is outside {requirement}"


def test_the_layer_ships_one_sdk_with_the_x_ray_sdk() -> None:
    pins = lock()
    assert {"aws-xray-sdk", "wrapt", "boto3", "botocore", "s3transfer"} <= set(pins)
    assert pins["boto3"].split(".")[:2] == pins["botocore"].split(".")[:2]  # released together


def test_the_dev_venv_installs_the_same_pins() -> None:
    assert "-r shared/requirements.txt" in (ROOT / "requirements-dev.txt").read_text(encoding="utf-8")


def test_the_package_data_globs_cover_the_files_the_package_reads() -> None:
    data = PROJECT["tool"]["setuptools"]["package-data"]
    declared = {
        path.relative_to(PACKAGE)
        for package, patterns in data.items()
        for pattern in patterns
        for path in (PACKAGE / Path(*package.split(".")[1:])).glob(pattern)
    }
    assert {Path("py.typed"), Path("llm/airports.tsv")} <= declared
    web = {
        path.relative_to(PACKAGE)
        for path in (PACKAGE / "web").iterdir()
        if path.suffix in (".html", ".js", ".css")
    }
    assert web and web <= declared
    assert PROJECT["tool"]["setuptools"]["packages"]["find"] == {
        "where": ["shared"],
        "include": ["durable_agents*"],
    }


def test_the_deploy_check_runs_every_function_of_the_template_on_a_sample_event() -> None:
    """``make deploy-check`` (in CI) is only as good as its cases: each function has one, on an event
    that exists (a function added to the template without a case fails here, not in AWS)."""
    from devstack.deploy_check import CASES, EVENTS
    from devstack.template import SamTemplate

    assert {case.function for case in CASES} == set(SamTemplate.load().functions)
    for case in CASES:
        assert (EVENTS / f"{case.event}.json").is_file(), case.name
        if case.before is not None:
            assert (EVENTS / f"{case.before[1]}.json").is_file(), case.name
