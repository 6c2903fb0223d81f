"""What a service refuses, said so that a person can act on it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


class ServiceError(Exception):
    """Base of every refusal a user may see: `str(error)` is one translated line."""


class ValidationError(ServiceError):
    """Bad input: `errors` maps each field to the reason it is wrong."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in self.errors.items()))


class NotFound(ServiceError):
    pass


class RuleViolation(ServiceError):
    """A business rule forbids it (deleting a client with issued invoices, ...)."""


class PermissionDenied(ServiceError):
    pass


@dataclass
class ConflictInfo:
    entity: str
    entity_id: int
    changed_by: str
    changed_at: dt.datetime | None
    differences: dict[str, tuple[object, object]] = field(
        default_factory=dict
    )  # field -> (yours, theirs)


class ConflictError(ServiceError):
    """Someone saved the record after you opened it; nothing was overwritten."""

    def __init__(self, info: ConflictInfo, message: str):
        self.info = info
        super().__init__(message)
