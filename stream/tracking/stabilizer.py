"""One garment track's label, stabilized over time: evidence accumulates, a label locks, and it
switches only when a challenger has led by a margin for long enough (hysteresis).

Evidence is weighed by the time an observation covers (the gap since the previous one, capped),
and decays with a half-life in seconds, so a label's share is about the share of recent time it
was seen, whatever the frame rate or `detect_every`. A detector's errors come in bursts (the
same pose or light gives the same confusion for a while): a burst must outlast about
`half_life_s * log2(2 / (1 - switch_margin)) + switch_s` to change a locked label, which is
also how long a true change takes to be followed. The garment's colour tells the two apart: a
look-alike confusion keeps the colour, a garment taken off shows another one; so a challenger
seen in the same colour must lead for `same_color_switch_s` instead of `switch_s`.
"""

from __future__ import annotations

from stream.tracking.settings import StabilizerSettings

MIN_STEP_S = 0.04  # the weight of the first observation (and of observations closer than this)
MAX_STEP_S = 0.5  # an observation after a long gap counts no more than this


class LabelStabilizer:
    """Feed it each detector run's raw label, score and time; read `label`, `locked`, `confidence`."""

    def __init__(self, settings: StabilizerSettings | None = None) -> None:
        self.settings = settings or StabilizerSettings()
        self.evidence: dict[str, float] = {}
        self.observations = 0
        self.label: str | None = None  # the shown label: the leader until locked, then the locked one
        self.locked = False
        self.raw: str | None = None
        self.leader: str | None = None
        self.leader_since = 0.0
        self.challenger: str | None = None
        self.challenger_since = 0.0
        self.changes = 0  # times a locked label switched
        self.corrected = False  # the last switch kept the colour: a look-alike corrected, not a garment changed
        self.colors: dict[str, dict[str, float]] = {}  # label -> colour -> evidence (decaying like the labels')
        self._last_t: float | None = None
        self._first_t: float | None = None

    def share(self, label: str | None) -> float:
        """The share of all evidence that `label` holds (0 for None)."""
        total = sum(self.evidence.values())
        return self.evidence.get(label, 0.0) / total if total > 0 and label else 0.0

    @property
    def confidence(self) -> float:
        """The shown label's share of the evidence."""
        return self.share(self.label)

    def color_of(self, label: str | None) -> str | None:
        """The colour most seen with `label` recently (None when no colour was seen)."""
        seen = self.colors.get(label or "", {})
        return max(seen, key=lambda name: seen[name]) if seen else None

    def update(self, label: str, score: float, t: float, color: str | None = None) -> bool:
        """Add one observation at time `t` (seconds).

        Args:
            label: this detector run's raw label for the garment.
            score: its score.
            t: presentation time.
            color: the colour name of its pixels, when known.

        Returns:
            True when a locked label switched to another one.
        """
        s = self.settings
        step = MIN_STEP_S if self._last_t is None else min(MAX_STEP_S, max(MIN_STEP_S, t - self._last_t))
        if self._last_t is not None and t > self._last_t:
            decay = 0.5 ** ((t - self._last_t) / s.half_life_s)
            for key in self.evidence:
                self.evidence[key] *= decay
            for seen in self.colors.values():
                for name in seen:
                    seen[name] *= decay
        self._last_t = t
        if self._first_t is None:
            self._first_t = t
        self.evidence[label] = self.evidence.get(label, 0.0) + score * step
        if color:
            seen = self.colors.setdefault(label, {})
            seen[color] = seen.get(color, 0.0) + score * step
        self.observations += 1
        self.raw = label
        leader = max(self.evidence, key=lambda name: self.evidence[name])
        if leader != self.leader:
            self.leader, self.leader_since = leader, t
        if not self.locked:  # provisional: show the leader; lock once the garment was seen long enough and it leads clearly
            self.label = leader
            self.locked = self.share(leader) >= s.lock_share and t - self._first_t >= s.lock_s and t - self.leader_since >= s.lock_s / 4
            return False
        if leader != self.label and self.share(leader) - self.share(self.label) >= s.switch_margin:
            if leader != self.challenger:
                self.challenger, self.challenger_since = leader, t
        else:
            self.challenger = None
        if self.challenger is not None and t - self.challenger_since >= self._switch_after(self.challenger):
            self.corrected = self._same_color(self.challenger)
            self.label, self.challenger = self.challenger, None
            self.changes += 1
            return True
        return False

    def _same_color(self, challenger: str) -> bool:
        now, before = self.color_of(challenger), self.color_of(self.label)
        return now is not None and before is not None and now == before

    def _switch_after(self, challenger: str) -> float:
        """How long `challenger` must lead: longer when it is seen in the locked label's colour."""
        return self.settings.same_color_switch_s if self._same_color(challenger) else self.settings.switch_s
