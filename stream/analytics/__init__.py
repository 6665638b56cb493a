"""Store analytics on the tracker's people: zones and counting lines (a stage after the tracker),
the event store (a sink) and the report read back from it."""
