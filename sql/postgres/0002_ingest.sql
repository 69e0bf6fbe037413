-- Ingest bookkeeping: each file loaded (by content digest) and each rejected row (quarantine).
-- Keep in step with ../sqlite/0002_ingest.sql.

CREATE TABLE ingest_files (
    digest    TEXT PRIMARY KEY,              -- SHA-256 of the file's bytes
    file_name TEXT NOT NULL,
    kind      TEXT NOT NULL,
    format    TEXT NOT NULL,
    rows_read BIGINT NOT NULL,
    inserted  BIGINT NOT NULL,
    updated   BIGINT NOT NULL,
    unchanged BIGINT NOT NULL,
    rejected  BIGINT NOT NULL,
    loaded_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE ingest_rejects (
    digest      TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    row_number  BIGINT NOT NULL,
    field       TEXT NOT NULL,              -- '' when the whole row is at fault
    value       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    rejected_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (digest, row_number, field, reason)
);
