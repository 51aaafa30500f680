"""The data directory and the databases in it are the server's alone.

``NETCOURT_DATA_DIR`` holds the database, the keys and the files of every case: it is made
0700, and the SQLite files in it 0600 (SQLite gives its ``-wal`` and ``-shm`` files the
database's mode). One made looser before (by an older version, or by hand) is narrowed when
it is ours, and a warning is logged when it is not, since only its owner can narrow it.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)
OTHERS = 0o077  # the group's and everyone else's bits


def private_dir(path: Path) -> None:
    """Make the directory ``path`` (and missing parents) 0700, or narrow it to that."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    _narrow(path)


def private_database(path: Path) -> None:
    """Make the SQLite database ``path`` an empty file 0600 before SQLite opens it (SQLite
    would make it 0644 less the umask), or narrow it and its ``-wal`` and ``-shm``."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        for each in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            if each.exists():
                _narrow(each)


def _narrow(path: Path) -> None:
    found = path.stat()
    if not found.st_mode & OTHERS:
        return
    if found.st_uid == os.getuid():
        path.chmod(stat.S_IMODE(found.st_mode) & ~OTHERS)
    else:
        log.warning(
            "%s can be read by other users of this machine and is not ours to change: "
            "make it readable by its owner only (chmod go-rwx)",
            path,
        )
