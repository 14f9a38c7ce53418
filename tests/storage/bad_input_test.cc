// Bad input: each refused with an error that names what was wrong, and nothing written.
#include <gtest/gtest.h>

#include "store_fixture.h"

namespace folio::storage::testing {
namespace {

class BadInputTest : public StoreTest {
 protected:
  // Expects `s` to be an error of `code` whose message contains `needle`.
  static void ExpectError(const Status& s, Status::Code code, const std::string& needle) {
    EXPECT_EQ(s.code(), code) << s.ToString();
    EXPECT_NE(s.message().find(needle), std::string::npos)
        << "message does not name '" << needle << "': " << s.message();
  }
};

// A JSON object `{"x":"aaa…"}` of exactly `size` bytes.
std::string ObjectOfSize(size_t size) {
  const std::string head = R"({"x":")", tail = R"("})";
  return head + std::string(size - head.size() - tail.size(), 'a') + tail;
}

TEST_F(BadInputTest, DataMustBeAJsonObjectOfAtMostOneMiB) {
  std::string root = Create({{"ok", true}});
  auto before = Snapshot();
  const auto kInvalid = Status::Code::kInvalidArgument;
  struct Case {
    std::string data;
    Status::Code code;
    std::string needle;
  };
  std::vector<Case> cases = {
      {"{not json", kInvalid, "JSON"},
      {"", kInvalid, "JSON"},
      {R"({"a":1} trailing)", kInvalid, "JSON"},
      {"[1,2,3]", kInvalid, "object"},
      {"42", kInvalid, "object"},
      {R"("text")", kInvalid, "object"},
      {"null", kInvalid, "object"},
      {"{\"bad utf8\":\"\xff\xfe\"}", kInvalid, "JSON"},
      {ObjectOfSize(kMaxDataBytes + 1), Status::Code::kTooLarge, "1 MiB"},
      {ObjectOfSize(3 * kMaxDataBytes), Status::Code::kTooLarge, "1 MiB"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.data.substr(0, 40));
    ExpectError(store_->Create(CreateOp{"default", "post", c.data, {}}).status(), c.code, c.needle);
    ExpectError(store_->Update(UpdateOp{"default", root, c.data, {}}).status(), c.code, c.needle);
    ExpectError(store_->Patch(PatchOp{"default", root, c.data, {}}).status(), c.code, c.needle);
    EXPECT_EQ(Snapshot(), before);
  }
  // Exactly 1 MiB is allowed.
  std::string max = ObjectOfSize(kMaxDataBytes);
  ASSERT_EQ(max.size(), kMaxDataBytes);
  auto big = Must(store_->Create(CreateOp{"default", "post", max, {}}));
  EXPECT_EQ(big.document.data.size(), kMaxDataBytes);
  // A patch whose merged result goes over the limit is refused, and writes nothing.
  auto snap = Snapshot();
  ExpectError(store_->Patch(PatchOp{"default", big.document.root_id, R"({"y":1})", {}}).status(),
              Status::Code::kTooLarge, "1 MiB");
  EXPECT_EQ(Snapshot(), snap);
}

TEST_F(BadInputTest, UnknownTypeIsNamed) {
  auto before = Snapshot();
  auto created = store_->Create(CreateOp{"default", "no-such-type", "{}", {}});
  EXPECT_FALSE(created.ok());
  EXPECT_NE(created.status().message().find("no-such-type"), std::string::npos)
      << created.status().ToString();
  EXPECT_EQ(Snapshot(), before);
  Query q;
  q.type = "no-such-type";
  auto listed = store_->List(q);
  EXPECT_FALSE(listed.ok());
  EXPECT_NE(listed.status().message().find("no-such-type"), std::string::npos);
  EXPECT_FALSE(store_->GetType("no-such-type").ok());
  // Nor is an empty tenant a tenant.
  EXPECT_TRUE(store_->Create(CreateOp{"", "post", "{}", {}}).status().IsInvalidArgument());
}

TEST_F(BadInputTest, UnknownOrMaliciousFieldNamesAreRefused) {
  Publish(Create({{"views", 1}}));
  const int64_t rows = raw().Int("SELECT count(*) FROM documents");
  const std::vector<std::string> names = {"q_x; DROP TABLE documents",
                                          "views; DROP TABLE documents --",
                                          "views\" IS NOT NULL OR \"1",
                                          "nope",
                                          "q_post_views",  // the column, not the field
                                          "VIEWS",
                                          "id",
                                          "data",
                                          ""};
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    Query filter = PostQuery();
    filter.filters.push_back({name, FilterOp::kEq, {FilterValue(int64_t{1})}});
    ExpectError(store_->List(filter).status(), Status::Code::kInvalidArgument,
                "filter field '" + name + "'");
    Query sort = PostQuery();
    sort.sort = name;
    ExpectError(store_->List(sort).status(), Status::Code::kInvalidArgument,
                "sort field '" + name + "'");
    Query facet = PostQuery();
    facet.facets.push_back({name, "x"});
    ExpectError(store_->List(facet).status(), Status::Code::kInvalidArgument,
                "facet '" + name + "'");
    EXPECT_FALSE(store_->ExplainList(filter).ok());
  }
  // A registered field is not a facet, nor the other way round.
  Query facet_as_field = PostQuery();
  facet_as_field.filters.push_back({"tags", FilterOp::kEq, {FilterValue(std::string("x"))}});
  EXPECT_TRUE(store_->List(facet_as_field).status().IsInvalidArgument());
  Query field_as_facet = PostQuery();
  field_as_facet.facets.push_back({"views", "1"});
  EXPECT_TRUE(store_->List(field_as_facet).status().IsInvalidArgument());

