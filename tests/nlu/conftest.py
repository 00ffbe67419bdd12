"""Fixtures of the understanding tests: the shipped model, trained once per test session."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ivr.config import PROJECT_DIR
from ivr.nlu.understanding import Understanding

DEV_SET = PROJECT_DIR / "tests" / "data" / "nlu_dev.csv"


@pytest.fixture(scope="session")
def dev_set() -> Path:
    """The labelled bilingual dev set's path."""
    return DEV_SET


@pytest.fixture(scope="session")
def banking77() -> Path:
    """The BANKING77 training split in ../shared (CI lays a copy beside the clone)."""
    for candidate in (
        PROJECT_DIR.parent / "shared" / "data" / "banking77" / "train.csv",
        Path("/work/shared/data/banking77/train.csv"),
    ):
        if candidate.is_file():
            return candidate
    pytest.fail("BANKING77 is missing: expected ../shared/data/banking77/train.csv")


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One model cache for the session, so the CLI tests train at most once."""
    return tmp_path_factory.mktemp("nlu-cache")


@pytest.fixture(scope="session")
def understanding(model_cache: Path) -> Understanding:
    """The topic and emotion reader trained from the shipped routing/topics.yaml."""
    return Understanding.load(PROJECT_DIR / "routing", cache_dir=model_cache)


@pytest.fixture(scope="session")
def dev_rows() -> list[dict[str, str]]:
    """The labelled bilingual dev set: text, category (topic), emotion, language."""
    with DEV_SET.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
