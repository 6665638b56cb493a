"""The settings of a tagging service: the model parts (shared with runs) and the server's limits."""

from __future__ import annotations

from pydantic import Field

from engines.attributes import AttributeSettings
from engines.settings import DetectorSettings, StrictModel
from stream.tracking.settings import TrackingSettings

GRPC_PORT = 8061  # Tag My Outfit's port
HTTP_PORT = 8080


class ServerSettings(StrictModel):
    """How a service listens and what it accepts."""

    host: str = Field("127.0.0.1", description="interface to listen on (0.0.0.0: every interface, as in a container)")
    port: int | None = Field(None, ge=0, le=65535, description=f"port (default {GRPC_PORT} for gRPC, {HTTP_PORT} for HTTP; 0: any free port)")
    max_message_mb: float = Field(16.0, gt=0, le=1024, description="largest request accepted, in MB")
    max_pixels: int = Field(40_000_000, ge=1, description="largest image accepted, in pixels (checked before decoding)")
    workers: int = Field(16, ge=1, le=1024, description="requests handled at once (their images share detector batches)")
    max_pending: int = Field(64, ge=1, description="requests accepted beyond the workers before new ones are refused (RESOURCE_EXHAUSTED / 503)")
    batch_size: int = Field(8, ge=1, le=64, description="images per detector call")
    max_wait_ms: float = Field(10.0, ge=0, description="longest wait for a batch to fill")
    request_timeout_s: float = Field(60.0, gt=0, description="longest time a request may wait for its result")
    grace_s: float = Field(10.0, ge=0, description="on SIGTERM / Ctrl-C: time given to requests in flight")


class ServiceConfig(StrictModel):
    """Everything a service needs; `--config` reads it from YAML, flags and `--set` change it."""

    detector: DetectorSettings = Field(default_factory=DetectorSettings)
    attributes: AttributeSettings | None = Field(default_factory=AttributeSettings, description="null: no attributes")
    tracking: TrackingSettings = Field(default_factory=TrackingSettings, description="the Track stream's tracker")
    server: ServerSettings = Field(default_factory=ServerSettings)

    def port(self, protocol: str) -> int:
        """The port to listen on for `grpc` or `http`."""
        if self.server.port is not None:
            return self.server.port
        return GRPC_PORT if protocol == "grpc" else HTTP_PORT
