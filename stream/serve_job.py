"""`fashion-stream serve grpc|http`: load the models once, listen, and drain on SIGTERM / Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import logging
import signal
import threading
from typing import Any

from pydantic import ValidationError

from stream.cli_options import DETECTOR_FLAGS, add_flags, apply_options
from stream.config import describe, read_config_file
from stream.errors import StreamError

log = logging.getLogger(__name__)
SERVE_FLAGS = {
    **{flag: f"detector.{name}" for flag, name in DETECTOR_FLAGS.items()},
    "--host": "server.host", "--port": "server.port", "--workers": "server.workers", "--batch-size": "server.batch_size",
    "--max-message-mb": "server.max_message_mb", "--attributes-model": "attributes.model",
}


def add_serve_options(parser: argparse.ArgumentParser) -> None:
    """`serve grpc` and `serve http`, each with the service settings' flags."""
    from stream.service.settings import ServiceConfig

    protocols = parser.add_subparsers(dest="protocol", required=True, parser_class=type(parser))
    for protocol, text in (("grpc", "gRPC: Tag My Outfit's contract and fashion_stream.v1 (port 8061)"),
                           ("http", "HTTP: POST /v1/detect, /healthz, /openapi.json (port 8080)")):
        sub = protocols.add_parser(protocol, help=text)
        sub.add_argument("--config", default=None, help="YAML service config (detector, attributes, tracking, server)")
        sub.add_argument("--no-attributes", action="store_true", help="categories, boxes and colours only (no CLIP model)")
        add_flags(sub, "settings", ServiceConfig, SERVE_FLAGS)


def service_config(args: argparse.Namespace):
    """The service config from `--config` and the flags, with one-line errors naming the option."""
    from stream.service.settings import ServiceConfig

    data: dict[str, Any] = read_config_file(args.config)
    given = apply_options(data, args, SERVE_FLAGS)
    if args.no_attributes:
        data["attributes"] = None
    try:
        return ServiceConfig.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        location = tuple(error["loc"])
        option = next((option for prefix, option in given.items() if location[: len(prefix)] == prefix), None)
        where = f"option {option}" if option else str(args.config or "settings")
        raise StreamError(f"{where}: {describe(error, data)}") from exc


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve until SIGTERM or Ctrl-C, then stop taking requests and finish those in flight."""
    from stream.service.core import TaggingService

    config = service_config(args)
    needed = ("grpc", "grpc_health", "grpc_reflection") if args.protocol == "grpc" else ("fastapi", "uvicorn", "multipart")
    for module in needed:
        if importlib.util.find_spec(module) is None:
            raise StreamError(f"serve {args.protocol} needs the 'serve' extra ({module} is missing): pip install 'fashion-stream[serve]'")
    service = TaggingService(config)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    host, port = config.server.host, config.port(args.protocol)
    try:
        if args.protocol == "grpc":
            from stream.service.grpc_server import build_server, drain

            try:
                server, bound, health = build_server(service, host, port)
            except (OSError, RuntimeError) as exc:
                raise StreamError(f"option --port: cannot listen on {host}:{port} ({exc})") from exc
            print(f"serving gRPC on {host}:{bound} (TagMyOutfitService, fashion_stream.v1.FashionStream, health, reflection)", flush=True)
            stop.wait()
            print(f"stopping: finishing the requests in flight (up to {config.server.grace_s:g} s)", flush=True)
            drain(server, health, config.server.grace_s)
        else:
            _serve_http(service, host, port, config.server.grace_s, stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        service.close()
    print(f"stopped after {service.served} image(s)", flush=True)
    return 0


def _serve_http(service: Any, host: str, port: int, grace_s: float, stop: threading.Event) -> None:
    import asyncio
    import socket

    import uvicorn

    from stream.service.http_app import create_app

    try:
        listener = socket.create_server((host, port))
    except OSError as exc:
        raise StreamError(f"option --port: cannot listen on {host}:{port} ({exc.strerror})") from exc
    class Server(uvicorn.Server):
        def capture_signals(self) -> Any:  # the signals are ours: they set `stop`
            return contextlib.nullcontext()

    app = create_app(service)
    server = Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=max(1, int(grace_s))))

    def watch() -> None:
        stop.wait()
        app.state.accepting = False
        print(f"stopping: finishing the requests in flight (up to {grace_s:g} s)", flush=True)
        server.should_exit = True

    threading.Thread(target=watch, daemon=True).start()
    print(f"serving HTTP on http://{host}:{listener.getsockname()[1]} (POST /v1/detect, /healthz, /docs)", flush=True)
    asyncio.run(server.serve(sockets=[listener]))
    stop.set()
