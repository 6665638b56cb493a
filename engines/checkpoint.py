"""Finding and loading YOLOS checkpoints: a Hugging Face Hub id or a local directory."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from engines.errors import ModelLoadError
from engines.taxonomy import Taxonomy

GENERIC_LABEL = re.compile(r"^LABEL_\d+$")

log = logging.getLogger(__name__)


def _looks_like_path(ref: str) -> bool:
    """A ref is local when it exists on disk or cannot be a hub id ('name' or 'org/name')."""
    return Path(ref).expanduser().exists() or ref.startswith((".", "/", "~")) or ref.count("/") > 1 or (os.sep != "/" and os.sep in ref)


def _check_local_checkpoint(path: Path) -> None:
    if not path.exists():
        raise ModelLoadError(f"model directory not found: {path}")
    if not path.is_dir():
        raise ModelLoadError(f"model path {path} is a file; pass the checkpoint directory (with config.json)")
    if not (path / "config.json").is_file():
        raise ModelLoadError(f"{path} is not a YOLOS checkpoint: it has no config.json")


def load_yolos_model(ref: str):
    """Load `YolosForObjectDetection` from a hub id or a local directory, with one-line errors."""
    from transformers import AutoConfig, YolosForObjectDetection

    if _looks_like_path(ref):
        _check_local_checkpoint(Path(ref).expanduser())
        ref = str(Path(ref).expanduser())
    try:
        config = AutoConfig.from_pretrained(ref)
    except (OSError, ValueError) as exc:
        if Path(ref).is_dir():
            raise ModelLoadError(f"{ref} is not a YOLOS checkpoint: {str(exc).splitlines()[0]}") from exc
        raise ModelLoadError(
            f"cannot load model {ref!r}: not reachable on the Hugging Face Hub and not in the local cache; "
            "pass a local checkpoint directory (--model DIR) or set HF_HUB_OFFLINE=1 with a warm cache"
        ) from exc
    if config.model_type != "yolos":
        raise ModelLoadError(f"{ref} is a {config.model_type!r} checkpoint, not YOLOS (model_type 'yolos')")
    try:
        model = YolosForObjectDetection.from_pretrained(ref)
    except (OSError, ValueError, RuntimeError) as exc:
        raise ModelLoadError(f"cannot load YOLOS weights from {ref}: {str(exc).splitlines()[0]}") from exc
    return model.eval()


def resolve_labels(id2label: dict[int, str], taxonomy: Taxonomy) -> dict[int, str]:
    """The checkpoint's labels; generic `LABEL_n` names are replaced by the taxonomy's, in order.

    Some fine-tuned checkpoints (the default one among them) ship without class names. When
    every name is generic and the taxonomy lists exactly as many labels, its order is used.
    """
    labels = {int(k): str(v) for k, v in id2label.items()}
    names = [info.name for info in taxonomy.labels.values()]
    if labels and all(GENERIC_LABEL.match(v) for v in labels.values()) and len(labels) == len(names):
        log.info("checkpoint has generic label names; using the taxonomy's %d names in order", len(names))
        return dict(enumerate(names))
    return labels
