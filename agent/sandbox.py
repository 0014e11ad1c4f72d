"""The sandbox: which files a request may read.

Every embedded interface (the MCP server, the HTTP API, ``Analyst(sandbox=True)``, the
LangGraph server graph) and ``earthsight ask|run --sandbox`` check file arguments with a
:class:`Sandbox`; otherwise (:class:`OpenPaths`) paths are read as given. Which arguments are
files, the pixel limit and the per-request memo are :mod:`agent.checks`'s.

* Relative paths resolve against the workspace, then each data root (first that exists wins).
* Refused, with a :class:`~agent.errors.SandboxRefused` (an :class:`~tools.core.errors.InputError`;
  the servers answer 403) naming the argument and the allowed roots: ``..`` components, ``~``,
  URLs (``scheme://``) and GDAL virtual paths (``/vsi...``), GDAL VRT files (they may point
  anywhere), absolute paths outside the roots, and symlinks whose target lies outside the
  roots. Result files whose recorded artifacts lie outside are refused too.
* References (``$s1``, ``$image``; :mod:`agent.references`) pass through unchanged: the runner
  resolves them to results of this request or to scenes that were checked already.
* Globs (``scenes/*.tif``) are resolved like paths; every match must lie inside the roots.

Environment: ``EARTHSIGHT_DATA`` (the data folder, a root), ``EARTHSIGHT_DATA_ROOTS`` (more
roots, ``os.pathsep``-separated); ``EARTHSIGHT_MAX_PIXELS`` and ``EARTHSIGHT_MAX_JOBS`` (see
:mod:`agent.limits`) configure the limits a sandbox carries.
"""

from __future__ import annotations

import glob
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from agent import references
from agent.errors import SandboxRefused
from agent.limits import (
    DEFAULT_MAX_JOBS,
    DEFAULT_MAX_PIXELS,
    max_jobs_from_env,
    max_pixels_from_env,
)
from tools.core.errors import InputError
from tools.core.settings import get_settings

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
GLOB_CHARS = re.compile(r"[*?\[]")


class Paths(Protocol):
    """How a request's file arguments become paths (a :class:`Sandbox` or :class:`OpenPaths`)."""

    def resolve(self, value: str, argument: str) -> str:
        """The path ``value`` names (references unchanged), or a refusal."""
        ...

    def check_result_file(self, path: Path, argument: str) -> None:
        """Refuse a result record that points somewhere the request may not read."""
        ...

    def check_members(self, members: Sequence[Path], argument: str) -> None:
        """Refuse files of a folder or glob argument the request may not read."""
        ...


class OpenPaths:
    """No sandbox: paths are read as given (the analyst's own files on the command line)."""

    def __repr__(self) -> str:
        return "OpenPaths()"

    def resolve(self, value: str, argument: str) -> str:
        """``value`` itself (expanded ``~``); references unchanged.

        Raises:
            InputError: Not text, or empty.
        """
        if not _path_text(value, argument):
            return value
        return str(Path(value).expanduser()) if value.startswith("~") else value

    def check_result_file(self, path: Path, argument: str) -> None:
        """Nothing is refused without a sandbox."""
        return None

    def check_members(self, members: Sequence[Path], argument: str) -> None:
        """Nothing is refused without a sandbox."""
        return None


def default_data_roots(workspace: str | Path) -> list[Path]:
    """The workspace, ``EARTHSIGHT_DATA`` (or the default data folder), the bundled example
    scenes (``examples/data`` of a checkout, when present) and ``EARTHSIGHT_DATA_ROOTS``."""
    settings = get_settings()
    roots = [Path(workspace), settings.data_dir]
    if settings.examples_dir.is_dir():
        roots.append(settings.examples_dir)
    extra = os.environ.get("EARTHSIGHT_DATA_ROOTS", "")
    roots.extend(Path(p) for p in extra.split(os.pathsep) if p.strip())
    return roots


