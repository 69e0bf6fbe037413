-- Each failed spot check with the first later passing check of the same enterprise and category
-- (which closes its follow-up, 后处理, measures 三(三)), derived from spot_checks: every load
-- recomputes the enterprise-categories it touched (store::records::FAILED_CHECKS), so the weekly
-- deadline reads no longer look up a later pass for each of half a million failures (issue 16).
-- Keep in step with ../sqlite/0013_failed_checks.sql.
CREATE TABLE failed_checks (
    credit_code  TEXT NOT NULL,
    category     TEXT NOT NULL,
    check_date   DATE NOT NULL,
    disposed     DATE,
    passed_after DATE
);
CREATE INDEX failed_checks_group ON failed_checks (credit_code, category);

INSERT INTO failed_checks (credit_code, category, check_date, disposed, passed_after)
SELECT s.credit_code, s.category, s.check_date, s.disposed,
       (SELECT MIN(p.check_date) FROM spot_checks p
        WHERE p.credit_code = s.credit_code AND p.category = s.category
          AND p.result = 'pass' AND p.check_date > s.check_date)
FROM spot_checks s WHERE s.result = 'fail';
