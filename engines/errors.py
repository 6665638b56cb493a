"""Errors raised by the engine layer, each with a message fit for a one-line CLI report."""


class EngineError(Exception):
    """A problem the user can fix (bad setting, missing model, missing optional dependency)."""


class ModelLoadError(EngineError):
    """A checkpoint could not be found, fetched or recognised as YOLOS."""
