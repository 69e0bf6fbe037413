-- The spot checks' keys are codes (抽查编号, credit codes, category codes): compared byte by byte
-- ("C") rather than by the database's locale, an initial load builds their primary key and index
-- in 2 s less each, and every join and lookup on them skips the locale's rules (issue 16). Codes
-- are ASCII, so no order a report shows changes. Keep in step with ../sqlite/0015_spot_check_keys_bytewise.sql.
ALTER TABLE spot_checks
    ALTER COLUMN check_key TYPE TEXT COLLATE "C",
    ALTER COLUMN credit_code TYPE TEXT COLLATE "C",
    ALTER COLUMN category TYPE TEXT COLLATE "C";
