"""Fashion taxonomy: maps checkpoint labels to Fashionpedia supercategories and shop groups.

The mapping is data (`configs/taxonomy.yaml`); this module only reads it and answers look-ups.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from engines.errors import EngineError

DEFAULT_TAXONOMY_PATH = Path(__file__).resolve().parents[1] / "configs" / "taxonomy.yaml"
UNKNOWN_SUPERCATEGORY = "unknown"


@dataclass(frozen=True)
class LabelInfo:
    """What the product knows of one class label."""

    name: str
    supercategory: str
    group: str


@dataclass(frozen=True)
class Taxonomy:
    """Label name -> (supercategory, group), with a fallback group for unknown labels."""

    groups: tuple[str, ...]
    unknown_group: str
    labels: dict[str, LabelInfo]

    def lookup(self, name: str) -> LabelInfo:
        """Return the info for `name`; unknown labels land in the fallback group."""
        info = self.labels.get(name.strip().lower())
        if info is None:
            return LabelInfo(name, UNKNOWN_SUPERCATEGORY, self.unknown_group)
        return LabelInfo(name, info.supercategory, info.group)

    @property
    def all_groups(self) -> tuple[str, ...]:
        """Every group a detection can be in, the fallback last."""
        return (*self.groups, self.unknown_group)


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read a taxonomy YAML file (default: the one shipped in `configs/`)."""
    path = Path(path) if path is not None else DEFAULT_TAXONOMY_PATH
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError as exc:
        raise EngineError(f"taxonomy file not found: {path}") from exc
    except yaml.YAMLError as exc:
        raise EngineError(f"taxonomy file {path} is not valid YAML: {exc}".splitlines()[0]) from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("labels"), dict):
        raise EngineError(f"taxonomy file {path} needs a 'labels' mapping")
    groups = tuple(raw.get("groups") or ())
    labels: dict[str, LabelInfo] = {}
    for name, entry in raw["labels"].items():
        group = entry.get("group") if isinstance(entry, dict) else None
        if group not in groups:
            raise EngineError(f"taxonomy file {path}: label {name!r} has group {group!r}, not one of {list(groups)}")
        key = str(name).strip().lower()
        labels[key] = LabelInfo(str(name), str(entry.get("supercategory", UNKNOWN_SUPERCATEGORY)), group)
    return Taxonomy(groups=groups, unknown_group=str(raw.get("unknown_group", "other")), labels=labels)
