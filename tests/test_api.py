"""The Python API as its users meet it: the README's examples run as written (against a random
model installed under the default Hub id in a test Hub cache), pipelines started from other
threads and run twice, early exits, plug-in stages, the one settings model, the published schemas."""

import json
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from stream import Pipeline, RunConfig
from stream.cli import build_parser, run_config_from
from stream.records import FrameRecord, outfit_event, write_schemas
from tests.media import write_h264

REPO = Path(__file__).resolve().parents[1]
FRAMES = 40


def readme_examples() -> list[str]:
    """The python code blocks of the README's "Python API" section, in order."""
    text = (REPO / "README.md").read_text()
    section = text[text.index("## Python API"):]
    section = section[: section.index("\n## ", 1)]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


@pytest.fixture(scope="module")
def hub_cache(tmp_path_factory):
    """A Hub cache holding a random model (that detects shirts and pants) under the default model id."""
    from engines.settings import DEFAULT_MODEL
    from tools.make_checkpoint import make_checkpoint

    root = tmp_path_factory.mktemp("hub")
    checkpoint = make_checkpoint(root / "checkpoint", favour={"shirt, blouse": 6.0, "pants": 6.0})
    repo = root / "cache" / f"models--{DEFAULT_MODEL.replace('/', '--')}"
    snapshot = repo / "snapshots" / ("0" * 40)
    shutil.copytree(checkpoint, snapshot)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)
    return root / "cache"


@pytest.fixture()
def shop(tmp_path):
    write_h264(tmp_path / "shop.mp4", frames=FRAMES)
    return tmp_path


