-- Risk analytics: each period's category assessment (the history the ranking compares with) and
-- the reasons behind an enterprise's tier. Keep in step with ../postgres.

CREATE TABLE risk_categories (
    period            TEXT NOT NULL,         -- ISO week of the as-of day, e.g. 2026-W48
    scope             TEXT NOT NULL,         -- 'all' or a prefecture code
    category          TEXT NOT NULL REFERENCES categories (code),
    as_of             TEXT NOT NULL,
    level             INTEGER NOT NULL CHECK (level BETWEEN 1 AND 4),
    score             REAL NOT NULL,
    rank              INTEGER NOT NULL,
    insufficient_data INTEGER NOT NULL,
    factors           TEXT NOT NULL,         -- the whole row as JSON, for the report
    computed_at       TEXT NOT NULL,
    PRIMARY KEY (period, scope, category)
);

ALTER TABLE enterprise_tiers ADD COLUMN points INTEGER;
ALTER TABLE enterprise_tiers ADD COLUMN reasons TEXT;
