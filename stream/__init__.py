"""fashion-stream: sources, queue, pipeline, tracking, sinks and the command line."""
