"""One error policy for every entry point: the message a person sees, the command line's exit
status and the HTTP status.

* Errors of the request (:class:`~tools.core.errors.EarthSightError`: bad arguments, missing
  or unreadable files, missing weights, invalid workflows) are shown as they are: their
  message names the file or argument and the fix. HTTP 400; a sandbox refusal (or a
  ``PermissionError``) 403; every job slot busy 429.
* An ``OSError`` about a file (file name too long, permission denied, no such file) is the
  request's error too: its message and the file, HTTP 400.
* Anything else is a fault of EarthSight: ``unexpected <Type>: <message>``, HTTP 500.

The command line exits with status 2 for every error (``EARTHSIGHT_DEBUG=1`` shows the
traceback); :func:`report` is used by the CLI, the HTTP API, the MCP server, the agent graph
(a failed step's error) and workflows alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from tools.core.errors import EarthSightError, InputError, os_error_text


class UsageError(InputError):
    """A command-line usage error (bad flag value, missing extra): exit status 2."""


class SandboxRefused(InputError):
    """A file argument the sandbox refuses (HTTP 403)."""


class BusyError(EarthSightError):
    """Every job slot is taken (HTTP 429 with ``Retry-After``); try again shortly."""


@dataclass(frozen=True)
class ErrorReport:
    """How one error is shown.

    Attributes:
        message: The text a person sees (one line, no traceback).
        http_status: 400 request error, 403 refused, 429 busy, 500 EarthSight's fault.
        exit_status: The command line's exit status (2).
        expected: False for EarthSight's own faults (unexpected exceptions).
    """

    message: str
    http_status: int
    exit_status: int = 2
    expected: bool = True


def report(exc: BaseException) -> ErrorReport:
    """The :class:`ErrorReport` of ``exc`` (see the module docstring for the policy)."""
    if isinstance(exc, BusyError):
        return ErrorReport(str(exc), 429)
    if isinstance(exc, SandboxRefused | PermissionError):
        return ErrorReport(os_error_text(exc) if isinstance(exc, OSError) else str(exc), 403)
    if isinstance(exc, EarthSightError):
        return ErrorReport(str(exc), 400)
    if isinstance(exc, OSError) and (exc.filename is not None or exc.strerror):
        return ErrorReport(os_error_text(exc), 400)
    if isinstance(exc, NotImplementedError):
        return ErrorReport(f"not implemented in this installation ({exc})", 500, expected=False)
    return ErrorReport(f"unexpected {type(exc).__name__}: {exc}", 500, expected=False)


def message(exc: BaseException) -> str:
    """The text of ``exc`` as a person should see it (``report(exc).message``)."""
    return report(exc).message
