"""YOLOS garment detection engines: shared pre/post-processing and interchangeable backends.

    from engines import YolosDetector
    with YolosDetector.from_settings(model="path/to/checkpoint", threshold=0.3) as detector:
        detections = detector.detect([bgr_frame])[0]  # an sv.Detections in frame pixels
"""

from engines.detector import YolosDetector
from engines.errors import EngineError, ModelLoadError
from engines.settings import DEFAULT_MODEL, DetectorSettings

__all__ = ["DEFAULT_MODEL", "DetectorSettings", "EngineError", "ModelLoadError", "YolosDetector"]
