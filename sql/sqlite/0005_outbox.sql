-- Every message goes through the outbox: one row per (report kind, period, scope, recipient), whoever
-- asked for it, so a rerun re-uses it and a key is never sent twice. Keep in step with ../postgres.

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL,
    period          TEXT NOT NULL,
    scope           TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    subject         TEXT NOT NULL,
    message         TEXT NOT NULL,           -- the RFC 5322 message as sent (7-bit)
    status          TEXT NOT NULL CHECK (status IN ('pending', 'held', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    requested_by    TEXT NOT NULL,           -- the command or job that queued it
    created_at      TEXT NOT NULL,
    next_attempt_at TEXT,
    lease_until     TEXT,                    -- a sender's claim while status = 'sending'
    sent_at         TEXT,
    UNIQUE (kind, period, scope, recipient)
);
CREATE INDEX outbox_status ON outbox (status);
