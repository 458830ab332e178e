"""What a deploy prints while it runs: each step's name when it starts, its duration when it
ends, a line at least every HEARTBEAT_SECONDS while a step (ours or Zappa's) is busy, and on
failure the step, its cause and the command that rolls the code back."""

import atexit
import sys
import threading
import time
from contextlib import contextmanager

HEARTBEAT_SECONDS = 10.0


class DeployError(Exception):
    """A step failed; the message says which and what to do."""


def say(text: str) -> None:
    print(text, flush=True)


class Steps:
    """The open step of this process. Zappa's own work (packaging, upload, function update)
    happens between our callbacks, so a step may start in one callback and end in the next:
    `begin`/`end` rather than only a `with` block."""

    def __init__(self, *, rollback: str | None = None):
        self.rollback = rollback
        self.timings: list[tuple[str, float]] = []
        self._name: str | None = None
        self._started = 0.0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        threading.Thread(target=self._heartbeat, daemon=True).start()
        atexit.register(self._unfinished)

    def begin(self, name: str) -> None:
        self.end()
        with self._lock:
            self._name, self._started = name, time.monotonic()
        say(f"==> {name}")

    def end(self) -> float | None:
        with self._lock:
            name, started, self._name = self._name, self._started, None
        if name is None:
            return None
        seconds = time.monotonic() - started
        self.timings.append((name, seconds))
        say(f"    {name}: {seconds:.1f} s")
        return seconds

    @contextmanager
    def step(self, name: str):
        self.begin(name)
        try:
            yield
        except Exception as exc:
            self.fail(exc)
            raise
        self.end()

    def fail(self, cause: BaseException | str) -> None:
        with self._lock:
            name, self._name = self._name, None
        print(f"FAILED: {name or 'deploy'}: {cause}", file=sys.stderr, flush=True)
        if self.rollback:
            print(f"to roll the code back: {self.rollback}", file=sys.stderr, flush=True)

    def abandon(self) -> None:
        """The caller reports the failure itself (one line): close the step silently."""
        with self._lock:
            self._name = None

    def summary(self) -> str:
        return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.timings)

    def _unfinished(self) -> None:
        """Zappa reports its own errors and exits: the step it was in is still open."""
        if self._name is not None:
            self.fail("stopped (Zappa's message above says why)")

    def _heartbeat(self) -> None:
        while not self._wake.wait(HEARTBEAT_SECONDS):
            with self._lock:
                name, started = self._name, self._started
            if name is not None and time.monotonic() - started >= HEARTBEAT_SECONDS:
                say(f"    ... {name}: {time.monotonic() - started:.0f} s")
