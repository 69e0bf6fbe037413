-- Commit, then draw (issue 14): `licwatch draw freeze` fixes a campaign's as-of date, plan and both
-- directory snapshots before the seed exists; the draw reads them from here. One freeze per
-- campaign; it is never changed.
CREATE TABLE draw_freezes (
    campaign TEXT PRIMARY KEY,
    commitment TEXT NOT NULL,                -- the freeze as canonical JSON (digests, seed source)
    plan     TEXT NOT NULL,                  -- the plan as canonical JSON, its as-of set
    snapshot TEXT NOT NULL                   -- both directories as canonical JSON
);
