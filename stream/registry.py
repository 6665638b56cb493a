"""Registries of the pluggable parts (sinks, stages): a config entry's `type` names the class.

A new sink or stage is one new file in `stream/sinks/` or `stream/stages/`: a settings model
with `type: Literal["name"]` and the class, decorated with `@SINKS.register(SettingsModel)` (or
`STAGES`). The package imports every module of its folder, so nothing else is edited; the run
config then accepts `{type: name, ...}` with that model's keys and limits.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BeforeValidator, SerializeAsAny

from engines.settings import StrictModel

T = TypeVar("T")


class PartSettings(StrictModel):
    """Settings of one configured sink or stage; subclasses fix `type` with a Literal."""

    type: str


class Registry(Generic[T]):
    """Settings model -> class, for one kind of part."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._by_type: dict[str, tuple[type[PartSettings], Callable[..., T]]] = {}

    def register(self, settings_type: type[PartSettings]) -> Callable[[type], type]:
        """Class decorator: the class is built with `cls.from_settings(settings, **context)`."""
        name = settings_type.model_fields["type"].default
        if not isinstance(name, str):
            raise TypeError(f"{settings_type.__name__}.type needs a default: its {self.kind} type name")

        def add(cls: type) -> type:
            self._by_type[name] = (settings_type, getattr(cls, "from_settings"))  # noqa: B009 - checked by the registry's users
            return cls

        return add

    def names(self) -> list[str]:
        """Every registered type name."""
        return sorted(self._by_type)

    def build(self, settings: PartSettings, **context: Any) -> T:
        """The part a settings entry describes."""
        return self._by_type[settings.type][1](settings, **context)

    def model_for(self, name: object) -> type[PartSettings] | None:
        """The settings model of a type name (None when unknown)."""
        found = self._by_type.get(name) if isinstance(name, str) else None
        return found[0] if found else None

    def validate(self, value: Any) -> PartSettings:
        """A config entry as the settings model its `type` names (looked up when validated, so a
        part registered after the config module was imported is accepted too)."""
        if isinstance(value, PartSettings):
            return value
        if not isinstance(value, dict) or "type" not in value:
            raise ValueError(f"a {self.kind} entry needs a type: one of {', '.join(self.names())}")
        model = self.model_for(value["type"])
        if model is None:
            raise ValueError(f"unknown {self.kind} type {value['type']!r}: choose one of {', '.join(self.names())}")
        return model.model_validate(value)

    def entry(self, base: type[PartSettings]) -> Any:
        """The pydantic type of a config list entry of this registry."""
        return Annotated[SerializeAsAny[base], BeforeValidator(self.validate)]  # type: ignore[valid-type,misc]


def import_all(package: str, folder: Path) -> None:
    """Import every module of a package's folder (so each registers what it defines)."""
    for module in pkgutil.iter_modules([str(folder)]):
        importlib.import_module(f"{package}.{module.name}")
