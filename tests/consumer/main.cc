// Opens a store through the installed headers and library, writes and lists one document.
#include <folio/storage/document_store.h>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: folio_consumer DB_PATH\n");
    return 2;
  }
  folio::storage::StoreOptions options;
  options.path = argv[1];
  auto store = folio::storage::DocumentStore::Open(options);
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    return 1;
  }
  folio::storage::TypeDefinition type;
  type.id = "note";
  if (auto t = (*store)->RegisterType(type); !t.ok()) return 1;
  auto created = (*store)->Create({"default", "note", R"({"text":"hello"})", {}});
  if (!created.ok()) return 1;
  if (!(*store)
           ->Apply(
               {"default", created->document.root_id, folio::storage::LifecycleAction::kPublish})
           .ok())
    return 1;
  folio::storage::Query query;
  query.type = "note";
  auto page = (*store)->List(query);
  if (!page.ok() || page->count != 1) return 1;
  std::printf("consumer ok: %s\n", page->documents_json.c_str());
  return 0;
}
