"""Expected failures of the ``hybrid-gpu`` commands that are not a stack-config field.

A stack-config problem is a :class:`hybrid.errors.ConfigError` (field path + fix). Everything
else a user can get wrong by what they type (a policy config file, a plan directory, a path
that cannot be read or written) raises :class:`InputError`: one line naming the thing, the
problem and the fix. ``hybrid_tools.cli.main`` turns both into that text on stderr and exit 2.
"""

from __future__ import annotations


class InputError(Exception):
    """One line: what is wrong with which input, and how to fix it."""
