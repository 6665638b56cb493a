"""Source URIs: what kind of source a URI names, and how to show it without its secrets.

Camera URLs often carry credentials (`rtsp://user:password@host/stream`). Everything the
product writes or logs about a source (ids, file names, records, errors) goes through
`redact` or `default_source_id`, so a password never leaves the process.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import SplitResult, urlsplit, urlunsplit

NETWORK_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://", "rtmp://", "udp://", "tcp://")
_SECRET_QUERY_KEYS = re.compile(r"(?i)^(pass(word)?|pwd|token|key|secret|auth|signature|sig)$")


def is_network(uri: str) -> bool:
    """True for a URL read over the network (rtsp, http(s), rtmp, udp, tcp)."""
    return uri.lower().startswith(NETWORK_SCHEMES)


def is_webcam(uri: str) -> bool:
    """True for a webcam index such as '0'."""
    return uri.isdigit()


def _netloc_without_userinfo(parts: SplitResult) -> str:
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port else host


def redact(uri: str) -> str:
    """The URI with its password (and secret-looking query values) replaced by '***'.

    Args:
        uri: a source URI (a path, a webcam index or a URL).

    Returns:
        The same URI, safe to log and store: `rtsp://admin:***@cam/stream`.
    """
    if not is_network(uri):
        return uri
    try:
        parts = urlsplit(uri)
        netloc = _netloc_without_userinfo(parts)
    except ValueError:
        return re.sub(r"//[^/@]*@", "//***@", uri)
    if parts.username is not None:
        user = parts.username + (":***" if parts.password is not None else "")
        netloc = f"{user}@{netloc}"
    query = "&".join(
        f"{key}=***" if _SECRET_QUERY_KEYS.match(key) else pair
        for pair in parts.query.split("&") if pair
        for key in [pair.split("=", 1)[0]]
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def without_userinfo(url: str) -> str:
    """The URL without `user:password@` and without a fragment (to fetch it without credentials)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, _netloc_without_userinfo(parts), parts.path, parts.query, ""))


def default_source_id(uri: str, index: int) -> str:
    """A file-system-safe id for a source that has none: a file's stem, a webcam's index, or a
    URL's host, port and path without its user, password or query.

    Args:
        uri: the source URI.
        index: the source's position in the run (for a name when nothing else is left).

    Returns:
        e.g. `clip` for `videos/clip.mp4`, `webcam0` for `0`, `cam.local_554_stream1` for
        `rtsp://admin:pw@cam.local:554/stream1`.
    """
    if is_webcam(uri):
        name = f"webcam{uri}"
    elif is_network(uri):
        try:
            parts = urlsplit(uri)
            name = f"{_netloc_without_userinfo(parts)}{parts.path}"
        except ValueError:
            name = ""
    else:
        name = Path(uri.removeprefix("file://").rstrip("/")).stem
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_.") or f"source{index}"
