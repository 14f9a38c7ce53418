// Uses the installed package as an embedding program would: opens an Engine on DATA_DIR,
// registers a type, creates and publishes a document, and finds it in the published listing.
// Built by find_package(folio) (CMakeLists.txt) and by pkg-config (run_consumer.cmake).
#include <folio/engine/engine.h>

#include <cstdio>
#include <string>
#include <string_view>

namespace {

int Fail(const char* step, const folio::Status& status) {
  std::fprintf(stderr, "folio_consumer: %s: %s\n", step, status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: folio_consumer DATA_DIR\n");
    return 2;
  }
  folio::Options options;
  options.data_dir = argv[1];
  auto engine = folio::Engine::Open(options);
  if (!engine.ok()) return Fail("open", engine.status());

  folio::storage::TypeDefinition type;
  type.id = "note";
  if (auto t = (*engine)->RegisterType(type); !t.ok()) return Fail("register type", t.status());
  folio::storage::CreateOp create;
  create.type = "note";
  create.data = R"({"text":"hello"})";
  auto created = (*engine)->Write(create);
  if (!created.ok()) return Fail("create", created.status());
  const std::string root_id = created->document.root_id;
  folio::storage::LifecycleOp publish;
  publish.root_id = root_id;
  publish.action = folio::storage::LifecycleAction::kPublish;
  if (auto p = (*engine)->Write(publish); !p.ok()) return Fail("publish", p.status());

  folio::storage::Query query;
  query.type = "note";
  auto page = (*engine)->Query(query);
  if (!page.ok()) return Fail("query", page.status());
  if (page->count() != 1 || page->documents_json().find(root_id) == std::string_view::npos) {
    return Fail("query", folio::Status::NotFound("no published note " + root_id + " in " +
                                                 std::string(page->documents_json())));
  }
  std::printf("consumer ok: %.*s\n", static_cast<int>(page->documents_json().size()),
              page->documents_json().data());
  return 0;
}
