/* sqlite_probe.c — where an embedded document's time goes (diagnostic for report.md; not built
 * by CMake). Runs, with the SQLite C API alone on a database expand_bench left behind
 * (FOLIO_BENCH_KEEP=1), the two statements storage/document_reads.cc's Embedder runs per listed
 * document and per reference — the target lookup as written there, then with parts removed —
 * 20,000 times each inside one read transaction, reading every column as the store does.
 *   gcc -O2 sqlite_probe.c -lsqlite3 -o sqlite_probe && ./sqlite_probe <dir>/folio.sqlite
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e9+t.tv_nsec;}
#define COLS "d.id, d.root_id, d.version_number, d.type_id, d.tenant_id, d.locale, d.status, d.is_current_draft, d.is_published, d.data, d.slug, d.title, d.created_at, d.updated_at, d.published_at, d.scheduled_at, d.expires_at, d.deleted_at, d.path, d.parent_root_id, d.sort_order, d.created_by, d.updated_by"
#define RULES "SELECT 1 FROM document_permissions p WHERE p.tenant_id = d.tenant_id AND p.root_id = d.root_id AND p.permission = 'read'"
#define MATCH "(p.principal_type = 'public' OR (p.principal_type = 'user' AND p.principal_id = ?3) OR (p.principal_type = 'role' AND p.principal_id IN (SELECT value FROM json_each(?4))) OR (p.principal_type = 'group' AND p.principal_id IN (SELECT value FROM json_each(?5))))"
int main(int argc,char**argv){
  sqlite3*db; sqlite3_open_v2(argv[1],&db,SQLITE_OPEN_READONLY|SQLITE_OPEN_NOMUTEX,0);
  const char* variants[] = {
   "SELECT " COLS " FROM documents d WHERE d.root_id = ?1 AND d.tenant_id IN (?2, '__global__') AND d.deleted_at IS NULL AND d.is_published = 1 AND (NOT EXISTS (" RULES ") OR (EXISTS (" RULES " AND p.effect = 'allow' AND " MATCH ") AND NOT EXISTS (" RULES " AND p.effect = 'deny' AND " MATCH ")))",
   "SELECT " COLS " FROM documents d WHERE d.root_id = ?1 AND d.tenant_id IN (?2, '__global__') AND d.deleted_at IS NULL AND d.is_published = 1",
   "SELECT " COLS " FROM documents d WHERE d.root_id = ?1 AND d.tenant_id = ?2 AND d.deleted_at IS NULL AND d.is_published = 1",
   "SELECT d.id FROM documents d WHERE d.root_id = ?1 AND d.tenant_id = ?2 AND d.is_published = 1",
  };
  // 40 targets: first 20 posts' refs
  sqlite3_stmt* r; char ids[2000][40]; int n=0;
  sqlite3_prepare_v2(db,"SELECT to_root_id FROM document_references ORDER BY from_document_id LIMIT 40",-1,&r,0);
  while(sqlite3_step(r)==SQLITE_ROW) strcpy(ids[n++],(const char*)sqlite3_column_text(r,0));
  sqlite3_finalize(r);
  sqlite3_exec(db,"BEGIN",0,0,0);
  for(int v=0;v<4;v++){
    sqlite3_stmt*s; if(sqlite3_prepare_v2(db,variants[v],-1,&s,0)){printf("prep %s\n",sqlite3_errmsg(db));return 1;}
    int iters=20000; long bytes=0; double t0=now();
    for(int i=0;i<iters;i++){
      sqlite3_bind_text(s,1,ids[i%n],-1,SQLITE_STATIC); sqlite3_bind_text(s,2,"default",-1,SQLITE_STATIC);
      if(v==0){sqlite3_bind_null(s,3);sqlite3_bind_text(s,4,"[]",-1,SQLITE_STATIC);sqlite3_bind_text(s,5,"[]",-1,SQLITE_STATIC);}
      int rows=0; while(sqlite3_step(s)==SQLITE_ROW){rows++; for(int c=0;c<sqlite3_column_count(s);c++){ bytes+=sqlite3_column_bytes(s,c); sqlite3_column_text(s,c);} }
      if(rows!=1){printf("v%d rows %d\n",v,rows);return 1;}
      sqlite3_reset(s); sqlite3_clear_bindings(s);
    }
    printf("target variant %d: %.2f us per lookup\n",v,(now()-t0)/iters/1e3);
    sqlite3_finalize(s);
  }
  // refs query per post row
  sqlite3_stmt* fr; char from[200][40]; int m=0;
  sqlite3_prepare_v2(db,"SELECT DISTINCT from_document_id FROM document_references LIMIT 200",-1,&fr,0);
  while(sqlite3_step(fr)==SQLITE_ROW) strcpy(from[m++],(const char*)sqlite3_column_text(fr,0));
  const char* refsv[]={"SELECT field_name, to_root_id FROM document_references WHERE from_document_id = ?1 AND field_name IN (SELECT value FROM json_each(?2)) AND ordinal < ?3 ORDER BY field_name, ordinal",
   "SELECT field_name, to_root_id FROM document_references WHERE from_document_id = ?1 AND ordinal < ?3 ORDER BY field_name, ordinal"};
  for(int v=0;v<2;v++){
  sqlite3_stmt* s; sqlite3_prepare_v2(db,refsv[v],-1,&s,0);
  double t0=now(); int iters=20000;
  for(int i=0;i<iters;i++){ sqlite3_bind_text(s,1,from[i%m],-1,SQLITE_STATIC); if(v==0)sqlite3_bind_text(s,2,"[\"author\",\"category\"]",-1,SQLITE_STATIC); sqlite3_bind_int(s,3,20);
    int rows=0; while(sqlite3_step(s)==SQLITE_ROW){rows++; sqlite3_column_text(s,0); sqlite3_column_text(s,1);} if(rows!=2){printf("refs rows %d\n",rows);return 1;} sqlite3_reset(s); sqlite3_clear_bindings(s);}
  printf("refs variant %d: %.2f us per document\n",v,(now()-t0)/iters/1e3);
  }
  return 0;
}
