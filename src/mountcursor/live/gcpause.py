""":class:`gc_paused`: no cyclic garbage collection while a table is built, with nothing
imported but :mod:`gc` (the lean ``list``/``tree`` paths use it as the parser does)."""

from __future__ import annotations

import gc

__all__ = ["gc_paused"]

_PROMOTE_ABOVE = 10_000
"""Young objects (allocated while paused) above which :class:`gc_paused` promotes them."""


class gc_paused:  # noqa: N801 -- a context manager, named as the function it replaced
    """No cyclic garbage collection inside: building 100,000 entries would otherwise
    run the collector over the growing list again and again (a fifth of the parse).
    The objects built here form no cycles, so nothing is left for it to find.

    On the way out, when much was built inside, it goes to the oldest generation at
    once (``gc.freeze()`` then ``gc.unfreeze()``: two list splices, and the young
    generation's count back to zero).  Otherwise the first allocation after
    ``gc.enable()`` would run a young collection over every object made inside, which
    is what the pause avoids: 70 ms after ``tree`` of 100,000 mounts.  A full
    collection still visits them later.  Skipped for a few thousand objects (a young
    collection is cheap then, and promoting the young garbage of the rest of the
    program would only keep it longer) and when the program has frozen objects of its
    own, which ``unfreeze()`` would release."""

    def __enter__(self) -> None:
        self.was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self.was_enabled:
            if gc.get_count()[0] > _PROMOTE_ABOVE and not gc.get_freeze_count():
                gc.freeze()
                gc.unfreeze()
            gc.enable()
