"""Which file systems keep times a re-run can trust to say a file is unchanged.

A local POSIX file system sets a file's ctime from the kernel's clock on every
write, rename into place or change of metadata, and no tool can set it back:
so a file whose device, inode, size, mtime and ctime are all as they were when
it was read has not been written since. That is not so where:

- FAT and exFAT (SD cards, USB sticks) keep no ctime: Linux reports the mtime,
  which ``cp -p``, ``rsync -a`` and ``touch -d`` set back;
- network file systems (NFS, SMB/CIFS, 9p, ...) take times from another
  machine's clock, and cache them;
- FUSE file systems (exfat-fuse, ntfs-3g, sshfs, ...) report whatever their
  program says; ``fuseblk`` does not even name the program.

On those, and wherever the mount table cannot be read, a file's bytes decide.
"""

from __future__ import annotations

import os

MOUNTINFO = "/proc/self/mountinfo"

# Types as /proc/self/mountinfo names them; "fuse.*" (any FUSE program) too.
UNTRUSTED_TYPES = frozenset(
    {
        "vfat", "msdos", "umsdos", "fat", "exfat", "ntfs", "ntfs3", "hfs", "hfsplus",
        "nfs", "nfs4", "cifs", "smb3", "smbfs", "ncpfs", "9p", "afs", "ceph", "glusterfs",
        "lustre", "gpfs", "beegfs", "virtiofs", "fuse", "fuseblk",
    }
)  # fmt: skip


def _unescape(field: str) -> str:
    # mountinfo writes space, tab, newline and backslash in paths as octal escapes.
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def parse_mountinfo(text: str) -> dict[str, str]:
    """Mount point -> file system type, from the text of a ``mountinfo`` file.

    A later line for the same mount point (mounted over) replaces an earlier one.
    """
    mounts: dict[str, str] = {}
    for line in text.splitlines():
        fields = line.split()
        if "-" not in fields:
            continue
        dash = fields.index("-")
        if dash < 5 or dash + 1 >= len(fields):
            continue
        mounts[_unescape(fields[4])] = fields[dash + 1]
    return mounts


def fs_type_of(path: str, mounts: dict[str, str]) -> str | None:
    """The type of the file system ``path`` lies on: its longest enclosing mount point's."""
    real = os.path.realpath(path)
    best = ""
    for point in mounts:
        inside = real == point or real.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best = point
    return mounts.get(best)


def trusted_type(fs_type: str | None) -> bool:
    """Whether times on a file system of this type say truly that a file was not written."""
    if fs_type is None:
        return False
    return fs_type not in UNTRUSTED_TYPES and not fs_type.startswith("fuse.")


def read_mounts() -> dict[str, str] | None:
    """This process's mount points and their types; None where there is no mount table."""
    try:
        with open(MOUNTINFO, encoding="utf-8", errors="surrogateescape") as handle:
            return parse_mountinfo(handle.read())
    except OSError:
        return None  # not Linux, or /proc not mounted: no file system is known


class TimeTrust:
    """Answers "can this file's times be trusted?", the mount table read once per check."""

    def __init__(self) -> None:
        self._mounts = read_mounts()  # anew for each check: disks come and go
        self._by_folder: dict[str, bool] = {}

    def trusted(self, path: str) -> bool:
        """Whether the file system ``path`` is on keeps times a re-run may rely on."""
        if self._mounts is None:
            return False
        # The folder the file really is in: a link in one folder may lead to a file on
        # another file system (found in review: a link on ext4 to a file on exFAT).
        real = os.path.realpath(path)
        folder = os.path.dirname(real)
        known = self._by_folder.get(folder)
        if known is None:
            known = trusted_type(fs_type_of(real, self._mounts))
            self._by_folder[folder] = known
        return known
