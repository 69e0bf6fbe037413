-- The scheduler: one claim per (job, tick) shared by every replica, and the run ledger (one row per
-- attempt). Keep in step with ../postgres.

CREATE TABLE job_ticks (
    job           TEXT NOT NULL,
    scheduled_for TEXT NOT NULL,             -- the tick's logical time, UTC
    status        TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
    owner         TEXT,                      -- host:pid holding the lease
    lease_until   TEXT,                      -- while running: the claim's expiry; when failed: retry not before
    attempts      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (job, scheduled_for)
);

CREATE TABLE job_runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    job           TEXT NOT NULL,
    scheduled_for TEXT NOT NULL,
    attempt       INTEGER NOT NULL,
    host          TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    status        TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted', 'skipped')),
    steps_done    INTEGER NOT NULL DEFAULT 0,
    error         TEXT
);
CREATE INDEX job_runs_job ON job_runs (job, scheduled_for);
