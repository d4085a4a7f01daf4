"""Errors that reach the user: each says what went wrong, where, and what to do."""
from __future__ import annotations

from dataclasses import dataclass


class WarVoicesError(Exception):
    """An error the command line prints as one clear message (no traceback) and exits 2.

    `code` is the error's stable id (see INPUT_ERROR_IDS); when set, the message starts with it."""

    code: str | None = None

    def __init__(self, message: str = "", code: str | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return super().__str__()

    def __str__(self) -> str:
        return f"{self.code} {self.message}" if self.code else self.message


class TextUnavailable(WarVoicesError):
    """An article's text cannot be read (no archive given, file or record missing)."""


class ChecksumMismatch(WarVoicesError):
    """An article's text no longer matches the SHA-256 stored in the registry."""


class InputError(WarVoicesError):
    """A malformed input file; the message names the file and line, and starts with an id."""

    code = "I001"


# Ids of input errors raised at the door (the store's V0xx findings are in corpus/validate.py,
# Label Studio exports' LS0xx in annotation/ls_pull.py). Each has a fixture under tests/fixtures/.
INPUT_ERROR_IDS = {
    "I001": "malformed-input: an input file that is not what the command reads",
    "J001": "invalid-jsonl: a line of a JSON Lines file is not valid JSON, or not a JSON object",
    "S001": "invalid-schema: annotation/schema.yaml (or a copy given) breaks the schema's JSON Schema or its rules",
    "P001": "malformed-predictions: a predictions file line is not a valid prediction",
    "P002": "predictions-do-not-match: predictions name unknown ids, or spans outside their sentence",
    "A001": "malformed-preannotation: a pre-annotation line for Label Studio is not a valid prediction",
}


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


class JsonLinesError(InputError):
    code = "J001"


class SchemaError(InputError, ValueError):  # ValueError: what schema loading raised before
    code = "S001"


class PredictionsError(InputError):
    code = "P001"


class PreannotationError(InputError):
    code = "A001"
