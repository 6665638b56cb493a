"""An append-only JSON-lines file that never ends in a torn line.

Records are buffered and written with `os.write` on `flush()`; when a write fails part-way (a
full disk, a file-size limit) the file is cut back to the end of the last complete write, so
every line in it parses, and the error (naming the file) is raised.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


class LineFile:
    """Whole JSON lines, written in batches, fsynced on close.

    Args:
        path: the file; created (or truncated) when opened.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd: int | None = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        self._pending: list[str] = []
        self._size = 0  # bytes of complete lines on disk
        self.lines = 0

    @property
    def pending(self) -> int:
        """Records waiting for the next flush."""
        return len(self._pending)

    def append(self, record: dict[str, Any]) -> None:
        """Queue one record (one line); it reaches the file at the next `flush()`."""
        self._pending.append(json.dumps(record) + "\n")

    def flush(self) -> None:
        """Write the queued records as whole lines; on failure cut the partial write off and raise."""
        if not self._pending or self._fd is None:
            return
        data = "".join(self._pending).encode("utf-8")
        written = 0
        try:
            while written < len(data):
                written += os.write(self._fd, data[written:])
        except OSError as exc:
            try:
                os.ftruncate(self._fd, self._size)
                os.lseek(self._fd, self._size, os.SEEK_SET)
            except OSError:
                pass
            raise OSError(exc.errno, exc.strerror, str(self.path)) from exc
        self._size += len(data)
        self.lines += len(self._pending)
        self._pending.clear()

    def close(self) -> None:
        """Flush, fsync and close; the file is closed even when the last flush fails."""
        if self._fd is None:
            return
        try:
            self.flush()
            os.fsync(self._fd)
        finally:
            os.close(self._fd)
            self._fd = None
