-- Kept in step with ../postgres/0019_freeze_parts.sql: a freeze's snapshot is its own `snapshot`
-- text followed by its parts' texts in order (parts of about a megabyte, which PostgreSQL's
-- driver receives far faster than one 55 MB value); like their freeze, parts are never changed.
CREATE TABLE draw_freeze_parts (
    campaign TEXT NOT NULL REFERENCES draw_freezes (campaign),
    part     INTEGER NOT NULL,
    text     TEXT NOT NULL,
    PRIMARY KEY (campaign, part)
);
CREATE TRIGGER freeze_parts_are_immutable BEFORE UPDATE ON draw_freeze_parts
BEGIN SELECT RAISE(ABORT, 'draw freezes are immutable'); END;
CREATE TRIGGER freeze_parts_are_kept BEFORE DELETE ON draw_freeze_parts
BEGIN SELECT RAISE(ABORT, 'draw freezes are immutable'); END;
