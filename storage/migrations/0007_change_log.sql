-- The change log (folio/storage/changes.h). Generations (0004-0006) say that something of a
-- (tenant, type) changed, so a cache drops every page of it; the log says which root changed
-- and on which axes, so a cache drops only the pages that root can reach. Triggers append one
-- row per changed document row, facet row or permission rule in the writing transaction,
-- whoever writes (folio, the sqlite3 shell, a Node app).
--
-- axes: 1 = the published axis, 2 = the current-draft axis (3 = both). The axis logic is the
-- one 0005 gave the generations, column lists included: an update of a document row reaches
-- the published axis when the row was or becomes published (and the statement sets a column
-- other than version_of_id and is_current_draft), the draft axis when it was or becomes the
-- current draft (and sets a column other than version_of_id). A row on neither axis (an old
-- version) never reaches a listing and logs nothing.
--
-- salt: drawn at random with every row, so a position (seq, salt) names one state of one
-- timeline. AUTOINCREMENT never hands out a seq twice in one timeline (not even after the
-- newest rows were pruned or deleted); after the database went back in time (a backup
-- restored, commits lost to a power loss) the same seqs come back with other salts.
CREATE TABLE folio_changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  salt INTEGER NOT NULL,
  tenant_id TEXT NOT NULL,
  type_id TEXT NOT NULL,
  root_id TEXT NOT NULL,
  axes INTEGER NOT NULL
);

-- The genesis row: the log is never empty, so a reader always has a head to start from, and
-- a new database starts at a random position (no two databases share their first position).
INSERT INTO folio_changes(salt, tenant_id, type_id, root_id, axes) VALUES (random(), '', '', '', 0);

-- Keeps the newest 65536 rows: kChangeLogRetained in changes.h, which must say the same
-- number. Every 256th row prunes, so the log holds 65536 to 65536 + 255 rows.
CREATE TRIGGER folio_changes_prune AFTER INSERT ON folio_changes WHEN NEW.seq % 256 = 0 BEGIN
  DELETE FROM folio_changes WHERE seq <= NEW.seq - 65536;
END;

-- Generations now move only on coarse events (a type registration that changes the type, an
-- import; see type_registry.cc and export_import.cc): the per-write triggers of 0004-0006 go.
-- The salt triggers of 0006 stay, for those moves.
DROP TRIGGER IF EXISTS folio_gen_documents_insert;
DROP TRIGGER IF EXISTS folio_gen_documents_update;
DROP TRIGGER IF EXISTS folio_gen_documents_update_draft;
DROP TRIGGER IF EXISTS folio_gen_documents_update_published;
DROP TRIGGER IF EXISTS folio_gen_documents_delete;
DROP TRIGGER IF EXISTS folio_gen_facets_insert;
DROP TRIGGER IF EXISTS folio_gen_facets_update;
DROP TRIGGER IF EXISTS folio_gen_facets_delete;
DROP TRIGGER IF EXISTS folio_gen_permissions_insert;
DROP TRIGGER IF EXISTS folio_gen_permissions_update;
DROP TRIGGER IF EXISTS folio_gen_permissions_delete;

