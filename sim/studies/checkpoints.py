"""The study folder: one checkpoint file per finished task, and the lock that says whose folder it is.

Checkpoints are written atomically and checked by hash on reading, so a
killed or damaged run never passes a half-written or altered result off as
done; the lock (``spec.lock``) keeps results of two different specs from
mixing in one folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.errors import InputError
from sim.io.files import write_atomic
from sim.studies.plan import Plan
from sim.studies.tasks import Outcome


class SweepFolderError(InputError):
    """An output folder that holds something else, or a spec that changed since the run started."""


# ---------------------------------------------------------------------------
# Checkpoints: one file per finished (design point, replication)

_MAGIC = b"CCSIM-TASK/1"


class CorruptTask(Exception):
    """A checkpoint file that is truncated, altered or unreadable."""


@dataclass(frozen=True)
class TaskRecord:
    """A checkpoint read back: status ``ok`` (with tables) or ``failed`` (with the error)."""

    design_point: int
    replication: int
    status: str
    tables: dict[str, bytes]
    error: str | None
    traceback: str | None
    seconds: float


class TaskStore:
    """Checkpoint files of one study in ``folder``, written atomically.

    Each file is ``CCSIM-TASK/1 <sha256> <header length>\\n``, a JSON header
    (study hash, design point, replication, status, error, table sizes) and
    the tables as Arrow IPC bytes. The SHA-256 covers header and payload, so
    a truncated or altered file is detected and recomputed. Writes go to a
    temporary file in the same folder, are fsync'ed and then renamed over
    the final name, so a killed run never leaves a half-written checkpoint.
    """

    def __init__(self, folder: Path, study_hash: str) -> None:
        self.folder = Path(folder)
        self.study_hash = study_hash
        if self.folder.exists() and not self.folder.is_dir():
            raise SweepFolderError(str(self.folder), None, "exists and is not a folder (the output folder is damaged); "
                                   "delete the output folder to start over")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SweepFolderError(str(self.folder), None, f"cannot be created ({exc.strerror or exc})") from None

    def path(self, design_point: int, replication: int) -> Path:
        """The checkpoint file of one task."""
        return self.folder / f"dp{design_point:06d}-r{replication:05d}.task"

    def write(self, outcome: Outcome) -> None:
        """Store one outcome atomically (temporary file, fsync, rename)."""
        tables = outcome.tables or {}
        header = {
            "study_hash": self.study_hash, "design_point": outcome.design_point, "replication": outcome.replication,
            "status": "ok" if outcome.error is None else "failed", "error": outcome.error,
            "traceback": outcome.traceback, "seconds": outcome.seconds,
            "tables": [[name, len(data)] for name, data in tables.items()],
        }
        head = json.dumps(header, sort_keys=True).encode("utf-8")
        payload = b"".join(tables.values())
        digest = hashlib.sha256(head + payload).hexdigest()
        final = self.path(outcome.design_point, outcome.replication)
        if final.is_dir():
            raise SweepFolderError(str(final), None, "is a folder where a task file belongs (the output folder is "
                                   "damaged); delete it and rerun with --resume")
        temporary = self.folder / f".{final.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            with open(temporary, "wb") as handle:
                handle.write(_MAGIC + f" {digest} {len(head)}\n".encode("ascii") + head + payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, final)
        except BaseException as exc:  # a full disk or an interruption: no temporary is left behind
            temporary.unlink(missing_ok=True)
            if isinstance(exc, OSError) and exc.filename is None:  # name the file the error is about
                raise OSError(exc.errno, exc.strerror or str(exc), str(final)) from exc
            raise

    def read(self, design_point: int, replication: int) -> TaskRecord | None:
        """The stored task, None when missing; :class:`CorruptTask` when damaged or of another study."""
        path = self.path(design_point, replication)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CorruptTask(f"{path.name}: cannot be read ({exc})") from None
        try:
            first, _, rest = data.partition(b"\n")
            magic, digest, length = first.split(b" ")
            if magic != _MAGIC:
                raise ValueError("not a task file")
            head, payload = rest[: int(length)], rest[int(length):]
            if hashlib.sha256(head + payload).hexdigest() != digest.decode("ascii"):
                raise ValueError("checksum mismatch")
            header = json.loads(head)
        except (ValueError, UnicodeDecodeError) as exc:
            raise CorruptTask(f"{path.name}: {exc}") from None
        if header.get("study_hash") != self.study_hash:
            raise CorruptTask(f"{path.name}: belongs to another study")
        if (header["design_point"], header["replication"]) != (design_point, replication):
            raise CorruptTask(f"{path.name}: holds another task")
        tables: dict[str, bytes] = {}
        offset = 0
        for name, size in header["tables"]:
            tables[name] = payload[offset: offset + size]
            offset += size
        return TaskRecord(design_point, replication, header["status"], tables, header.get("error"),
                          header.get("traceback"), float(header.get("seconds") or 0.0))

    def remove_temporaries(self) -> int:
        """Delete temporary files a killed run left behind; returns how many."""
        count = 0
        for temporary in self.folder.glob(".*.tmp"):
            temporary.unlink(missing_ok=True)
            count += 1
        return count

    def sync(self) -> None:
        """fsync the folder so that the renames themselves are durable."""
        try:
            fd = os.open(self.folder, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)


# ---------------------------------------------------------------------------
# The output folder and its lock

LOCK_NAME = "spec.lock"


def prepare_folder(out: Path, plan: Plan, resume: bool) -> dict[str, Any]:
    """Check ``out`` may hold this study and write its lock; returns the lock.

    Rules: a missing or empty folder starts a new study. A folder whose
    ``spec.lock`` has this study's hash continues it with ``resume`` and is
    refused without it (rerun with --resume, or delete the folder to start
    over). A folder of another study (the spec, its scenario or a file the
    scenario reads changed) is always refused, so results of two specs are never mixed.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SweepFolderError(str(out), None, "exists and is not a folder")
    lock_path = out / LOCK_NAME
    if lock_path.exists():
        try:
            lock = json.loads(lock_path.read_text(encoding="utf-8"))
            old_hash = lock["study_hash"]
        except (OSError, ValueError, KeyError, TypeError):
            raise SweepFolderError(str(lock_path), None, "is unreadable; delete the folder to start over") from None
        if old_hash != plan.hash:
            raise SweepFolderError(
                str(out), None,
                f"holds a {lock.get('kind', 'study')} of a different spec (started {lock.get('created', '?')} from "
                f"{lock.get('spec_path', '?')}): the spec, its scenario, a file the scenario reads or the "
                "-r/--seed given changed since, so results would mix. "
                "Restore them, or use another --out folder (or delete this one) to start over",
            )
        if not resume:
            raise SweepFolderError(
                str(out), None, "already holds this study; use --resume to continue it (finished tasks are kept), "
                "or delete the folder to start over",
            )
        return lock
    if out.exists() and any(out.iterdir()):
        raise SweepFolderError(str(out), None, f"is not empty and has no {LOCK_NAME}; choose an empty or new folder")
    lock = {
        "format": "ccsim-lock/1", "kind": plan.kind, "study_hash": plan.hash, "spec_path": plan.source,
        "created": utc_now(), "spec": plan.spec,
    }
    try:
        out.mkdir(parents=True, exist_ok=True)
        write_atomic(lock_path, json.dumps(lock, indent=2).encode("utf-8"))
    except OSError as exc:
        raise SweepFolderError(str(out), None, f"cannot be created or written ({exc.strerror or exc}); "
                               "choose another --out folder") from None
    return lock


def utc_now() -> str:
    """The current UTC time as ISO text to the second (lock and metadata timestamps)."""
    return datetime.now(UTC).isoformat(timespec="seconds")