  EXPECT_EQ(raw().Int("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = "
                      "'documents'"),
            1);
  EXPECT_EQ(raw().Int("SELECT count(*) FROM documents"), rows);
  EXPECT_EQ(RootIds(PostQuery()).size(), 1u);
}

TEST_F(BadInputTest, FilterValuesAndArityAreChecked) {
  using V = FilterValue;
  auto list_with = [&](FieldFilter f) {
    Query q = PostQuery();
    q.filters.push_back(std::move(f));
    return store_->List(q).status();
  };
  ExpectError(list_with({"views", FilterOp::kEq, {V(std::string("abc"))}}),
              Status::Code::kInvalidArgument, "views");
  ExpectError(list_with({"views", FilterOp::kEq, {V(std::string("5x"))}}),
              Status::Code::kInvalidArgument, "integer");
  ExpectError(list_with({"views", FilterOp::kEq, {V(2.5)}}), Status::Code::kInvalidArgument,
              "integer");
  ExpectError(list_with({"rank", FilterOp::kEq, {V(std::string("nan"))}}),
              Status::Code::kInvalidArgument, "number");
  ExpectError(list_with({"flag", FilterOp::kEq, {V(std::string("yes"))}}),
              Status::Code::kInvalidArgument, "boolean");
  ExpectError(list_with({"category", FilterOp::kEq, {V(int64_t{3})}}),
              Status::Code::kInvalidArgument, "text");
  ExpectError(list_with({"views", FilterOp::kEq, {}}), Status::Code::kInvalidArgument, "one value");
  ExpectError(list_with({"views", FilterOp::kGt, {V(int64_t{1}), V(int64_t{2})}}),
              Status::Code::kInvalidArgument, "one value");
  ExpectError(list_with({"views", FilterOp::kIn, {}}), Status::Code::kInvalidArgument, "1 to 100");
  std::vector<V> many(101, V(int64_t{1}));
  ExpectError(list_with({"views", FilterOp::kIn, many}), Status::Code::kInvalidArgument,
              "1 to 100");
  many.resize(100);
  FOLIO_EXPECT_OK(list_with({"views", FilterOp::kIn, many}));
}

TEST_F(BadInputTest, LimitMustBeOneToOneHundred) {
  for (int limit : {0, -1, 101, 1000000}) {
    Query q = PostQuery();
    q.limit = limit;
    ExpectError(store_->List(q).status(), Status::Code::kInvalidArgument,
                "limit " + std::to_string(limit));
  }
  for (int limit : {1, 100}) {
    Query q = PostQuery();
    q.limit = limit;
    FOLIO_EXPECT_OK(store_->List(q));
  }
}

TEST_F(BadInputTest, ForgedTruncatedForeignAndGarbageCursorsAreRefused) {
  for (int i = 0; i < 10; ++i) {
    Publish(Create({{"views", i}}));
    if (i % 3 == 0) clock_.AdvanceSeconds(1);
  }
  Query q = PostQuery();
  q.limit = 3;
  auto first = Must(store_->List(q));
  ASSERT_TRUE(first.next_cursor);
  const std::string cursor = *first.next_cursor;
  Query next = q;
  next.cursor = cursor;
  auto second = Must(store_->List(next));
  EXPECT_EQ(second.count, 3);
  // The limit is not part of the query a cursor belongs to.
  next.limit = 50;
  EXPECT_EQ(Must(store_->List(next)).count, 7);

  auto refused = [&](const Query& query, const std::string& why) {
    auto r = store_->List(query);
    EXPECT_TRUE(r.status().IsInvalidArgument()) << why << ": " << r.status().ToString();
    EXPECT_NE(r.status().message().find("cursor"), std::string::npos) << r.status().message();
  };
  // Any one character changed, anywhere.
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (size_t i = 0; i < cursor.size(); ++i) {
    for (char c : {alphabet[(alphabet.find(cursor[i]) + 1) % 64],
                   alphabet[(alphabet.find(cursor[i]) + 32) % 64]}) {
      Query forged = q;
      forged.cursor = cursor;
      forged.cursor[i] = c;
      refused(forged, "flipped char " + std::to_string(i));
    }
  }
  // Any truncation, and any extension.
  for (size_t n = 1; n < cursor.size(); ++n) {
    Query truncated = q;
    truncated.cursor = cursor.substr(0, n);
    refused(truncated, "truncated to " + std::to_string(n));
  }
  for (const char* extra : {"A", "AA", "AAAA", "x"}) {
    Query longer = q;
    longer.cursor = cursor + extra;
    refused(longer, std::string("extended by ") + extra);
  }
  for (const std::string& garbage :
       std::vector<std::string>{"!!!", "hello world", "====", "null", "\xff\xfe",
                                std::string(200, 'A'), std::string("abc\0def", 7)}) {
    Query g = q;
    g.cursor = garbage;
    refused(g, "garbage");
  }
  // A cursor is bound to the query that made it: another filter, sort, order, axis, tenant,
  // locale, facet or principal refuses it.
  auto other = [&](auto change) {
    Query o = q;
    change(o);
    o.cursor = cursor;
    refused(o, "cursor from another query");
    auto r = store_->List(o);
    EXPECT_NE(r.status().message().find("another query"), std::string::npos)
        << r.status().message();
  };
  other([](Query& o) {
    o.filters.push_back({"views", FilterOp::kGte, {FilterValue(int64_t{0})}});
  });
  other([](Query& o) { o.sort = "created_at"; });
  other([](Query& o) { o.order = SortOrder::kAsc; });
  other([](Query& o) { o.axis = Axis::kDraft; });
  other([](Query& o) { o.tenant = "someone-else"; });
  other([](Query& o) { o.locale = "fr"; });
  other([](Query& o) { o.facets.push_back({"tags", "x"}); });
  other([](Query& o) { o.principal.roles = {"editor"}; });

  // A cursor from another database (another secret) does not verify here.
  TempDir other_dir;
  StoreOptions o;
  o.path = (other_dir.path() / "other.sqlite").string();
  o.clock = &clock_;
  auto other_store = Must(DocumentStore::Open(o));
  FOLIO_ASSERT_OK(other_store->RegisterType(PostType()));
  for (int i = 0; i < 5; ++i) {
    auto r = Must(other_store->Create(CreateOp{"default", "post", "{}", {}}));
    Must(other_store->Apply(LifecycleOp{"default", r.document.root_id, LifecycleAction::kPublish}));
  }
  auto foreign = Must(other_store->List(q));
  ASSERT_TRUE(foreign.next_cursor);
  Query f = q;
  f.cursor = *foreign.next_cursor;
  refused(f, "cursor from another database");
}

TEST_F(BadInputTest, WritesToMissingDocumentsAreNotFound) {
  Create({{"a", 1}});
  auto before = Snapshot();
  const std::string missing = "01890000-0000-7000-8000-000000000000";
  auto nf = [&](const Status& s, const char* what) {
    EXPECT_TRUE(s.IsNotFound()) << what << ": " << s.ToString();
    EXPECT_NE(s.message().find(missing), std::string::npos) << what << ": " << s.message();
  };
  for (auto action : {LifecycleAction::kPublish, LifecycleAction::kUnpublish,
                      LifecycleAction::kDelete, LifecycleAction::kRestore}) {
    nf(store_->Apply(LifecycleOp{"default", missing, action}).status(), "lifecycle");
  }
  nf(store_->Update(UpdateOp{"default", missing, "{}", {}}).status(), "update");
  nf(store_->Patch(PatchOp{"default", missing, "{}", {}}).status(), "patch");
  nf(store_->SetPermissions("default", missing, {}), "set permissions");
  nf(store_->GetPermissions("default", missing).status(), "get permissions");
  nf(store_->Get("default", missing, Axis::kDraft).status(), "get");
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(BadInputTest, OtherFieldsOfAWriteAreChecked) {
  std::string root = Create({{"a", 1}}, "default", Fields().ScheduledAt(100).ExpiresAt(200));
  auto before = Snapshot();
  ExpectError(
      store_->Create(CreateOp{"default", "post", "{}", Fields().ScheduledAt(200).ExpiresAt(200)})
          .status(),
      Status::Code::kInvalidArgument, "expires_at");
  // The window is checked against what the update keeps, too.
  ExpectError(store_->Update(UpdateOp{"default", root, "{}", Fields().ExpiresAt(50)}).status(),
              Status::Code::kInvalidArgument, "expires_at");
  ExpectError(store_->Update(UpdateOp{"default", root, "{}", Fields().Locale("fr")}).status(),
              Status::Code::kInvalidArgument, "locale");
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(BadInputTest, BadPermissionRulesAreRefusedAndKeepTheOldRules) {
  std::string root = Create({{"a", 1}});
  FOLIO_ASSERT_OK(store_->SetPermissions("default", root, {{"role", "editor", "read", "allow"}}));
  auto before = Snapshot();
  struct Case {
    PermissionRule rule;
    std::string needle;
  };
  std::vector<Case> cases = {
      {{"robot", "r", "read", "allow"}, "robot"},
      {{"role", "", "read", "allow"}, "principal_id"},
      {{"role", "editor", "fly", "allow"}, "fly"},
      {{"role", "editor", "read", "maybe"}, "maybe"},
  };
  for (const auto& c : cases) {
    // The bad rule is second: the first (valid) one must not be written either.
    auto s = store_->SetPermissions("default", root, {{"public", "", "read", "allow"}, c.rule});
    ExpectError(s, Status::Code::kInvalidArgument, c.needle);
    EXPECT_NE(s.message().find("rule 1"), std::string::npos) << s.message();
    EXPECT_EQ(Snapshot(), before);
  }
}

TEST_F(BadInputTest, RegisterTypeChecksNamesAndKinds) {
  auto before = Snapshot();
  for (const std::string& id :
       std::vector<std::string>{"", "Post", "bad type", "x;drop table documents", "-lead", "_lead",
                                "caf\xc3\xa9", std::string(65, 'a')}) {
    TypeDefinition t;
    t.id = id;
    ExpectError(store_->RegisterType(t).status(), Status::Code::kInvalidArgument,
                "type id '" + id + "'");
  }
  for (const std::string& field :
       std::vector<std::string>{"1abc", "a-b", "a b", "x'); DROP TABLE documents; --", "a.b", "",
                                std::string(65, 'f')}) {
    TypeDefinition t;
    t.id = "fresh";
    t.fields[field] = FieldKind::kText;
    ExpectError(store_->RegisterType(t).status(), Status::Code::kInvalidArgument,
                "field name '" + field + "'");
    TypeDefinition f;
    f.id = "fresh";
    f.facets = {field};
    ExpectError(store_->RegisterType(f).status(), Status::Code::kInvalidArgument,
                "facet name '" + field + "'");
  }
  EXPECT_EQ(Snapshot(), before);
  EXPECT_FALSE(store_->GetType("fresh").ok());

  // A field re-registered with another kind is a Conflict naming the field; nothing changes.
  TypeDefinition changed = PostType();
  changed.fields["views"] = FieldKind::kText;
  changed.fields["brand_new"] = FieldKind::kText;
  ExpectError(store_->RegisterType(changed).status(), Status::Code::kConflict, "views");
  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(Must(store_->GetType("post")).fields.at("views"), FieldKind::kInteger);
  EXPECT_EQ(Must(store_->GetType("post")).fields.count("brand_new"), 0u);
  // Two fields that differ only in case would share a column.
  TypeDefinition cased;
  cased.id = "cased";
  cased.fields = {{"Title", FieldKind::kText}, {"title", FieldKind::kText}};
  EXPECT_TRUE(store_->RegisterType(cased).status().IsConflict());
  // A name cannot be both a field and a facet.
  TypeDefinition both;
  both.id = "both";
  both.fields = {{"tags", FieldKind::kText}};
  both.facets = {"tags"};
  EXPECT_TRUE(store_->RegisterType(both).status().IsConflict());
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(BadInputTest, TypesWhoseColumnNamesCollideAreRefused) {
  // q_<type>_<field>: type "blog" field "post_views" and type "blog_post" field "views" would
  // both be q_blog_post_views, reading different JSON paths.
  TypeDefinition blog;
  blog.id = "blog";
  blog.fields = {{"post_views", FieldKind::kInteger}};
  FOLIO_ASSERT_OK(store_->RegisterType(blog));
  auto before = Snapshot();
  TypeDefinition blog_post;
  blog_post.id = "blog_post";
  blog_post.fields = {{"views", FieldKind::kInteger}};
  auto s = store_->RegisterType(blog_post).status();
  EXPECT_TRUE(s.IsConflict()) << s.ToString();
  EXPECT_NE(s.message().find("q_blog_post_views"), std::string::npos) << s.message();
  EXPECT_EQ(Snapshot(), before);
  // The same field (same JSON path, same kind) under "blog-post" and "blog_post" shares the
  // column harmlessly, and each type's listing filters its own rows.
  TypeDefinition dashed;
  dashed.id = "blog-post";
  dashed.fields = {{"n", FieldKind::kInteger}};
  FOLIO_ASSERT_OK(store_->RegisterType(dashed));
  TypeDefinition underscored;
  underscored.id = "blog_post";
  underscored.fields = {{"n", FieldKind::kInteger}};
  FOLIO_ASSERT_OK(store_->RegisterType(underscored));
  Must(store_->Create(CreateOp{"default", "blog-post", R"({"n":1})", {}}));
  auto u = Must(store_->Create(CreateOp{"default", "blog_post", R"({"n":1})", {}}));
  Query q;
  q.type = "blog_post";
  q.axis = Axis::kDraft;
  q.filters.push_back({"n", FilterOp::kEq, {FilterValue(int64_t{1})}});
  EXPECT_EQ(Field(ListAll(*store_, q), "root_id"), std::vector<std::string>{u.document.root_id});
  // …but not with another kind.
  TypeDefinition clash;
  clash.id = "blog-post";
  clash.fields = {{"m", FieldKind::kInteger}};
  FOLIO_ASSERT_OK(store_->RegisterType(clash));
  TypeDefinition clash2;
  clash2.id = "blog_post";
  clash2.fields = {{"m", FieldKind::kText}};
  EXPECT_TRUE(store_->RegisterType(clash2).status().IsConflict());
}

}  // namespace
}  // namespace folio::storage::testing
