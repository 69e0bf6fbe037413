-- The measures as written (issue 12): 一企一证 (二(三)7) — one certificate may cover several products,
-- so a licence is one row per (licence, category); direct renewal checked against the licence it
-- renews (二(三)5); the issuing bureau of each licence (二(二)); the quick-exit grounds of 三(一) as
-- violation kinds; the follow-up (后处理) of a failed spot check (三(三)).

-- On-site reviews referred to the old key (licence_no alone); ingest checks their licence numbers now.
ALTER TABLE onsite_reviews DROP CONSTRAINT onsite_reviews_licence_no_fkey;
ALTER TABLE licences DROP CONSTRAINT licences_pkey;
ALTER TABLE licences ADD PRIMARY KEY (licence_no, category);

ALTER TABLE licences ADD COLUMN renews TEXT;                                   -- 原许可证编号
ALTER TABLE licences ADD COLUMN major_change BOOLEAN NOT NULL DEFAULT false;  -- 生产条件重大变化
ALTER TABLE licences ADD COLUMN issuer TEXT REFERENCES divisions (code);       -- 发证机关; NULL: the region's bureau

ALTER TABLE violations DROP CONSTRAINT violations_kind_check;
ALTER TABLE violations ADD CONSTRAINT violations_kind_check
    CHECK (kind IN ('violation', 'serious_dishonesty', 'improper_grant', 'refused_supervision'));

ALTER TABLE spot_checks ADD COLUMN disposed DATE;                              -- 后处理完成日期
