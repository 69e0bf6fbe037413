-- 双随机 draws: enterprise risk tiers the draw reads, each draw's immutable record, and its
-- assignments (the history that 回避 of recent inspections reads). Keep in step with ../postgres.

CREATE TABLE enterprise_tiers (
    credit_code TEXT NOT NULL REFERENCES enterprises (credit_code),
    period      TEXT NOT NULL,               -- ISO week, e.g. 2026-W48
    tier        TEXT NOT NULL CHECK (tier IN ('A', 'B', 'C', 'D')),
    PRIMARY KEY (credit_code, period)
);

CREATE TABLE draws (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign      TEXT NOT NULL,
    as_of         TEXT NOT NULL,
    made_at       TEXT NOT NULL,
    seed_sha256   TEXT NOT NULL,
    record_sha256 TEXT NOT NULL,
    record        TEXT NOT NULL,             -- the canonical JSON record
    redraw_reason TEXT
);
CREATE INDEX draws_campaign ON draws (campaign);

CREATE TRIGGER draws_are_immutable BEFORE UPDATE ON draws
BEGIN SELECT RAISE(ABORT, 'draw records are immutable'); END;
CREATE TRIGGER draws_are_kept BEFORE DELETE ON draws
BEGIN SELECT RAISE(ABORT, 'draw records are immutable'); END;

CREATE TABLE draw_assignments (
    draw_id      INTEGER NOT NULL REFERENCES draws (id),
    credit_code  TEXT NOT NULL,
    category     TEXT NOT NULL,
    inspector_id TEXT NOT NULL,
    lead         BOOLEAN NOT NULL,
    PRIMARY KEY (draw_id, credit_code, category, inspector_id)
);
CREATE INDEX draw_assignments_inspector ON draw_assignments (inspector_id);
