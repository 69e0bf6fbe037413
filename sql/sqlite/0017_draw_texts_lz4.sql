-- Kept in step with ../postgres/0017_draw_texts_lz4.sql, which compresses the draw record and the
-- frozen snapshot with lz4; SQLite never compresses a value, so there is nothing to change here.
SELECT 1;