def _run_example(code: str, cwd: Path, hub_cache: Path) -> subprocess.CompletedProcess:
    (cwd / "example.py").write_text(code)
    env = {"HF_HUB_CACHE": str(hub_cache), "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "example.py"], cwd=cwd, capture_output=True, text=True, timeout=300, env=env)


def test_the_readme_has_the_four_examples():
    examples = readme_examples()
    assert len(examples) == 4
    assert "pipeline.results()" in examples[0] and '"zones"' in examples[1] and "on_result=" in examples[2]
    assert "class PeopleCsv(Sink)" in examples[3]


def test_readme_generator_example(shop, hub_cache):
    done = _run_example(readme_examples()[0], shop, hub_cache)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"frames: {FRAMES}"
    assert not (shop / "out").exists()  # sinks=[]: nothing written


def test_readme_zones_example(shop, hub_cache):
    import ast
    import sqlite3

    done = _run_example(readme_examples()[1], shop, hub_cache)
    assert done.returncode == 0, done.stderr
    printed = [ast.literal_eval(line) for line in done.stdout.splitlines()]
    with sqlite3.connect(shop / "shop.db") as connection:
        assert connection.execute("SELECT status FROM runs").fetchall() == [("finished",)]
        visits = connection.execute("SELECT person, zone FROM zone_visits ORDER BY person").fetchall()
        crossings = connection.execute("SELECT COUNT(*) FROM line_crossings").fetchone()[0]
    assert visits  # the favoured shirts and pants make people who stand in the window
    # every entry is a visit (exits of people still inside at the end come with the run's end, to the sinks)
    assert sorted((e["person"], e["zone"]) for e in printed if e["event"] == "zone_enter") == visits
    assert sum(e["event"] == "line_cross" for e in printed) == crossings


def test_readme_callback_example(shop, hub_cache):
    done = _run_example(readme_examples()[2], shop, hub_cache)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"{FRAMES} frames, {FRAMES // 2} detector runs"


def test_readme_custom_sink_example(shop, hub_cache):
    done = _run_example(readme_examples()[3], shop, hub_cache)
    assert done.returncode == 0, done.stderr
    rows = (shop / "people.csv").read_text().splitlines()
    assert rows[0] == "source,frame,person,x1,y1,x2,y2"
    records = [FrameRecord.model_validate_json(line) for line in (shop / "out" / "run" / "events.jsonl").read_text().splitlines()]
    assert [r.frame for r in records] == list(range(FRAMES))
    people_rows = sum(1 for r in records for t in r.tracks or [] if t.kind == "person")
    assert len(rows) - 1 == people_rows  # the custom sink saw what the configured one wrote


def _tiny(tiny_checkpoint, **extra):
    return {"detector": {"model": str(tiny_checkpoint), "threshold": 0.1}, **extra}


def test_a_pipeline_runs_from_another_thread_and_again(tiny_checkpoint, shop):
    pipeline = Pipeline.from_config(_tiny(tiny_checkpoint), sources=[str(shop / "shop.mp4")], sinks=[])
    summaries = []
    worker = threading.Thread(target=lambda: summaries.append(pipeline.start().join()))
    worker.start()
    worker.join(120)
    summaries.append(pipeline.run())  # a second run on the calling thread: the file is read again
    pipeline.close()
    assert [s["stats"]["frames_processed"] for s in summaries] == [FRAMES, FRAMES]


def test_leaving_the_results_loop_early_stops_the_run(tiny_checkpoint, shop):
    with Pipeline.from_config(_tiny(tiny_checkpoint), sources=[str(shop / "shop.mp4")], sinks=[]) as pipeline:
        for result in pipeline.results(buffer=2):
            if result.frame.index == 4:
                break
        assert not pipeline.running
        assert pipeline.summary()["stats"]["frames_processed"] < FRAMES


def test_results_carry_typed_outfits_and_events(tiny_checkpoint, shop):
    from stream import AppearEvent, OutfitSlot

    with Pipeline.from_config(_tiny(tiny_checkpoint), sources=[str(shop / "shop.mp4")], sinks=[]) as pipeline:
        results = list(pipeline.results())
    assert len(results) == FRAMES
    events = [e for r in results for e in r.events]
    assert all(e.source == "shop" and e.schema_version == 1 for e in events)
    appeared = {e.person for e in events if isinstance(e, AppearEvent)}
    assert appeared and appeared <= {int(p) for r in results for p in r.people.tracker_id}
    slots = [slot for r in results for outfit in r.outfits.values() for slot in outfit.values()]
    assert slots and all(isinstance(slot, OutfitSlot) for slot in slots)


def test_python_defaults_are_the_command_lines():
    assert run_config_from(build_parser().parse_args(["run"])) == RunConfig()


def test_every_setting_is_reachable_with_set():
    """Each leaf of the settings model can be given on the command line with --set (so a new
    field in a settings model needs no CLI change)."""
    def leaves(model, prefix=""):
        for name, field in model.model_fields.items():
            inner = getattr(field.annotation, "__pydantic_fields__", None)
            yield from leaves(field.annotation, f"{prefix}{name}.") if inner else [f"{prefix}{name}"]

    config = RunConfig().model_dump()
    for path in leaves(RunConfig):
        if path in ("sources", "stages", "sinks"):
            continue
        node = config
        for part in path.split("."):
            node = node[part]
        value = json.dumps(node)  # the default, round-tripped through --set as YAML
        args = build_parser().parse_args(["run", "--set", f"{path}={value}"])
        assert run_config_from(args) == RunConfig(), path


def test_a_stage_registered_like_a_new_file_is_configured_by_its_type(tiny_checkpoint, shop):
    from typing import Literal

    from stream.stages import STAGES, Stage, StageSettings

    class CountSettings(StageSettings):
        type: Literal["count_boxes"] = "count_boxes"
        at_least: float = 0.0

    @STAGES.register(CountSettings)
    class CountStage(Stage):
        seen: list = []

        @classmethod
        def from_settings(cls, settings):
            return cls()

        def process(self, results):
            CountStage.seen += [len(r.detections) for r in results]

    config = _tiny(tiny_checkpoint, stages=[{"type": "colors"}, {"type": "count_boxes", "at_least": 0.5}])
    with Pipeline.from_config(config, sources=[str(shop / "shop.mp4")], sinks=[]) as pipeline:
        pipeline.run()
    assert len(CountStage.seen) == FRAMES
    with pytest.raises(Exception, match="unknown key 'stages.0.at_most'"):
        from stream.config import parse_config

        parse_config({"stages": [{"type": "count_boxes", "at_most": 1}]})


def test_a_new_file_in_a_plugin_folder_is_imported(tmp_path, monkeypatch):
    from stream.registry import import_all

    package = tmp_path / "plugins_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "my_sink.py").write_text("LOADED = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import_all("plugins_pkg", package)
    assert sys.modules["plugins_pkg.my_sink"].LOADED


def test_published_schemas_match_the_records(tmp_path):
    written = write_schemas(tmp_path)
    for path in written:
        assert path.read_text() == (REPO / "docs" / "schemas" / path.name).read_text(), f"regenerate docs/schemas/{path.name}"


def test_every_line_a_run_writes_is_a_valid_record(tiny_checkpoint, shop, capsys):
    from stream.cli import main

    out = shop / "out"
    assert main(["run", "--source", str(shop / "shop.mp4"), "--model", str(tiny_checkpoint), "--threshold", "0.1",
                 "--out", str(out), "--no-progress"]) == 0
    lines = (out / "events.jsonl").read_text().splitlines()
    assert len(lines) == FRAMES
    for line in lines:
        assert FrameRecord.model_validate_json(line).schema_version == 1
    events = [outfit_event(json.loads(line)) for line in (out / "outfit_events.jsonl").read_text().splitlines()]
    assert events and all(e.time > 1e9 and 0 <= e.frame < FRAMES for e in events)


@pytest.mark.parametrize("path", sorted(p for p in (REPO / "configs").glob("*.yaml") if p.name != "service.yaml"), ids=lambda p: p.name)
def test_the_shipped_configs_are_valid(path):
    from stream.config import load_config

    config = load_config(path)  # run configs (service.yaml, a service config, is checked in test_service_grpc.py)
    assert [stage.type for stage in config.stages] == ["colors"]
