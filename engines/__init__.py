"""YOLOS garment detection engines: shared pre/post-processing and interchangeable backends."""

from engines.detector import DetectorSettings, YolosDetector
from engines.errors import EngineError, ModelLoadError

__all__ = ["DetectorSettings", "EngineError", "ModelLoadError", "YolosDetector"]
