"""Errors of the streaming side, each with a message fit for a one-line CLI report."""

from engines.errors import EngineError


class StreamError(EngineError):
    """A problem with input, output or configuration that the user can fix."""


class ImageReadError(StreamError):
    """An image file is missing, unreadable, corrupt or unsupported."""


class ImageTooLargeError(ImageReadError):
    """An image has more pixels than the limit (refused before it is decoded)."""
