"""Typed errors raised at the boundaries (files, payloads, config).

Every error says what was expected and what arrived, in one line fit for a user.
The CLI prints ``str(error)`` and exits with :attr:`PressupError.exit_code`.
"""

from __future__ import annotations


class PressupError(Exception):
    """Base class of every error pressup raises on purpose."""

    exit_code = 1


class InputError(PressupError):
    """A file or payload is missing, unreadable, empty or of the wrong kind."""

    exit_code = 2


class TrackFormatError(InputError):
    """A pose-track file or array does not match the pose-track contract."""


class NoPersonError(PressupError):
    """The video was readable but no person was found in (enough of) it."""

    exit_code = 3


class ViewError(PressupError):
    """The camera view does not allow the exercise to be judged (e.g. filmed head-on)."""

    exit_code = 4


class SpecError(PressupError):
    """The protocol spec (TOML) is malformed; the message names the bad key."""

    exit_code = 5


class BackendUnavailableError(PressupError):
    """A pose backend or model file is not installed on this machine."""

    exit_code = 6


class StorageError(PressupError):
    """The session database cannot be opened or migrated, or a stored record is missing."""

    exit_code = 7


class RecordNotFoundError(StorageError):
    """No stored record has this id (or none the caller may see): the message names the kind
    of record and the id asked for, and nothing about the database, so it may be shown."""


class DatabaseError(StorageError):
    """The database failed a statement. ``str()`` is for the server's log and the command
    line: it names the database (password masked) and the driver's words. :attr:`public`
    is what a user of a server may be shown: no address, no driver text."""

    #: What a server's user is told (the subclasses say more).
    PUBLIC = "the database could not complete this request"

    def __init__(self, message: str, *, reason: str = "") -> None:
        super().__init__(message)
        #: A few plain words of why, fit for a user (``""``: none known).
        self.reason = reason

    @property
    def public(self) -> str:
        return f"{self.PUBLIC} ({self.reason})" if self.reason else self.PUBLIC


class StorageUnavailableError(DatabaseError):
    """The database is there but cannot be written or read now (locked by another process for
    longer than the busy timeout, disk full, an I/O error, the server does not answer);
    trying again later may succeed."""

    PUBLIC = "the database cannot be used just now"
