"""`fashion-stream serve http`: `POST /v1/detect` (an uploaded image -> the JSON `detect` writes),
`GET /healthz`, and the OpenAPI schema at `/openapi.json` (`/docs` to try it).

Errors are JSON `{"detail": "..."}`: 400 empty, corrupt or non-image upload; 413 an upload over
`max_message_mb` or an image over `max_pixels`; 422 no `image` field; 503 overloaded (more than
`workers + max_pending` requests at once) or shutting down; 504 no result in `request_timeout_s`."""

from __future__ import annotations

import threading
from typing import Any

from fastapi import FastAPI, HTTPException, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from stream.errors import ImageReadError, ImageTooLargeError
from stream.records import Item
from stream.service.core import TaggingService


class DetectDocument(BaseModel):
    """The garments of one image (the JSON `fashion-stream detect` writes)."""

    image: str
    width: int
    height: int
    model: str
    threshold: float
    items: list[Item]


class Problem(BaseModel):
    """An error: what was wrong with the request."""

    detail: str


class Health(BaseModel):
    """Whether the service takes requests."""

    status: str
    served: int


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "empty, corrupt or not an image"},
    413: {"model": Problem, "description": "upload or image over the limits"},
    503: {"model": Problem, "description": "overloaded or shutting down"},
    504: {"model": Problem, "description": "no result in time"},
}


def create_app(service: TaggingService) -> FastAPI:
    """The HTTP API over a tagging service.

    Args:
        service: what answers (its config's server limits apply).

    Returns:
        The FastAPI application (run it with uvicorn).
    """
    limits = service.config.server
    app = FastAPI(title="fashion-stream", version="1", description="Garments, colours and Fashionpedia attributes of an image.")
    slots = threading.BoundedSemaphore(limits.workers + limits.max_pending)
    app.state.accepting = True

    @app.middleware("http")
    async def refuse_oversized(request: Any, call_next: Any) -> Any:
        """An upload whose declared length is over the limit is refused before it is read."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limits.max_message_mb * 1024 * 1024 + 64 * 1024:  # + the multipart envelope
            return JSONResponse(status_code=413, content={"detail": f"upload over {limits.max_message_mb:g} MB"})
        return await call_next(request)

    @app.exception_handler(HTTPException)
    async def problem(_request: Any, exc: HTTPException) -> JSONResponse:
        return JSONResponse(status_code=exc.status_code, content={"detail": str(exc.detail)})

    @app.post("/v1/detect", response_model=DetectDocument, response_model_exclude_none=True, responses=ERRORS)
    async def detect(image: UploadFile) -> dict[str, Any]:
        """Every garment of the uploaded image, with its box, group, colour and attributes."""
        if not app.state.accepting:
            raise HTTPException(503, "shutting down")
        if not slots.acquire(blocking=False):
            raise HTTPException(503, f"overloaded: more than {limits.workers + limits.max_pending} requests at once; retry later")
        try:
            data = await image.read(int(limits.max_message_mb * 1024 * 1024) + 1)
            if len(data) > limits.max_message_mb * 1024 * 1024:
                raise HTTPException(413, f"upload over {limits.max_message_mb:g} MB")
            return await run_in_threadpool(_tag, service, data, image.filename or "upload")
        finally:
            slots.release()

    @app.get("/healthz", response_model=Health, responses={503: {"model": Health, "description": "shutting down"}})
    async def healthz() -> Any:
        """`ok` while requests are taken."""
        body = {"status": "ok" if app.state.accepting else "shutting down", "served": service.served}
        return body if app.state.accepting else JSONResponse(status_code=503, content=body)

    return app


def _tag(service: TaggingService, data: bytes, name: str) -> dict[str, Any]:
    try:
        image = service.decode(data)
    except ImageTooLargeError as exc:
        raise HTTPException(413, str(exc)) from exc
    except ImageReadError as exc:
        raise HTTPException(400, str(exc)) from exc
    try:
        detections = service.tag([image])[0]
    except TimeoutError as exc:
        raise HTTPException(504, "the detector did not answer in time (server overloaded)") from exc
    return service.document(image, detections, name)
