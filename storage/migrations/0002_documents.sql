-- The document repository of SonicJS v3: five tables, partial unique indexes for the draft and
-- published axes, and the keyset indexes folio's listings use. q_* generated columns are not
-- here: they are added per registered type, idempotently, when a type is registered or the
-- store opens.
CREATE TABLE IF NOT EXISTS document_types (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  display_name TEXT,
  description TEXT,
  schema TEXT NOT NULL DEFAULT '{}',
  queryable_fields TEXT NOT NULL DEFAULT '[]',
  settings TEXT,
  plugin_id TEXT,
  source TEXT NOT NULL DEFAULT 'code' CHECK (source IN ('code', 'plugin', 'system')),
  schema_version INTEGER NOT NULL DEFAULT 1,
  is_system INTEGER NOT NULL DEFAULT 0,
  is_active INTEGER NOT NULL DEFAULT 1,
  is_auth INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS documents (
  id TEXT PRIMARY KEY,
  root_id TEXT NOT NULL,
  type_id TEXT NOT NULL REFERENCES document_types(id),
  type_version INTEGER NOT NULL DEFAULT 1,
  version_of_id TEXT REFERENCES documents(id) ON DELETE SET NULL,
  version_number INTEGER NOT NULL,
  is_current_draft INTEGER NOT NULL DEFAULT 0,
  is_published INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
  parent_root_id TEXT NOT NULL DEFAULT '',
  slug TEXT,
  path TEXT,
  title TEXT,
  zone TEXT,
  sort_order INTEGER NOT NULL DEFAULT 0,
  visible INTEGER NOT NULL DEFAULT 1,
  published_at INTEGER,
  scheduled_at INTEGER,
  expires_at INTEGER,
  deleted_at INTEGER,
  tenant_id TEXT NOT NULL DEFAULT 'default',
  locale TEXT NOT NULL DEFAULT 'default',
  translation_group_id TEXT NOT NULL DEFAULT '',
  data TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(data) AND json_type(data) = 'object'),
  metadata TEXT,
  owner_id TEXT,
  created_by TEXT,
  updated_by TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS ux_documents_current_draft
  ON documents(root_id) WHERE is_current_draft = 1;
CREATE UNIQUE INDEX IF NOT EXISTS ux_documents_published
  ON documents(root_id) WHERE is_published = 1;
CREATE UNIQUE INDEX IF NOT EXISTS ux_documents_root_version
  ON documents(root_id, version_number);
CREATE UNIQUE INDEX IF NOT EXISTS ux_documents_slug
  ON documents(tenant_id, locale, type_id, parent_root_id, slug)
  WHERE is_current_draft = 1 AND deleted_at IS NULL AND slug IS NOT NULL;

-- Keyset indexes: one per (axis, sort column). Ties are broken by id in the sort's direction.
CREATE INDEX IF NOT EXISTS idx_documents_published_keyset
  ON documents(tenant_id, type_id, updated_at DESC, id DESC)
  WHERE is_published = 1 AND deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS idx_documents_published_created
  ON documents(tenant_id, type_id, created_at DESC, id DESC)
  WHERE is_published = 1 AND deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS idx_documents_draft_keyset
  ON documents(tenant_id, type_id, updated_at DESC, id DESC)
  WHERE is_current_draft = 1 AND deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS idx_documents_draft_created
  ON documents(tenant_id, type_id, created_at DESC, id DESC)
  WHERE is_current_draft = 1 AND deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS idx_documents_version_of ON documents(version_of_id);
CREATE INDEX IF NOT EXISTS idx_documents_tenant_root ON documents(tenant_id, root_id);
-- Schedule boundaries of a type's published rows (the engine asks for the next one).
CREATE INDEX IF NOT EXISTS idx_documents_published_scheduled
  ON documents(tenant_id, type_id, scheduled_at) WHERE is_published = 1 AND scheduled_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_documents_published_expires
  ON documents(tenant_id, type_id, expires_at) WHERE is_published = 1 AND expires_at IS NOT NULL;

CREATE TABLE IF NOT EXISTS document_references (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL DEFAULT 'default',
  from_root_id TEXT NOT NULL,
  from_document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  field_name TEXT NOT NULL,
  ordinal INTEGER NOT NULL DEFAULT 0,
  to_root_id TEXT NOT NULL,
  ref_strength TEXT NOT NULL DEFAULT 'strong' CHECK (ref_strength IN ('strong', 'weak')),
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_document_references_from
  ON document_references(from_document_id, field_name, ordinal);
CREATE INDEX IF NOT EXISTS idx_document_references_to
  ON document_references(tenant_id, to_root_id);

CREATE TABLE IF NOT EXISTS document_facets (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL DEFAULT 'default',
  document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  root_id TEXT NOT NULL,
  type_id TEXT NOT NULL,
  field_name TEXT NOT NULL,
  ordinal INTEGER NOT NULL DEFAULT 0,
  value_text TEXT,
  value_number REAL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_document_facets_document
  ON document_facets(document_id, field_name, value_text);
CREATE INDEX IF NOT EXISTS idx_document_facets_lookup
  ON document_facets(tenant_id, type_id, field_name, value_text);

CREATE TABLE IF NOT EXISTS document_permissions (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL DEFAULT 'default',
  root_id TEXT NOT NULL,
  principal_type TEXT NOT NULL CHECK (principal_type IN ('user', 'role', 'group', 'public', 'token')),
  principal_id TEXT NOT NULL DEFAULT '',
  permission TEXT NOT NULL
    CHECK (permission IN ('read', 'create', 'update', 'delete', 'publish', 'manage')),
  effect TEXT NOT NULL DEFAULT 'allow' CHECK (effect IN ('allow', 'deny')),
  inherited INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  created_by TEXT
);
CREATE INDEX IF NOT EXISTS idx_document_permissions_root
  ON document_permissions(tenant_id, root_id, permission, effect);
