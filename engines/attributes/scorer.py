"""Zero-shot attribute scoring with CLIP: each garment crop against every attribute prompt of
the groups that apply to its label, a softmax within each group.

The prompt embeddings are computed once per model and kept on disk (`cache_root()/clip_prompts`),
so a service or a run starts without re-encoding them; crops are batched."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engines.attributes.ontology import AttributeOntology, load_ontology
from engines.attributes.settings import AttributeSettings
from engines.cache import cache_root
from engines.checkpoint import _looks_like_path
from engines.errors import ModelLoadError

log = logging.getLogger(__name__)
PAD_GREY = 128


@dataclass
class GarmentAttributes:
    """The attributes of one garment: group -> every attribute of it with its share, best first."""

    groups: dict[str, list[tuple[str, float]]] = field(default_factory=dict)

    def best(self, min_score: float = 0.0) -> dict[str, tuple[str, float]]:
        """The leading attribute of each group, where its share is at least `min_score`."""
        return {g: ranked[0] for g, ranked in self.groups.items() if ranked and ranked[0][1] >= min_score}

    def above(self, min_score: float) -> list[tuple[str, str, float]]:
        """(group, attribute, share) of every attribute whose share is at least `min_score`, best first."""
        found = [(g, name, p) for g, ranked in self.groups.items() for name, p in ranked if p >= min_score]
        return sorted(found, key=lambda item: -item[2])

    def all(self) -> list[tuple[str, str, float]]:
        """(group, attribute, share) of every scored attribute, in group order."""
        return [(g, name, p) for g, ranked in self.groups.items() for name, p in ranked]


def square_crop(image: np.ndarray, box: Sequence[float], margin: float) -> np.ndarray:
    """The box (x1, y1, x2, y2) widened by `margin` of its size, clipped to the image and padded
    with grey to a square (CLIP's centre crop would cut a tall garment otherwise). BGR in, RGB out."""
    x1, y1, x2, y2 = (float(v) for v in box)
    dx, dy = (x2 - x1) * margin, (y2 - y1) * margin
    h, w = image.shape[:2]
    left, top = max(0, int(x1 - dx)), max(0, int(y1 - dy))
    right, bottom = min(w, int(np.ceil(x2 + dx))), min(h, int(np.ceil(y2 + dy)))
    crop = image[top:max(bottom, top + 1), left:max(right, left + 1)][:, :, ::-1]
    side = max(crop.shape[:2])
    canvas = np.full((side, side, 3), PAD_GREY, dtype=np.uint8)
    oy, ox = (side - crop.shape[0]) // 2, (side - crop.shape[1]) // 2
    canvas[oy:oy + crop.shape[0], ox:ox + crop.shape[1]] = crop
    return canvas


def _features(output: Any) -> Any:
    """A projected embedding from `get_*_features`, whichever form the transformers version returns."""
    return output if hasattr(output, "norm") else output.pooler_output


def load_clip(ref: str):
    """A CLIP model, its tokenizer and image processor from a hub id or local directory, with one-line errors."""
    from transformers import AutoConfig, AutoImageProcessor, AutoTokenizer, CLIPModel

    if _looks_like_path(ref):
        path = Path(ref).expanduser()
        if not (path / "config.json").is_file():
            raise ModelLoadError(f"CLIP model directory not found or without config.json: {path}")
        ref = str(path)
    try:
        config = AutoConfig.from_pretrained(ref)
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot load CLIP model {ref!r}: not reachable on the Hugging Face Hub and not in the local cache; "
                             "pass a local directory (attributes model) or set HF_HUB_OFFLINE=1 with a warm cache") from exc
    if config.model_type != "clip":
        raise ModelLoadError(f"{ref} is a {config.model_type!r} checkpoint, not CLIP (model_type 'clip')")
    try:
        model = CLIPModel.from_pretrained(ref).eval()
        tokenizer = AutoTokenizer.from_pretrained(ref)
        processor = AutoImageProcessor.from_pretrained(ref)
    except (OSError, ValueError, RuntimeError) as exc:
        raise ModelLoadError(f"cannot load CLIP model, tokenizer or image processor from {ref}: {str(exc).splitlines()[0]}") from exc
    return model, tokenizer, processor


