-- Fencing (issue 14): every claim — a tick, an outbox message — carries a token that grows on each
-- takeover; every write its holder makes is conditional on it, so a holder that lost its claim (a
-- paused process, a slow step, a slow SMTP server) cannot overwrite its successor's work.
ALTER TABLE job_ticks ADD COLUMN token BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN claim_token BIGINT NOT NULL DEFAULT 0;

-- One current draw per campaign (issue 14): the first draw of a campaign claims its row here, and a
-- redraw replaces it only from the draw it names as superseded, in the same transaction. Two draws
-- made at once yield one record and one refusal. Draw records themselves stay immutable.
CREATE TABLE draw_current (
    campaign TEXT PRIMARY KEY,
    draw_id  BIGINT NOT NULL REFERENCES draws (id)
);
INSERT INTO draw_current (campaign, draw_id) SELECT campaign, MAX(id) FROM draws GROUP BY campaign;
