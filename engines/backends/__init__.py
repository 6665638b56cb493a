"""Inference backends: each turns a normalised NCHW float32 batch into raw YOLOS head outputs."""

from engines.backends.base import Backend, RawOutputs

__all__ = ["Backend", "RawOutputs"]
