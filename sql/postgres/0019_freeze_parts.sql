-- A frozen snapshot is stored in parts of about a megabyte (issue 16). Read back as one 55 MB
-- value, a national snapshot took the driver 1.4 s to receive against psql's 0.54 s: sqlx grows
-- its read buffer for a message larger than it holds by copying into fresh memory as the bytes
-- arrive. A freeze's snapshot is its own `snapshot` text followed by its parts' texts in order;
-- freezes made before this migration have no parts. Like their freeze, parts are never changed.
CREATE TABLE draw_freeze_parts (
    campaign TEXT NOT NULL REFERENCES draw_freezes (campaign),
    part     INTEGER NOT NULL,
    text     TEXT NOT NULL,
    PRIMARY KEY (campaign, part)
);
CREATE TRIGGER freeze_parts_are_immutable BEFORE UPDATE OR DELETE ON draw_freeze_parts
    FOR EACH ROW EXECUTE FUNCTION freezes_are_immutable();
-- As the snapshot column (0017): lz4 where the server offers it.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings
               WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE draw_freeze_parts ALTER COLUMN text SET COMPRESSION lz4;
    END IF;
END
$$;
