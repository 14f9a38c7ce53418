-- Generations per axis. A published listing reads only published rows (with their facets and
-- permission rules), a draft listing only current drafts; so the triggers now say which axis
-- a change can reach, and folio keys a page by the generation of its own axis. Saving a draft
-- of a published document leaves the published pages of its type cached; a publish or an
-- edit of a published row moves both. `generation` still moves with either.
--
-- Which columns reach a listing: its output (id, root_id, version_number, type_id,
-- tenant_id, locale, status, data, created_at, updated_at, published_at), its WHERE
-- (tenant_id, type_id, locale, is_published / is_current_draft, deleted_at, scheduled_at,
-- expires_at, the q_* columns of data) and its sort. The update triggers below fire on every
-- column but two: version_of_id, which ON DELETE SET NULL rewrites when old versions are
-- pruned and no listing shows, and — for the published axis — is_current_draft, which a
-- draft save clears on the published row. A column later added to the output must keep
-- appearing in these lists (it does unless it is one of those two).
ALTER TABLE folio_generations ADD COLUMN published_generation INTEGER NOT NULL DEFAULT 0;
ALTER TABLE folio_generations ADD COLUMN draft_generation INTEGER NOT NULL DEFAULT 0;
UPDATE folio_generations SET published_generation = generation, draft_generation = generation;

DROP TRIGGER IF EXISTS folio_gen_documents_insert;
DROP TRIGGER IF EXISTS folio_gen_documents_update;
DROP TRIGGER IF EXISTS folio_gen_documents_delete;
DROP TRIGGER IF EXISTS folio_gen_facets_insert;
DROP TRIGGER IF EXISTS folio_gen_facets_delete;
DROP TRIGGER IF EXISTS folio_gen_permissions_insert;
DROP TRIGGER IF EXISTS folio_gen_permissions_delete;
DROP TRIGGER IF EXISTS folio_gen_permissions_update;

-- Each bump is an upsert whose VALUES carry the increments (0 or 1) of the three counters.
CREATE TRIGGER folio_gen_documents_insert AFTER INSERT ON documents
WHEN NEW.is_published = 1 OR NEW.is_current_draft = 1 BEGIN
  INSERT INTO folio_generations(tenant_id, type_id, generation, published_generation,
                                draft_generation)
  VALUES (NEW.tenant_id, NEW.type_id, 1, NEW.is_published = 1, NEW.is_current_draft = 1)
  ON CONFLICT(tenant_id, type_id) DO UPDATE SET generation = generation + 1,
    published_generation = published_generation + excluded.published_generation,
    draft_generation = draft_generation + excluded.draft_generation;
END;

CREATE TRIGGER folio_gen_documents_update_draft
AFTER UPDATE OF id, root_id, type_id, type_version, version_number, is_current_draft,
  is_published, status, parent_root_id, slug, path, title, zone, sort_order, visible,
  published_at, scheduled_at, expires_at, deleted_at, tenant_id, locale, translation_group_id,
  data, metadata, owner_id, created_by, updated_by, created_at, updated_at ON documents
WHEN OLD.is_current_draft = 1 OR NEW.is_current_draft = 1 BEGIN
  INSERT INTO folio_generations(tenant_id, type_id, generation, published_generation,
                                draft_generation)
  VALUES (OLD.tenant_id, OLD.type_id, 1, 0, 1)
  ON CONFLICT(tenant_id, type_id) DO UPDATE SET generation = generation + 1,
    draft_generation = draft_generation + 1;
  INSERT INTO folio_generations(tenant_id, type_id, generation, published_generation,
                                draft_generation)
  SELECT NEW.tenant_id, NEW.type_id, 1, 0, 1
  WHERE NEW.tenant_id IS NOT OLD.tenant_id OR NEW.type_id IS NOT OLD.type_id
  ON CONFLICT(tenant_id, type_id) DO UPDATE SET generation = generation + 1,
    draft_generation = draft_generation + 1;
END;

CREATE TRIGGER folio_gen_documents_update_published
AFTER UPDATE OF id, root_id, type_id, type_version, version_number,
  is_published, status, parent_root_id, slug, path, title, zone, sort_order, visible,
  published_at, scheduled_at, expires_at, deleted_at, tenant_id, locale, translation_group_id,
  data, metadata, owner_id, created_by, updated_by, created_at, updated_at ON documents
WHEN OLD.is_published = 1 OR NEW.is_published = 1 BEGIN
  INSERT INTO folio_generations(tenant_id, type_id, generation, published_generation,
                                draft_generation)
  VALUES (OLD.tenant_id, OLD.type_id, 1, 1, 0)
  ON CONFLICT(tenant_id, type_id) DO UPDATE SET generation = generation + 1,
    published_generation = published_generation + 1;
  INSERT INTO folio_generations(tenant_id, type_id, generation, published_generation,
                                draft_generation)
  SELECT NEW.tenant_id, NEW.type_id, 1, 1, 0
  WHERE NEW.tenant_id IS NOT OLD.tenant_id OR NEW.type_id IS NOT OLD.type_id
  ON CONFLICT(tenant_id, type_id) DO UPDATE SET generation = generation + 1,
    published_generation = published_generation + 1;
