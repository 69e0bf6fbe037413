-- The tiers' key is codes (credit code, ISO week): compared byte by byte ("C") rather than by the
-- database's locale, as the spot checks' keys are (0015). A week's 176,371 national tiers went
-- into a table holding the week before in 0.41 s against 0.49–0.52 s (psql, the same rows, in
-- turn; issue 16); into an empty table the difference is within the noise. Codes and weeks are
-- ASCII of one shape each, so no order changes. Keep in step with
-- ../sqlite/0020_tier_keys_bytewise.sql.
ALTER TABLE enterprise_tiers
    ALTER COLUMN credit_code TYPE TEXT COLLATE "C",
    ALTER COLUMN period TYPE TEXT COLLATE "C";
