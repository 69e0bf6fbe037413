-- Ingest bookkeeping: each file loaded (by content digest) and each rejected row (quarantine).
-- Keep in step with ../postgres/0002_ingest.sql.

CREATE TABLE ingest_files (
    digest    TEXT PRIMARY KEY,              -- SHA-256 of the file's bytes
    file_name TEXT NOT NULL,
    kind      TEXT NOT NULL,
    format    TEXT NOT NULL,
    rows_read INTEGER NOT NULL,
    inserted  INTEGER NOT NULL,
    updated   INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    rejected  INTEGER NOT NULL,
    loaded_at TEXT NOT NULL
);

CREATE TABLE ingest_rejects (
    digest      TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    row_number  INTEGER NOT NULL,
    field       TEXT NOT NULL,              -- '' when the whole row is at fault
    value       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    rejected_at TEXT NOT NULL,
    PRIMARY KEY (digest, row_number, field, reason)
);
