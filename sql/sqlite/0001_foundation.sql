-- licwatch foundation schema, SQLite flavour: dates are ISO text (YYYY-MM-DD), timestamps RFC 3339 text
-- in UTC, booleans 0/1. Keep in step with ../postgres/0001_foundation.sql.

CREATE TABLE divisions (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL CHECK (level IN ('province', 'prefecture', 'county')),
    parent_code TEXT REFERENCES divisions (code)
);

CREATE TABLE categories (
    code           TEXT PRIMARY KEY,
    ordinal        BIGINT NOT NULL,          -- position in the catalogue
    name_zh        TEXT NOT NULL,
    name_en        TEXT NOT NULL,
    in_scope       BOOLEAN NOT NULL,
    effective_from TEXT NOT NULL CHECK (effective_from GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    effective_to   TEXT,
    note           TEXT,
    UNIQUE (name_zh, effective_from)
);

CREATE TABLE enterprises (
    credit_code TEXT PRIMARY KEY CHECK (length(credit_code) = 18),
    name        TEXT NOT NULL,
    prefecture  TEXT NOT NULL REFERENCES divisions (code),
    county      TEXT NOT NULL REFERENCES divisions (code),
    address     TEXT,
    email       TEXT
);
CREATE INDEX enterprises_prefecture ON enterprises (prefecture);

CREATE TABLE licences (
    licence_no     TEXT PRIMARY KEY,
    credit_code    TEXT NOT NULL REFERENCES enterprises (credit_code),
    category       TEXT NOT NULL REFERENCES categories (code),
    procedure      TEXT NOT NULL CHECK (procedure IN ('simplified', 'standard')),
    grant_date     TEXT NOT NULL,
    expiry         TEXT,
    decision_date  TEXT,
    e_cert_date    TEXT,
    status         TEXT NOT NULL CHECK (status IN ('active', 'cancelled', 'annulled', 'revoked', 'expired')),
    renewal_filed  TEXT,
    renewal_direct BOOLEAN NOT NULL DEFAULT 0,
    CHECK (expiry IS NULL OR expiry > grant_date)
);
CREATE INDEX licences_credit_code ON licences (credit_code);
CREATE INDEX licences_category ON licences (category);

CREATE TABLE onsite_reviews (
    licence_no  TEXT NOT NULL REFERENCES licences (licence_no),
    review_date TEXT NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('pass', 'rectify', 'fail')),
    PRIMARY KEY (licence_no, review_date)
);

CREATE TABLE inspectors (
    inspector_id   TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    prefecture     TEXT NOT NULL REFERENCES divisions (code),
    county         TEXT NOT NULL REFERENCES divisions (code),
    qualifications TEXT NOT NULL,            -- category codes separated by ';'
    email          TEXT,
    active         BOOLEAN NOT NULL DEFAULT 1
);

CREATE TABLE spot_checks (
    -- The natural key: the 抽查编号 when given, else credit_code|category|check_date|campaign. Stored
    -- in one column so a data platform's export (抽查编号 first) copies straight into this table.
    check_key   TEXT PRIMARY KEY,
    credit_code TEXT NOT NULL REFERENCES enterprises (credit_code),
    category    TEXT NOT NULL REFERENCES categories (code),
    check_date  TEXT NOT NULL,
    result      TEXT NOT NULL CHECK (result IN ('pass', 'fail')),
    items       TEXT,
    campaign    TEXT,
    has_check_id BOOLEAN NOT NULL DEFAULT 1  -- whether check_key is a given 抽查编号
);
CREATE INDEX spot_checks_enterprise ON spot_checks (credit_code, category);
CREATE INDEX spot_checks_date ON spot_checks (check_date);

CREATE TABLE conflicts (
    inspector_id TEXT NOT NULL REFERENCES inspectors (inspector_id),
    credit_code  TEXT NOT NULL REFERENCES enterprises (credit_code),
    reason       TEXT,
    PRIMARY KEY (inspector_id, credit_code)
);

CREATE TABLE violations (
    credit_code TEXT NOT NULL REFERENCES enterprises (credit_code),
    date        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('violation', 'serious_dishonesty')),
    description TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (credit_code, date, kind, description)
);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,                   -- the command or job
    host    TEXT NOT NULL,
    inputs  TEXT NOT NULL,                   -- JSON: arguments, files and their SHA-256 digests
    outcome TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
