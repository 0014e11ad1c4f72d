"""Keep server paths out of what the servers answer (HTTP API and MCP server).

:class:`Redactor` rewrites every string of a response (JSON bodies, streamed lines, error
messages, MCP tool results and resources):

* a path under the session workspace becomes workspace-relative (``c001-s1_water.tif``), a
  path under a data root becomes relative to that root (``sar/scene.tif``) — both still work as
  file arguments, since the sandbox resolves relative paths against the workspace, then each
  data root;
* the roots themselves become ``<workspace>`` and ``<data>``;
* any other absolute path of two or more components that is not part of a URL becomes
  ``<server>/<basename>``.

Values under a ``url``, ``quicklook_url`` or ``style_url`` key (the API's own download routes,
``/sessions/.../artifacts/...``, ``/sessions/.../files/...``) are left as they are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

WORKSPACE_LABEL = "<workspace>"
DATA_LABEL = "<data>"
SERVER_LABEL = "<server>"
KEEP_KEYS = frozenset({"url", "quicklook_url", "style_url"})

_BEFORE = r"(?<![\w./~:-])"  # a path starts after a space, quote, '=', '(' ... never mid-word/URL
_PART = r"[^\s/'\"<>|,;()\[\]{}=`]+"
_OTHER = re.compile(_BEFORE + rf"/(?:{_PART}/)+{_PART}")


def _variants(root: str | Path) -> set[str]:
    path = Path(root).expanduser()
    out = {str(path.absolute())}
    with suppress(OSError):  # an unresolvable root keeps its absolute spelling
        out.add(str(path.resolve()))
    return {v.rstrip("/") for v in out if v.rstrip("/")}


class Redactor:
    """Rewrites server paths in responses (see the module docstring).

    Args:
        workspace: The session workspace (paths under it become relative), or None.
        data_roots: Folders whose paths become relative to them (the workspace may be among
            them; it keeps its own label).
    """

    def __init__(self, workspace: str | Path | None = None,
                 data_roots: Sequence[str | Path] = ()) -> None:
        labels: dict[str, str] = {}
        for root in data_roots:
            for variant in _variants(root):
                labels.setdefault(variant, DATA_LABEL)
        if workspace is not None:
            for variant in _variants(workspace):
                labels[variant] = WORKSPACE_LABEL
        self._labels = labels
        self._roots: re.Pattern[str] | None = None
        if labels:
            alternatives = "|".join(re.escape(r) for r in sorted(labels, key=len, reverse=True))
            self._roots = re.compile(_BEFORE + rf"(?P<root>{alternatives})"
                                     r"(?:(?P<sep>/)(?=[^\s'\"/])|(?![\w-]|\.\w))")

    @classmethod
    def for_sandbox(cls, sandbox: Any) -> Redactor:
        """A redactor over a :class:`~agent.sandbox.Sandbox`'s workspace and data roots."""
        roots = list(getattr(sandbox, "roots", ()))
        return cls(getattr(sandbox, "workspace", None), roots)

    def text(self, value: str) -> str:
        """``value`` with every server path rewritten."""
        if "/" not in value:
            return value
        if self._roots is not None:
            value = self._roots.sub(self._root_match, value)
        return _OTHER.sub(_other_match, value)

    def _root_match(self, match: re.Match[str]) -> str:
        return "" if match.group("sep") else self._labels[match.group("root")]

    def __call__(self, value: Any) -> Any:
        """``value`` (JSON data: dicts, lists, strings, numbers) with its strings rewritten."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: v if k in KEEP_KEYS else self(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self(v) for v in value]
        if isinstance(value, Path):
            return self.text(str(value))
        return value


def _other_match(match: re.Match[str]) -> str:
    found = match.group(0)
    trail = ""
    while found and found[-1] in ".:":  # sentence punctuation after the path
        found, trail = found[:-1], found[-1] + trail
    name = found.rsplit("/", 1)[-1]
    return f"{SERVER_LABEL}/{name}{trail}" if name else match.group(0)


def redact_text(value: str, redactor: Redactor | None = None) -> str:
    """``value`` rewritten by ``redactor`` (default: no roots; every absolute path hidden)."""
    return (redactor or Redactor()).text(value)
