"""`fashion-stream serve grpc`: the Tag My Outfit contract and the product's own service on one
port, with health checking and server reflection.

Errors: an empty, corrupt or non-image payload is INVALID_ARGUMENT; a message over the size
limit (refused by gRPC itself) or an image over the pixel limit is RESOURCE_EXHAUSTED, as are
requests beyond `workers + max_pending`; a result that takes longer than `request_timeout_s` is
DEADLINE_EXCEEDED. The server keeps serving after each of them."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from concurrent import futures

import grpc
import supervision as sv
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from stream.errors import ImageReadError, ImageTooLargeError
from stream.frames import FrameResult
from stream.records import tracked_items
from stream.service import tag_my_outfit
from stream.service.core import TaggingService
from stream.service.protos import fashion_stream_pb2 as fs
from stream.service.protos import fashion_stream_pb2_grpc as fs_grpc
from stream.service.protos import tag_my_outfit_pb2 as tmo
from stream.service.protos import tag_my_outfit_pb2_grpc as tmo_grpc

log = logging.getLogger(__name__)
SERVICE_NAMES = (tmo.DESCRIPTOR.services_by_name["TagMyOutfitService"].full_name,
                 fs.DESCRIPTOR.services_by_name["FashionStream"].full_name)


def _abort_for(context: grpc.ServicerContext, exc: Exception) -> None:
    """End the call with the status that fits the problem (context.abort raises)."""
    if isinstance(exc, ImageTooLargeError):
        context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc))
    if isinstance(exc, ImageReadError):
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
    if isinstance(exc, TimeoutError):
        context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "the detector did not answer in time (server overloaded)")
    log.exception("request failed")
    context.abort(grpc.StatusCode.INTERNAL, f"{type(exc).__name__}: {exc}")


class TagMyOutfit(tmo_grpc.TagMyOutfitServiceServicer):
    """The Tag My Outfit contract (see `stream.service.tag_my_outfit` for how a photo maps to it)."""

    def __init__(self, service: TaggingService) -> None:
        self.service = service

    def _answer(self, requests: list[tmo.PredictRequest], context: grpc.ServicerContext) -> list[tuple[list, list]]:
        try:
            images = [self.service.decode(request.image_data) for request in requests]
            found = self.service.tag(images)
        except Exception as exc:
            _abort_for(context, exc)
            raise  # not reached: abort raises
        answers = []
        for request, detections in zip(requests, found):
            categories, attributes = tag_my_outfit.predict(detections, self.service.labels, request.all_categories, request.all_attributes)
            answers.append(([tmo.Correspondence(label=k, value=v) for k, v in categories],
                            [tmo.Correspondence(label=k, value=v) for k, v in attributes]))
        return answers

    def predict(self, request: tmo.PredictRequest, context: grpc.ServicerContext) -> tmo.PredictResponse:
        """One image -> its main garment's category and attributes."""
        categories, attributes = self._answer([request], context)[0]
        return tmo.PredictResponse(categories=categories, attributes=attributes)

    def stream_predict(self, request_iterator: Iterator[tmo.PredictRequest], context: grpc.ServicerContext) -> tmo.StreamPredictResponse:
        """Many images -> one prediction each, in order (tagged in shared batches)."""
        answers = self._answer(list(request_iterator), context)
        return tmo.StreamPredictResponse(predictions=[tmo.Prediction(categories=c, attributes=a) for c, a in answers])


def _box(values) -> fs.Box:
    return fs.Box(x1=float(values[0]), y1=float(values[1]), x2=float(values[2]), y2=float(values[3]))


def _attributes(found) -> list[fs.Attribute]:
    return [fs.Attribute(group=a.group, label=a.label, score=a.score) for a in found or []]


