-- 双随机 draws: enterprise risk tiers the draw reads, each draw's immutable record, and its
-- assignments (the history that 回避 of recent inspections reads). Keep in step with ../sqlite.

CREATE TABLE enterprise_tiers (
    credit_code TEXT NOT NULL REFERENCES enterprises (credit_code),
    period      TEXT NOT NULL,               -- ISO week, e.g. 2026-W48
    tier        TEXT NOT NULL CHECK (tier IN ('A', 'B', 'C', 'D')),
    PRIMARY KEY (credit_code, period)
);

CREATE TABLE draws (
    id            BIGSERIAL PRIMARY KEY,
    campaign      TEXT NOT NULL,
    as_of         DATE NOT NULL,
    made_at       TIMESTAMPTZ NOT NULL,
    seed_sha256   TEXT NOT NULL,
    record_sha256 TEXT NOT NULL,
    record        TEXT NOT NULL,             -- the canonical JSON record
    redraw_reason TEXT
);
CREATE INDEX draws_campaign ON draws (campaign);

CREATE FUNCTION draws_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'draw records are immutable';
END
$$;
CREATE TRIGGER draws_are_immutable BEFORE UPDATE OR DELETE ON draws
    FOR EACH ROW EXECUTE FUNCTION draws_are_immutable();

CREATE TABLE draw_assignments (
    draw_id      BIGINT NOT NULL REFERENCES draws (id),
    credit_code  TEXT NOT NULL,
    category     TEXT NOT NULL,
    inspector_id TEXT NOT NULL,
    lead         BOOLEAN NOT NULL,
    PRIMARY KEY (draw_id, credit_code, category, inspector_id)
);
CREATE INDEX draw_assignments_inspector ON draw_assignments (inspector_id);