-- Moving from one invalidation scheme to the other is itself a coarse event: whatever a cache
-- filed under the old generations is unreachable from now on (0006's triggers redraw salts).
UPDATE folio_generations SET generation = generation + 1,
  published_generation = published_generation + 1, draft_generation = draft_generation + 1;

CREATE TRIGGER folio_changes_documents_insert AFTER INSERT ON documents
WHEN NEW.is_published = 1 OR NEW.is_current_draft = 1 BEGIN
  INSERT INTO folio_changes(salt, tenant_id, type_id, root_id, axes)
  VALUES (random(), NEW.tenant_id, NEW.type_id, NEW.root_id,
          (NEW.is_published = 1) + 2 * (NEW.is_current_draft = 1));
END;

-- 0005's published column list (every column but version_of_id and is_current_draft): both
-- axes are decided here. A change of tenant, type or root logs the row under both names: the
-- old one's pages lose it, the new one's may gain it.
CREATE TRIGGER folio_changes_documents_update
AFTER UPDATE OF id, root_id, type_id, type_version, version_number,
  is_published, status, parent_root_id, slug, path, title, zone, sort_order, visible,
  published_at, scheduled_at, expires_at, deleted_at, tenant_id, locale, translation_group_id,
  data, metadata, owner_id, created_by, updated_by, created_at, updated_at ON documents
WHEN OLD.is_published = 1 OR NEW.is_published = 1 OR OLD.is_current_draft = 1
  OR NEW.is_current_draft = 1 BEGIN
  INSERT INTO folio_changes(salt, tenant_id, type_id, root_id, axes)
  VALUES (random(), OLD.tenant_id, OLD.type_id, OLD.root_id,
          (OLD.is_published = 1 OR NEW.is_published = 1)
            + 2 * (OLD.is_current_draft = 1 OR NEW.is_current_draft = 1));
  INSERT INTO folio_changes(salt, tenant_id, type_id, root_id, axes)
  SELECT random(), NEW.tenant_id, NEW.type_id, NEW.root_id,
         (OLD.is_published = 1 OR NEW.is_published = 1)
           + 2 * (OLD.is_current_draft = 1 OR NEW.is_current_draft = 1)
  WHERE NEW.tenant_id IS NOT OLD.tenant_id OR NEW.type_id IS NOT OLD.type_id
     OR NEW.root_id IS NOT OLD.root_id;
END;

-- The one column 0005's draft list has and its published list lacks: a draft save clears it
-- on the previous draft (which may be the published row) and reaches only the draft axis.
-- When a statement also sets another column, the trigger above logs the row as well (the
-- same draft axis twice: redundant, not wrong).
CREATE TRIGGER folio_changes_documents_current_draft AFTER UPDATE OF is_current_draft ON documents
WHEN OLD.is_current_draft = 1 OR NEW.is_current_draft = 1 BEGIN
  INSERT INTO folio_changes(salt, tenant_id, type_id, root_id, axes)
  VALUES (random(), OLD.tenant_id, OLD.type_id, OLD.root_id, 2);
END;

CREATE TRIGGER folio_changes_documents_delete AFTER DELETE ON documents
WHEN OLD.is_published = 1 OR OLD.is_current_draft = 1 BEGIN
  INSERT INTO folio_changes(salt, tenant_id, type_id, root_id, axes)
  VALUES (random(), OLD.tenant_id, OLD.type_id, OLD.root_id,
          (OLD.is_published = 1) + 2 * (OLD.is_current_draft = 1));
END;

-- A facet row reaches the axes its version is on at the moment of the change (a version that
-- later becomes published or current logs that by its own update). The row is logged under
-- the facet row's tenant, type and root (as 0005 did) and, when another program wrote a facet
-- row whose names disagree with its document's, under the document's too: a listing finds
-- facets by document_id alone. A document deleted first (its facets cascading) logs itself.
CREATE TRIGGER folio_changes_facets_insert AFTER INSERT ON document_facets BEGIN
  INSERT INTO folio_changes(salt, tenant_id, type_id, root_id, axes)
  SELECT random(), NEW.tenant_id, NEW.type_id, NEW.root_id,
         (d.is_published = 1) + 2 * (d.is_current_draft = 1)
  FROM documents d
  WHERE d.id = NEW.document_id AND (d.is_published = 1 OR d.is_current_draft = 1)
  UNION ALL
  SELECT random(), d.tenant_id, d.type_id, d.root_id,
         (d.is_published = 1) + 2 * (d.is_current_draft = 1)
  FROM documents d
  WHERE d.id = NEW.document_id AND (d.is_published = 1 OR d.is_current_draft = 1)
    AND (d.tenant_id IS NOT NEW.tenant_id OR d.type_id IS NOT NEW.type_id
         OR d.root_id IS NOT NEW.root_id);
END;

CREATE TRIGGER folio_changes_facets_delete AFTER DELETE ON document_facets BEGIN
  INSERT INTO folio_changes(salt, tenant_id, type_id, root_id, axes)
  SELECT random(), OLD.tenant_id, OLD.type_id, OLD.root_id,
         (d.is_published = 1) + 2 * (d.is_current_draft = 1)
  FROM documents d
  WHERE d.id = OLD.document_id AND (d.is_published = 1 OR d.is_current_draft = 1)
  UNION ALL
  SELECT random(), d.tenant_id, d.type_id, d.root_id,
         (d.is_published = 1) + 2 * (d.is_current_draft = 1)
  FROM documents d
  WHERE d.id = OLD.document_id AND (d.is_published = 1 OR d.is_current_draft = 1)
    AND (d.tenant_id IS NOT OLD.tenant_id OR d.type_id IS NOT OLD.type_id
         OR d.root_id IS NOT OLD.root_id);
END;

-- folio never updates facet rows; another program may, even moving one to another document:
-- both the old and the new row are logged, each with the axes of its document.
CREATE TRIGGER folio_changes_facets_update AFTER UPDATE ON document_facets BEGIN
  INSERT INTO folio_changes(salt, tenant_id, type_id, root_id, axes)
  SELECT random(), c.tenant_id, c.type_id, c.root_id, c.axes FROM (
    SELECT OLD.tenant_id AS tenant_id, OLD.type_id AS type_id, OLD.root_id AS root_id,
           (d.is_published = 1) + 2 * (d.is_current_draft = 1) AS axes
    FROM documents d
    WHERE d.id = OLD.document_id AND (d.is_published = 1 OR d.is_current_draft = 1)
    UNION
    SELECT d.tenant_id, d.type_id, d.root_id, (d.is_published = 1) + 2 * (d.is_current_draft = 1)
    FROM documents d
    WHERE d.id = OLD.document_id AND (d.is_published = 1 OR d.is_current_draft = 1)
    UNION
    SELECT NEW.tenant_id, NEW.type_id, NEW.root_id,
           (d.is_published = 1) + 2 * (d.is_current_draft = 1)
    FROM documents d
    WHERE d.id = NEW.document_id AND (d.is_published = 1 OR d.is_current_draft = 1)
    UNION
    SELECT d.tenant_id, d.type_id, d.root_id, (d.is_published = 1) + 2 * (d.is_current_draft = 1)
    FROM documents d
    WHERE d.id = NEW.document_id AND (d.is_published = 1 OR d.is_current_draft = 1)) c;
END;

-- Permission rules apply to every version of a root: both axes, under each type the root's
-- rows have. A rule on a root with no rows reaches no listing (a document created later logs
-- itself).
CREATE TRIGGER folio_changes_permissions_insert AFTER INSERT ON document_permissions BEGIN
  INSERT INTO folio_changes(salt, tenant_id, type_id, root_id, axes)
  SELECT random(), NEW.tenant_id, t.type_id, NEW.root_id, 3
  FROM (SELECT DISTINCT type_id FROM documents
        WHERE tenant_id = NEW.tenant_id AND root_id = NEW.root_id) t;
END;

CREATE TRIGGER folio_changes_permissions_delete AFTER DELETE ON document_permissions BEGIN
  INSERT INTO folio_changes(salt, tenant_id, type_id, root_id, axes)
  SELECT random(), OLD.tenant_id, t.type_id, OLD.root_id, 3
  FROM (SELECT DISTINCT type_id FROM documents
        WHERE tenant_id = OLD.tenant_id AND root_id = OLD.root_id) t;
END;

CREATE TRIGGER folio_changes_permissions_update AFTER UPDATE ON document_permissions BEGIN
  INSERT INTO folio_changes(salt, tenant_id, type_id, root_id, axes)
  SELECT random(), t.tenant_id, t.type_id, t.root_id, 3
  FROM (SELECT DISTINCT tenant_id, type_id, root_id FROM documents
        WHERE (tenant_id = OLD.tenant_id AND root_id = OLD.root_id)
           OR (tenant_id = NEW.tenant_id AND root_id = NEW.root_id)) t;
END;
