"""Frame sources: readers that only read, and the threaded state machine that drives them."""

from stream.sources.readers import FrameReader, ReaderError, open_reader_for
from stream.sources.runner import ReconnectPolicy, SourceRunner, SourceState

__all__ = ["FrameReader", "ReaderError", "ReconnectPolicy", "SourceRunner", "SourceState", "open_reader_for"]
