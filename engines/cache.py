"""The engines' on-disk cache: compiled models, converted graphs, measured backend choices."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """`$FASHION_STREAM_CACHE`, else `~/.cache/fashion-stream`."""
    return Path(os.environ.get("FASHION_STREAM_CACHE", Path.home() / ".cache" / "fashion-stream"))
