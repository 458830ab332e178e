"""Book chapter "Lambda pipelines": queue-driven map-reduce, replayable and dead-lettered."""
