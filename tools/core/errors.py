"""Errors that tools raise: each message names the file or argument and the fix."""

from __future__ import annotations


class EarthSightError(Exception):
    """Base class of every error EarthSight raises on purpose."""


class InputError(EarthSightError, ValueError):
    """A file or an argument cannot be used; the message says which and what to do."""


class ToolUnavailable(EarthSightError):
    """A tool exists in the public surface but cannot run in this installation."""
