"""Errors that users cause and must be told about in one clear line.

Every error that comes from a user's input (a scenario file, a ``--set``
override, a sweep spec) derives from :class:`InputError`. The command line
prints ``str(error)`` and exits with status 2; nothing else is shown.
"""

from __future__ import annotations


class InputError(Exception):
    """A problem with something the user supplied (file, key, value)."""

    exit_code = 2

    def __init__(self, source: str, key: str | None, expected: str) -> None:
        self.source = source
        self.key = key
        self.expected = expected
        where = f"{source}: {key}" if key else source
        super().__init__(f"{where}: {expected}")


class ScenarioError(InputError):
    """A scenario file (or an override of it) that cannot be used.

    ``source`` names the file, ``key`` the dotted path of the offending key
    (``channels.phone.aht.mean_s``) and ``expected`` says what would be valid.
    """
