-- A queued message is tens of kilobytes of base64 (0012 stores it out of line, uncompressed,
-- because pglz spent seconds on a draw's twenty thousand assignment mails). lz4 is fast enough to
-- pay: a national draw's 23,244 mails take 442 MB instead of 633 MB, and queuing them about a
-- second less (11.3–12.5 → 10.5–11.5 s, issue 16). Only a server built with lz4 offers it;
-- elsewhere the column stays stored out of line, uncompressed.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings
               WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE outbox ALTER COLUMN message SET STORAGE EXTENDED;
        ALTER TABLE outbox ALTER COLUMN message SET COMPRESSION lz4;
    END IF;
END
$$;
