"""What the fault-and-abuse suite tried and survived, for its one-line session summary.

Tests record a hostile input or a fault only once they have checked that copycat came through
it (clear log line, counter, nothing lost, nothing doubled); ``tests/conftest.py`` prints
:func:`summary_line` at the end of the session.
"""

from __future__ import annotations

HOSTILE_INPUTS: set[str] = set()
FAULTS: set[str] = set()


def tried(*names: str) -> None:
    """Record hostile inputs that were served and handled."""
    HOSTILE_INPUTS.update(names)


def survived(*names: str) -> None:
    """Record faults that were injected and survived."""
    FAULTS.update(names)


def summary_line() -> str | None:
    """The suite's summary line, or None if none of its tests ran."""
    if not HOSTILE_INPUTS and not FAULTS:
        return None
    return f"hostile inputs tried: {len(HOSTILE_INPUTS)}, faults survived: {len(FAULTS)}"
