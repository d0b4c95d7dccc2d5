"""SQLite access for the ledger: one writer (the flow), WAL mode, small versioned schema."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filmroom.errors import ConfigurationError

SCHEMA_VERSION = "1"
SCHEMA_FILE = Path(__file__).with_name("schema.sql")

SOURCE_COLUMNS = (
    "source_kind",
    "jacket_id",
    "page_class",
    "page_evidence",
    "status",
    "reason",
    "duplicate_of",
    "patient_id",
    "match_method",
    "match_score",
    "study_date",
    "study_date_source",
    "warnings",
    "last_run",
)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class Ledger:
    """The ledger of one migration workspace (``<out>/ledger.sqlite``)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(SCHEMA_FILE.read_text(encoding="utf-8"))
        self._check_version()

    def _check_version(self) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
        elif row["value"] != SCHEMA_VERSION:
            raise ConfigurationError(
                f"Ledger {self.path} has schema version {row['value']}, this filmroom writes "
                f"version {SCHEMA_VERSION}. Use a new --out folder or the matching filmroom release."
            )

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # Runs

    def start_run(self, run_id: str, arguments: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO runs (run_id, started, arguments) VALUES (?, ?, ?)",
            (run_id, _now(), json.dumps(arguments, sort_keys=True, default=str)),
        )

    def finish_run(self, run_id: str) -> None:
        self._db.execute("UPDATE runs SET finished = ? WHERE run_id = ?", (_now(), run_id))

    # Sources

    def known_hash(self, path: str, size: int, mtime_ns: int) -> str | None:
        """Return the stored SHA-256 of a file whose size and modification time are unchanged."""
        row = self._db.execute(
            "SELECT sha256 FROM sources WHERE path = ? AND size = ? AND mtime_ns = ?",
            (path, size, mtime_ns),
        ).fetchone()
        return row["sha256"] if row else None

    def upsert_source(self, record: dict[str, Any]) -> int:
        """Insert or refresh a discovered file and return its source_id."""
        self._db.execute(
            """INSERT INTO sources (path, display_path, root, root_kind, size, mtime_ns, sha256, file_format)
               VALUES (:path, :display_path, :root, :root_kind, :size, :mtime_ns, :sha256, :file_format)
               ON CONFLICT (path) DO UPDATE SET
                   display_path = excluded.display_path, root = excluded.root,
                   root_kind = excluded.root_kind, size = excluded.size,
                   mtime_ns = excluded.mtime_ns, sha256 = excluded.sha256,
                   file_format = excluded.file_format""",
            record,
        )
        row = self._db.execute("SELECT source_id FROM sources WHERE path = ?", (record["path"],)).fetchone()
        return int(row["source_id"])

    def update_source(self, source_id: int, **values: Any) -> None:
        unknown = set(values) - set(SOURCE_COLUMNS)
        if unknown:
            raise ValueError(f"unknown source columns: {sorted(unknown)}")
        assignments = ", ".join(f"{name} = :{name}" for name in values)
        self._db.execute(
            f"UPDATE sources SET {assignments} WHERE source_id = :source_id",
            {**values, "source_id": source_id},
        )

    def sources(self, source_ids: Iterable[int] | None = None) -> list[sqlite3.Row]:
        if source_ids is None:
            return self._db.execute("SELECT * FROM sources ORDER BY display_path").fetchall()
        ids = list(source_ids)
        marks = ",".join("?" * len(ids))
        return self._db.execute(
            f"SELECT * FROM sources WHERE source_id IN ({marks}) ORDER BY display_path", ids
        ).fetchall()

    def sources_in_run(self, run_id: str) -> list[sqlite3.Row]:
        return self._db.execute(
            "SELECT * FROM sources WHERE last_run = ? ORDER BY display_path", (run_id,)
        ).fetchall()

    # Content cache

    def cached(self, sha256: str, step: str, version: str) -> Any | None:
        row = self._db.execute(
            "SELECT value FROM content_cache WHERE sha256 = ? AND step = ? AND version = ?",
            (sha256, step, version),
        ).fetchone()
        return json.loads(row["value"]) if row else None

    def cache(self, sha256: str, step: str, version: str, value: Any) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO content_cache VALUES (?, ?, ?, ?)",
            (sha256, step, version, json.dumps(value, sort_keys=True, default=str)),
        )

    # Jackets

    def upsert_jacket(self, jacket_id: str, **values: Any) -> None:
        columns = ["jacket_id", *values]
        marks = ", ".join(f":{c}" for c in columns)
        updates = ", ".join(f"{c} = excluded.{c}" for c in values) or "jacket_id = jacket_id"
        self._db.execute(
            f"INSERT INTO jackets ({', '.join(columns)}) VALUES ({marks}) "
            f"ON CONFLICT (jacket_id) DO UPDATE SET {updates}",
            {"jacket_id": jacket_id, **values},
        )

    def jacket(self, jacket_id: str) -> sqlite3.Row | None:
        return self._db.execute("SELECT * FROM jackets WHERE jacket_id = ?", (jacket_id,)).fetchone()

    def jackets(self) -> list[sqlite3.Row]:
        return self._db.execute("SELECT * FROM jackets ORDER BY jacket_id").fetchall()

    # Instances and placements

    def instances_for_source(self, source_id: int) -> list[sqlite3.Row]:
        return self._db.execute(
            "SELECT * FROM instances WHERE source_id = ? ORDER BY page, sop_instance_uid", (source_id,)
        ).fetchall()

    def archived_page_keys(self) -> set[str]:
        """Return ``source_id:page`` of every page of a source that an earlier run archived."""
        rows = self._db.execute(
            """SELECT i.source_id, i.page FROM instances i JOIN sources s ON s.source_id = i.source_id
               WHERE s.status = 'archived'"""
        ).fetchall()
        return {f"{row['source_id']}:{row['page']}" for row in rows}

    def current_instances(self) -> list[sqlite3.Row]:
        return self._db.execute(
            "SELECT * FROM instances WHERE state = 'current' ORDER BY sop_instance_uid"
        ).fetchall()

    def record_instance(self, record: dict[str, Any]) -> list[str]:
        """Store an instance and mark older instances of the same page as replaced.

        Returns the SOP Instance UIDs that this instance replaces (the page was
        filed under another patient before).
        """
        replaced = [
            row["sop_instance_uid"]
            for row in self._db.execute(
                """SELECT sop_instance_uid FROM instances
                   WHERE source_id = :source_id AND page = :page AND state = 'current'
                   AND sop_instance_uid != :sop_instance_uid""",
                record,
            )
        ]
        for uid in replaced:
            self._db.execute(
                "UPDATE instances SET state = 'replaced', replaced_by = ? WHERE sop_instance_uid = ?",
                (record["sop_instance_uid"], uid),
            )
        self._db.execute(
            """INSERT INTO instances (sop_instance_uid, source_id, page, patient_id,
                   study_instance_uid, series_instance_uid, staged_path)
               VALUES (:sop_instance_uid, :source_id, :page, :patient_id,
                   :study_instance_uid, :series_instance_uid, :staged_path)
               ON CONFLICT (sop_instance_uid) DO UPDATE SET
                   state = 'current', replaced_by = '', staged_path = excluded.staged_path""",
            record,
        )
        return replaced

    def replaced_instances(self) -> list[dict[str, Any]]:
        """Return replaced instances that some destination stored, with what replaced them."""
        rows = self._db.execute(
            """SELECT old.sop_instance_uid AS old_sop_instance_uid, old.patient_id AS old_patient_id,
                      new.sop_instance_uid AS new_sop_instance_uid, new.patient_id AS new_patient_id,
                      s.display_path AS source_path,
                      group_concat(p.destination, ';') AS stored_at
               FROM instances old
               JOIN instances new ON new.sop_instance_uid = old.replaced_by
               JOIN sources s ON s.source_id = old.source_id
               JOIN placements p ON p.sop_instance_uid = old.sop_instance_uid
                    AND p.state IN ('stored', 'already_stored', 'verified')
               WHERE old.state = 'replaced'
               GROUP BY old.sop_instance_uid
               ORDER BY s.display_path, old.sop_instance_uid"""
        ).fetchall()
        return [dict(row) for row in rows]

    def placement(self, sop_instance_uid: str, destination: str) -> sqlite3.Row | None:
        return self._db.execute(
            "SELECT * FROM placements WHERE sop_instance_uid = ? AND destination = ?",
            (sop_instance_uid, destination),
        ).fetchone()

    def placements_for(self, sop_instance_uids: Sequence[str]) -> list[sqlite3.Row]:
        rows: list[sqlite3.Row] = []
        for start in range(0, len(sop_instance_uids), 500):
            chunk = list(sop_instance_uids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows += self._db.execute(
                f"SELECT * FROM placements WHERE sop_instance_uid IN ({marks})", chunk
            ).fetchall()
        return rows

    def record_placement(
        self, sop_instance_uid: str, destination: str, state: str, status: int | None = None, message: str = ""
    ) -> None:
        self._db.execute(
            """INSERT INTO placements (sop_instance_uid, destination, state, status, message, attempts, updated)
               VALUES (?, ?, ?, ?, ?, 1, ?)
               ON CONFLICT (sop_instance_uid, destination) DO UPDATE SET
                   state = excluded.state, status = excluded.status, message = excluded.message,
                   attempts = placements.attempts + 1, updated = excluded.updated""",
            (sop_instance_uid, destination, state, status, message, _now()),
        )
