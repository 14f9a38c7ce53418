// The type format both ways: what folio writes to document_types is SonicJS's shape; what
// SonicJS writes (scalars, facets, references, settings; a database its services filled) is
// served; folio's own format of earlier releases is upgraded on open; the JSON codec of the
// HTTP and CLI surfaces.
#include "folio/storage/type_format.h"

#include "storage/store_fixture.h"

namespace folio::storage::testing {
namespace {

class TypeFormatTest : public StoreTest {
 protected:
  // The stored (queryable_fields, settings, schema, schema_version) of a type.
  std::vector<std::string> TypeRow(const std::string& id) {
    auto rows = raw().Rows(
        "SELECT queryable_fields, settings, schema, schema_version FROM document_types "
        "WHERE id = ?1",
        {id});
    return rows.empty() ? std::vector<std::string>{} : rows.front();
  }

  static TypeDefinition Article() {
    return Must(ParseTypeJson(R"({
      "id": "article", "displayName": "Article", "description": "long reads",
      "queryableFields": [
        {"name": "rating", "kind": "scalar", "type": "integer"},
        {"name": "author_name", "path": "$.author.name", "kind": "scalar", "type": "text",
         "column": "q_article_author"},
        {"name": "tags", "kind": "facet"},
        {"name": "writer", "kind": "reference", "refStrength": "strong"},
        {"name": "related", "kind": "reference"}
      ],
      "settings": {"versioning": true, "maxVersionsPerRoot": 3, "internal": true,
                   "baseGrants": {"public": ["read"], "editor": ["read", "update"]}}
    })"));
  }
};

TEST_F(TypeFormatTest, RegistersAndStoresSonicJsShape) {
  auto registered = Must(store_->RegisterType(Article()));
  EXPECT_EQ(registered.schema_version, 1);
  EXPECT_EQ(registered.display_name, "Article");
  EXPECT_EQ(registered.fields.at("rating"), FieldKind::kInteger);
  EXPECT_EQ(registered.facets, std::vector<std::string>{"tags"});
  const auto row = TypeRow("article");
  ASSERT_EQ(row.size(), 4u);
  // Keys in SonicJS's QueryableField order; a derived column is written out; a path equal to
  // the default is not.
  EXPECT_EQ(row[0],
            R"([{"name":"rating","kind":"scalar","type":"integer","column":"q_article_rating"},)"
            R"({"name":"author_name","path":"$.author.name","kind":"scalar","type":"text",)"
            R"("column":"q_article_author"},{"name":"tags","kind":"facet"},)"
            R"({"name":"writer","kind":"reference","refStrength":"strong"},)"
            R"({"name":"related","kind":"reference"}])");
  // Keys folio does not interpret are kept.
  auto settings = json::parse(row[1]);
  EXPECT_EQ(settings["internal"], true);
  EXPECT_EQ(settings["versioning"], true);
  EXPECT_EQ(settings["maxVersionsPerRoot"], 3);
  EXPECT_EQ(settings["baseGrants"]["editor"], json::array({"read", "update"}));
  // schema is {"queryableFields":…,"settings":…}, as DocumentTypeRegistry.register writes it.
  EXPECT_EQ(json::parse(row[2]),
            (json{{"queryableFields", json::parse(row[0])}, {"settings", settings}}));
  // The generated column reads the path.
  std::string root = Must(store_->Create(CreateOp{
                              "default", "article", R"({"rating":4,"author":{"name":"Ann"}})", {}}))
                         .document.root_id;
  EXPECT_EQ(raw().Column("SELECT q_article_author FROM documents WHERE root_id = ?1", {root}),
            std::vector<std::string>{"Ann"});

  // The same registration again changes nothing; a new field moves schema_version.
  EXPECT_EQ(Must(store_->RegisterType(Article())).schema_version, 1);
  EXPECT_EQ(TypeRow("article"), row);
  TypeDefinition more = Article();
  more.queryable_fields.push_back({"score", FieldRole::kScalar, "", FieldKind::kNumber});
  EXPECT_EQ(Must(store_->RegisterType(more)).schema_version, 2);
  EXPECT_EQ(raw().Int("SELECT type_version FROM documents WHERE root_id = ?1", {root}), 1);
}

TEST_F(TypeFormatTest, RefusesWhatCannotBeServed) {
  auto before = Snapshot();
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"id":"t","queryableFields":[{"name":"a","kind":"blob"}]})", "kind 'blob'"},
      {R"({"id":"t","queryableFields":[{"name":"a"}]})", "needs a \"kind\""},
      {R"({"id":"t","queryableFields":[{"name":"a","kind":"scalar","type":"real"}]})",
       "type 'real'"},
      {R"({"id":"t","queryableFields":[{"name":"a","kind":"reference","refStrength":"hard"}]})",
       "refStrength 'hard'"},
      {R"({"id":"t","queryableFields":[{"name":"a","kind":"scalar","color":1}]})",
       "unknown key 'color'"},
      {R"({"id":"t","settings":{"versioning":"yes"}})", "settings.versioning"},
      {R"({"id":"t","settings":{"maxVersionsPerRoot":0}})", "maxVersionsPerRoot"},
      {R"({"id":"t","settings":{"baseGrants":{"editor":["fly"]}}})", "baseGrants.editor"},
      {R"({"id":"t","name":"u"})", "\"name\" must equal"},
      {R"({"id":"t","colour":1})", "no key 'colour'"},
      {R"({"queryableFields":[]})", "needs a string \"id\""},
  };
  for (const auto& [body, needle] : bad) {
    auto parsed = ParseTypeJson(body);
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_TRUE(parsed.status().IsInvalidArgument()) << body;
    EXPECT_NE(parsed.status().message().find(needle), std::string::npos)
        << body << " -> " << parsed.status().message();
  }
  // Parsed, but refused at registration: paths and columns that cannot reach SQL safely.
  for (
      const char* body :
      {R"({"id":"t","queryableFields":[{"name":"a","kind":"scalar","path":"$.a'--"}]})",
       R"({"id":"t","queryableFields":[{"name":"a","kind":"scalar","path":"a.b"}]})",
       R"({"id":"t","queryableFields":[{"name":"a","kind":"scalar","column":"data"}]})",
       R"({"id":"t","queryableFields":[{"name":"a","kind":"facet","column":"q_t_a"}]})",
       R"({"id":"t","queryableFields":[{"name":"a","kind":"reference","type":"text"}]})",
       R"({"id":"t","queryableFields":[{"name":"a","kind":"facet"},{"name":"a","kind":"facet"}]})"}) {
    auto s = store_->RegisterType(Must(ParseTypeJson(body))).status();
    EXPECT_TRUE(s.IsInvalidArgument()) << body << " -> " << s.ToString();
  }
  EXPECT_EQ(Snapshot(), before);
  // A field registered again keeps its role, type and path.
  FOLIO_ASSERT_OK(store_->RegisterType(Article()));
  auto again = Article();
  again.queryable_fields[0].type = FieldKind::kText;
  EXPECT_TRUE(store_->RegisterType(again).status().IsConflict());
  again = Article();
  again.queryable_fields[1].path = "$.writer.name";
  EXPECT_TRUE(store_->RegisterType(again).status().IsConflict());
  again = Article();
  again.queryable_fields[2].role = FieldRole::kScalar;
  EXPECT_TRUE(store_->RegisterType(again).status().IsConflict());
}

