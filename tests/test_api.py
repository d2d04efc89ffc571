"""The public surface: every exported name exists, and every public method or
property of the API classes is exercised somewhere in this test suite."""

from __future__ import annotations

import importlib.metadata
import re

import pytest
from peers import TESTS

import gearman_cffi
from gearman_cffi import Client, GearmanError, JobStatus, Priority, Task

API_CLASSES = (Client, Task, GearmanError, JobStatus)


def _public(cls: type) -> list[str]:
    names = [n for n in dir(cls) if not n.startswith("_")]
    if cls is Task:
        names += list(Task.__slots__)
    if cls is JobStatus:
        names = list(JobStatus._fields)
    if issubclass(cls, BaseException):
        names = [n for n in names if n not in dir(Exception)] + ["code", "message"]
    return sorted({n for n in names if not n.startswith("_")})


def test_all_names_importable() -> None:
    for name in gearman_cffi.__all__:
        assert hasattr(gearman_cffi, name), name


def test_version() -> None:
    assert gearman_cffi.__version__ == importlib.metadata.version("gearman_cffi")


def test_priority_members() -> None:
    assert [p.name for p in Priority] == ["HIGH", "NORMAL", "LOW"]


def test_job_status_fields() -> None:
    status = JobStatus(True, False, 1, 2)
    assert (status.is_known, status.is_running, status.numerator, status.denominator) == (True, False, 1, 2)


@pytest.mark.parametrize(("cls", "name"), [(c, n) for c in API_CLASSES for n in _public(c)],
                         ids=lambda v: getattr(v, "__name__", v))  # fmt: skip
def test_public_name_is_used_by_a_test(cls: type, name: str) -> None:
    pattern = re.compile(rf"\.{name}\b|[\"']{name}[\"']")
    sources = [p.read_text() for p in TESTS.glob("test_*.py") if p.name != "test_api.py"]
    sources.append((TESTS / "gc_scenarios.py").read_text())
    assert any(pattern.search(text) for text in sources), f"{cls.__name__}.{name} is not tested"