class Sandbox:
    """Which files the requests of one workspace may read, and the limits they run under.

    Args:
        workspace: The session workspace (always a root; relative paths resolve here first).
        data_roots: Folders requests may read (default: :func:`default_data_roots`). The
            workspace is added when missing.
        max_pixels: Largest raster (width x height) a file argument may name.
        max_jobs: Runs that may go at once in a runtime built with this sandbox.
    """

    def __init__(self, workspace: str | Path, data_roots: Sequence[str | Path] | None = None,
                 max_pixels: int = DEFAULT_MAX_PIXELS, max_jobs: int = DEFAULT_MAX_JOBS) -> None:
        if max_pixels < 1 or max_jobs < 1:
            raise InputError("Sandbox: max_pixels and max_jobs must be at least 1")
        self.workspace = Path(workspace).expanduser().resolve()
        given = default_data_roots(self.workspace) if data_roots is None else list(data_roots)
        roots: list[Path] = [self.workspace]
        for root in given:
            resolved = Path(root).expanduser().resolve()
            if resolved not in roots:
                roots.append(resolved)
        self.roots: tuple[Path, ...] = tuple(roots)
        self.max_pixels = max_pixels
        self.max_jobs = max_jobs

    @classmethod
    def from_env(cls, workspace: str | Path) -> Sandbox:
        """A sandbox for ``workspace`` configured from ``EARTHSIGHT_*`` variables."""
        return cls(workspace, max_pixels=max_pixels_from_env(), max_jobs=max_jobs_from_env())

    def __repr__(self) -> str:
        roots = ", ".join(str(r) for r in self.roots)
        return f"Sandbox(roots=[{roots}], max_pixels={self.max_pixels}, max_jobs={self.max_jobs})"

    # --- paths ---------------------------------------------------------------------------------

    def _allowed(self) -> str:
        return ", ".join(str(r) for r in self.roots)

    def _refuse(self, argument: str, value: str, why: str) -> SandboxRefused:
        return SandboxRefused(
            f"{argument}: {value!r} is refused ({why}). Files must lie inside the workspace or "
            f"a data root: {self._allowed()}. Copy the file into one of them and pass a path "
            "relative to it.")

    def inside(self, path: Path) -> bool:
        """Whether ``path`` (fully resolved, symlinks followed) lies inside a root."""
        real = path.resolve()
        return any(real == root or real.is_relative_to(root) for root in self.roots)

    def _check_text(self, value: str, argument: str) -> None:
        if "\x00" in value:
            raise self._refuse(argument, value, "it contains a NUL character")
        if _URL.match(value):
            raise self._refuse(argument, value, "URLs are not read; only local files")
        if value.startswith("~"):
            raise self._refuse(argument, value, "'~' (home folders) is not expanded")
        if value.lower().startswith(("/vsi", "vsi")):
            raise self._refuse(argument, value, "GDAL virtual file systems are not read")
        if ".." in re.split(r"[\\/]", value):
            raise self._refuse(argument, value, "'..' may not appear in a path")
        if value.lower().endswith(".vrt"):
            raise self._refuse(argument, value, "GDAL VRT files may point anywhere")

    def _candidates(self, value: str) -> list[Path]:
        path = Path(value)
        if path.is_absolute():
            return [path]
        return [root / path for root in self.roots]

    def resolve(self, value: str, argument: str) -> str:
        """The absolute path a file argument names, or an InputError when it is refused.

        Args:
            value: What the caller passed: a path (relative to the workspace or a data root, or
                absolute inside one), a glob, or a ``"$..."`` reference (returned unchanged).
            argument: The argument's name, for the message (e.g. ``image``, ``s2.source``).

        Returns:
            The absolute path (or absolute glob pattern). A relative path that exists nowhere
            resolves into the workspace (the tool then says it is missing).

        Raises:
            InputError: The value is refused; the message names the argument and the roots.
        """
        if not _path_text(value, argument):
            return value
        self._check_text(value, argument)
        if GLOB_CHARS.search(value):
            return self._resolve_glob(value, argument)
        candidates = self._candidates(value)
        if "#" in value and not any(c.exists() or c.is_symlink() for c in candidates):
            head, _, sub = value.rpartition("#")  # file.nc#variable: a subdataset of file.nc
            if head and sub:
                return f"{self.resolve(head, argument)}#{sub}"
        chosen = next((c for c in candidates if c.exists() or c.is_symlink()), candidates[0])
        if not self.inside(chosen):
            why = ("it is a symlink to a place outside" if chosen.is_symlink() or
                   chosen.resolve() != chosen.absolute() else "it lies outside every root")
            raise self._refuse(argument, value, why)
        if chosen.resolve().suffix.lower() == ".vrt":
            raise self._refuse(argument, value, "GDAL VRT files may point anywhere")
        return str(chosen.absolute())

    def _resolve_glob(self, value: str, argument: str) -> str:
        if Path(value).is_absolute():
            first = GLOB_CHARS.search(value)
            base = value[: first.start()] if first else value
            folder = Path(base) if base.endswith(("/", os.sep)) else Path(base).parent
            if not self.inside(folder):
                raise self._refuse(argument, value, "it lies outside every root")
        for candidate in self._candidates(value):
            matches = glob.glob(str(candidate), recursive=True)
            outside = [m for m in matches if not self.inside(Path(m))]
            if outside:
                raise self._refuse(argument, value, f"it matches {outside[0]}, which lies "
                                   "outside every root")
            if matches:
                return str(candidate)
        return value if Path(value).is_absolute() else str(self.workspace / value)

    def check_result_file(self, path: Path, argument: str) -> None:
        """A result record (what ``$sN`` names) may only name files inside the roots: every
        absolute path anywhere in its result (images, artifacts, search hits...)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # not a result record; the tool reads it as GeoJSON or says why not
        result = data.get("result") if isinstance(data, dict) else None
        if not isinstance(result, dict):
            return
        for item in _strings(result):
            if item.startswith(("/", "\\")) and not self.inside(Path(item)):
                raise self._refuse(argument, str(path), f"the result file points at {item}")

    def check_members(self, members: Sequence[Path], argument: str) -> None:
        """Every file a folder or glob argument stands for must lie inside the roots (symlink
        targets included) and be no GDAL VRT, by name or by content."""
        for member in members:
            if not self.inside(member):
                raise self._refuse(argument, str(member), "it lies outside every root (a file "
                                   "of the folder or pattern, or a symlink's target)")
            if member.suffix.lower() == ".vrt" or _is_vrt(member):
                raise self._refuse(argument, str(member), "GDAL VRT files may point anywhere")


def _path_text(value: object, argument: str) -> bool:
    """Whether ``value`` is a path to resolve (False: a reference, passed through).

    Raises:
        InputError: Not text, or empty.
    """
    if not isinstance(value, str):
        raise InputError(f"{argument}: expected a file path (text), got {type(value).__name__}")
    if references.is_reference(value):
        return False
    if not value.strip():
        raise InputError(f"{argument}: empty file path")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{argument}: {value[:60]!r} is not valid Unicode text (a lone "
                         "surrogate); fix its encoding") from None
    return True


def _strings(value: object) -> list[str]:
    """Every string inside ``value`` (dicts and lists searched)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def _is_vrt(path: Path) -> bool:
    """Whether the file starts like a GDAL VRT (an XML ``<VRTDataset``)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(1024)
    except OSError:
        return False
    return b"<VRTDataset" in head
