// Embeds folio with its blocking API: opens an engine on a data dir, registers a type, creates
// a document, publishes it, and lists the published documents of the type.
//
//   embed_sync [DATA_DIR]    (default: folio-embed-sync in the system's temp dir)
//
// Each call returns once done: a write after its commit and the invalidation of what it
// changed, so the listing that follows already shows the document.
#include <folio/engine/engine.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

namespace {

int Fail(const char* step, const folio::Status& status) {
  std::fprintf(stderr, "%s: %s\n", step, status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir =
      argc > 1 ? argv[1] : std::filesystem::temp_directory_path() / "folio-embed-sync";
  folio::Options options;
  options.data_dir = dir.string();
  auto engine = folio::Engine::Open(options);
  if (!engine.ok()) return Fail("open", engine.status());

  // A type is shared by every tenant; registering it again with the same definition is
  // harmless, so the program can run twice on one data dir.
  folio::storage::TypeDefinition note;
  note.id = "note";
  if (auto registered = (*engine)->RegisterType(note); !registered.ok()) {
    return Fail("register type", registered.status());
  }

  // A new document is a draft: published listings show it once it is published.
  folio::storage::CreateOp create;
  create.type = "note";
  create.data = R"({"text":"hello from embed_sync"})";
  auto created = (*engine)->Write(create);
  if (!created.ok()) return Fail("create", created.status());
  const std::string root_id = created->document.root_id;

  folio::storage::LifecycleOp publish;
  publish.root_id = root_id;
  publish.action = folio::storage::LifecycleAction::kPublish;
  if (auto published = (*engine)->Write(publish); !published.ok()) {
    return Fail("publish", published.status());
  }

  folio::storage::Query query;  // the first page, newest first
  query.type = "note";
  auto page = (*engine)->Query(query);
  if (!page.ok()) return Fail("query", page.status());
  if (page->documents_json().find(root_id) == std::string_view::npos) {
    return Fail("query", folio::Status::NotFound("the published note " + root_id));
  }
  std::printf("data dir %s: %d note(s), from %s\n%.*s\n", options.data_dir.c_str(), page->count(),
              folio::TierName(page->tier()), static_cast<int>(page->documents_json().size()),
              page->documents_json().data());
  return 0;
}
