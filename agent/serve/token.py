"""The servers' bearer token: from ``EARTHSIGHT_TOKEN``, else a private token file (made once).

Every HTTP server of EarthSight (``earthsight serve``, ``earthsight mcp --http``) needs a token;
there is no unauthenticated mode over the network. Where it comes from, first that applies:

1. an explicit token (Python callers, tests: ``create_app(root, token="...")``);
2. ``EARTHSIGHT_TOKEN`` (set and not empty);
3. the token file: ``EARTHSIGHT_TOKEN_FILE``, default ``$XDG_CONFIG_HOME/earthsight/server-token``
   (``~/.config/earthsight/server-token``). When it does not exist, a new token
   (``secrets.token_urlsafe(32)``) is written there with permissions ``0600`` (its folder, when
   made, ``0700``) and reused on every later start. A token file that others may read or write
   (looser than ``0600``), that another user owns, that is a symlink or that is empty is
   refused with a message saying how to fix it.
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from tools.core.errors import InputError

TOKEN_ENV = "EARTHSIGHT_TOKEN"
TOKEN_FILE_ENV = "EARTHSIGHT_TOKEN_FILE"


@dataclass(frozen=True)
class ServerToken:
    """The token a server checks and where it came from.

    Attributes:
        value: The token.
        source: ``"argument"``, ``"env"`` or ``"file"``.
        path: The token file (source ``"file"``).
        generated: True when the file was written just now (the token is new).
    """

    value: str
    source: str
    path: Path | None = None
    generated: bool = False

    def __repr__(self) -> str:  # never the token itself
        return (f"ServerToken(source={self.source!r}, path={self.path!r}, "
                f"generated={self.generated})")

    def describe(self) -> str:
        """Where the token comes from, for the start-up line (the token only when new)."""
        if self.source == "env":
            return f"token from ${TOKEN_ENV}"
        if self.source == "argument":
            return "token given by the caller"
        if self.generated:
            return f"new token {self.value} saved in {self.path}"
        return f"token from {self.path}"


def token_file_path() -> Path:
    """``EARTHSIGHT_TOKEN_FILE``, else ``$XDG_CONFIG_HOME/earthsight/server-token``."""
    given = os.environ.get(TOKEN_FILE_ENV, "").strip()
    if given:
        return Path(given).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME", "").strip()
    base = Path(config) if config else Path.home() / ".config"
    return base / "earthsight" / "server-token"


def _fix(path: Path) -> str:
    return (f"run `chmod 600 {path}` if the token in it is yours, or delete the file to get a "
            f"new token (or set {TOKEN_ENV})")


def read_token_file(path: Path) -> str:
    """The token stored in ``path``, after checking the file is private.

    Raises:
        InputError: The file is a symlink, not a regular file, owned by another user,
            readable or writable by others (looser than ``0600``), empty or unreadable.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        if path.is_symlink():
            raise InputError(f"token file {path} is a symlink; refused. Replace it with a "
                             "regular file (chmod 600) or delete it") from None
        raise InputError(f"cannot read the token file {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, encoding="utf-8") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"token file {path} is not a regular file; refused")
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            raise InputError(f"token file {path} belongs to another user (uid {info.st_uid}); "
                             f"refused: {_fix(path)}")
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077:
            raise InputError(f"token file {path} has permissions {mode:04o}, looser than 0600 "
                             f"(others may read it); refused: {_fix(path)}")
        token = handle.read().strip()
    if not token:
        raise InputError(f"token file {path} is empty; delete it to get a new token")
    return token


def _write_new(path: Path) -> str | None:
    """Write a new token to ``path`` (0600); None when another process made it first."""
    folder = path.parent
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700)
        os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask
    token = secrets.token_urlsafe(32)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        return None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(token + "\n")
    return token


def load_token(explicit: str | None = None) -> ServerToken:
    """The server's token: ``explicit``, else ``EARTHSIGHT_TOKEN``, else the token file.

    Args:
        explicit: A token given by the caller (None or empty: look further).

    Raises:
        InputError: The token file is refused (see :func:`read_token_file`) or cannot be made.
    """
    if explicit:
        return ServerToken(explicit, "argument")
    env = os.environ.get(TOKEN_ENV, "").strip()
    if env:
        return ServerToken(env, "env")
    path = token_file_path()
    if not path.exists() and not path.is_symlink():
        try:
            made = _write_new(path)
        except OSError as exc:
            raise InputError(f"cannot write the token file {path}: {exc.strerror or exc}; "
                             f"set {TOKEN_ENV} or {TOKEN_FILE_ENV}") from None
        if made is not None:
            return ServerToken(made, "file", path, generated=True)
    return ServerToken(read_token_file(path), "file", path)
