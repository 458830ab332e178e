"""What the tests import besides fixtures: builders, servers and waits (not tests)."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
