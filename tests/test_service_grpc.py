"""The gRPC service over 127.0.0.1: a client generated from Tag My Outfit's own proto text calls it
unchanged; the product's service; health and reflection; limits and bad payloads; batching;
graceful shutdown; and `fashion-stream serve grpc` as a user starts and stops it."""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_tools import protoc

from stream.service.protos import fashion_stream_pb2 as fs
from stream.service.protos import fashion_stream_pb2_grpc as fs_grpc
from tests.media import write_h264
from tests.service_helpers import free_port, grpc_server, jpeg, make_service
from tools.make_checkpoint import make_checkpoint

REPO = Path(__file__).resolve().parents[1]
# The contract as the Tag My Outfit service publishes it (its interface repository's service.proto, comments left out).
TAG_MY_OUTFIT_PROTO = """syntax = "proto3";
service TagMyOutfitService {
    rpc predict (PredictRequest) returns (PredictResponse);
    rpc stream_predict (stream PredictRequest) returns (StreamPredictResponse);
}
message PredictRequest { bytes image_data = 1; bool all_categories = 2; bool all_attributes = 3; }
message PredictResponse { repeated Correspondence categories = 2; repeated Correspondence attributes = 3; }
message StreamPredictResponse { repeated Prediction predictions = 1; }
message Prediction { repeated Correspondence categories = 1; repeated Correspondence attributes = 2; }
message Correspondence { string label = 1; double value = 2; }
"""


@pytest.fixture(scope="module")
def models(tmp_path_factory, tiny_clip):
    checkpoint = make_checkpoint(tmp_path_factory.mktemp("ckpt") / "yolos", favour={"shirt, blouse": 6.0, "pants": 6.0})
    return checkpoint, tiny_clip


@pytest.fixture(scope="module")
def server(models):
    service, detector = make_service(*models)
    with grpc_server(service) as port:
        yield port, service, detector
    service.close()