END;

CREATE TRIGGER folio_gen_documents_delete AFTER DELETE ON documents
WHEN OLD.is_published = 1 OR OLD.is_current_draft = 1 BEGIN
  INSERT INTO folio_generations(tenant_id, type_id, generation, published_generation,
                                draft_generation)
  VALUES (OLD.tenant_id, OLD.type_id, 1, OLD.is_published = 1, OLD.is_current_draft = 1)
  ON CONFLICT(tenant_id, type_id) DO UPDATE SET generation = generation + 1,
    published_generation = published_generation + excluded.published_generation,
    draft_generation = draft_generation + excluded.draft_generation;
END;

-- A facet row reaches the axes its version is on at the moment of the change; a version that
-- later becomes published or current moves that axis by its own update.
CREATE TRIGGER folio_gen_facets_insert AFTER INSERT ON document_facets BEGIN
  INSERT INTO folio_generations(tenant_id, type_id, generation, published_generation,
                                draft_generation)
  SELECT NEW.tenant_id, NEW.type_id, 1, d.is_published = 1, d.is_current_draft = 1
  FROM documents d
  WHERE d.id = NEW.document_id AND (d.is_published = 1 OR d.is_current_draft = 1)
  ON CONFLICT(tenant_id, type_id) DO UPDATE SET generation = generation + 1,
    published_generation = published_generation + excluded.published_generation,
    draft_generation = draft_generation + excluded.draft_generation;
END;

CREATE TRIGGER folio_gen_facets_delete AFTER DELETE ON document_facets BEGIN
  INSERT INTO folio_generations(tenant_id, type_id, generation, published_generation,
                                draft_generation)
  SELECT OLD.tenant_id, OLD.type_id, 1, d.is_published = 1, d.is_current_draft = 1
  FROM documents d
  WHERE d.id = OLD.document_id AND (d.is_published = 1 OR d.is_current_draft = 1)
  ON CONFLICT(tenant_id, type_id) DO UPDATE SET generation = generation + 1,
    published_generation = published_generation + excluded.published_generation,
    draft_generation = draft_generation + excluded.draft_generation;
END;

-- folio never updates facet rows; another program may.
CREATE TRIGGER folio_gen_facets_update AFTER UPDATE ON document_facets BEGIN
  INSERT INTO folio_generations(tenant_id, type_id, generation, published_generation,
                                draft_generation)
  SELECT f.tenant_id, f.type_id, 1, 1, 1
  FROM (SELECT OLD.tenant_id AS tenant_id, OLD.type_id AS type_id
        UNION SELECT NEW.tenant_id, NEW.type_id) f
  WHERE true
  ON CONFLICT(tenant_id, type_id) DO UPDATE SET generation = generation + 1,
    published_generation = published_generation + 1, draft_generation = draft_generation + 1;
END;

-- Permission rules apply to every version of a root: both axes.
CREATE TRIGGER folio_gen_permissions_insert AFTER INSERT ON document_permissions BEGIN
  INSERT INTO folio_generations(tenant_id, type_id, generation, published_generation,
                                draft_generation)
  SELECT DISTINCT tenant_id, type_id, 1, 1, 1 FROM documents
  WHERE tenant_id = NEW.tenant_id AND root_id = NEW.root_id
  ON CONFLICT(tenant_id, type_id) DO UPDATE SET generation = generation + 1,
    published_generation = published_generation + 1, draft_generation = draft_generation + 1;
END;

CREATE TRIGGER folio_gen_permissions_delete AFTER DELETE ON document_permissions BEGIN
  INSERT INTO folio_generations(tenant_id, type_id, generation, published_generation,
                                draft_generation)
  SELECT DISTINCT tenant_id, type_id, 1, 1, 1 FROM documents
  WHERE tenant_id = OLD.tenant_id AND root_id = OLD.root_id
  ON CONFLICT(tenant_id, type_id) DO UPDATE SET generation = generation + 1,
    published_generation = published_generation + 1, draft_generation = draft_generation + 1;
END;

CREATE TRIGGER folio_gen_permissions_update AFTER UPDATE ON document_permissions BEGIN
  INSERT INTO folio_generations(tenant_id, type_id, generation, published_generation,
                                draft_generation)
  SELECT DISTINCT tenant_id, type_id, 1, 1, 1 FROM documents
  WHERE (tenant_id = OLD.tenant_id AND root_id = OLD.root_id)
     OR (tenant_id = NEW.tenant_id AND root_id = NEW.root_id)
  ON CONFLICT(tenant_id, type_id) DO UPDATE SET generation = generation + 1,
    published_generation = published_generation + 1, draft_generation = draft_generation + 1;
END;
