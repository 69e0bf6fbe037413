-- Kept in step with ../postgres/0020_tier_keys_bytewise.sql: SQLite already compares text byte by
-- byte (BINARY), so there is nothing to change here.
SELECT 1;
