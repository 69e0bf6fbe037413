-- Kept in step with ../postgres/0018_outbox_lz4.sql, which compresses queued messages with lz4;
-- SQLite never compresses a value, so there is nothing to change here.
SELECT 1;
