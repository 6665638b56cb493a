"""Command-line options derived from the settings models: help, type, choices and default of
each flag come from the model field it sets, so the CLI cannot drift from the settings.

The common settings have a flag (`--threshold` sets `detector.threshold`); every setting can be
given with `--set dotted.path=VALUE` (the value is read as YAML: `--set tracking.enabled=false`,
`--set 'stages=[]'`, `--set sources.0.reconnect.max_attempts=null`).
"""

from __future__ import annotations

import argparse
import types
import typing
from typing import Any, Literal, get_args, get_origin

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from stream.errors import StreamError

DETECTOR_FLAGS = {  # flag -> field of the detector settings
    "--model": "model", "--backend": "backend", "--device": "device", "--threshold": "threshold", "--size": "size",
    "--canvas": "canvas", "--nms-iou": "nms_iou", "--top-k": "top_k", "--threads": "threads", "--fp16": "fp16",
}
RUN_FLAGS = {  # flag -> path in the run config
    **{flag: f"detector.{name}" for flag, name in DETECTOR_FLAGS.items()},
    "--batch-size": "detector.batch_size", "--detect-every": "detector.detect_every", "--out": "output_dir",
    "--person-model": "tracking.person_model", "--serve": "serve",
}


def field_at(model: type[BaseModel], path: str) -> FieldInfo:
    """The field a dotted path names in a settings model."""
    field: FieldInfo | None = None
    for part in path.split("."):
        field = model.model_fields[part]
        inner = [a for a in (field.annotation, *get_args(field.annotation)) if isinstance(a, type) and issubclass(a, BaseModel)]
        model = inner[0] if inner else model
    assert field is not None
    return field


def _canvas(text: str) -> tuple[int, int]:
    try:
        height, width = (int(v) for v in text.lower().split("x"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"canvas must look like 512x864 (height x width), got {text!r}") from exc
    return height, width


def _without_none(annotation: Any) -> Any:
    if get_origin(annotation) in (typing.Union, types.UnionType):
        kept = [a for a in get_args(annotation) if a is not type(None)]
        return kept[0] if len(kept) == 1 else annotation
    return annotation


def add_flag(group: argparse._ArgumentGroup, flag: str, field: FieldInfo) -> None:
    """One option for one settings field: its type, choices, description and default."""
    annotation = _without_none(field.annotation)
    default = field.get_default(call_default_factory=True)
    shown = "none" if default is None else "x".join(map(str, default)) if flag == "--canvas" else " ".join(map(str, default)) \
        if isinstance(default, tuple) else default
    help_text = f"{field.description} (default {shown})" if field.description else None
    if annotation is bool:
        group.add_argument(flag, action="store_true", default=None, help=help_text)
    elif flag == "--canvas":
        group.add_argument(flag, type=_canvas, default=None, metavar="HxW", help=help_text)
    elif get_origin(annotation) is tuple:
        metavar = ("SHORTEST", "LONGEST") if flag == "--size" else None
        group.add_argument(flag, type=get_args(annotation)[0], nargs=len(get_args(annotation)), default=None, metavar=metavar, help=help_text)
    elif get_origin(annotation) is Literal:
        group.add_argument(flag, choices=get_args(annotation), default=None, help=help_text)
    else:
        group.add_argument(flag, type=annotation if annotation in (int, float) else str, default=None, help=help_text)


def add_flags(parser: argparse.ArgumentParser, title: str, model: type[BaseModel], flags: dict[str, str]) -> None:
    """The flags of `flags` (flag -> dotted path in `model`), and `--set` for everything else."""
    group = parser.add_argument_group(title)
    for flag, path in flags.items():
        add_flag(group, flag, field_at(model, path))
    group.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                       help="any setting by its dotted path, the value read as YAML (e.g. tracking.stabilizer.switch_s=1.0)")


def dest(flag: str) -> str:
    """The argparse attribute of a flag."""
    return flag.lstrip("-").replace("-", "_")


def _assign(data: dict[str, Any], path: str, value: Any) -> None:
    keys: list[Any] = [int(part) if part.isdigit() else part for part in path.split(".")]
    node: Any = data
    for key, following in zip(keys, keys[1:]):
        if isinstance(node, list):
            while len(node) <= key:
                node.append({})
            node = node[key]
        else:
            node = node.setdefault(key, [] if isinstance(following, int) else {})
    if isinstance(node, list):
        while len(node) <= keys[-1]:
            node.append({})
    node[keys[-1]] = value


def apply_options(data: dict[str, Any], args: argparse.Namespace, flags: dict[str, str]) -> dict[tuple, str]:
    """Write the given flags and `--set` values into a settings mapping.

    Args:
        data: the settings as a mapping (changed in place).
        args: the parsed command line.
        flags: flag -> dotted path.

    Returns:
        Location of each value given -> the option that gave it (to blame a bad value on it).
    """
    given: dict[tuple, str] = {}
    for flag, path in flags.items():
        value = getattr(args, dest(flag), None)
        if value is not None:
            _assign(data, path, value)
            given[tuple(int(p) if p.isdigit() else p for p in path.split("."))] = flag
    for item in args.set:
        path, sep, text = item.partition("=")
        if not sep or not path.strip():
            raise StreamError(f"option --set: expected PATH=VALUE, got {item!r}")
        try:
            value = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError as exc:
            raise StreamError(f"option --set {path}: the value is not valid YAML: {str(exc).splitlines()[0]}") from exc
        _assign(data, path.strip(), value)
        given[tuple(int(p) if p.isdigit() else p for p in path.strip().split("."))] = f"--set {path.strip()}"
    return given
