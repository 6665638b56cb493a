"""The `fashion-stream` command line: `detect` on images (and the other jobs as they land)."""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from pydantic import ValidationError

from engines.errors import EngineError
from stream.cli_options import DETECTOR_FLAGS, RUN_FLAGS, add_flags, apply_options
from stream.errors import StreamError
from stream.sinks import SINKS

log = logging.getLogger("fashion-stream")


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line, without the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see '{self.prog} --help')\n")


def add_export_options(parser: argparse.ArgumentParser) -> None:
    """Options of `export onnx`."""
    parser.add_argument("--model", required=True, help="hub id or local YOLOS checkpoint directory")
    parser.add_argument("--out", type=Path, required=True, help="output .onnx file")
    parser.add_argument("--input-size", type=int, nargs=2, metavar=("H", "W"), default=(512, 864),
                        help="fixed model input, multiples of 16 (default 512 864)")
    parser.add_argument("--opset", type=int, default=18)
    parser.add_argument("--optimize", action="store_true", help="apply ONNX Runtime transformer fusions")
    parser.add_argument("--int8", action="store_true", help="dynamic INT8 quantization of the weights (CPU)")
    parser.add_argument("--fp16", action="store_true", help="FP16 graph and I/O, LayerNorm in FP32 (for TensorRT / GPUs)")
    parser.add_argument("--no-verify", action="store_true", help="skip the ONNX Runtime vs PyTorch check")


