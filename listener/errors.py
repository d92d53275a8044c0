"""The exception tree: every error listener raises on purpose.

    ListenerError                 base of everything below
    ├── UserError                 bad input from a person: shown as one line, exit status 1
    │   ├── ConfigError           config file or env setting invalid (names file, line, field)
    │   ├── QuerySyntaxError      a search query or boolean watch does not parse (names the column)
    │   ├── ImportFormatError     a file to import cannot be read at all (names the file)
    │   └── NotFoundError         a post, department or other named thing does not exist
    ├── StoreError                the database is unreachable or not initialised
    Stopping (a BaseException)    the service is stopping: jobs end at their next safe point
    └── CollectorError            raised inside collectors
        ├── RetriableError        worth another try after a wait (5xx, timeouts, resets)
        ├── RateLimited           the limit resets too late to wait for: stop, keep the cursor
        ├── FatalSourceError      the source cannot go on this run (401/403, revoked credential)
        └── SkippableItemError    one item is malformed; quarantine it and carry on

Messages are written for the person who has to fix the problem, fit on one
line, and never contain a secret.
"""

from __future__ import annotations

from datetime import datetime


class ListenerError(Exception):
    """Base class for errors listener raises deliberately."""


class UserError(ListenerError):
    """Bad input from a person; shown as a one-line message without a traceback."""


class ConfigError(UserError):
    """Raised when the config file or an environment setting is invalid."""


class QuerySyntaxError(UserError):
    """Raised when a search query or boolean watch cannot be parsed."""

    def __init__(self, message: str, *, query: str = "", column: int | None = None) -> None:
        super().__init__(message)
        self.query = query
        self.column = column


class ImportFormatError(UserError):
    """Raised when a file to import cannot be read at all (rather than one bad row)."""


class NotFoundError(UserError):
    """Raised when something the user named (post, department, week) does not exist."""


class StoreError(ListenerError):
    """Raised when the database is unreachable or has not been initialised."""


class CollectorError(ListenerError):
    """Base class for errors raised while collecting from a source."""


class RetriableError(CollectorError):
    """Raised for failures worth retrying after a wait (5xx, timeouts, connection resets)."""


class RateLimited(CollectorError):
    """Raised when a rate limit resets later than the client will wait: stop, keep the cursor."""

    def __init__(self, message: str, *, resume_at: datetime, waited_seconds: float) -> None:
        super().__init__(message)
        self.resume_at = resume_at
        self.waited_seconds = waited_seconds  # slept on rate limits in this call before giving up


class FatalSourceError(CollectorError):
    """Raised when a source cannot continue this run (expired or revoked credential)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status that caused it (401, 403), if any


class SkippableItemError(CollectorError):
    """Raised for one malformed item; it is quarantined and the rest carry on."""


class Stopping(BaseException):
    """Raised inside a job at a safe point (after a commit, or in a wait) when the service stops.

    A BaseException, like KeyboardInterrupt: it is control flow, not an error,
    and no ``except Exception`` in a collector may swallow it.
    """
