"""Settings of the attribute scorer (shared by the `attributes` stage, the service and the CLI)."""

from __future__ import annotations

from pydantic import Field

from engines.settings import StrictModel

DEFAULT_CLIP_MODEL = "patrickjohncyh/fashion-clip"


class AttributeSettings(StrictModel):
    """Which CLIP model scores the attributes, how crops are batched, and what counts as present."""

    model: str = Field(DEFAULT_CLIP_MODEL, description="CLIP checkpoint: hub id or local directory (any CLIP model)")
    device: str = Field("auto", pattern=r"^(auto|cpu|cuda(:\d+)?)$", description="auto, cpu, cuda or cuda:N")
    batch_size: int = Field(16, ge=1, le=256, description="garment crops per CLIP call")
    min_score: float = Field(0.5, ge=0, le=1, description="an attribute is reported when its share of its group is at least this")
    margin: float = Field(0.05, ge=0, le=0.5, description="context added around each box before cropping (share of its size)")
    ontology: str | None = Field(None, description="an attribute ontology YAML (default: Fashionpedia's, shipped with the package)")
