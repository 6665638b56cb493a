"""TensorRT backend: a serialized engine run with named I/O tensors and pycuda.

Page-locked host buffers and device buffers are allocated once for the engine's largest batch;
each call copies the batch in, runs `execute_async_v3` and copies the outputs back on one CUDA
stream, synchronising once. The CUDA context is the device's primary context, pushed for each
call, so any thread (the pipeline's inference worker included) may call `infer`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engines.backends.base import RawOutputs
from engines.errors import EngineError
from engines.onnx_model import INPUT_NAME, OUTPUT_NAMES


def batch_plan(batch: int, max_batch: int) -> list[tuple[int, int]]:
    """(start, stop) slices that cover `batch` frames in chunks the engine accepts."""
    if batch < 1:
        raise EngineError("empty batch")
    return [(start, min(start + max_batch, batch)) for start in range(0, batch, max_batch)]


class TensorRTBackend:
    """Runs a TensorRT engine built by `engines.tensorrt_engine.build_engine`."""

    name = "tensorrt"

    def __init__(self, engine_path: str | Path, device_index: int = 0) -> None:
        from engines.tensorrt_engine import import_tensorrt

        trt, cuda = import_tensorrt()
        self.cuda = cuda
        self.context_handle = cuda.Device(device_index).retain_primary_context()
        self.context_handle.push()
        try:
            runtime = trt.Runtime(trt.Logger(trt.Logger.WARNING))
            self.engine = runtime.deserialize_cuda_engine(Path(engine_path).read_bytes())
            if self.engine is None:
                raise EngineError(f"cannot load TensorRT engine {engine_path} (built by another TensorRT version or GPU?)")
            self.context = self.engine.create_execution_context()
            self.stream = cuda.Stream()
            _, _, max_shape = self.engine.get_tensor_profile_shape(INPUT_NAME, 0)
            self.max_batch, self.input_shape = int(max_shape[0]), tuple(int(d) for d in max_shape[1:])
            self.host, self.device = {}, {}
            for name in (INPUT_NAME, *OUTPUT_NAMES):
                dtype = np.dtype(trt.nptype(self.engine.get_tensor_dtype(name)))
                shape = self._full_shape(name, self.max_batch)
                self.host[name] = cuda.pagelocked_empty(int(np.prod(shape)), dtype)
                self.device[name] = cuda.mem_alloc(self.host[name].nbytes)
                self.context.set_tensor_address(name, int(self.device[name]))
        finally:
            self.context_handle.pop()

    def close(self) -> None:
        """Free the device buffers, the execution context and the engine, and let go of the CUDA context."""
        if self.context_handle is None:
            return
        self.context_handle.push()
        try:
            for buffer in self.device.values():
                buffer.free()
            self.device, self.host = {}, {}
            self.context = self.engine = self.stream = None
        finally:
            self.context_handle.pop()
            self.context_handle.detach()
            self.context_handle = None

    def _full_shape(self, name: str, batch: int) -> tuple[int, ...]:
        if name == INPUT_NAME:
            return (batch, *self.input_shape)
        self.context.set_input_shape(INPUT_NAME, (batch, *self.input_shape))
        return tuple(int(d) for d in self.context.get_tensor_shape(name))

    def infer(self, pixel_values: np.ndarray) -> RawOutputs:
        """Run one batch (split into engine-sized chunks if it is larger than the profile's maximum)."""
        if tuple(pixel_values.shape[1:]) != self.input_shape:
            raise EngineError(f"input {pixel_values.shape[1:]} does not match the engine's {self.input_shape}")
        if self.context_handle is None:
            raise EngineError("the tensorrt backend was closed")
        chunks = [self._infer_chunk(pixel_values[a:b]) for a, b in batch_plan(len(pixel_values), self.max_batch)]
        return RawOutputs(logits=np.concatenate([c[0] for c in chunks]), boxes=np.concatenate([c[1] for c in chunks]))

    def _infer_chunk(self, pixel_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        batch = len(pixel_values)
        self.context_handle.push()
        try:
            self.context.set_input_shape(INPUT_NAME, (batch, *self.input_shape))
            staged = self.host[INPUT_NAME][: pixel_values.size].reshape(pixel_values.shape)
            staged[...] = pixel_values  # cast to the engine's input type (FP16 for an FP16 graph)
            self.cuda.memcpy_htod_async(self.device[INPUT_NAME], staged, self.stream)
            if not self.context.execute_async_v3(self.stream.handle):
                raise EngineError("TensorRT execution failed")
            outputs = []
            for name in OUTPUT_NAMES:
                shape = tuple(int(d) for d in self.context.get_tensor_shape(name))
                view = self.host[name][: int(np.prod(shape))].reshape(shape)
                self.cuda.memcpy_dtoh_async(view, self.device[name], self.stream)
                outputs.append(view)
            self.stream.synchronize()
            return tuple(o.astype(np.float32) for o in outputs)
        finally:
            self.context_handle.pop()
