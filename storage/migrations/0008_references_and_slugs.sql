-- "Where used", by-slug reads and children listings. A reference to a document of a global
-- type may come from any tenant, so inbound references are found by target root alone. Slug
-- and children reads are listings on one axis, so each axis has its own partial index (the
-- planner matches a partial index only when the query's WHERE implies the index's).
CREATE INDEX IF NOT EXISTS idx_document_references_to_root
  ON document_references(to_root_id, ref_strength);
CREATE INDEX IF NOT EXISTS idx_documents_published_slug
  ON documents(tenant_id, type_id, slug, locale, updated_at DESC, id DESC)
  WHERE is_published = 1 AND deleted_at IS NULL AND slug IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_documents_draft_slug
  ON documents(tenant_id, type_id, slug, locale, updated_at DESC, id DESC)
  WHERE is_current_draft = 1 AND deleted_at IS NULL AND slug IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_documents_published_children
  ON documents(tenant_id, type_id, parent_root_id, sort_order, id)
  WHERE is_published = 1 AND deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS idx_documents_draft_children
  ON documents(tenant_id, type_id, parent_root_id, sort_order, id)
  WHERE is_current_draft = 1 AND deleted_at IS NULL;
