"""Exceptions grouped by cause, so that callers retry only what can succeed later."""

from __future__ import annotations

from pathlib import Path


class FilmroomError(Exception):
    """Base class of every error that filmroom raises on purpose."""


class ConfigurationError(FilmroomError):
    """Invalid settings, patient list or environment: the run stops before storing anything."""


class BadInputError(FilmroomError):
    """One source file cannot be used. Its ledger row becomes ``rejected`` with this message."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class DestinationError(FilmroomError):
    """Base class of failures at an archive destination."""


class TransientDestinationError(DestinationError):
    """Refused connection, timeout, aborted association or out of resources: worth a retry."""


class DestinationRejectedError(DestinationError):
    """The destination refused an object for good; ``status`` is its status code."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
