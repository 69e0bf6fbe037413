-- The measures as written (issue 12): direct renewal checked against the licence it renews (二(三)5),
-- the quick-exit grounds of 三(一) as violation kinds, the issuing bureau of each licence (二(二)).

ALTER TABLE licences ADD COLUMN issuer TEXT REFERENCES divisions (code);   -- 发证机关; NULL: the region's bureau
ALTER TABLE licences ADD COLUMN renews TEXT;                                   -- 原许可证编号
ALTER TABLE licences ADD COLUMN major_change BOOLEAN NOT NULL DEFAULT false;  -- 生产条件重大变化

ALTER TABLE violations DROP CONSTRAINT violations_kind_check;
ALTER TABLE violations ADD CONSTRAINT violations_kind_check
    CHECK (kind IN ('violation', 'serious_dishonesty', 'improper_grant', 'refused_supervision'));

ALTER TABLE spot_checks ADD COLUMN disposed DATE;                          -- 后处理完成日期
