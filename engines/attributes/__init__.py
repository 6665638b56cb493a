"""Garment attributes: zero-shot scoring of Fashionpedia's 294 attributes with a CLIP model.

    from engines.attributes import AttributeScorer, AttributeSettings
    scorer = AttributeScorer(AttributeSettings(model="patrickjohncyh/fashion-clip"))
    per_box = scorer.score(bgr_image, detections.xyxy, detections.data["class_name"])
    per_box[0].best(min_score=0.5)   # {"neckline type": ("v-neck", 0.81), ...}
"""

from engines.attributes.ontology import AttributeGroup, AttributeOntology, load_ontology
from engines.attributes.scorer import AttributeScorer, GarmentAttributes
from engines.attributes.settings import DEFAULT_CLIP_MODEL, AttributeSettings

__all__ = ["DEFAULT_CLIP_MODEL", "AttributeGroup", "AttributeOntology", "AttributeScorer", "AttributeSettings", "GarmentAttributes",
           "load_ontology"]
