-- Generations that never repeat a value across timelines. A generation is a counter, so when
-- the database goes back in time — a backup restored, or the last commits lost to a power
-- loss — the next writes count up through the same values the lost timeline used, and a page
-- the persistent cache (L2) filed under one of them would be served as fresh. Each axis now
-- also carries a salt, drawn at random in the same transaction as every move of its
-- generation; folio keys pages by (generation, salt), and a salt drawn after a rollback is
-- new (2^-64 odds of a repeat). A database state that was never lost keeps its salts, so
-- pages read from it stay valid.
ALTER TABLE folio_generations ADD COLUMN published_salt INTEGER NOT NULL DEFAULT 0;
ALTER TABLE folio_generations ADD COLUMN draft_salt INTEGER NOT NULL DEFAULT 0;
UPDATE folio_generations SET published_salt = random(), draft_salt = random();  -- once, at upgrade

-- A new row salts the axes it starts moved; an axis still at 0 has never changed, exactly as
-- when there is no row at all, and keeps salt 0.
CREATE TRIGGER folio_gen_salt_insert AFTER INSERT ON folio_generations BEGIN
  UPDATE folio_generations
  SET published_salt = CASE WHEN NEW.published_generation <> 0 THEN random() ELSE 0 END,
      draft_salt = CASE WHEN NEW.draft_generation <> 0 THEN random() ELSE 0 END
  WHERE tenant_id = NEW.tenant_id AND type_id = NEW.type_id;
END;

-- An upsert's DO UPDATE names both counters even when it moves one: compare the values.
CREATE TRIGGER folio_gen_salt_published AFTER UPDATE OF published_generation
ON folio_generations WHEN NEW.published_generation IS NOT OLD.published_generation BEGIN
  UPDATE folio_generations SET published_salt = random()
  WHERE tenant_id = NEW.tenant_id AND type_id = NEW.type_id;
END;

CREATE TRIGGER folio_gen_salt_draft AFTER UPDATE OF draft_generation
ON folio_generations WHEN NEW.draft_generation IS NOT OLD.draft_generation BEGIN
  UPDATE folio_generations SET draft_salt = random()
  WHERE tenant_id = NEW.tenant_id AND type_id = NEW.type_id;
END;
