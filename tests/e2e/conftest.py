"""A real datastore for end-to-end tests: the bundled demo corpus (about 3,000 papers), built
with its shipped vectors so no passage is embedded here (queries still use the real encoder)."""

from __future__ import annotations

from pathlib import Path

import pytest

from litsynth import Litsynth, Settings, load_settings
from litsynth.demo import build_demo


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("demo-home")
    build_demo(load_settings(overrides={"home": str(home)}), progress=False)
    return home


@pytest.fixture(scope="session")
def demo_settings(demo_home: Path) -> Settings:
    return load_settings(overrides={"home": str(demo_home)})


@pytest.fixture(scope="session")
def demo(demo_settings: Settings) -> Litsynth:
    with Litsynth(demo_settings, llm=False) as session:
        yield session
