from pathlib import Path

import pytest

OUTPUT_DIR = Path(__file__).parent / "output"


@pytest.fixture(scope="session")
def output_dir():
    """Folder for figures and tables that tests write for a human to look at (git-ignored)."""
    OUTPUT_DIR.mkdir(exist_ok=True)
    return OUTPUT_DIR
