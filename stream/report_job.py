"""`fashion-stream report`: the event store read back as terminal tables, an HTML report with
charts, and CSV / Parquet / MOTChallenge exports."""

from __future__ import annotations

import argparse
from pathlib import Path

from stream.analytics.export import export_csv, export_mot, export_parquet
from stream.analytics.report import ReportFilter, load_report_data, parse_when, text_report
from stream.analytics.store import open_store, shown_url, store_url


def add_report_options(parser: argparse.ArgumentParser) -> None:
    """Options of `report`."""
    parser.add_argument("--db", required=True, help="the event store: a SQLite file (out/run/events.db) or a database URL")
    parser.add_argument("--run", type=int, default=None, help="one run (run_id); default: every run in the store")
    parser.add_argument("--source", default=None, help="one source id")
    parser.add_argument("--from", dest="since", default=None, metavar="WHEN", help="ISO date or time, local unless it names a zone")
    parser.add_argument("--to", dest="until", default=None, metavar="WHEN", help="ISO date or time (exclusive)")
    parser.add_argument("--zone", default=None, help="only the visits of this zone, and the people who visited it")
    parser.add_argument("--html", type=Path, default=None, metavar="FILE", help="write the HTML report with charts")
    parser.add_argument("--png", type=Path, default=None, metavar="DIR", help="also save each chart as a PNG")
    parser.add_argument("--csv", type=Path, default=None, metavar="DIR", help="export people, outfit items, zone visits, crossings as CSV")
    parser.add_argument("--parquet", type=Path, default=None, metavar="DIR", help="the same tables as Parquet")
    parser.add_argument("--mot", type=Path, default=None, metavar="DIR", help="person tracks as MOTChallenge files")


def cmd_report(args: argparse.Namespace) -> int:
    """Print the report; write the HTML report and exports that were asked for."""
    filt = ReportFilter(run=args.run, source=args.source, zone=args.zone,
                        since=parse_when(args.since, "--from") if args.since else None,
                        until=parse_when(args.until, "--to") if args.until else None)
    engine = open_store(args.db, create=False)
    shown = shown_url(store_url(args.db))
    try:
        data = load_report_data(engine, filt)
        print(text_report(data, filt, shown))
        written: list[Path] = []
        if args.html:
            from stream.analytics.plots import write_html

            written.append(write_html(data, filt, shown, args.html, args.png))
        if args.csv:
            written += export_csv(data, args.csv)
        if args.parquet:
            written += export_parquet(data, args.parquet)
        if args.mot:
            written += export_mot(engine, filt, args.mot)
    finally:
        engine.dispose()
    for path in written:
        print(f"wrote {path}")
    return 0
