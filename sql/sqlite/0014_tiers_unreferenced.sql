-- Enterprise tiers are computed from the stored enterprises' licences, so a reference back to
-- enterprises guards nothing (issue 16). SQLite drops a foreign key by rebuilding the table.
-- Keep in step with ../postgres/0014_tiers_unreferenced.sql.
CREATE TABLE enterprise_tiers_rebuilt (
    credit_code TEXT NOT NULL,
    period      TEXT NOT NULL,               -- ISO week, e.g. 2026-W48
    tier        TEXT NOT NULL CHECK (tier IN ('A', 'B', 'C', 'D')),
    points      INTEGER,
    reasons     TEXT,
    PRIMARY KEY (credit_code, period)
);
INSERT INTO enterprise_tiers_rebuilt (credit_code, period, tier, points, reasons)
SELECT credit_code, period, tier, points, reasons FROM enterprise_tiers;
DROP TABLE enterprise_tiers;
ALTER TABLE enterprise_tiers_rebuilt RENAME TO enterprise_tiers;