def build_parser() -> argparse.ArgumentParser:
    """The full command-line grammar (the settings options derived from the settings models)."""
    from engines.settings import DetectorSettings
    from stream.config import RunConfig

    parser = OneLineParser(prog="fashion-stream", description="Fine-grained garment detection on images and video.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    detect = commands.add_parser("detect", help="detect garments in images (files or folders)")
    detect.add_argument("inputs", nargs="+", metavar="IMG_OR_DIR")
    detect.add_argument("--out", type=Path, default=Path("out/detect"), help="output folder (default out/detect)")
    add_flags(detect, "detector", DetectorSettings, DETECTOR_FLAGS)
    add_attribute_options(detect)

    run = commands.add_parser("run", help="run the streaming pipeline on videos, folders, webcams or network streams")
    run.add_argument("--config", type=Path, default=None, help="YAML run config (see configs/)")
    run.add_argument("--source", action="append", default=None, metavar="URI",
                     help="video file, image folder, webcam index or rtsp/http URL (repeatable); fills the config's "
                          "sources in order, keeping their settings (id, timeouts, reconnect)")
    run.add_argument("--source-id", action="append", default=None, metavar="ID",
                     help="name of the matching --source in file names and records (default: the config's id, else from the URI)")
    run.add_argument("--sink", default=None, help="comma-separated sink types, replacing the config's: " + ", ".join(SINKS.names()))
    run.add_argument("--overwrite", action="store_true", help="replace the outputs of an earlier run in the output folder")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument("--no-tracking", action="store_true", help="detections only: no people, tracks or outfits")
    add_flags(run, "settings", RunConfig, RUN_FLAGS)
    add_attribute_options(run)

    run.add_argument("--store", default=None, metavar="URL_OR_FILE",
                     help="event store of the `store` sink (added when the sinks lack one): a SQLite file or a database URL")

    from stream.report_job import add_report_options

    add_report_options(commands.add_parser("report", help="tables, an HTML report with charts, and exports from an event store"))

    from stream.serve_job import add_serve_options

    add_serve_options(commands.add_parser("serve", help="answer images over gRPC (Tag My Outfit's contract) or HTTP"))

    export = commands.add_parser("export", help="export the model for a faster engine")
    formats = export.add_subparsers(dest="format", required=True, parser_class=OneLineParser)
    add_export_options(formats.add_parser("onnx", help="ONNX file (fixed input size, dynamic batch) for --backend onnx/tensorrt"))
    openvino = formats.add_parser("openvino", help="INT8 .onnx for --backend openvino, calibrated on your own video (NNCF)")
    openvino.add_argument("--model", required=True, help="hub id or local YOLOS checkpoint directory")
    openvino.add_argument("--out", type=Path, required=True, help="output .onnx file (INT8)")
    openvino.add_argument("--calibrate", type=Path, required=True, metavar="VIDEO", help="footage of the cameras the model will watch")
    openvino.add_argument("--frames", type=int, default=300, help="calibration frames, spread over the video (default 300)")
    openvino.add_argument("--input-size", type=int, nargs=2, metavar=("H", "W"), default=(512, 864),
                          help="fixed model input, multiples of 16 (default 512 864)")
    engine = formats.add_parser("tensorrt", help="build (or find in the cache) the TensorRT engine of an exported .onnx")
    engine.add_argument("onnx", help="a file written by `fashion-stream export onnx`")
    engine.add_argument("--precision", choices=("fp16", "fp32"), default="fp16")
    engine.add_argument("--max-batch", type=int, default=8)
    return parser


def add_attribute_options(parser: argparse.ArgumentParser) -> None:
    """`--attributes` and `--attributes-model`: Fashionpedia attributes of each garment (a CLIP model)."""
    from engines.attributes import DEFAULT_CLIP_MODEL

    parser.add_argument("--attributes", action="store_true", help="score Fashionpedia's attributes of each garment with a CLIP model")
    parser.add_argument("--attributes-model", default=None, metavar="HUB_ID_OR_DIR",
                        help=f"the CLIP model of --attributes (implies it; default {DEFAULT_CLIP_MODEL})")


def attribute_scorer(args: argparse.Namespace):
    """The attribute scorer `--attributes` asks for (None without it)."""
    from engines.attributes import AttributeScorer, AttributeSettings

    if not (args.attributes or args.attributes_model):
        return None
    return AttributeScorer(AttributeSettings(**({"model": args.attributes_model} if args.attributes_model else {})))


def detector_settings(args: argparse.Namespace):
    """DetectorSettings from the command-line options (unset options keep their defaults)."""
    from engines.settings import DetectorSettings
    from stream.config import describe

    data: dict = {}
    given = apply_options(data, args, DETECTOR_FLAGS)
    try:
        return DetectorSettings(**data)
    except ValidationError as exc:
        error = exc.errors()[0]
        option = given.get(tuple(error["loc"])[:1], "settings")
        raise StreamError(f"option {option}: {describe(error)}") from exc


def _quiet_libraries() -> None:
    """Keep library chatter (download retries, weight-loading bars, FFmpeg's note on each H.264
    encoder it tries before the video sink falls back to mp4v) out of the user's terminal."""
    import os

    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET; read when OpenCV first uses FFmpeg
    import cv2
    import huggingface_hub
    import transformers

    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)  # our one-line errors say what OpenCV warns about

    huggingface_hub.utils.logging.set_verbosity_error()
    logging.getLogger("huggingface_hub").setLevel(logging.ERROR)
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


def cmd_detect(args: argparse.Namespace) -> int:
    """Run `detect` and print the per-group summary; exit 1 if some images could not be read."""
    from engines.detector import YolosDetector
    from stream.detect_job import collect_images, run_detect
    from stream.io import prepare_output_dir

    images = collect_images(args.inputs)  # fail fast, before the model loads
    prepare_output_dir(args.out)
    detector = YolosDetector.from_settings(detector_settings(args))
    report = run_detect(images, detector, args.out, scorer=attribute_scorer(args))
    if report.counts:
        print(report.table(detector.taxonomy.all_groups))
    print(f"wrote {len(report.counts)} JSON + PNG pair(s) to {args.out}", file=sys.stderr)
    if report.failures:
        print(f"error: {len(report.failures)} image(s) could not be read (see above)", file=sys.stderr)
        return 1
    return 0