TEST_F(TypeFormatTest, ShortFormAndJsonRoundTrip) {
  bool is_short = false;
  auto short_form =
      Must(ParseTypeJson(R"({"id":"note","fields":{"n":"integer"},"facets":["k"]})", &is_short));
  EXPECT_TRUE(is_short);
  EXPECT_FALSE(short_form.settings.versioning.has_value());
  short_form.settings.versioning = true;  // what the HTTP service and the CLI do
  auto registered = Must(store_->RegisterType(short_form));
  json out = json::parse(TypeJson(registered));
  EXPECT_EQ(out["id"], "note");
  EXPECT_EQ(out["fields"], (json{{"n", "integer"}}));
  EXPECT_EQ(out["facets"], json::array({"k"}));
  EXPECT_EQ(out["queryableFields"][0],
            (json{{"name", "n"}, {"kind", "scalar"}, {"type", "integer"}, {"column", "q_note_n"}}));
  EXPECT_EQ(out["settings"], (json{{"versioning", true}}));
  // What TypeJson writes registers the same type again.
  auto reparsed = Must(ParseTypeJson(out.dump(), &is_short));
  EXPECT_FALSE(is_short);
  EXPECT_EQ(Must(store_->RegisterType(reparsed)).queryable_fields, registered.queryable_fields);
  EXPECT_EQ(Must(store_->RegisterType(reparsed)).schema_version, registered.schema_version);
  // Settings merge key by key: a registration that gives one keeps the others.
  auto more = Must(ParseTypeJson(R"({"id":"note","settings":{"maxVersionsPerRoot":4,"x":1}})"));
  auto merged = Must(store_->RegisterType(more));
  EXPECT_EQ(merged.settings.versioning, std::optional<bool>(true));
  EXPECT_EQ(merged.settings.max_versions_per_root, std::optional<int64_t>(4));
  EXPECT_EQ(json::parse(merged.settings.other_json), (json{{"x", 1}}));
}

