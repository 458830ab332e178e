"""Capture what loggers write through the project's JSON formatter, parsed back, for tests
that assert on log lines."""

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager


class JsonLines(logging.Handler):
    """Collects what the project's formatter writes, parsed back from JSON."""

    def __init__(self):
        from monitoring.logs import JsonFormatter

        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[dict] = []

    def emit(self, record):
        self.lines.append(json.loads(self.format(record)))


@contextmanager
def json_lines_of(*logger_names: str) -> Iterator[list[dict]]:
    """The lines the named loggers write (at INFO and above) while the block runs."""
    handler = JsonLines()
    loggers = [logging.getLogger(name) for name in logger_names]
    saved = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        yield handler.lines
    finally:
        for logger, level in saved:
            logger.removeHandler(handler)
            logger.setLevel(level)
