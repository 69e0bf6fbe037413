-- A draw's record is stored without its snapshot, which is its freeze's (issue 16: the national
-- record's 59 MB went in twice, once per table). The record is whole only with its freeze, so a
-- freeze, like a draw, is never changed or deleted.
CREATE TRIGGER freezes_are_immutable BEFORE UPDATE ON draw_freezes
BEGIN SELECT RAISE(ABORT, 'draw freezes are immutable'); END;
CREATE TRIGGER freezes_are_kept BEFORE DELETE ON draw_freezes
BEGIN SELECT RAISE(ABORT, 'draw freezes are immutable'); END;
