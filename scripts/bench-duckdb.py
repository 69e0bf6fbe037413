"""DuckDB running the category aggregation of licwatch's risk model over the same national files
(scripts/bench installs duckdb from PyPI and runs this). Prints two timings, best of five:
  files:  reading the CSVs and aggregating (as `licwatch risk` reads its store and aggregates);
  memory: the aggregation over tables already loaded (as `cargo bench --bench risk` times polars).
Usage: python3 scripts/bench-duckdb.py DATA_DIR [AS_OF] [LAST_OVERDUE_GRANT]"""

import sys
import time

import duckdb

data = sys.argv[1]
as_of = sys.argv[2] if len(sys.argv) > 2 else "2026-11-26"
last_overdue = sys.argv[3] if len(sys.argv) > 3 else "2026-10-13"

WINDOWS = f"""
    DATE '{as_of}' AS as_of,
    DATE '{as_of}' - INTERVAL 12 MONTH AS start,
    DATE '{as_of}' - INTERVAL 24 MONTH AS previous_start,
    DATE '{last_overdue}' AS last_overdue
"""

# The same counts as src/risk/aggregate.rs: per category, licences (active, new in the window,
# simplified, awaiting review, overdue), active enterprises, reviews in the window (and how many
# found non-conformities), spot checks and failures in the window and the one before.
QUERY = f"""
WITH w AS (SELECT {WINDOWS}),
reviewed AS (SELECT DISTINCT licence_no FROM reviews, w WHERE review_date <= w.as_of),
lic AS (
    SELECT l.category, l.credit_code, l.status = 'active' AS active, l.procedure = 'simplified' AS simplified,
           coalesce(l.renewal_direct, false) AS direct, r.licence_no IS NOT NULL AS reviewed, l.grant_date
    FROM licences l LEFT JOIN reviewed r USING (licence_no)
),
licence_summary AS (
    SELECT category,
           count(*) FILTER (WHERE active) AS active_licences,
           count(*) FILTER (WHERE grant_date > w.start AND grant_date <= w.as_of) AS new_licences,
           count(*) FILTER (WHERE active AND simplified) AS simplified_licences,
           count(*) FILTER (WHERE active AND simplified AND NOT direct AND NOT reviewed) AS awaiting_review,
           count(*) FILTER (WHERE active AND simplified AND NOT direct AND NOT reviewed
                            AND grant_date <= w.last_overdue) AS overdue_review,
           count(DISTINCT credit_code) FILTER (WHERE active) AS active_enterprises
    FROM lic, w GROUP BY category
),
review_summary AS (
    SELECT l.category, count(*) AS reviews, count(*) FILTER (WHERE r.outcome <> 'pass') AS nonconforming_reviews
    FROM reviews r JOIN licences l USING (licence_no), w
    WHERE r.review_date > w.start AND r.review_date <= w.as_of GROUP BY l.category
),
check_summary AS (
    SELECT category,
           count(*) FILTER (WHERE check_date > w.start AND check_date <= w.as_of) AS checks,
           count(*) FILTER (WHERE check_date > w.start AND check_date <= w.as_of AND result = 'fail') AS failures,
           count(*) FILTER (WHERE check_date > w.previous_start AND check_date <= w.start) AS checks_previous,
           count(*) FILTER (WHERE check_date > w.previous_start AND check_date <= w.start AND result = 'fail') AS failures_previous
    FROM spot_checks, w GROUP BY category
)
SELECT * FROM licence_summary
FULL JOIN review_summary USING (category)
FULL JOIN check_summary USING (category)
ORDER BY category
"""

LOAD = {
    "licences": "SELECT licence_no, credit_code, category, procedure, status, renewal_direct, grant_date "
    "FROM read_csv('{d}/licences.csv', header = true, types = {{'grant_date': 'DATE', 'renewal_direct': 'BOOLEAN'}})",
    "reviews": "SELECT licence_no, review_date, outcome "
    "FROM read_csv('{d}/onsite-reviews.csv', header = true, types = {{'review_date': 'DATE'}})",
    "spot_checks": "SELECT category, check_date, result "
    "FROM read_csv('{d}/spot-checks.csv', header = true, types = {{'check_date': 'DATE'}})",
}


def from_files():
    con = duckdb.connect()
    for name, sql in LOAD.items():
        con.execute(f"CREATE VIEW {name} AS {sql.format(d=data)}")
    return con.execute(QUERY).fetchall()


def best(f, runs=5):
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return min(times), out


files_s, rows = best(from_files)
con = duckdb.connect()
for name, sql in LOAD.items():
    con.execute(f"CREATE TABLE {name} AS {sql.format(d=data)}")
memory_s, rows2 = best(lambda: con.execute(QUERY).fetchall())
checks = sum((r[-4] or 0) + (r[-2] or 0) for r in rows2)
print(f"duckdb {duckdb.__version__}: files {files_s:.3f} s, memory {memory_s:.3f} s "
      f"({len(rows2)} categories, {checks} checks in the two windows)")
