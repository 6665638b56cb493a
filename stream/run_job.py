"""`fashion-stream run`: the pipeline a config describes, stopped by Ctrl-C, and its outcome in one line per problem."""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stream.config import RunConfig
from stream.pipeline import Pipeline

log = logging.getLogger(__name__)


@contextlib.contextmanager
def stop_on_signals(pipeline: Pipeline) -> Iterator[None]:
    """Ctrl-C / SIGTERM: the first stops reading and drains the queue, the next ones drop the
    backlog; the outputs are finalized either way. The handlers found are put back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        if pipeline.interrupted:
            log.warning("%s again: dropping the queued frames; finalizing the outputs", name)
            pipeline.abort()
            return
        log.warning("%s: stopping, draining the queue and closing the outputs (again to drop the queue)", name)
        pipeline.interrupted = True
        pipeline.stop()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run(config: RunConfig) -> int:
    """Run the pipeline; 0 when every source ended normally (or on a requested stop), 1 otherwise."""
    with Pipeline.from_config(config) as pipeline, stop_on_signals(pipeline):
        summary = pipeline.run()
    return report(summary, Path(config.output_dir))


def report(summary: dict[str, Any], out_dir: Path) -> int:
    """Print the outcome; one error line per failed source or sink.

    Returns:
        The exit code: 1 when a source failed or was cut short, a sink failed or the summary could not be written.
    """
    problems = []
    if summary.get("fatal"):
        problems.append(f"the run stopped: {summary['fatal']}")
    for source_id, source in summary["sources"].items():
        if source["state"] == "failed":
            problems.append(f"source {source_id} failed after {source['frames_read']} frames: {source['error']}")
        elif source["truncated"]:
            problems.append(
                f"source {source_id} ended early at frame {source['frames_read']} of {source['frame_count']} (truncated or corrupt file)"
            )
        if source.get("skipped"):
            print(f"warning: source {source_id}: skipped {source['skipped']} unreadable frame(s) or image(s)", file=sys.stderr)
    if not summary.get("fatal"):
        problems += [sink["error"] for sink in summary["sinks"].values() if sink["error"]]
    if summary.get("summary_error"):
        problems.append(f"run summary: {summary['summary_error']}")
    stats = summary["stats"]
    print(
        f"processed {stats['frames_processed']} frames ({stats['detector_runs']} detector runs) in {stats['elapsed_s']} s, "
        f"{stats['processed_fps']} fps; drops {sum(stats['drops'].values())}, "
        f"reconnects {sum(stats['reconnects'].values())}; outputs in {out_dir}",
        file=sys.stderr,
    )
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0
