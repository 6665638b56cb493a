"""Developer and operator tools: checkpoints, export, engine build, benchmarks, evaluation."""