def run_config_from(args: argparse.Namespace):
    """The YAML config with the command-line values applied, validated as a whole; a bad value
    is blamed on the config file or on the option that gave it."""
    from stream.assembly import with_sources
    from stream.config import load_config, parse_config

    data = load_config(args.config).model_dump(mode="python")  # a bad file is blamed on the file
    origin = str(args.config) if args.config else "command line"
    given: dict[tuple, str] = {}
    if args.source or args.source_id:  # --source-id alone names the config's own sources
        data = with_sources(data, args.source or data["sources"], args.source_id)
        given[("sources",)] = "--source" if args.source else "--source-id"
    if args.sink:
        data["sinks"] = [{"type": name.strip()} for name in args.sink.split(",") if name.strip()]
        given[("sinks",)] = "--sink"
    if args.overwrite:
        data["overwrite"] = True
    if args.no_progress:
        data["progress"] = False
    if args.no_tracking:
        data["tracking"]["enabled"] = False
    if args.attributes or args.attributes_model:
        stage = next((stage for stage in data["stages"] if stage.get("type") == "attributes"), None)
        if stage is None:
            stage = {"type": "attributes"}
            data["stages"].append(stage)
        if args.attributes_model:
            stage["model"] = args.attributes_model
        given[("stages",)] = "--attributes-model" if args.attributes_model else "--attributes"
    if args.store:
        store = next((sink for sink in data["sinks"] if sink.get("type") == "store"), None)
        if store is None:
            store = {"type": "store"}
            data["sinks"].append(store)
        store["url"] = args.store
        given[("sinks",)] = "--store"
    given.update(apply_options(data, args, RUN_FLAGS))
    return parse_config(data, origin, given)


def cmd_run(args: argparse.Namespace) -> int:
    """Run the streaming pipeline."""
    from stream.run_job import run

    return run(run_config_from(args))


def cmd_export(args: argparse.Namespace) -> int:
    """Export to ONNX, or build a TensorRT engine from an export."""
    if args.format == "onnx":
        from engines.export_onnx import export_onnx, max_output_difference

        path = export_onnx(args.model, args.out, tuple(args.input_size), args.opset, args.optimize, args.int8, args.fp16)
        message = f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB, input {args.input_size[0]}x{args.input_size[1]}, dynamic batch)"
        if not args.no_verify:
            message += f"; max |ORT - PyTorch| on random input: {max_output_difference(args.model, path):.2e}"
        print(message)
        return 0
    if args.format == "openvino":
        import tempfile

        from engines.export_onnx import export_onnx
        from engines.quantize_int8 import quantize_int8

        if not args.calibrate.is_file():
            raise StreamError(f"option --calibrate: video not found: {args.calibrate}")
        with tempfile.TemporaryDirectory() as folder:
            fp32 = export_onnx(args.model, Path(folder) / "fp32.onnx", tuple(args.input_size))
            path = quantize_int8(fp32, args.out, args.calibrate, args.frames)
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB, INT8, calibrated on {args.frames} frames of {args.calibrate}); "
              f"run it with --backend openvino --model {path}")
        return 0
    from engines.tensorrt_engine import build_engine

    print(build_engine(args.onnx, precision=args.precision, max_batch=args.max_batch))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Read an event store back (see `stream.report_job`)."""
    from stream.report_job import cmd_report as report

    return report(args)


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve images over gRPC or HTTP (see `stream.serve_job`)."""
    from stream.serve_job import cmd_serve as serve

    return serve(args)


COMMANDS = {"detect": cmd_detect, "run": cmd_run, "export": cmd_export, "report": cmd_report, "serve": cmd_serve}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse, run, and turn every user-facing failure into one line on stderr."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    _quiet_libraries()
    try:
        return COMMANDS[args.command](args)
    except EngineError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        print(f"error: unexpected {type(exc).__name__}: {exc} (run with --debug for details)", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