def detect_response(service: TaggingService, image, detections: sv.Detections) -> fs.DetectResponse:
    """A `DetectResponse` from an image's detections (the same content as the JSON of `detect`)."""
    document = service.document(image, detections)
    items = [fs.Item(label=i["label"], group=i["group"], supercategory=i["supercategory"], score=i["score"], box=_box(i["box"]),
                     color=i.get("color", ""), attributes=[fs.Attribute(**a) for a in i.get("attributes", [])])
             for i in document["items"]]
    return fs.DetectResponse(width=document["width"], height=document["height"], model=document["model"], items=items)


def track_response(result: FrameResult) -> fs.TrackResponse:
    """A `TrackResponse` from a tracked frame."""
    people, garments = [], []
    for track in tracked_items(result.tracked) if result.tracked is not None else []:
        if track.kind == "person":
            outfit = result.outfits.get(track.track_id, {})
            people.append(fs.Person(track_id=track.track_id, box=_box(track.box), outfit=[
                fs.OutfitSlot(slot=name, label=slot.label or "", confidence=slot.confidence, provisional=slot.provisional,
                              color=slot.color or "", parts=slot.parts, attributes=_attributes(slot.attributes), garment=slot.garment)
                for name, slot in outfit.items()]))
        else:
            garments.append(fs.Item(label=track.label or "", score=0.0, box=_box(track.box), color=track.color or "",
                                    attributes=_attributes(track.attributes), track_id=track.track_id, slot=track.slot or "",
                                    person=track.person if track.person is not None else -1))
    events = [fs.Event(event=e.event, person=e.person, json=json.dumps(e.line())) for e in result.events]
    return fs.TrackResponse(frame=result.frame.index, pts=result.frame.pts, people=people, garments=garments, events=events)


class FashionStreamService(fs_grpc.FashionStreamServicer):
    """The product's own service: every item of an image; tracked outfits over a stream of frames."""

    def __init__(self, service: TaggingService) -> None:
        self.service = service

    def Detect(self, request: fs.DetectRequest, context: grpc.ServicerContext) -> fs.DetectResponse:
        """One image -> all its items."""
        try:
            image = self.service.decode(request.image_data)
            detections = self.service.tag([image])[0]
        except Exception as exc:
            _abort_for(context, exc)
            raise
        return detect_response(self.service, image, detections)

    def Track(self, request_iterator: Iterator[fs.TrackRequest], context: grpc.ServicerContext) -> Iterator[fs.TrackResponse]:
        """Frames in -> one tracked result per frame, in order."""
        session = self.service.session()
        for request in request_iterator:
            try:
                result = session.step(request.image_data, request.pts)
            except Exception as exc:
                _abort_for(context, exc)
                raise
            yield track_response(result)


def build_server(service: TaggingService, host: str, port: int) -> tuple[grpc.Server, int, health.HealthServicer]:
    """A started gRPC server with both services, health checking and reflection.

    Args:
        service: what answers.
        host: interface to listen on.
        port: port (0: any free one).

    Returns:
        The server, the port it listens on, and its health servicer (set NOT_SERVING to drain).
    """
    limits = service.config.server
    size = int(limits.max_message_mb * 1024 * 1024)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=limits.workers, thread_name_prefix="grpc"),
                         options=[("grpc.max_receive_message_length", size), ("grpc.max_send_message_length", size)],
                         maximum_concurrent_rpcs=limits.workers + limits.max_pending)
    tmo_grpc.add_TagMyOutfitServiceServicer_to_server(TagMyOutfit(service), server)
    fs_grpc.add_FashionStreamServicer_to_server(FashionStreamService(service), server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for name in (*SERVICE_NAMES, ""):
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    reflection.enable_server_reflection((*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise OSError(f"cannot listen on {host}:{port}")
    server.start()
    return server, bound, health_servicer


def drain(server: grpc.Server, health_servicer: health.HealthServicer, grace_s: float) -> None:
    """Graceful shutdown: health says NOT_SERVING, new calls are refused, calls in flight get `grace_s` to finish."""
    health_servicer.enter_graceful_shutdown()
    server.stop(grace_s).wait()
