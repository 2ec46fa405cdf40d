"""The kernel bugs the live reader watches for, named once: the verifier's probe
(:mod:`mountcursor.verify.probe`) reproduces them on the running kernel, the reader
(:mod:`mountcursor.live.reader`) notices one in a read.  Imports nothing.

The 6.8 repeat: 2eea9ce4310d (Linux 6.8, ``fs/namespace.c``) keeps the mounts of a
namespace in a tree ordered by unique id, and its ``m_start()`` finds the first mount
with an id at or after ``*pos`` without setting ``*pos`` to it, so a mount can be shown
again after the one before it goes; 4a403d7aa907 (2026) fixes it.  A read that repeats a
mount over and over was reported with 1.4 million copies of one line and an OOM.
listmount(2) and statmount(2) walk the same tree by id with no such state, so a reader on
such a kernel reads with them.
"""

from __future__ import annotations

__all__ = ["REPEAT_6_8_KERNELS", "REPEAT_6_8_WHAT", "REPEAT_6_8_FIX", "FIXED_KERNELS"]

REPEAT_6_8_KERNELS = "6.8 up to 4a403d7aa907 (2eea9ce4310d)"
"""The kernels of the 6.8 repeat (a name for :data:`~mountcursor.verify.probe.GENERATIONS`)."""
REPEAT_6_8_WHAT = "the last mount is shown twice when the next one goes (6.8, 2eea9ce4310d)"
"""What it does, as the probe reports it."""
REPEAT_6_8_FIX = "4a403d7aa907"
FIXED_KERNELS = f"with {REPEAT_6_8_FIX} (2026)"
