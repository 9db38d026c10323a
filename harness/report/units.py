"""Sizes as people name them, for the evidence, the environment table and the chart."""

from __future__ import annotations

KIB = 1024
MIB = 1024 * 1024


def size_label(size: int) -> str:
    """Payload sizes as people name them: 0 B, 1 B, 1 KiB, 64 KiB, 1 MiB, 1500 B."""
    if size >= MIB and size % MIB == 0:
        return f"{size // MIB} MiB"
    if size >= KIB and size % KIB == 0:
        return f"{size // KIB} KiB"
    return f"{size} B"


def human_bytes(size: int | None) -> str:
    """A rounded size for reading, not for comparing: 1.5 KiB, 0.9 MiB."""
    if size is None:
        return "?"
    if size >= MIB:
        return f"{size / MIB:.1f} MiB"
    if size >= KIB:
        return f"{size / KIB:.1f} KiB"
    return f"{size} B"
