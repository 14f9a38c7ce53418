// Reads: per-document permissions, the schedule window, filters, and reads in parallel with a
// writer.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "store_fixture.h"

namespace folio::storage::testing {
namespace {

class ListingTest : public StoreTest {};

std::set<std::string> AsSet(const std::vector<std::string>& v) {
  return {v.begin(), v.end()};
}

Principal MakePrincipal(std::optional<std::string> user, std::vector<std::string> roles,
                        std::vector<std::string> groups) {
  Principal p;
  p.user_id = std::move(user);
  p.roles = std::move(roles);
  p.groups = std::move(groups);
  return p;
}

TEST_F(ListingTest, PermissionsDecideWhoReads) {
  std::map<std::string, std::string> doc;  // name → root id
  std::map<std::string, std::vector<PermissionRule>> rules = {
      {"open", {}},
      {"update-only", {{"role", "editor", "update", "allow"}}},
      {"editors", {{"role", "editor", "read", "allow"}}},
      {"editors-not-bob", {{"role", "editor", "read", "allow"}, {"user", "bob", "read", "deny"}}},
      {"public", {{"public", "", "read", "allow"}}},
      {"public-not-banned", {{"public", "", "read", "allow"}, {"group", "banned", "read", "deny"}}},
      {"alice", {{"user", "alice", "read", "allow"}}},
      {"g1", {{"group", "g1", "read", "allow"}}},
      {"deny-only", {{"role", "editor", "read", "deny"}}},
      {"deny-editor-allow-alice",
       {{"user", "alice", "read", "allow"}, {"role", "editor", "read", "deny"}}},
  };
  for (auto& [name, r] : rules) {
    doc[name] = Create({{"name", name}});
    Publish(doc[name]);
    FOLIO_ASSERT_OK(store_->SetPermissions("default", doc[name], r));
    // The rules come back as set (in no particular order).
    auto key = [](const PermissionRule& x) {
      return x.principal_type + "|" + x.principal_id + "|" + x.permission + "|" + x.effect;
    };
    std::multiset<std::string> want, got;
    for (const auto& x : r)
      want.insert(key(x));
    for (const auto& x : Must(store_->GetPermissions("default", doc[name])))
      got.insert(key(x));
    EXPECT_EQ(got, want) << name;
  }
  struct Case {
    const char* who;
    Principal principal;
    std::set<std::string> readable;
  };
  const std::set<std::string> always = {"open", "update-only", "public", "public-not-banned"};
  auto with = [&](std::initializer_list<const char*> extra) {
    std::set<std::string> s = always;
    for (const char* e : extra)
      s.insert(e);
    return s;
  };
  std::vector<Case> cases = {
      {"anonymous", Principal{}, with({})},
      {"editor", MakePrincipal(std::nullopt, {"editor"}, {}), with({"editors", "editors-not-bob"})},
      {"bob the editor", MakePrincipal("bob", {"editor"}, {}), with({"editors"})},
      {"alice", MakePrincipal("alice", {}, {}), with({"alice", "deny-editor-allow-alice"})},
      {"alice the editor", MakePrincipal("alice", {"viewer", "editor"}, {}),
       with({"alice", "editors", "editors-not-bob"})},
      {"g1 member", MakePrincipal("carol", {}, {"g0", "g1"}), with({"g1"})},
      {"banned", MakePrincipal("dave", {}, {"banned"}), {"open", "update-only", "public"}},
      {"role named like a user", MakePrincipal(std::nullopt, {"alice", "g1"}, {}), with({})},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.who);
    std::set<std::string> expected;
    for (const auto& name : c.readable)
      expected.insert(doc.at(name));
    for (Axis axis : {Axis::kPublished, Axis::kDraft}) {
      Query q = PostQuery(axis);
      q.principal = c.principal;
      EXPECT_EQ(AsSet(RootIds(q)), expected);
      // Small pages too: permissions never break the keyset walk.
      q.limit = 1;
      EXPECT_EQ(AsSet(Field(ListAll(*store_, q, 2), "root_id")), expected);
      for (const auto& [name, root] : doc) {
        auto got = store_->Get("default", root, axis, c.principal);
        if (c.readable.count(name)) {
          EXPECT_TRUE(got.ok()) << name << ": " << got.status().ToString();
        } else {
          EXPECT_TRUE(got.status().IsNotFound()) << name << ": " << got.status().ToString();
        }
      }
    }
  }
  // Replacing the rules with none makes a document readable by all again.
  FOLIO_ASSERT_OK(store_->SetPermissions("default", doc["alice"], {}));
  FOLIO_EXPECT_OK(store_->Get("default", doc["alice"], Axis::kPublished));
  EXPECT_TRUE(Must(store_->GetPermissions("default", doc["alice"])).empty());
  // Replacing replaces, it does not append.
  FOLIO_ASSERT_OK(store_->SetPermissions("default", doc["g1"], {{"user", "zed", "read", "allow"}}));
  EXPECT_TRUE(
      store_->Get("default", doc["g1"], Axis::kPublished, MakePrincipal("carol", {}, {"g1"}))
          .status()
          .IsNotFound());
  EXPECT_EQ(raw().Int("SELECT count(*) FROM document_permissions WHERE root_id = ?1", {doc["g1"]}),
            1);
  // Rules belong to the document, not a version: they survive an update and a publish.
  Update(doc["editors"], {{"name", "editors v2"}});
  Publish(doc["editors"]);
  EXPECT_TRUE(store_->Get("default", doc["editors"], Axis::kPublished).status().IsNotFound());
  EXPECT_TRUE(store_->Get("default", doc["editors"], Axis::kDraft).status().IsNotFound());
}

TEST_F(ListingTest, ScheduleWindowFollowsTheClock) {
  const int64_t t0 = clock_.NowSeconds();
  std::string now_doc = Create({{"n", "now"}});
  std::string later = Create({{"n", "later"}}, "default", Fields().ScheduledAt(t0 + 100));
  std::string expiring = Create({{"n", "expiring"}}, "default", Fields().ExpiresAt(t0 + 50));
  std::string window =
      Create({{"n", "window"}}, "default", Fields().ScheduledAt(t0 + 20).ExpiresAt(t0 + 70));
  std::string unpublished = Create({{"n", "draft only"}}, "default", Fields().ScheduledAt(t0 + 10));
  for (const auto& r : {now_doc, later, expiring, window})
    Publish(r);
  // Boundaries of other types and tenants do not count.
  TypeDefinition other;
  other.id = "other";
  FOLIO_ASSERT_OK(store_->RegisterType(other));
  auto o = Must(store_->Create(CreateOp{"default", "other", "{}", Fields().ScheduledAt(t0 + 5)}));
  Must(store_->Apply(LifecycleOp{"default", o.document.root_id, LifecycleAction::kPublish}));
  std::string b = Create(json::object(), "tenant-b", Fields().ScheduledAt(t0 + 6));
  Publish(b, "tenant-b");

  auto published = [&] { return AsSet(RootIds(PostQuery(Axis::kPublished))); };
  auto visible = [&](const std::string& root) {
    return store_->Get("default", root, Axis::kPublished).ok();
  };
  auto next = [&](int64_t after) {
    return Must(store_->NextScheduleBoundary("default", "post", after));
  };

  EXPECT_EQ(published(), (std::set<std::string>{now_doc, expiring}));
  EXPECT_FALSE(visible(later));
  EXPECT_TRUE(visible(expiring));
  // Drafts ignore the window.
  EXPECT_EQ(AsSet(RootIds(PostQuery(Axis::kDraft))),
            (std::set<std::string>{now_doc, later, expiring, window, unpublished}));
  EXPECT_EQ(next(t0), t0 + 20);
  EXPECT_EQ(next(t0 + 19), t0 + 20);
  EXPECT_EQ(next(t0 + 20), t0 + 50);  // strictly after
  EXPECT_EQ(next(t0 + 50), t0 + 70);
  EXPECT_EQ(next(t0 + 70), t0 + 100);
  EXPECT_EQ(next(t0 + 100), std::nullopt);
  EXPECT_EQ(Must(store_->NextScheduleBoundary("default", "other", t0)), t0 + 5);
  EXPECT_EQ(Must(store_->NextScheduleBoundary("tenant-b", "post", t0)), t0 + 6);
  EXPECT_EQ(Must(store_->NextScheduleBoundary("nobody", "post", t0)), std::nullopt);

  clock_.AdvanceSeconds(19);
  EXPECT_EQ(published(), (std::set<std::string>{now_doc, expiring}));
  clock_.AdvanceSeconds(1);  // t0 + 20: window opens (scheduled_at <= now)
  EXPECT_EQ(published(), (std::set<std::string>{now_doc, expiring, window}));
  EXPECT_TRUE(visible(window));
  clock_.AdvanceSeconds(29);  // t0 + 49
  EXPECT_TRUE(visible(expiring));
  clock_.AdvanceSeconds(1);  // t0 + 50: expired (now < expires_at fails)
  EXPECT_EQ(published(), (std::set<std::string>{now_doc, window}));
  EXPECT_FALSE(visible(expiring));
  clock_.AdvanceSeconds(20);  // t0 + 70
  EXPECT_EQ(published(), (std::set<std::string>{now_doc}));
  clock_.AdvanceSeconds(29);  // t0 + 99
  EXPECT_FALSE(visible(later));
  clock_.AdvanceSeconds(1);  // t0 + 100
  EXPECT_EQ(published(), (std::set<std::string>{now_doc, later}));
  EXPECT_TRUE(visible(later));

  // An update carries the window over unless it sets a new one.
  Update(later, {{"n", "later v2"}});
  Publish(later);
  EXPECT_EQ(Must(store_->Get("default", later, Axis::kPublished)).scheduled_at, t0 + 100);
  Must(store_->Update(UpdateOp{"default", later, "{}", Fields().ExpiresAt(t0 + 200)}));
  Publish(later);
  EXPECT_EQ(next(t0 + 100), t0 + 200);
  clock_.AdvanceSeconds(100);
  EXPECT_FALSE(visible(later));
}

TEST_F(ListingTest, FieldFiltersMatchAModel) {
  // views 0..9 twice over, categories a/b/c, ranks with halves, flags alternating.
  struct Row {
    std::string root;
    int64_t views;
    std::string category;
    double rank;
    bool flag;
  };
  std::vector<Row> rows;
  for (int i = 0; i < 20; ++i) {
    Row r{"", i % 10, std::string(1, static_cast<char>('a' + i % 3)), i / 2.0, i % 2 == 0};
    r.root =
        Create({{"views", r.views}, {"category", r.category}, {"rank", r.rank}, {"flag", r.flag}});
    Publish(r.root);
    rows.push_back(r);
    if (i % 4 == 0) clock_.AdvanceSeconds(1);
  }
  auto run = [&](std::vector<FieldFilter> filters) {
    Query q = PostQuery();
    q.filters = std::move(filters);
    return AsSet(Field(ListAll(*store_, q, 7), "root_id"));
  };
  auto model = [&](auto pred) {
    std::set<std::string> s;
    for (const auto& r : rows) {
      if (pred(r)) s.insert(r.root);
    }
    return s;
  };
  using V = FilterValue;
  EXPECT_EQ(run({{"views", FilterOp::kEq, {V(int64_t{3})}}}),
            model([](const Row& r) { return r.views == 3; }));
  EXPECT_EQ(run({{"views", FilterOp::kEq, {V(std::string("3"))}}}),
            model([](const Row& r) { return r.views == 3; }));
  EXPECT_EQ(run({{"views", FilterOp::kNe, {V(int64_t{3})}}}),
            model([](const Row& r) { return r.views != 3; }));
  EXPECT_EQ(run({{"views", FilterOp::kLt, {V(int64_t{3})}}}),
            model([](const Row& r) { return r.views < 3; }));
  EXPECT_EQ(run({{"views", FilterOp::kLte, {V(int64_t{3})}}}),
            model([](const Row& r) { return r.views <= 3; }));
  EXPECT_EQ(run({{"views", FilterOp::kGt, {V(int64_t{3})}}}),
            model([](const Row& r) { return r.views > 3; }));
  EXPECT_EQ(run({{"views", FilterOp::kGte, {V(int64_t{3})}}}),
            model([](const Row& r) { return r.views >= 3; }));
  EXPECT_EQ(run({{"views", FilterOp::kIn, {V(int64_t{1}), V(std::string("4")), V(int64_t{8})}}}),
            model([](const Row& r) { return r.views == 1 || r.views == 4 || r.views == 8; }));
  EXPECT_EQ(run({{"category", FilterOp::kEq, {V(std::string("b"))}}}),
            model([](const Row& r) { return r.category == "b"; }));
  EXPECT_EQ(run({{"category", FilterOp::kGt, {V(std::string("a"))}}}),
            model([](const Row& r) { return r.category > "a"; }));
  EXPECT_EQ(run({{"rank", FilterOp::kGte, {V(4.5)}}}),
            model([](const Row& r) { return r.rank >= 4.5; }));
  EXPECT_EQ(run({{"rank", FilterOp::kLt, {V(std::string("2.5"))}}}),
            model([](const Row& r) { return r.rank < 2.5; }));
  EXPECT_EQ(run({{"flag", FilterOp::kEq, {V(true)}}}), model([](const Row& r) { return r.flag; }));
  EXPECT_EQ(run({{"flag", FilterOp::kEq, {V(std::string("false"))}}}),
            model([](const Row& r) { return !r.flag; }));
  // Filters are a conjunction.
  EXPECT_EQ(run({{"views", FilterOp::kGte, {V(int64_t{2})}},
                 {"category", FilterOp::kIn, {V(std::string("a")), V(std::string("c"))}},
                 {"flag", FilterOp::kEq, {V(int64_t{1})}}}),
            model([](const Row& r) {
              return r.views >= 2 && (r.category == "a" || r.category == "c") && r.flag;
            }));
  // Text that looks like SQL is only ever a value.
  EXPECT_TRUE(run({{"category", FilterOp::kEq, {V(std::string("a' OR '1'='1"))}}}).empty());
}

TEST_F(ListingTest, LocalesAndTypesAreSeparateListings) {
  std::string en = Create({{"n", 1}});
  auto fr = Must(store_->Create(CreateOp{"default", "post", "{}", Fields().Locale("fr")}));
  EXPECT_EQ(fr.document.locale, "fr");
  TypeDefinition page;
  page.id = "page";
  FOLIO_ASSERT_OK(store_->RegisterType(page));
  Must(store_->Create(CreateOp{"default", "page", "{}", {}}));
  EXPECT_EQ(RootIds(PostQuery(Axis::kDraft)), std::vector<std::string>{en});
  Query q = PostQuery(Axis::kDraft);
  q.locale = "fr";
  EXPECT_EQ(RootIds(q), std::vector<std::string>{fr.document.root_id});
  auto json_doc = ListAll(*store_, q)[0];
  for (const char* key : {"id", "root_id", "version", "type", "tenant", "locale", "status", "data",
                          "created_at", "updated_at", "published_at"}) {
    EXPECT_TRUE(json_doc.contains(key)) << key;
  }
  EXPECT_TRUE(json_doc["published_at"].is_null());
}

TEST_F(ListingTest, DataIsServedAsStoredValidJson) {
  // Strings that need escaping, unicode, nesting: the page must stay valid JSON.
  json data = {{"s", "quote \" backslash \\ newline \n tab \t ctrl \x01 é 日本"},
               {"nested", {{"a", {1, 2, {{"b", nullptr}}}}}},
               {"num", 1.5e10}};
  std::string root =
      Must(store_->Create(CreateOp{"default", "post", data.dump(), Fields().Title("t\"\n")}))
          .document.root_id;
  Publish(root);
  auto docs = ListAll(*store_, PostQuery());
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0]["data"], data);
  auto d = Must(store_->Get("default", root, Axis::kPublished));
  EXPECT_EQ(json::parse(d.ToJson())["data"], data);
  EXPECT_EQ(json::parse(d.ToJson())["root_id"], root);
}