CLIENT = """
import json, sys
import grpc
import service_pb2 as pb2, service_pb2_grpc as pb2_grpc

port, calls = sys.argv[1], json.load(open(sys.argv[2]))
def pairs(items):
    return [[c.label, c.value] for c in items]
out = []
with grpc.insecure_channel("127.0.0.1:" + port) as channel:
    stub = pb2_grpc.TagMyOutfitServiceStub(channel)
    for call in calls:
        requests = [pb2.PredictRequest(image_data=open(path, "rb").read(), all_categories=call.get("all_categories", False),
                                       all_attributes=call.get("all_attributes", False)) for path in call["images"]]
        try:
            if call["rpc"] == "predict":
                answer = stub.predict(requests[0], timeout=120)
                out.append({"code": "OK", "categories": pairs(answer.categories), "attributes": pairs(answer.attributes)})
            else:
                answer = stub.stream_predict(iter(requests), timeout=120)
                out.append({"code": "OK", "predictions": [{"categories": pairs(p.categories), "attributes": pairs(p.attributes)}
                                                          for p in answer.predictions]})
        except grpc.RpcError as exc:
            out.append({"code": exc.code().name, "details": exc.details()})
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def their_client(tmp_path_factory):
    """A client made from Tag My Outfit's proto text (stubs generated here, as its users have them); it runs in a
    process of its own, like theirs (both protos declare PredictRequest without a package, so one process holds one)."""
    folder = tmp_path_factory.mktemp("their_client")
    (folder / "service.proto").write_text(TAG_MY_OUTFIT_PROTO)
    assert protoc.main(["protoc", f"-I{folder}", f"--python_out={folder}", f"--grpc_python_out={folder}",
                        f"--descriptor_set_out={folder / 'service.desc'}", str(folder / "service.proto")]) == 0
    (folder / "client.py").write_text(CLIENT)
    return folder


def call_theirs(folder: Path, port: int, calls: list[dict]) -> list[dict]:
    """Run Tag My Outfit's client against `port`: each call {"rpc": "predict" | "stream_predict", "images": [paths], flags}."""
    (folder / "calls.json").write_text(json.dumps([{**c, "images": [str(p) for p in c["images"]]} for c in calls]))
    done = subprocess.run([sys.executable, str(folder / "client.py"), str(port), str(folder / "calls.json")], cwd=folder,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def write(folder: Path, name: str, data: bytes) -> Path:
    (folder / name).write_bytes(data)
    return folder / name


def test_their_client_calls_predict_and_stream_predict_unchanged(server, their_client, street_photo, tmp_path):
    port, service, _ = server
    other = write(tmp_path, "other.jpg", jpeg(seed=1))
    one, everything, streamed = call_theirs(their_client, port, [
        {"rpc": "predict", "images": [street_photo]},
        {"rpc": "predict", "images": [street_photo], "all_categories": True, "all_attributes": True},
        {"rpc": "stream_predict", "images": [street_photo, other, street_photo]}])
    assert one["code"] == "OK" and len(one["categories"]) == 1 and one["categories"][0][0] in ("shirt, blouse", "pants")
    assert all(value > 0.5 for _, value in one["attributes"])
    label = one["categories"][0][0]
    assert everything["categories"][0][0] == label and sorted(c for c, _ in everything["categories"]) == sorted(service.labels)
    groups = service.scorer.ontology.groups_for(label)
    assert len(everything["attributes"]) == sum(len(g.names) for g in groups), "every attribute of the garment's groups"
    assert sum(v for _, v in everything["attributes"]) == pytest.approx(len(groups), abs=0.01), "a share per group"
    assert len(streamed["predictions"]) == 3
    assert streamed["predictions"][0] == streamed["predictions"][2] == {"categories": one["categories"], "attributes": one["attributes"]}


def _structure(file):
    """A file descriptor without what protoc fills in only for descriptor sets (JSON names)."""
    for message in file.message_type:
        for field in message.field:
            field.ClearField("json_name")
    return file


def test_the_wire_format_is_tag_my_outfits(their_client):
    from google.protobuf import descriptor_pb2

    from stream.service.protos import tag_my_outfit_pb2 as ours

    theirs = _structure(descriptor_pb2.FileDescriptorSet.FromString((their_client / "service.desc").read_bytes()).file[0])
    mine = _structure(descriptor_pb2.FileDescriptorProto.FromString(ours.DESCRIPTOR.serialized_pb))
    assert theirs.package == mine.package == ""
    assert list(theirs.message_type) == list(mine.message_type), "the same messages, field names, numbers and types"
    assert list(theirs.service) == list(mine.service), "the same service and methods (path /TagMyOutfitService/predict)"


def test_the_generated_code_matches_the_protos(tmp_path):
    from google.protobuf import descriptor_pb2

    for name in ("tag_my_outfit", "fashion_stream"):
        out = tmp_path / f"{name}.desc"
        assert protoc.main(["protoc", f"-I{REPO}", f"--descriptor_set_out={out}", f"stream/service/protos/{name}.proto"]) == 0
        fresh = _structure(descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file[0])
        committed = _structure(descriptor_pb2.FileDescriptorProto.FromString(
            importlib.import_module(f"stream.service.protos.{name}_pb2").DESCRIPTOR.serialized_pb))
        assert fresh == committed, f"regenerate stream/service/protos/{name}_pb2*.py (see the README)"


def test_own_service_detect_gives_every_item_with_box_group_colour_attributes(server, street_photo):
    port, service, _ = server
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        answer = fs_grpc.FashionStreamStub(channel).Detect(fs.DetectRequest(image_data=street_photo.read_bytes()))
    height, width = cv2.imread(str(street_photo)).shape[:2]
    assert (answer.width, answer.height) == (width, height) and len(answer.items) >= 2
    for item in answer.items:
        assert item.group in ("tops", "bottoms") and item.color and 0 <= item.box.x1 < item.box.x2 <= width
        allowed = {g.name for g in service.scorer.ontology.groups_for(item.label)}
        assert all(a.group in allowed and a.score >= 0.5 for a in item.attributes)


def test_own_service_track_answers_each_frame_in_order_with_stable_outfits(server, tmp_path):
    import av

    port, _, _ = server
    video = write_h264(tmp_path / "walk.mp4", frames=30, fps=10)
    with av.open(str(video)) as container:
        frames = [cv2.imencode(".jpg", f.to_ndarray(format="bgr24"))[1].tobytes() for f in container.decode(video=0)]
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        answers = list(fs_grpc.FashionStreamStub(channel).Track(fs.TrackRequest(image_data=f, pts=i / 10) for i, f in enumerate(frames)))
    assert [a.frame for a in answers] == list(range(30)) and [a.pts for a in answers] == pytest.approx([i / 10 for i in range(30)])
    assert any(a.people for a in answers) and any(e.event == "appear" for a in answers for e in a.events)
    last = answers[-1]
    slots = [slot for person in last.people for slot in person.outfit]
    assert slots and all(slot.label for slot in slots if not slot.provisional)
    ids = [p.track_id for p in last.people] + [g.track_id for g in last.garments]
    assert len(ids) == len(set(ids)), "one id space for people and garments"


def test_health_and_reflection_list_the_services(server):
    from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

    port, _, _ = server
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        services = set(ProtoReflectionDescriptorDatabase(channel).get_services())
        assert {"TagMyOutfitService", "fashion_stream.v1.FashionStream", "grpc.health.v1.Health"} <= services
        health = health_pb2_grpc.HealthStub(channel)
        for name in ("", "TagMyOutfitService", "fashion_stream.v1.FashionStream"):
            assert health.Check(health_pb2.HealthCheckRequest(service=name)).status == health_pb2.HealthCheckResponse.SERVING


def test_bad_payloads_get_their_status_and_the_server_keeps_serving(models, their_client, tmp_path):
    service, _ = make_service(*models, max_message_mb=1, max_pixels=1_000_000)
    good = write(tmp_path, "good.jpg", jpeg())
    big = cv2.imencode(".png", cv2.resize(cv2.imread(str(good)), (1500, 1000)))[1].tobytes()
    assert len(big) < 1024 * 1024, "small enough to pass the message limit"
    cases = {"empty": (b"", "INVALID_ARGUMENT"), "text": (b"hello, not an image", "INVALID_ARGUMENT"),
             "truncated": (jpeg()[: len(jpeg()) // 3], "INVALID_ARGUMENT"), "noise": (os.urandom(4096), "INVALID_ARGUMENT"),
             "oversized": (b"\0" * (2 * 1024 * 1024), "RESOURCE_EXHAUSTED"), "too many pixels": (big, "RESOURCE_EXHAUSTED")}
    calls = []
    for name, (payload, _) in cases.items():
        calls += [{"rpc": "predict", "images": [write(tmp_path, name, payload)]}, {"rpc": "predict", "images": [good]}]
    calls.append({"rpc": "stream_predict", "images": [good, write(tmp_path, "junk", b"junk")]})
    with grpc_server(service) as port:
        answers = call_theirs(their_client, port, calls)
    service.close()
    for (name, (_, status)), bad, after in zip(cases.items(), answers[0::2], answers[1::2]):
        assert bad["code"] == status, (name, bad)
        assert after["code"] == "OK", f"the server still serves after {name}"
    assert answers[-1]["code"] == "INVALID_ARGUMENT"


def test_concurrent_requests_share_detector_batches_and_excess_is_refused(models):
    from stream.service.protos import tag_my_outfit_pb2 as tmo
    from stream.service.protos import tag_my_outfit_pb2_grpc as tmo_grpc

    service, detector = make_service(models[0], None, delay_s=0.3, workers=8, max_pending=2, batch_size=8, max_wait_ms=50)
    results: list = []

    def call(stub):
        try:
            stub.predict(tmo.PredictRequest(image_data=jpeg()))
            results.append("ok")
        except grpc.RpcError as exc:
            results.append(exc.code())

    with grpc_server(service) as port, grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = tmo_grpc.TagMyOutfitServiceStub(channel)
        threads = [threading.Thread(target=call, args=(stub,)) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    service.close()
    assert results.count("ok") >= 8 and set(results) <= {"ok", grpc.StatusCode.RESOURCE_EXHAUSTED}
    assert grpc.StatusCode.RESOURCE_EXHAUSTED in results, "beyond workers + max_pending, requests are refused"
    assert max(detector.batches) > 1 and len(detector.batches) < results.count("ok"), detector.batches


def test_serve_grpc_starts_answers_and_drains_on_sigterm(models, their_client, tmp_path):
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "stream.cli", "serve", "grpc", "--model", str(models[0]),
                                "--attributes-model", str(models[1]), "--port", str(port)],
                               cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = process.stdout.readline()
        assert f"serving gRPC on 127.0.0.1:{port}" in line, line
        assert call_theirs(their_client, port, [{"rpc": "predict", "images": [write(tmp_path, "a.jpg", jpeg())]}])[0]["code"] == "OK"
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
    finally:
        process.kill()
    assert process.returncode == 0 and "stopped after 1 image(s)" in output, output


def test_a_port_in_use_is_a_one_line_error(models, capsys):
    import socket

    from stream.cli import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        start = time.monotonic()
        rc = main(["serve", "http", "--model", str(models[0]), "--no-attributes", "--port", str(port)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and err[-1].startswith("error: option --port: cannot listen on 127.0.0.1:") and time.monotonic() - start < 60


def test_the_shipped_service_config_holds_the_defaults_and_bad_options_are_one_line(models, capsys):
    from stream.cli import build_parser, main
    from stream.serve_job import service_config
    from stream.service.settings import ServiceConfig

    assert service_config(build_parser().parse_args(["serve", "grpc", "--config", str(REPO / "configs/service.yaml")])) == ServiceConfig()
    for args, expected in ((["--port", "70000"], "error: option --port: "), (["--workers", "0"], "error: option --workers: "),
                           (["--set", "server.colour=1"], "error: option --set server.colour: unknown key 'server.colour'")):
        assert main(["serve", "grpc", "--model", str(models[0]), *args]) == 2
        assert capsys.readouterr().err.strip().splitlines()[-1].startswith(expected), args
