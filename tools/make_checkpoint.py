"""Write a randomly initialised YOLOS checkpoint with the Fashionpedia labels (or a CLIP model
with a tokenizer and image processor made here) to a directory.

For tests, benchmarks and trying the product without Hub access: the weights are random, so the
detections and attribute scores mean nothing, but every code path (loading, backends, export,
prompt cache, crops) is the real one; the sizes are the real models', so timings are theirs.

    python -m tools.make_checkpoint --preset tiny  --out /tmp/yolos-tiny-random
    python -m tools.make_checkpoint --preset small --out /tmp/yolos-small-random
    python -m tools.make_checkpoint --kind clip --preset base --out /tmp/clip-base-random
"""

from __future__ import annotations

import argparse
from pathlib import Path

from engines.taxonomy import load_taxonomy

PRESETS = {
    # hidden size, layers, heads, MLP size, detection tokens
    "tiny": dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, num_detection_tokens=10),
    "yolos-tiny": dict(hidden_size=192, num_hidden_layers=12, num_attention_heads=3, intermediate_size=768, num_detection_tokens=100),
    "small": dict(hidden_size=384, num_hidden_layers=12, num_attention_heads=6, intermediate_size=1536, num_detection_tokens=100),
}


def fashionpedia_id2label() -> dict[int, str]:
    """The 46 Fashionpedia class names in category-id order, from the shipped taxonomy."""
    return {i: info.name for i, info in enumerate(load_taxonomy().labels.values())}


def spread_random_weights(model) -> None:
    """Give the zero-initialised tokens and the heads real spread.

    transformers initialises the [CLS]/detection tokens and position embeddings to zero, so a
    fresh model answers every query identically; tests need detections that differ per query
    and follow the image content.
    """
    import torch

    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.startswith("vit.embeddings.") and "patch_embeddings" not in name:
                param.normal_(0.0, 1.0)
            elif name.startswith(("class_labels_classifier.", "bbox_predictor.")) and name.endswith("weight"):
                param.normal_(0.0, 1.5 / param.shape[1] ** 0.5)
            elif name.endswith("patch_embeddings.projection.weight"):
                param.normal_(0.0, 2.0 / (param[0].numel()) ** 0.5)


def make_checkpoint(out: str | Path, preset: str = "tiny", seed: int = 0, id2label: dict[int, str] | None = None,
                    favour: dict[str, float] | None = None) -> Path:
    """Build a random `YolosForObjectDetection` from `preset` and `save_pretrained` it to `out`.

    Args:
        out: the folder to write.
        preset: the model size (see PRESETS).
        seed: for the random weights.
        id2label: class names (default: Fashionpedia's 46).
        favour: class name -> logit bias, so those classes come out with high scores (a random
            model that detects garments at the default threshold, for end-to-end tests).

    Returns:
        The folder.
    """
    import torch
    from transformers import YolosConfig, YolosForObjectDetection

    id2label = id2label or fashionpedia_id2label()
    config = YolosConfig(
        **PRESETS[preset],
        image_size=[800, 1333],
        use_mid_position_embeddings=False,  # as in hustvl/yolos-small and yolos-tiny
        num_labels=len(id2label),
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
    )
    torch.manual_seed(seed)
    model = YolosForObjectDetection(config).eval()
    spread_random_weights(model)
    if favour:
        label2id = {name: i for i, name in id2label.items()}
        with torch.no_grad():
            bias = model.class_labels_classifier.layers[-1].bias
            for name, boost in favour.items():
                bias[label2id[name]] += boost
    out = Path(out)
    model.save_pretrained(out)
    return out


CLIP_PRESETS = {  # text / vision towers; base: ViT-B/32, fashion-clip's architecture
    "tiny": dict(text=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2),
                 vision=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, image_size=64, patch_size=16),
                 projection_dim=16),
    "base": dict(text=dict(hidden_size=512, intermediate_size=2048, num_hidden_layers=12, num_attention_heads=8),
                 vision=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12, image_size=224, patch_size=32),
                 projection_dim=512),
}


def write_tokenizer(out: Path) -> int:
    """A byte-level BPE tokenizer with no merges (one token per character): CLIP's format, made here.

    Returns:
        The vocabulary size.
    """
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import CLIPTokenizer

    chars = sorted(ByteLevel.alphabet())
    vocab = {token: i for i, token in enumerate([*chars, *(c + "</w>" for c in chars), "<|startoftext|>", "<|endoftext|>"])}
    CLIPTokenizer(vocab=vocab, merges=[]).save_pretrained(out)
    return len(vocab)


def make_clip(out: str | Path, preset: str = "tiny", seed: int = 0) -> Path:
    """Build a random `CLIPModel` from `preset` and save it with its tokenizer and image processor.

    Args:
        out: the folder to write.
        preset: `tiny` or `base` (ViT-B/32 sizes).
        seed: for the random weights.

    Returns:
        The folder.
    """
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    vocab_size = write_tokenizer(out)
    spec = CLIP_PRESETS[preset]
    config = CLIPConfig(text_config=dict(**spec["text"], vocab_size=vocab_size, max_position_embeddings=77,
                                         bos_token_id=vocab_size - 2, eos_token_id=vocab_size - 1, pad_token_id=vocab_size - 1),
                        vision_config=spec["vision"], projection_dim=spec["projection_dim"])
    torch.manual_seed(seed)
    CLIPModel(config).eval().save_pretrained(out)
    size = spec["vision"]["image_size"]
    CLIPImageProcessor(size={"shortest_edge": size}, crop_size={"height": size, "width": size}).save_pretrained(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=("yolos", "clip"), default="yolos")
    parser.add_argument("--preset", choices=sorted({*PRESETS, *CLIP_PRESETS}), default="tiny")
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(make_clip(args.out, args.preset, args.seed) if args.kind == "clip" else make_checkpoint(args.out, args.preset, args.seed))


if __name__ == "__main__":
    main()