TEST_F(ListingTest, ConcurrentReadersWhileOneWrites) {
  for (int i = 0; i < 50; ++i)
    Publish(Create({{"views", i}, {"tags", {"x"}}}));
  std::atomic<bool> done{false};
  std::atomic<int> errors{0};
  std::atomic<int> pages{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      while (!done.load()) {
        Query q = PostQuery(t % 2 == 0 ? Axis::kPublished : Axis::kDraft);
        if (t == 3) q.facets.push_back({"tags", "x"});
        if (t == 2) q.sort = "views";
        q.limit = 7;
        size_t last = 0;
        for (;;) {
          auto page = store_->List(q);
          if (!page.ok()) {
            ++errors;
            break;
          }
          ++pages;
          auto parsed = json::parse(page->documents_json, nullptr, false);
          if (parsed.is_discarded() || parsed.size() != static_cast<size_t>(page->count)) ++errors;
          last += parsed.size();
          if (!page->next_cursor) break;
          q.cursor = *page->next_cursor;
        }
        if (last < 50) ++errors;  // never fewer than were there before the writer started
        auto got = store_->Get("default", "missing", Axis::kPublished);
        if (!got.status().IsNotFound()) ++errors;
      }
    });
  }
  for (int i = 0; i < 150; ++i) {
    std::string root = Create({{"views", 100 + i}, {"tags", {"x"}}});
    Publish(root);
    if (i % 10 == 0) clock_.AdvanceSeconds(1);
  }
  done = true;
  for (auto& t : readers)
    t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GT(pages.load(), 0);
  EXPECT_EQ(RootIds(PostQuery()).size(), 200u);
}

}  // namespace
}  // namespace folio::storage::testing
