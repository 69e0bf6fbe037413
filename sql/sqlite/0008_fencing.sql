-- Fencing (issue 14): every claim — a tick, an outbox message — carries a token that grows on each
-- takeover; every write its holder makes is conditional on it, so a holder that lost its claim (a
-- paused process, a slow step, a slow SMTP server) cannot overwrite its successor's work.
ALTER TABLE job_ticks ADD COLUMN token BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN claim_token BIGINT NOT NULL DEFAULT 0;
