-- A national draw record is 51 MB of canonical JSON and its freeze's snapshot 48 MB. pglz spent
-- 0.6–1.3 s compressing each on insert; lz4 takes a third of that for about 10% more space
-- (6.7 → 7.6 MB a record), measured on the national draw (issue 16). Only a server built with lz4
-- offers it (Debian's and PGDG's packages are); elsewhere the columns keep pglz.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings
               WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE draws ALTER COLUMN record SET COMPRESSION lz4;
        ALTER TABLE draw_freezes ALTER COLUMN snapshot SET COMPRESSION lz4;
    END IF;
END
$$;
