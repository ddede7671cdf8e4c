"""Whether a process of this host is alive, read from the kernel (`kill(pid, 0)` and
`/proc/<pid>/stat`). Imports nothing heavy: the hand-off client reads it before anything else.
"""

from __future__ import annotations

import os
from pathlib import Path


def process_alive(pid: int, *, others: bool = True) -> bool:
    """Whether process `pid` exists on this host; a zombie (killed, not yet reaped by its
    parent) counts as gone. `others`: the answer for a process of another user, which this
    one may not signal (True: it exists; False: it is none of ours, as for a server's pid).
    PIDs are reused, so True only means "maybe": callers that can, check more (a heartbeat's
    age, a socket that answers)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return others
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")
