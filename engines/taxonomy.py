"""Fashion taxonomy: maps checkpoint labels to Fashionpedia supercategories and shop groups.

The mapping is data (`engines/taxonomy.yaml`, shipped inside the package and read with
importlib.resources, so an installed wheel has it); this module only reads it and answers look-ups.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from engines.errors import EngineError

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
    """Read a taxonomy YAML file.

    Args:
        path: a taxonomy file; None reads the one shipped with the package.

    Returns:
        The taxonomy.
    """
    source = Path(path) if path is not None else resources.files("engines") / "taxonomy.yaml"
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise EngineError(f"taxonomy file not found: {source}") from exc
    except yaml.YAMLError as exc:
        raise EngineError(f"taxonomy file {source} is not valid YAML: {exc}".splitlines()[0]) from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("labels"), dict):
        raise EngineError(f"taxonomy file {source} needs a 'labels' mapping")
    groups = tuple(raw.get("groups") or ())
    labels: dict[str, LabelInfo] = {}
    for name, entry in raw["labels"].items():
        group = entry.get("group") if isinstance(entry, dict) else None
        if group not in groups:
            raise EngineError(f"taxonomy file {path}: label {name!r} has group {group!r}, not one of {list(groups)}")
        key = str(name).strip().lower()
        labels[key] = LabelInfo(str(name), str(entry.get("supercategory", UNKNOWN_SUPERCATEGORY)), str(group))
    return Taxonomy(groups=groups, unknown_group=str(raw.get("unknown_group", "other")), labels=labels)
