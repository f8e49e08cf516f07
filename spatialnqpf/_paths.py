"""Where the bundled shapes files live (shared by :mod:`spatialnqpf._shapes` and
:mod:`spatialnqpf.regions`, so that neither has to import the other)."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["shapes_path"]


def _repo_shapes_dir() -> Path:
    return Path(__file__).resolve().parents[1] / "shapes"


def shapes_path(name: str):
    """Traversable path of the bundled shapes file ``name``.

    Looks in the installed data package ``spatialnqpf.shapes`` (wheel or editable install) via
    :mod:`importlib.resources`, then in the repository's ``shapes/`` folder next to the package
    (a source checkout on ``sys.path``).  Raises ``FileNotFoundError`` naming both places.
    """
    tried = []
    try:
        candidate = resources.files("spatialnqpf.shapes").joinpath(name)
        if candidate.is_file():
            return candidate
        tried.append(str(candidate))
    except (ModuleNotFoundError, TypeError) as exc:
        tried.append(f"package spatialnqpf.shapes ({exc.__class__.__name__})")
    candidate = _repo_shapes_dir() / name
    if candidate.is_file():
        return candidate
    tried.append(str(candidate))
    raise FileNotFoundError(f"bundled shapes file {name!r} not found; looked in: " + "; ".join(tried))
