"""Rolling a new corpus snapshot out under running servers: build beside, switch atomically, clean up.

A build writes ``DATA_DIR/index.building/``. :func:`switch_into_place` then exchanges it with ``DATA_DIR/index/``
in one ``renameat2(RENAME_EXCHANGE)`` call (Linux), so every path under ``index/`` names either the old snapshot
or the new one, never a mix and never nothing. Where the kernel or file system cannot exchange, two renames
are used (``index/`` is missing for microseconds). The old snapshot is then deleted; processes that still have
its files open keep reading them (POSIX unlink semantics) until they reopen the index.

:func:`index_stamp` identifies the live snapshot cheaply (the manifest's inode and mtime), so a server can see
that a switch happened and reopen the index before its next build.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import shutil
import sqlite3
from pathlib import Path

AT_FDCWD = -100
RENAME_EXCHANGE = 2
MANIFEST = "manifest.json"


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False when this system cannot."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(AT_FDCWD, os.fsencode(first), AT_FDCWD, os.fsencode(second), RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EXDEV):
        return False
    raise OSError(code, os.strerror(code), str(first), None, str(second))


def switch_into_place(built: Path, live: Path) -> None:
    """Make the complete index in ``built`` the live one at ``live``, atomically where the system allows, and
    delete the old one. ``built`` and ``live`` are siblings (the same file system)."""
    retired = live.with_name(live.name + ".retired")
    if retired.exists():
        shutil.rmtree(retired)
    if live.exists() and _exchange(built, live):
        built.rename(retired)  # ``built`` now holds the old snapshot
    else:
        if live.exists():
            live.rename(retired)
        built.rename(live)
    if retired.exists():
        shutil.rmtree(retired)


def index_stamp(live: Path) -> tuple[int, int] | None:
    """The live snapshot's identity (its manifest's inode and mtime), or None when there is no manifest."""
    try:
        stat = (live / MANIFEST).stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (from Python, SQLite or tantivy, or one it was raised from) says the disk is full."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        text = str(exc).lower()
        if isinstance(exc, sqlite3.Error) and "disk is full" in text:
            return True
        if "no space left on device" in text or "disk quota exceeded" in text:
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False
