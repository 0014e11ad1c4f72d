"""Errors that tools raise: each message names the file or argument and the fix."""

from __future__ import annotations

import errno


class EarthSightError(Exception):
    """Base class of every error EarthSight raises on purpose."""


class InputError(EarthSightError, ValueError):
    """A file or an argument cannot be used; the message says which and what to do."""


class ToolUnavailable(EarthSightError):
    """A tool exists in the public surface but cannot run in this installation."""


_OS_FIXES = {
    errno.ENAMETOOLONG: "shorten the path",
    errno.ENOENT: "check the path",
    errno.EISDIR: "pass a file, not a folder",
    errno.ENOTDIR: "a part of the path is a file, not a folder; check the path",
    errno.ELOOP: "the path is a loop of symbolic links; pass the file itself",
    errno.ENOSPC: "free some disk space in the workspace",
    errno.EACCES: "check the file's permissions",
}


def os_error_text(exc: OSError, *, with_name: bool = True) -> str:
    """An ``OSError`` about a file as one line: the file (shortened; not ``with_name``: left
    out), what went wrong, the fix (``x...y: File name too long; shorten the path``)."""
    what = exc.strerror or str(exc)
    fix = _OS_FIXES.get(exc.errno or 0)
    if fix is not None:
        what = f"{what}; {fix}"
    if not with_name:
        return what
    if exc.filename is None:
        return what
    name = str(exc.filename)
    shown = name if len(name) <= 120 else name[:60] + "..." + name[-40:]
    return f"{shown}: {what}"
