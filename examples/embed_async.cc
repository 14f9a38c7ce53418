// Embeds folio with its async API in a Boost.Asio program: the same steps as embed_sync.cc
// (register a type, create a document, publish it, list the type), as one coroutine on an
// io_context. The engine runs SQLite on its own threads; each co_await resumes on the
// io_context's thread, so the coroutine needs no locks.
//
//   embed_async [DATA_DIR]    (default: folio-embed-async in the system's temp dir)
#include <folio/engine/engine.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

namespace asio = boost::asio;

namespace {

int Fail(const char* step, const folio::Status& status) {
  std::fprintf(stderr, "%s: %s\n", step, status.ToString().c_str());
  return 1;
}

asio::awaitable<int> Run(folio::Engine& engine) {
  // Calls without an Async* form of their own run on the engine's threads through AsyncRun.
  // Operations are named, not temporaries inside the co_await expression: GCC 12 destroys
  // such temporaries twice (GCC bug 101367).
  folio::storage::TypeDefinition note;
  note.id = "note";
  std::function<folio::Result<folio::storage::TypeDefinition>()> register_note = [&engine, note] {
    return engine.RegisterType(note);
  };
  auto registered = co_await engine.AsyncRun(std::move(register_note), asio::use_awaitable);
  if (!registered.ok()) co_return Fail("register type", registered.status());

  folio::storage::CreateOp create;
  create.type = "note";
  create.data = R"({"text":"hello from embed_async"})";
  folio::storage::WriteOp create_op = std::move(create);
  auto created = co_await engine.AsyncWrite(std::move(create_op), asio::use_awaitable);
  if (!created.ok()) co_return Fail("create", created.status());
  const std::string root_id = created->document.root_id;

  folio::storage::LifecycleOp publish;
  publish.root_id = root_id;
  publish.action = folio::storage::LifecycleAction::kPublish;
  folio::storage::WriteOp publish_op = publish;
  auto published = co_await engine.AsyncWrite(std::move(publish_op), asio::use_awaitable);
  if (!published.ok()) co_return Fail("publish", published.status());

  // Twice: the first read fills the cache tiers, the second is answered from memory.
  folio::storage::Query query;
  query.type = "note";
  for (int i = 0; i < 2; ++i) {
    auto page = co_await engine.AsyncQuery(query, asio::use_awaitable);
    if (!page.ok()) co_return Fail("query", page.status());
    if (page->documents_json().find(root_id) == std::string_view::npos) {
      co_return Fail("query", folio::Status::NotFound("the published note " + root_id));
    }
    std::printf("%d note(s), from %s\n", page->count(), folio::TierName(page->tier()));
    if (i == 1) {
      std::printf("%.*s\n", static_cast<int>(page->documents_json().size()),
                  page->documents_json().data());
    }
  }
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir =
      argc > 1 ? argv[1] : std::filesystem::temp_directory_path() / "folio-embed-async";
  // Declared first, so destroyed last: the engine joins its threads, which complete onto io,
  // before io goes away.
  asio::io_context io;
  folio::Options options;
  options.data_dir = dir.string();
  auto engine = folio::Engine::Open(options);
  if (!engine.ok()) return Fail("open", engine.status());
  std::printf("data dir %s\n", options.data_dir.c_str());

  int exit_code = 1;
  asio::co_spawn(io, Run(**engine), [&exit_code](std::exception_ptr error, int code) {
    if (error) std::rethrow_exception(error);  // out of io.run(): a bug, not a folio error
    exit_code = code;
  });
  // Returns once the coroutine is done: each pending operation keeps io's work count up.
  io.run();
  return exit_code;
}
