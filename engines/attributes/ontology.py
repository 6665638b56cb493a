"""The attribute ontology: groups of mutually exclusive attributes, their prompts, and which
groups apply to which detector label. Data in `fashionpedia_attributes.yaml` (package data)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from engines.errors import EngineError


@dataclass(frozen=True)
class AttributeGroup:
    """Attributes of which a garment has one (a softmax is taken over them).

    `rows` index the ontology's prompt list (one prompt per attribute)."""

    name: str
    ids: tuple[int, ...]
    names: tuple[str, ...]
    rows: tuple[int, ...]


@dataclass(frozen=True)
class AttributeOntology:
    """Every attribute prompt, and the groups that apply to each label (lower-case)."""

    prompts: tuple[str, ...]
    groups: dict[str, AttributeGroup]
    by_label: dict[str, tuple[AttributeGroup, ...]]

    def groups_for(self, label: str) -> tuple[AttributeGroup, ...]:
        """The groups scored for a detector label (none for parts, closures, decorations, unknown labels)."""
        return self.by_label.get(label.strip().lower(), ())

    @property
    def attribute_count(self) -> int:
        """How many attributes the ontology has."""
        return len(self.prompts)


def phrase(name: str) -> str:
    """An ontology name as words: "regular (collar)" -> "regular collar", "applique(a)" -> "applique"."""
    name = re.sub(r"\(a\)", "", name)
    return re.sub(r"\s+", " ", re.sub(r"[()]", " ", name)).strip()


def load_ontology(path: str | Path | None = None) -> AttributeOntology:
    """Read an attribute ontology YAML.

    Args:
        path: the file; None reads Fashionpedia's, shipped with the package.

    Returns:
        The ontology.
    """
    source = Path(path) if path is not None else resources.files("engines.attributes") / "fashionpedia_attributes.yaml"
    try:
        data = yaml.safe_load(source.read_text())
        overrides = {int(k): str(v) for k, v in (data.get("prompts") or {}).items()}
        prompts: list[str] = []
        groups: dict[str, AttributeGroup] = {}
        for name, spec in data["groups"].items():
            start = len(prompts)
            members = {int(k): str(v) for k, v in spec["attributes"].items()}
            prompts += [overrides.get(i, spec["prompt"].format(phrase(n))) for i, n in members.items()]
            groups[name] = AttributeGroup(name, tuple(members), tuple(members.values()), tuple(range(start, len(prompts))))
        by_label: dict[str, tuple[AttributeGroup, ...]] = {}
        for spec in data["categories"].values():
            chosen = []
            for group_name in spec["groups"]:
                group = groups[group_name]
                if group_name == "garment nickname" and spec.get("nicknames"):
                    low, high = spec["nicknames"]
                    keep = [k for k, i in enumerate(group.ids) if low <= i <= high]
                    group = AttributeGroup(group.name, tuple(group.ids[k] for k in keep), tuple(group.names[k] for k in keep),
                                           tuple(group.rows[k] for k in keep))
                chosen.append(group)
            for label in spec["labels"]:
                by_label[str(label).lower()] = tuple(chosen)
    except FileNotFoundError as exc:
        raise EngineError(f"attribute ontology not found: {source}") from exc
    except (yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise EngineError(f"attribute ontology {source} is malformed: {exc}") from exc
    return AttributeOntology(tuple(prompts), groups, by_label)
