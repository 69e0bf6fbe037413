-- Enterprise tiers are computed from the stored enterprises' licences, so a reference back to
-- enterprises guards nothing, and its per-row check cost 1.3 s of the 2.2 s that storing a
-- national week's 176,000 tiers took (issue 16). Keep in step with ../sqlite/0014_tiers_unreferenced.sql.
ALTER TABLE enterprise_tiers DROP CONSTRAINT enterprise_tiers_credit_code_fkey;
