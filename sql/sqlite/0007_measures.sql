-- The measures as written (issue 12): direct renewal checked against the licence it renews (二(三)5),
-- the quick-exit grounds of 三(一) as violation kinds, the issuing bureau of each licence (二(二)).

ALTER TABLE licences ADD COLUMN issuer TEXT REFERENCES divisions (code);   -- 发证机关; NULL: the region's bureau
ALTER TABLE licences ADD COLUMN renews TEXT;                               -- 原许可证编号
ALTER TABLE licences ADD COLUMN major_change BOOLEAN NOT NULL DEFAULT 0;  -- 生产条件重大变化

-- SQLite cannot alter a CHECK: the table is rebuilt with the two new kinds.
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
