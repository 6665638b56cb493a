"""Output helpers: output folders, whole-or-nothing JSON files, JSON-lines files that never end
in a torn line, and the terminal tables of summaries."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import supervision as sv

from stream.errors import StreamError


def prepare_output_dir(out_dir: Path) -> Path:
    """Create `out_dir` and check that it can be written.

    Returns:
        The folder.

    Raises:
        StreamError: one line naming the folder and the reason.
    """
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StreamError(f"cannot create output directory {out_dir}: {exc.strerror}") from exc
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise StreamError(f"output directory {out_dir} is not writable")
    return out_dir


def write_json_atomically(path: Path, payload: dict[str, Any]) -> None:
    """Write `path` whole or not at all (temporary file, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(payload, indent=2))
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


def group_counts(detections: sv.Detections) -> Counter[str]:
    """How many detections fall in each group."""
    return Counter(str(g) for g in detections.data.get("group", []))


def format_table(header: list[str], rows: Iterable[list[Any]]) -> str:
    """A plain-text table with right-aligned numbers, for terminal summaries."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in cells)) if cells else len(str(h)) for i, h in enumerate(header)]
    lines = ["  ".join(str(h).ljust(w) if i == 0 else str(h).rjust(w) for i, (h, w) in enumerate(zip(header, widths)))]
    lines.append("  ".join("-" * w for w in widths))
    for row in cells:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
    return "\n".join(lines)


class LineFile:
    """An append-only JSON-lines file: whole lines, written in batches, fsynced on close.

    Records are buffered and written with `os.write` on `flush()`; when a write fails part-way (a
    full disk, a file-size limit) the file is cut back to the end of the last complete line that
    reached it, so every line in it parses and no whole record is given up, and the error (naming
    the file) is raised.

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
        self.opened = time.time()
        self.rotated: list[Path] = []

    def rotate_if_due(self, max_bytes: float | None, max_age_s: float | None) -> Path | None:
        """When the file has grown past `max_bytes` or is older than `max_age_s`, close it as
        `<stem>.<UTC start><suffix>` (e.g. events.20261124T093000.123456Z.jsonl, names in time order)
        and start a new one.

        Returns:
            The rotated file, or None.
        """
        due = (max_bytes is not None and self._size >= max_bytes) or (max_age_s is not None and time.time() - self.opened >= max_age_s)
        if not due or self._fd is None or not self._size:
            return None
        self.flush()
        os.fsync(self._fd)
        os.close(self._fd)
        opened = self.opened
        while True:  # a name no earlier rotation took (two in one microsecond: the next microsecond)
            stamp = datetime.fromtimestamp(opened, timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
            target = self.path.with_name(f"{self.path.stem}.{stamp}{self.path.suffix}")
            if not target.exists():
                break
            opened += 1e-6
        os.replace(self.path, target)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        self._size, self.opened = 0, time.time()
        self.rotated.append(target)
        return target

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
            kept = data.rfind(b"\n", 0, written) + 1  # the whole lines that made it to the disk stay
            try:
                os.ftruncate(self._fd, self._size + kept)
                os.lseek(self._fd, self._size + kept, os.SEEK_SET)
                self._size += kept
                self.lines += data[:kept].count(b"\n")
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
