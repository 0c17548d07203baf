"""Errors a user can cause. Each message is one sentence that says what to do.

The CLI prints ``str(error)`` on one line and exits with ``error.exit_code``;
it never shows a traceback for these.
"""


class StorylensError(Exception):
    """Base class for errors caused by input or usage, not by bugs."""

    exit_code = 2


class InputError(StorylensError):
    """A file, line or field of the input cannot be read (names where and why)."""

    def __init__(self, where: str, reason: str):
        self.where = where
        self.reason = reason
        super().__init__(f"{where}: {reason}")


class NotFoundError(StorylensError):
    """An id the user asked for does not exist."""

    exit_code = 3


class StoreError(StorylensError):
    """The database cannot be opened, is locked too long, or has an unknown schema."""


class ValidationError(StorylensError):
    """A value (a date, a field) is impossible; the message says which and why."""
