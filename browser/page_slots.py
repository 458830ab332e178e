"""The pages one process may have open at once, and each user's share of them
(docs/browser.md "Fair page slots").

Never a queue: a request that finds no slot is refused at once, told when a slot frees at the
latest (every page ends by its deadline), so one user's slow pages cannot make another user's
page wait. Used only on the driver's event loop (one thread): no lock needed.
"""

import itertools
import math
import time
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from browser.errors import PageShareSpent, PageSlotsBusy


@dataclass(frozen=True)
class _Held:
    holder: Hashable | None
    ends_at: float


class PageSlots:
    """`total` pages at once; at most `per_holder` of them for one holder (a user). A holder
    of None (internal callers, benchmarks) counts only against the total."""

    def __init__(self, *, total: int, per_holder: int):
        self.total = total
        self.per_holder = per_holder
        self._held: dict[int, _Held] = {}
        self._ids = itertools.count()

    def __len__(self) -> int:
        return len(self._held)

    def _retry_after(self, held: list[_Held]) -> int:
        soonest = min(slot.ends_at for slot in held)
        return max(1, math.ceil(soonest - time.monotonic()))

    @contextmanager
    def taken(self, *, holder: Hashable | None, deadline: float) -> Iterator[None]:
        """Hold a slot for the block (at most `deadline` seconds), or raise at once."""
        if holder is not None and self.per_holder > 0:
            own = [slot for slot in self._held.values() if slot.holder == holder]
            if len(own) >= self.per_holder:
                raise PageShareSpent(
                    f"You already have {len(own)} page(s) open in the browser, your share;"
                    " try again when one has finished",
                    retry_after_seconds=self._retry_after(own),
                )
        if len(self._held) >= self.total:
            raise PageSlotsBusy(
                "Every browser page slot is busy; try again shortly",
                retry_after_seconds=self._retry_after(list(self._held.values())),
            )
        slot_id = next(self._ids)
        self._held[slot_id] = _Held(holder, time.monotonic() + deadline)
        try:
            yield
        finally:
            del self._held[slot_id]