TEST_F(TypeFormatTest, DerivesColumnsAsSonicJsDoes) {
  // resolveColumn: q_<slug(type)>_<slug(field)>, runs of other characters one '_'.
  auto t = Must(store_->RegisterType(Must(
      ParseTypeJson(R"({"id":"blog--post","queryableFields":[{"name":"viewCount","kind":"scalar"},)"
                    R"({"name":"_x__y_","kind":"scalar"}]})"))));
  EXPECT_EQ(t.queryable_fields[0].column, "q_blog_post_viewcount");
  EXPECT_EQ(t.queryable_fields[1].column, "q_blog_post_x_y");
  EXPECT_FALSE(t.queryable_fields[0].type.has_value());  // untyped: TEXT affinity
  EXPECT_EQ(t.fields.at("viewCount"), FieldKind::kText);
}

// A database written the way SonicJS's services write it: the type row by
// DocumentTypeRegistry.register (no columns named, settings beside), documents with facet and
// reference rows by DocumentProjection (numbers in value_number), a global type's documents
// in the shared pool.
TEST_F(TypeFormatTest, ServesADatabaseSonicJsWrote) {
  const std::string fields =
      R"([{"name":"difficulty","kind":"scalar","type":"text"},)"
      R"({"name":"stars","kind":"scalar","type":"integer"},)"
      R"({"name":"tags","kind":"facet"},{"name":"author","kind":"reference"}])";
  const std::string settings = R"({"versioning":true,"maxVersionsPerRoot":50})";
  ASSERT_EQ(raw().Exec("INSERT INTO document_types(id, name, display_name, schema, "
                       "queryable_fields, settings, source, schema_version, created_at, "
                       "updated_at) VALUES ('recipe', 'recipe', 'Recipe', ?1, ?2, ?3, 'code', 1, "
                       "1, 1)",
                       {R"({"queryableFields":)" + fields + R"(,"settings":)" + settings + "}",
                        fields, settings}),
            SQLITE_OK);
  ASSERT_EQ(raw().Exec("INSERT INTO document_types(id, name, display_name, queryable_fields, "
                       "settings, source, created_at, updated_at) VALUES ('chef', 'chef', "
                       "'Chef', '[]', '{\"global\":true}', 'code', 1, 1)"),
            SQLITE_OK);
  auto insert_doc = [&](const std::string& id, const std::string& tenant, const std::string& type,
                        const std::string& data) {
    ASSERT_EQ(raw().Exec("INSERT INTO documents(id, root_id, type_id, version_number, "
                         "is_current_draft, is_published, status, tenant_id, data, metadata, "
                         "created_at, updated_at, published_at) VALUES (?1, ?1, ?2, 1, 1, 1, "
                         "'published', ?3, ?4, '{}', 100, 100, 100)",
                         {id, type, tenant, data}),
              SQLITE_OK);
  };
  insert_doc("chef1", kGlobalTenant, "chef", R"({"name":"Ann"})");
  insert_doc("r1", "acme", "recipe", R"({"difficulty":"easy","stars":5,"tags":["quick",7]})");
  insert_doc("r2", "acme", "recipe", R"({"difficulty":"hard","stars":2,"tags":[7.5]})");
  for (auto [id, doc, ordinal, text, number] :
       {std::tuple{"f1", "r1", "0", "quick", ""}, std::tuple{"f2", "r1", "1", "", "7"},
        std::tuple{"f3", "r2", "0", "", "7.5"}}) {
    ASSERT_EQ(raw().Exec("INSERT INTO document_facets(id, tenant_id, document_id, root_id, "
                         "type_id, field_name, ordinal, value_text, value_number, created_at) "
                         "VALUES (?1, 'acme', ?2, ?2, 'recipe', 'tags', ?3, nullif(?4, ''), "
                         "CAST(nullif(?5, '') AS REAL), 100)",
                         {id, doc, ordinal, text, number}),
              SQLITE_OK);
  }
  store_.reset();
  raw_.reset();
  ASSERT_NO_FATAL_FAILURE(OpenStore());

  // The facet is a facet (not a text field), and numbers match by value.
  Query q;
  q.tenant = "acme";
  q.type = "recipe";
  q.facets.push_back({"tags", "quick"});
  EXPECT_EQ(Field(ListAll(*store_, q), "root_id"), std::vector<std::string>{"r1"});
  q.facets = {{"tags", "7"}};
  EXPECT_EQ(Field(ListAll(*store_, q), "root_id"), std::vector<std::string>{"r1"});
  q.facets = {{"tags", "7.50"}};
  EXPECT_EQ(Field(ListAll(*store_, q), "root_id"), std::vector<std::string>{"r2"});
  q.facets.clear();
  // Scalars get their generated columns on open.
  q.filters.push_back({"stars", FilterOp::kGte, {FilterValue(int64_t{3})}});
  EXPECT_EQ(Field(ListAll(*store_, q), "root_id"), std::vector<std::string>{"r1"});
  // The type reads as SonicJS wrote it.
  auto recipe = Must(store_->GetType("recipe"));
  EXPECT_EQ(recipe.facets, std::vector<std::string>{"tags"});
  EXPECT_TRUE(recipe.settings.Versioning());
  ASSERT_NE(recipe.Find("author"), nullptr);
  EXPECT_EQ(recipe.Find("author")->role, FieldRole::kReference);
  // A global type's documents are visible from every tenant.
  Query chefs;
  chefs.type = "chef";
  for (const char* tenant : {"acme", "default", "other"}) {
    chefs.tenant = tenant;
    EXPECT_EQ(Field(ListAll(*store_, chefs), "root_id"), std::vector<std::string>{"chef1"})
        << tenant;
    EXPECT_EQ(Must(store_->Get(tenant, "chef1", Axis::kPublished)).tenant, kGlobalTenant);
  }
  // …and folio writes new ones to the shared pool.
  auto made = Must(store_->Create(CreateOp{"acme", "chef", R"({"name":"Bo"})", {}}));
  EXPECT_EQ(made.document.tenant, kGlobalTenant);
  chefs.tenant = "zeta";
  chefs.axis = Axis::kDraft;
  EXPECT_EQ(Field(ListAll(*store_, chefs), "root_id").size(), 2u);
  FOLIO_ASSERT_OK(store_->Apply(LifecycleOp{"zeta", made.document.root_id}));
  // The pool is never named by a request, and lends only documents of global types: a row
  // of another type under its name (a type made non-global since) is no tenant's.
  EXPECT_TRUE(
      store_->Create(CreateOp{kGlobalTenant, "recipe", "{}", {}}).status().IsInvalidArgument());
  chefs.tenant = kGlobalTenant;
  EXPECT_TRUE(store_->List(chefs).status().IsInvalidArgument());
  EXPECT_TRUE(store_->Get(kGlobalTenant, "chef1", Axis::kPublished).status().IsInvalidArgument());
  insert_doc("stray", kGlobalTenant, "recipe", R"({"stars":1})");
  EXPECT_TRUE(store_->Get("acme", "stray", Axis::kPublished).status().IsNotFound());
  EXPECT_TRUE(
      store_->Apply(LifecycleOp{"acme", "stray", LifecycleAction::kDelete}).status().IsNotFound());
  EXPECT_TRUE(store_->ListVersions("acme", "stray", 5, "").status().IsNotFound());
}

