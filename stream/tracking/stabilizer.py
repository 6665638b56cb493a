"""One garment track's label, stabilized over time: evidence accumulates, a label locks, and it
switches only when a challenger has led by a margin for long enough (hysteresis).

A label first locks once the garment was seen for `lock_s` and the label holds `lock_share` of
the evidence both recently and over all the time seen, so a burst of confusion in a garment's
first seconds does not lock (and announce) a wrong label; after `2 * lock_s` the label that
leads both locks anyway (a garment whose label stays in doubt is still part of the outfit, and
taking it off is still a change). Until then the label is provisional: the label leading over
all the time seen, changing only when another leads it there by `switch_margin` (so a
look-alike burst in a garment's first seconds does not make it flicker on screen).

Evidence is weighed by the time an observation covers (the gap since the previous one, capped),
and decays with a half-life in seconds, so a label's share is about the share of recent time it
was seen, whatever the frame rate or `detect_every`. A detector's errors come in bursts (the
same pose or light gives the same confusion for a while). The garment's colour tells a burst from
a true change: a look-alike confusion keeps the colour (the pixels are the same whatever the
label), a garment taken off shows another one. So the colour the garment shows now, whatever
label it was seen with, is compared with the colour it showed when its label locked: while they
agree, a challenger must lead by `switch_margin` for `same_color_switch_s` (a burst must outlast
about `half_life_s * log2(2 / (1 - switch_margin)) + same_color_switch_s`); once they differ,
leading for `switch_s` is enough, so a change is followed in about `half_life_s + switch_s`
even when the detector keeps the old label on the new garment for a while.
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
        self.challenger: str | None = None
        self.challenger_since = 0.0
        self.changes = 0  # times a locked label switched
        self.corrected = False  # the last switch kept the colour: a look-alike corrected, not a garment changed
        self.seen: dict[str, float] = {}  # label -> evidence since first seen, not decaying (for the first lock)
        self.colors: dict[str, float] = {}  # colour -> evidence, whatever the label (decaying like the labels')
        self.locked_color: str | None = None  # the garment's colour when its label locked or last switched
        self.color: str | None = None  # the colour the garment showed most recently, whatever label it was seen with
        self._color_since = 0.0  # since when it has shown that colour
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

    @property
    def color_changed(self) -> bool:
        """True when the garment now shows another colour than when its label locked or last switched."""
        now = self.color
        return now is not None and self.locked_color is not None and now != self.locked_color

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
            for name in self.colors:
                self.colors[name] *= decay
        self._last_t = t
        if self._first_t is None:
            self._first_t = t
        self.evidence[label] = self.evidence.get(label, 0.0) + score * step
        if color:
            self.colors[color] = self.colors.get(color, 0.0) + score * step
            now = max(self.colors, key=lambda name: self.colors[name])  # decay keeps the order: only a new sighting changes it
            if now != self.color:
                self.color, self._color_since = now, t
        self.observations += 1
        self.raw = label
        leader = max(self.evidence, key=lambda name: self.evidence[name])
        if not self.locked:  # provisional: show the overall leader; lock once the garment was seen long enough and it leads clearly
            self.seen[label] = self.seen.get(label, 0.0) + score * step
            seen_for, overall = t - self._first_t, max(self.seen, key=lambda name: self.seen[name])
            total = sum(self.seen.values())
            if self.label is None or (self.seen[overall] - self.seen.get(self.label, 0.0)) / total >= s.switch_margin:
                self.label = overall  # provisional: the clear leader over all the time seen (a burst does not flip it)
            self.locked = ((seen_for >= s.lock_s and self.share(leader) >= s.lock_share  # clearly, recently and over all the time seen
                            and self.seen[leader] >= s.lock_share * total)
                           or (seen_for >= 2 * s.lock_s and leader == overall))  # or, after twice as long, the label that leads both
            if self.locked:
                self.label = leader
                self.seen.clear()
                self.locked_color = self.color
            return False
        changed = self.color_changed
        margin = 0.0 if changed else s.switch_margin  # another colour already says the garment changed: leading is enough
        if leader != self.label and self.share(leader) - self.share(self.label) >= margin:
            if leader != self.challenger:
                self.challenger, self.challenger_since = leader, t
        else:
            self.challenger = None
        holds = self.challenger is None and self.share(self.label) >= s.lock_share and t - self._color_since >= s.lock_s
        if self.locked_color is None or holds:
            self.locked_color = self.color  # the label held in this colour for lock_s: the garment looks like this now
        changed = self.color_changed  # again: the colour may have just been adopted
        if self.challenger is not None and t - self.challenger_since >= (s.switch_s if changed else s.same_color_switch_s):
            self.corrected = not changed
            self.label, self.challenger, self.locked_color = self.challenger, None, self.color
            self.changes += 1
            return True
        return False
