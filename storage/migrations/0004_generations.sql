-- Cache invalidation: a generation counter per (tenant, type), bumped by triggers in the same
-- transaction as any change to the rows a listing of that type reads. Because they are
-- triggers, writes made by other programs (the sqlite3 shell, a Node app) bump them too.
-- folio folds the generation into every cache key, so a bump makes every cached page of that
-- (tenant, type) unreachable at once, whatever the number of pages, and leaves other types'
-- pages alone.
CREATE TABLE IF NOT EXISTS folio_generations (
  tenant_id TEXT NOT NULL,
  type_id TEXT NOT NULL,
  generation INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, type_id)
) WITHOUT ROWID;

-- Identifies this database in cache keys, so a cache tier that outlives its database (a data
-- dir whose SQLite file was replaced) can never answer for the new one.
INSERT OR IGNORE INTO folio_meta(key, value) VALUES ('instance_id', lower(hex(randomblob(16))));

CREATE TRIGGER IF NOT EXISTS folio_gen_documents_insert AFTER INSERT ON documents BEGIN
  INSERT INTO folio_generations(tenant_id, type_id, generation)
  VALUES (NEW.tenant_id, NEW.type_id, 1)
  ON CONFLICT(tenant_id, type_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER IF NOT EXISTS folio_gen_documents_update AFTER UPDATE ON documents BEGIN
  INSERT INTO folio_generations(tenant_id, type_id, generation)
  VALUES (OLD.tenant_id, OLD.type_id, 1)
  ON CONFLICT(tenant_id, type_id) DO UPDATE SET generation = generation + 1;
  INSERT INTO folio_generations(tenant_id, type_id, generation)
  SELECT NEW.tenant_id, NEW.type_id, 1
  WHERE NEW.tenant_id IS NOT OLD.tenant_id OR NEW.type_id IS NOT OLD.type_id
  ON CONFLICT(tenant_id, type_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER IF NOT EXISTS folio_gen_documents_delete AFTER DELETE ON documents BEGIN
  INSERT INTO folio_generations(tenant_id, type_id, generation)
  VALUES (OLD.tenant_id, OLD.type_id, 1)
  ON CONFLICT(tenant_id, type_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER IF NOT EXISTS folio_gen_facets_insert AFTER INSERT ON document_facets BEGIN
  INSERT INTO folio_generations(tenant_id, type_id, generation)
  VALUES (NEW.tenant_id, NEW.type_id, 1)
  ON CONFLICT(tenant_id, type_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER IF NOT EXISTS folio_gen_facets_delete AFTER DELETE ON document_facets BEGIN
  INSERT INTO folio_generations(tenant_id, type_id, generation)
  VALUES (OLD.tenant_id, OLD.type_id, 1)
  ON CONFLICT(tenant_id, type_id) DO UPDATE SET generation = generation + 1;
END;

-- Permission rules change who may read a document, so they change its type's pages.
CREATE TRIGGER IF NOT EXISTS folio_gen_permissions_insert AFTER INSERT ON document_permissions
BEGIN
  INSERT INTO folio_generations(tenant_id, type_id, generation)
  SELECT DISTINCT tenant_id, type_id, 1 FROM documents
  WHERE tenant_id = NEW.tenant_id AND root_id = NEW.root_id
  ON CONFLICT(tenant_id, type_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER IF NOT EXISTS folio_gen_permissions_delete AFTER DELETE ON document_permissions
BEGIN
  INSERT INTO folio_generations(tenant_id, type_id, generation)
  SELECT DISTINCT tenant_id, type_id, 1 FROM documents
  WHERE tenant_id = OLD.tenant_id AND root_id = OLD.root_id
  ON CONFLICT(tenant_id, type_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER IF NOT EXISTS folio_gen_permissions_update AFTER UPDATE ON document_permissions
BEGIN
  INSERT INTO folio_generations(tenant_id, type_id, generation)
  SELECT DISTINCT tenant_id, type_id, 1 FROM documents
  WHERE (tenant_id = OLD.tenant_id AND root_id = OLD.root_id)
     OR (tenant_id = NEW.tenant_id AND root_id = NEW.root_id)
  ON CONFLICT(tenant_id, type_id) DO UPDATE SET generation = generation + 1;
END;
