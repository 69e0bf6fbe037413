-- Kept in step with ../postgres/0012_outbox_storage.sql, which stores outbox bodies uncompressed;
-- SQLite never compresses a value, so there is nothing to change here.
SELECT 1;
