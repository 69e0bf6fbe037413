-- The spot checks counted per day, prefecture, category and result, derived from spot_checks and
-- enterprises: a spot-check load recomputes the days it touched, an enterprise load the days its
-- moved enterprises were checked (store::records::CHECK_COUNTS), so the risk model reads a few
-- hundred thousand counts instead of grouping every check of two years on each run (issue 16).
-- Keep in step with ../postgres/0016_check_counts.sql.
CREATE TABLE check_counts (
    check_date  TEXT NOT NULL,
    prefecture  TEXT NOT NULL,
    category    TEXT NOT NULL,
    result      TEXT NOT NULL,
    n           INTEGER NOT NULL
);
-- Read and refreshed by day. No key beside it: the counts come from GROUP BY, and a four-column
-- text key doubled the cost of counting a national history (10.7 s against 5.3 s).
CREATE INDEX check_counts_day ON check_counts (check_date);

INSERT INTO check_counts (check_date, prefecture, category, result, n)
SELECT s.check_date, e.prefecture, s.category, s.result, COUNT(*)
FROM spot_checks s JOIN enterprises e ON e.credit_code = s.credit_code
GROUP BY s.check_date, e.prefecture, s.category, s.result;
