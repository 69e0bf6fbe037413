-- A message body is tens of kilobytes of base64 that compresses poorly: stored out of line without
-- compression, queuing twenty thousand assignment mails no longer spends seconds in pglz (issue 16).
ALTER TABLE outbox ALTER COLUMN message SET STORAGE EXTERNAL;
