from pathlib import Path

import pytest

OUTPUT_DIR = Path(__file__).parent / "output"


@pytest.fixture(scope="session")
def output_dir():
    """Folder for figures and tables that tests write for a human to look at (git-ignored)."""
    OUTPUT_DIR.mkdir(exist_ok=True)
    return OUTPUT_DIR


def pytest_configure(config):
    """With SPATIALNQPF_RECORD_OBSERVED set, measure the asserted differences (tests/_observed.py)."""
    import os

    if os.environ.get("SPATIALNQPF_RECORD_OBSERVED"):
        import sys

        sys.path.insert(0, str(Path(__file__).parent))
        import _observed

        _observed.install(config)
