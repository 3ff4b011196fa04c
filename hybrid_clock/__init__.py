"""The day leases are judged on: the one place the project reads a clock.

Pure ``hybrid/`` (the model included) never reads a clock, so a stack's config is valid on every
day and preview, refresh and destroy keep working past a lease's end (import contract "Pure
hybrid never reads the clock", pyproject.toml). The policy pack's lease rules
(policy/rules/lease.py) and ``hybrid-gpu usage`` (hybrid_tools/usage_cli.py) read the day here:
the UTC date, or ``HYBRID_TODAY`` (YYYY-MM-DD) when set, so tests and reruns can pin it.
"""

from __future__ import annotations

import datetime as _dt
import os

TODAY_ENV = "HYBRID_TODAY"


def today() -> _dt.date:
    """Today's UTC date or the pinned one; a ValueError naming TODAY_ENV and the fix when it is no date."""
    pinned = os.environ.get(TODAY_ENV, "").strip()
    if not pinned:
        return _dt.datetime.now(_dt.timezone.utc).date()
    try:
        return _dt.date.fromisoformat(pinned)
    except ValueError:
        raise ValueError(f"Set {TODAY_ENV} to YYYY-MM-DD or unset it: {pinned!r} is not a date.") from None
