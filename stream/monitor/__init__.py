"""Watching a running pipeline: a live web view (MJPEG per source, state, rates, people and their
outfits), a JSON status endpoint, `/healthz` and Prometheus `/metrics` (`run --serve HOST:PORT`)."""
