-- Redraws (issue 14): the unsent mails of a superseded draw are cancelled, status `superseded`.
-- SQLite cannot alter a CHECK: the outbox is rebuilt, its rows and keys kept.
CREATE TABLE outbox_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL,
    period          TEXT NOT NULL,
    scope           TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    subject         TEXT NOT NULL,
    message         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'held', 'sending', 'sent', 'failed', 'superseded')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    requested_by    TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    next_attempt_at TEXT,
    lease_until     TEXT,
    sent_at         TEXT,
    claim_token     BIGINT NOT NULL DEFAULT 0,
    UNIQUE (kind, period, scope, recipient)
);
INSERT INTO outbox_new (id, kind, period, scope, recipient, message_id, subject, message, status,
                        attempts, last_error, requested_by, created_at, next_attempt_at, lease_until,
                        sent_at, claim_token)
SELECT id, kind, period, scope, recipient, message_id, subject, message, status, attempts, last_error,
       requested_by, created_at, next_attempt_at, lease_until, sent_at, claim_token
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_status ON outbox (status);
