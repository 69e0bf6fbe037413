-- A draw's record is stored without its snapshot, which is its freeze's (issue 16: the national
-- record's 59 MB went in twice, once per table). The record is whole only with its freeze, so a
-- freeze, like a draw, is never changed or deleted.
CREATE FUNCTION freezes_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'draw freezes are immutable';
END
$$;
CREATE TRIGGER freezes_are_immutable BEFORE UPDATE OR DELETE ON draw_freezes
    FOR EACH ROW EXECUTE FUNCTION freezes_are_immutable();
