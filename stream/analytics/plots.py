"""The HTML report: the terminal tables and charts a store manager reads (matplotlib, PNGs embedded,
one self-contained file). Times on the axes are local time."""

from __future__ import annotations

import base64
import html
import io
from collections import Counter
from datetime import datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from stream.analytics.report import ReportData, ReportFilter, color_counts, combinations, dwell_values, garment_counts, group_shares, text_report, zone_dwell
from stream.stages.colors import PALETTE_BGR

ACCENT = "#3b6ea8"
SLOT_NAMES = {"upper": "top", "lower": "bottom", "whole": "one-piece (dress, jumpsuit)", "outerwear": "outerwear (coat, jacket)",
              "footwear": "shoes", "head": "headwear, glasses", "accessory": "accessories (bag, belt, watch, ...)"}
BINS = ((2 * 3600, 60, "minute"), (12 * 3600, 900, "15 minutes"), (float("inf"), 3600, "hour"))  # span up to -> bin s, name


def _local(when: float) -> datetime:
    return datetime.fromtimestamp(when).astimezone()


def _figure(height: float = 3.2) -> tuple[Figure, plt.Axes]:
    figure, axes = plt.subplots(figsize=(8, height), dpi=110, layout="constrained")
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="x" if height > 3.2 else "y", alpha=0.3)
    return figure, axes


def _time_axis(axes: plt.Axes) -> None:
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=datetime.now().astimezone().tzinfo))
    axes.set_xlabel("local time")


def people_arriving(data: ReportData) -> Figure | None:
    """Bars: people first seen in each minute, quarter hour or hour (chosen from the span)."""
    span = data.span
    if not data.people or span is None:
        return None
    bin_s, name = next((b, n) for limit, b, n in BINS if span[1] - span[0] <= limit)
    counts = Counter(int(p["first_seen"] // bin_s) * bin_s for p in data.people)
    figure, axes = _figure()
    starts = sorted(counts)
    axes.bar(mdates.date2num([_local(s) for s in starts]), [counts[s] for s in starts], width=bin_s / 86400 * 0.9, align="edge", color=ACCENT)
    axes.set_title(f"People arriving per {name}")
    axes.set_ylabel("people")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    _time_axis(axes)
    return figure


def occupancy(data: ReportData) -> Figure | None:
    """Steps: people in view over time, per source."""
    spans = [(p["source"], p["first_seen"], p["last_seen"] if p["last_seen"] is not None else p["first_seen"]) for p in data.people]
    if not spans:
        return None
    figure, axes = _figure()
    for source in sorted({s for s, _, _ in spans}):
        changes = sorted([(a, 1) for s, a, _ in spans if s == source] + [(b, -1) for s, _, b in spans if s == source])
        times: list[float] = []
        levels: list[int] = []
        level = 0
        for when, step in changes:
            level += step
            times.append(float(mdates.date2num(_local(when))))
            levels.append(level)
        axes.step(times, levels, where="post", label=source)
    axes.set_title("People in view")
    axes.set_ylabel("people")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(title="source", loc="upper right", frameon=False)
    _time_axis(axes)
    return figure


def dwell_distribution(data: ReportData) -> Figure | None:
    """Box plots: seconds in view, and seconds in each zone."""
    groups = {"in view": dwell_values(data), **{f"zone {z}": d for z, d in sorted(zone_dwell(data).items())}}
    groups = {k: v for k, v in groups.items() if v}
    if not groups:
        return None
    figure, axes = _figure(1.2 + 0.6 * len(groups))
    axes.boxplot(list(groups.values()), orientation="horizontal", tick_labels=[f"{k} (n={len(v)})" for k, v in groups.items()],
                 patch_artist=True, boxprops={"facecolor": "#cfe0f3"}, medianprops={"color": "black"})
    axes.invert_yaxis()
    axes.set_title("How long people stay (box: middle half of the visits, line: median)")
    axes.set_xlabel("seconds")
    return figure


def _barh(counts: dict[str, float], title: str, xlabel: str, colors: list[str] | None = None, percent: bool = False) -> Figure | None:
    if not counts:
        return None
    labels, values = list(counts), list(counts.values())
    figure, axes = _figure(1.0 + 0.35 * len(labels))
    bars = axes.barh(labels, values, color=colors or ACCENT, edgecolor="#555555", linewidth=0.5)
    axes.bar_label(bars, labels=[f"{v:.0%}" if percent else f"{v:g}" for v in values], padding=3)
    axes.invert_yaxis()
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    axes.set_xlim(0, max(values) * 1.15)
    if percent:
        axes.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    return figure


def _hex(name: str) -> str:
    b, g, r = PALETTE_BGR.get(name, (200, 200, 200))
    return f"#{r:02x}{g:02x}{b:02x}"


def figures(data: ReportData) -> list[tuple[str, Figure | None]]:
    """Every chart of the report, with a one-line explanation of what it shows."""
    colors = color_counts(data)
    total = sum(colors.values())
    return [
        ("When people came in: each bar counts the people first seen in that interval.", people_arriving(data)),
        ("How many people were in view at each moment.", occupancy(data)),
        ("Time in view and in each zone, from the people who left.", dwell_distribution(data)),
        ("Which parts of an outfit people wear (share of the people with a recognised outfit).",
         _barh({SLOT_NAMES.get(k, k): v for k, v in group_shares(data).items()}, "Outfit parts worn", "share of people", percent=True)),
        ("The ten commonest garments: people wearing each.", _barh(dict(garment_counts(data).most_common(10)), "Top garments", "people")),
        ("Colours of the garments worn (each bar in its colour).",
         _barh({k: v / total for k, v in colors.most_common()}, "Garment colours", "share of garments",
               [_hex(k) for k, _ in colors.most_common()], percent=True)),
        ("The commonest outfits: top + bottom pairs, or a one-piece garment alone.",
         _barh(dict(combinations(data).most_common(10)), "Outfit combinations", "people")),
    ]


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def write_html(data: ReportData, filt: ReportFilter, shown_store: str, path: Path, png_dir: Path | None = None) -> Path:
    """Write the self-contained HTML report (tables and charts).

    Args:
        data: the rows the report covers.
        filt: the filter, named in the header.
        shown_store: the store as it may be shown (password hidden).
        path: the HTML file to write.
        png_dir: also save each chart there as a PNG (for slides and notes).

    Returns:
        The file written.
    """
    sections = []
    for index, (caption, figure) in enumerate(figures(data), 1):
        if figure is None:
            continue
        if png_dir is not None:
            png_dir.mkdir(parents=True, exist_ok=True)
            figure.savefig(png_dir / f"{index:02d}.png")
        sections.append(f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{_png(figure)}">'
                        f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    body = "\n".join(sections) or "<p>No people in this range.</p>"
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fashion-stream report</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#222}}
pre{{background:#f5f5f5;padding:1rem;overflow-x:auto}}figure{{margin:2rem 0}}img{{max-width:100%}}
figcaption{{color:#555}}</style></head>
<body><h1>Store report</h1>
<pre>{html.escape(text_report(data, filt, shown_store))}</pre>
{body}
</body></html>
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page)
    return path