class AttributeScorer:
    """Scores garment crops against the ontology's attribute prompts.

    Args:
        settings: model, device, batch size, threshold.
        ontology: the attribute groups (default: the settings' ontology, or Fashionpedia's).
    """

    def __init__(self, settings: AttributeSettings | None = None, ontology: AttributeOntology | None = None) -> None:
        import torch

        self.settings = settings or AttributeSettings()
        self.ontology = ontology or load_ontology(self.settings.ontology)
        device = self.settings.device
        self.device = torch.device("cuda" if device == "auto" and torch.cuda.is_available() else "cpu" if device == "auto" else device)
        self.model, self.tokenizer, self.processor = load_clip(self.settings.model)
        self.model.to(self.device)
        self.logit_scale = float(self.model.logit_scale.exp().item())
        self.text = self._prompt_embeddings()  # (prompts, dim), unit length
        self.crops_scored = 0
        self.seconds = 0.0

    def _cache_key(self) -> str:
        digest = hashlib.sha256()
        for tensor in (self.model.text_projection.weight, self.model.text_model.final_layer_norm.weight):
            digest.update(tensor.detach().float().cpu().numpy().tobytes())
        digest.update("\n".join(self.ontology.prompts).encode())
        return digest.hexdigest()[:24]

    def _prompt_embeddings(self) -> np.ndarray:
        import torch

        path = cache_root() / "clip_prompts" / f"{self._cache_key()}.npy"
        if path.is_file():
            cached = np.load(path)
            if cached.shape[0] == len(self.ontology.prompts):
                return cached
        start = time.perf_counter()
        chunks = []
        with torch.inference_mode():
            for i in range(0, len(self.ontology.prompts), 64):
                tokens = self.tokenizer(list(self.ontology.prompts[i:i + 64]), padding=True, truncation=True, return_tensors="pt")
                chunks.append(_features(self.model.get_text_features(**tokens.to(self.device))).float().cpu().numpy())
        text = np.concatenate(chunks)
        text /= np.linalg.norm(text, axis=1, keepdims=True).clip(1e-12)
        log.info("encoded %d attribute prompts in %.1f s (cached in %s)", len(text), time.perf_counter() - start, path.parent)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.npy")
            np.save(tmp, text)
            tmp.replace(path)
        except OSError as exc:  # a read-only cache only costs the encoding next time
            log.warning("cannot cache attribute prompts in %s: %s", path.parent, exc)
        return text

    def embed(self, crops: list[np.ndarray]) -> np.ndarray:
        """Unit-length image embeddings of RGB crops, `batch_size` at a time."""
        import torch

        out = []
        with torch.inference_mode():
            for i in range(0, len(crops), self.settings.batch_size):
                pixels = self.processor(images=crops[i:i + self.settings.batch_size], return_tensors="pt")["pixel_values"]
                out.append(_features(self.model.get_image_features(pixel_values=pixels.to(self.device))).float().cpu().numpy())
        embedded = np.concatenate(out) if out else np.zeros((0, self.text.shape[1]), dtype=np.float32)
        return embedded / np.linalg.norm(embedded, axis=1, keepdims=True).clip(1e-12)

    def score(self, image: np.ndarray, boxes: np.ndarray, labels: Sequence[str]) -> list[GarmentAttributes]:
        """The attributes of each box of a BGR image, for the groups its label has (none: empty).

        Args:
            image: the frame (H, W, 3) BGR uint8.
            boxes: (N, 4) x1, y1, x2, y2 in pixels.
            labels: the detector's label of each box.

        Returns:
            One `GarmentAttributes` per box, in order.
        """
        return self.score_many([(image, boxes, labels)])[0]

    def score_many(self, items: Sequence[tuple[np.ndarray, np.ndarray, Sequence[str]]]) -> list[list[GarmentAttributes]]:
        """`score` for several images at once: every crop goes through CLIP in shared batches."""
        start = time.perf_counter()
        crops, where = [], []
        for i, (image, boxes, labels) in enumerate(items):
            for j, (box, label) in enumerate(zip(boxes, labels)):
                if self.ontology.groups_for(str(label)):
                    crops.append(square_crop(image, box, self.settings.margin))
                    where.append((i, j, str(label)))
        results = [[GarmentAttributes() for _ in boxes] for _, boxes, _ in items]
        if not crops:
            return results
        logits = self.logit_scale * self.embed(crops) @ self.text.T
        for row, (i, j, label) in zip(logits, where):
            for group in self.ontology.groups_for(label):
                values = row[list(group.rows)]
                shares = np.exp(values - values.max())
                shares /= shares.sum()
                order = np.argsort(-shares)
                results[i][j].groups[group.name] = [(group.names[k], round(float(shares[k]), 4)) for k in order]
        self.crops_scored += len(crops)
        self.seconds += time.perf_counter() - start
        return results
