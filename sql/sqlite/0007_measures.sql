-- The measures as written (issue 12): 一企一证 (二(三)7) — one certificate may cover several products,
-- so a licence is one row per (licence, category); direct renewal checked against the licence it
-- renews (二(三)5); the issuing bureau of each licence (二(二)); the quick-exit grounds of 三(一) as
-- violation kinds; the follow-up (后处理) of a failed spot check (三(三)).
--
-- SQLite cannot change a key or a CHECK in place: the tables are rebuilt. On-site reviews first, as
-- they referred to the old key (licence_no alone); ingest checks their licence numbers now.

CREATE TABLE onsite_reviews_new (
    licence_no  TEXT NOT NULL,
    review_date TEXT NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('pass', 'rectify', 'fail')),
    PRIMARY KEY (licence_no, review_date)
);
INSERT INTO onsite_reviews_new SELECT licence_no, review_date, outcome FROM onsite_reviews;
DROP TABLE onsite_reviews;
ALTER TABLE onsite_reviews_new RENAME TO onsite_reviews;

CREATE TABLE licences_new (
    licence_no     TEXT NOT NULL,
    category       TEXT NOT NULL REFERENCES categories (code),
    credit_code    TEXT NOT NULL REFERENCES enterprises (credit_code),
    procedure      TEXT NOT NULL CHECK (procedure IN ('simplified', 'standard')),
    grant_date     TEXT NOT NULL,
    expiry         TEXT,
    decision_date  TEXT,
    e_cert_date    TEXT,
    status         TEXT NOT NULL CHECK (status IN ('active', 'cancelled', 'annulled', 'revoked', 'expired')),
    renewal_filed  TEXT,
    renewal_direct BOOLEAN NOT NULL DEFAULT 0,
    renews         TEXT,                                  -- 原许可证编号
    major_change   BOOLEAN NOT NULL DEFAULT 0,            -- 生产条件重大变化
    issuer         TEXT REFERENCES divisions (code),      -- 发证机关; NULL: the region's bureau
    PRIMARY KEY (licence_no, category),
    CHECK (expiry IS NULL OR expiry > grant_date)
);
INSERT INTO licences_new (licence_no, category, credit_code, procedure, grant_date, expiry,
                          decision_date, e_cert_date, status, renewal_filed, renewal_direct)
SELECT licence_no, category, credit_code, procedure, grant_date, expiry, decision_date, e_cert_date,
       status, renewal_filed, renewal_direct
FROM licences;
DROP TABLE licences;
ALTER TABLE licences_new RENAME TO licences;
CREATE INDEX licences_credit_code ON licences (credit_code);
CREATE INDEX licences_category ON licences (category);

CREATE TABLE violations_new (
    credit_code TEXT NOT NULL REFERENCES enterprises (credit_code),
    date        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('violation', 'serious_dishonesty', 'improper_grant', 'refused_supervision')),
    description TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (credit_code, date, kind, description)
);
INSERT INTO violations_new SELECT credit_code, date, kind, description FROM violations;
DROP TABLE violations;
ALTER TABLE violations_new RENAME TO violations;

ALTER TABLE spot_checks ADD COLUMN disposed TEXT;                          -- 后处理完成日期
