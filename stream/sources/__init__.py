"""Frame sources: readers that only read, and the threaded state machine that drives them."""

from stream.sources.readers import FrameReader, ReaderError, open_reader_for
from stream.sources.runner import SourceRunner, SourceState
from stream.sources.settings import ReconnectSettings, SourceSettings

__all__ = ["FrameReader", "ReaderError", "ReconnectSettings", "SourceRunner", "SourceSettings", "SourceState", "open_reader_for"]
