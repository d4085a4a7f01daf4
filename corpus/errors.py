"""Errors that reach the user: each says what went wrong, where, and what to do."""
from __future__ import annotations

from dataclasses import dataclass


class WarVoicesError(Exception):
    """An error the command line prints as one clear message (no traceback) and exits 2."""


class TextUnavailable(WarVoicesError):
    """An article's text cannot be read (no archive given, file or record missing)."""


class ChecksumMismatch(WarVoicesError):
    """An article's text no longer matches the SHA-256 stored in the registry."""


class InputError(WarVoicesError):
    """A malformed input file; the message names the file and line."""


@dataclass(frozen=True)
class Issue:
    """One validation finding: a stable id (each has a fixture in tests/fixtures/validation/),
    a severity, a pointer to the record (file:line or record id) and a message."""

    id: str
    severity: str  # "error" or "warning"
    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity.upper()} {self.id} {self.pointer}: {self.message}"

    def as_dict(self) -> dict:
        return {"id": self.id, "severity": self.severity, "pointer": self.pointer, "message": self.message}
