-- Ledger schema. Bump SCHEMA_VERSION in store.py when this changes.
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One row per file found under --films or --share. Never deleted: a file that
-- disappears from the source keeps its row with the status it last had.
CREATE TABLE IF NOT EXISTS sources (
    source_id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,          -- absolute path
    display_path TEXT NOT NULL,         -- path as shown in reports: root name + relative path
    root TEXT NOT NULL,
    root_kind TEXT NOT NULL,            -- films | share
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    file_format TEXT NOT NULL,          -- dicom | image | other
    source_kind TEXT NOT NULL DEFAULT 'other',
    jacket_id TEXT NOT NULL DEFAULT '',
    page_class TEXT NOT NULL DEFAULT '',
    page_evidence TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'pending',
    reason TEXT NOT NULL DEFAULT '',
    duplicate_of TEXT NOT NULL DEFAULT '',
    patient_id TEXT NOT NULL DEFAULT '',
    match_method TEXT NOT NULL DEFAULT '',
    match_score REAL,
    study_date TEXT NOT NULL DEFAULT '',
    study_date_source TEXT NOT NULL DEFAULT '',
    warnings TEXT NOT NULL DEFAULT '',
    last_run TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS sources_sha256 ON sources (sha256);

-- Results that depend only on file content, keyed by SHA-256: page class, label
-- reading, DICOM inspection, fingerprints. A re-run reuses them.
CREATE TABLE IF NOT EXISTS content_cache (
    sha256 TEXT NOT NULL,
    step TEXT NOT NULL,
    version TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (sha256, step)
);

CREATE TABLE IF NOT EXISTS jackets (
    jacket_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,                 -- film_jacket | share_folder | dicom_patient
    label_source_id INTEGER,
    reading TEXT NOT NULL DEFAULT '{}',
    decision TEXT NOT NULL DEFAULT '',
    method TEXT NOT NULL DEFAULT '',
    patient_id TEXT NOT NULL DEFAULT '',
    score REAL,
    candidates TEXT NOT NULL DEFAULT '[]',
    review_action TEXT NOT NULL DEFAULT '',
    review_patient_id TEXT NOT NULL DEFAULT '',
    review_row INTEGER
);

-- One row per DICOM object made from (or re-mapped from) a source page.
CREATE TABLE IF NOT EXISTS instances (
    sop_instance_uid TEXT PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources (source_id),
    page INTEGER NOT NULL,
    patient_id TEXT NOT NULL,
    study_instance_uid TEXT NOT NULL,
    series_instance_uid TEXT NOT NULL,
    staged_path TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'current',   -- current | replaced
    replaced_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS instances_source ON instances (source_id, page);

-- One instance at one destination.
CREATE TABLE IF NOT EXISTS placements (
    sop_instance_uid TEXT NOT NULL,
    destination TEXT NOT NULL,
    state TEXT NOT NULL,                -- stored | already_stored | verified | rejected | failed | mismatch
    status INTEGER,
    message TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    updated TEXT NOT NULL,
    PRIMARY KEY (sop_instance_uid, destination)
);

CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    started TEXT NOT NULL,
    finished TEXT,
    arguments TEXT NOT NULL
);
