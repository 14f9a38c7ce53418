-- folio's own bookkeeping: a key/value table for store-wide settings (the secret that signs
-- pagination cursors is created here once per database).
CREATE TABLE IF NOT EXISTS folio_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
INSERT OR IGNORE INTO folio_meta(key, value) VALUES ('cursor_secret', lower(hex(randomblob(16))));
