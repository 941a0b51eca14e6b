"""Whether a process still runs, and whether it is still the one it was.

How a run or a server left behind is told from a live one: a pid alone names
whichever process holds it now, which after a crash or a reboot can be anyone's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host (someone else's counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class ProcessIdentity:
    """What no later holder of the same pid shares with a process: its start and command.

    ``start_ticks`` is the start time in clock ticks since boot (/proc/PID/stat,
    field 22), which only means something with the boot it counts from.
    """

    start_ticks: int
    boot_id: str
    cmdline: tuple[str, ...]


def process_identity(pid: int) -> ProcessIdentity | None:
    """The identity of live process ``pid`` (Linux /proc); None if there is none.

    A zombie counts as none: it has exited, only its status is left to collect.
    """
    try:
        # The command line first, the start time after: had the pid changed hands in
        # between, the start time read would be the newcomer's and match nothing.
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        stat = Path(f"/proc/{pid}/stat").read_bytes()
        boot_id = BOOT_ID.read_text("ascii").strip()
    except (OSError, ValueError):
        return None
    # The command name (field 2) is in parentheses and may hold spaces and ')'.
    fields = stat[stat.rfind(b")") + 2 :].split()
    if len(fields) < 20 or fields[0] == b"Z" or not raw:
        return None
    args = raw.split(b"\0")
    if args[-1] == b"":
        args.pop()
    return ProcessIdentity(int(fields[19]), boot_id, tuple(os.fsdecode(a) for a in args))
