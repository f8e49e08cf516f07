"""The progress bar of a report run: one step per stage, then one per writing phase."""
from __future__ import annotations

import sys

__all__ = ["WRITE_PHASES", "Progress"]

#: The writing phases after the stages (one progress step each).
WRITE_PHASES = ("tables", "results.json", "report.html", "report.md", "report.docx")


class Progress:
    """One tqdm bar over every phase: each stage, then each writing phase (:data:`WRITE_PHASES`).

    The postfix names what runs now (stage, figure or table file being written).
    """

    def __init__(self, enabled: bool, label: str, total: int):
        self.bar = None
        if enabled:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=total, desc=label, unit="step", file=sys.stderr)

    def show(self, text: str) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(text, refresh=True)

    def done(self) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
