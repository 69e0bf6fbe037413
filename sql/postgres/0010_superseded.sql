-- Redraws (issue 14): the unsent mails of a superseded draw are cancelled, status `superseded`.
ALTER TABLE outbox DROP CONSTRAINT outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check
    CHECK (status IN ('pending', 'held', 'sending', 'sent', 'failed', 'superseded'));