// Types folio registered before it wrote SonicJS's format are rewritten on open, keeping what
// they did: versions kept per save.
TEST_F(TypeFormatTest, UpgradesFolioTypeRowsOfEarlierReleases) {
  ASSERT_EQ(raw().Exec("INSERT INTO document_types(id, name, display_name, queryable_fields, "
                       "source, created_at, updated_at) VALUES ('old', 'old', 'Old', ?1, "
                       "'code', 1, 1)",
                       {R"([{"name":"views","type":"integer","column":"q_old_views"},)"
                        R"({"name":"tags","type":"facet"}])"}),
            SQLITE_OK);
  store_.reset();
  raw_.reset();
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  const auto row = TypeRow("old");
  EXPECT_EQ(row[0], R"([{"name":"views","kind":"scalar","type":"integer","column":"q_old_views"},)"
                    R"({"name":"tags","kind":"facet"}])");
  EXPECT_EQ(json::parse(row[1]), (json{{"maxVersionsPerRoot", 10}, {"versioning", true}}));
  auto old = Must(store_->GetType("old"));
  EXPECT_EQ(old.fields.at("views"), FieldKind::kInteger);
  EXPECT_EQ(old.facets, std::vector<std::string>{"tags"});
}

}  // namespace
}  // namespace folio::storage::testing
