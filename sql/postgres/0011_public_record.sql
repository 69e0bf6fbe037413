-- Public draw records (issue 14, item 10): the campaign's pseudonym key, drawn at the freeze and
-- kept here (never published with the freeze: the plan notice carries its SHA-256 only).
-- Freezes made before this migration have none, and their draws have no public record.
ALTER TABLE draw_freezes ADD COLUMN pseudonym_key TEXT;
