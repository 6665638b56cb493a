"""One garment track's label, stabilized: evidence accumulates, a label locks, and it switches only
when a challenger leads by a margin for K consecutive updates (hysteresis)."""

from __future__ import annotations

from stream.tracking.settings import StabilizerSettings


class LabelStabilizer:
    """Feed it each frame's raw label and score; read `label`, `locked`, `confidence`."""

    def __init__(self, settings: StabilizerSettings | None = None) -> None:
        settings = settings or StabilizerSettings()
        self.settings = settings
        self.evidence: dict[str, float] = {}
        self.observations = 0
        self.label: str | None = None  # the shown label: leader until locked, then the locked one
        self.locked = False
        self.raw: str | None = None
        self.challenger: str | None = None
        self.challenger_updates = 0
        self.changes = 0  # times a locked label switched

    def share(self, label: str | None) -> float:
        total = sum(self.evidence.values())
        return self.evidence.get(label, 0.0) / total if total > 0 and label else 0.0

    @property
    def confidence(self) -> float:
        return self.share(self.label)

    def update(self, label: str, score: float) -> bool:
        """Add one observation; True when the shown label switched after being locked."""
        s = self.settings
        # 1. Evidence: every label decays, the observed one gains alpha * score.
        for key in self.evidence:
            self.evidence[key] *= 1.0 - s.alpha
        self.evidence[label] = self.evidence.get(label, 0.0) + s.alpha * score
        self.observations += 1
        self.raw = label
        leader = max(self.evidence, key=lambda name: self.evidence[name])
        # 2. Not locked yet: show the leader (provisional), lock once it has enough evidence.
        if not self.locked:
            self.label = leader
            self.locked = self.observations >= s.min_observations and self.share(leader) >= s.lock_share
            return False
        # 3. Locked: a challenger must lead by the margin for K consecutive updates.
        if leader != self.label and self.share(leader) - self.share(self.label) >= s.switch_margin:
            self.challenger_updates = self.challenger_updates + 1 if leader == self.challenger else 1
            self.challenger = leader
        else:
            self.challenger, self.challenger_updates = None, 0
        if self.challenger_updates >= s.switch_updates:
            self.label, self.challenger, self.challenger_updates = leader, None, 0
            self.changes += 1
            return True
        return False
