/* sqlite_probe.c — where an embedded document's time goes (a diagnostic for report.md; not
 * built by CMake). With the SQLite C API alone, on a database expand_bench left behind
 * (FOLIO_BENCH_KEEP=1), it runs the two statements storage/document_reads.cc's Embedder runs —
 * the reference rows of one listed document, and one target lookup per reference — as written
 * there (variant 0 of each) and with parts removed, 20,000 times each inside one read
 * transaction (after one warm-up pass), reading every column as the store does; then the 40 targets of the first 20
 * reference rows (deduplicated) in a single statement. Variants 2-4 are NOT equivalent to the
 * store's query (they drop the global pool or the permission clause): they only apportion the
 * cost.
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
   "SELECT " COLS " FROM documents d WHERE d.root_id = ?1 AND (d.tenant_id = ?2 OR d.tenant_id = '__global__') AND d.deleted_at IS NULL AND d.is_published = 1 AND (NOT EXISTS (" RULES ") OR (EXISTS (" RULES " AND p.effect = 'allow' AND " MATCH ") AND NOT EXISTS (" RULES " AND p.effect = 'deny' AND " MATCH ")))",
  };
  // 40 targets: first 20 posts' refs
  sqlite3_stmt* r; char ids[2000][40]; int n=0;
  sqlite3_prepare_v2(db,"SELECT to_root_id FROM document_references ORDER BY from_document_id LIMIT 40",-1,&r,0);
  while(sqlite3_step(r)==SQLITE_ROW) strcpy(ids[n++],(const char*)sqlite3_column_text(r,0));
  sqlite3_finalize(r);
  sqlite3_exec(db,"BEGIN",0,0,0);
  for(int pass=0;pass<2;pass++) for(int v=0;v<5;v++){  /* pass 0 warms, pass 1 prints */
    sqlite3_stmt*s; if(sqlite3_prepare_v2(db,variants[v],-1,&s,0)){printf("prep %s\n",sqlite3_errmsg(db));return 1;}
    int iters=20000; long bytes=0; double t0=now();
    for(int i=0;i<iters;i++){
      sqlite3_bind_text(s,1,ids[i%n],-1,SQLITE_STATIC); sqlite3_bind_text(s,2,"default",-1,SQLITE_STATIC);
      if(v==0||v==4){sqlite3_bind_null(s,3);sqlite3_bind_text(s,4,"[]",-1,SQLITE_STATIC);sqlite3_bind_text(s,5,"[]",-1,SQLITE_STATIC);}
      int rows=0; while(sqlite3_step(s)==SQLITE_ROW){rows++; for(int c=0;c<sqlite3_column_count(s);c++){ bytes+=sqlite3_column_bytes(s,c); sqlite3_column_text(s,c);} }
      if(rows!=1){printf("v%d rows %d\n",v,rows);return 1;}
      sqlite3_reset(s); sqlite3_clear_bindings(s);
    }
    if(pass) printf("target variant %d: %.2f us per lookup\n",v,(now()-t0)/iters/1e3);
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
  {
    char list[4000]; int p=0; list[p++]='[';
    int u=0;
    for(int k=0;k<n;k++){ int dup=0; for(int j=0;j<k;j++) if(!strcmp(ids[j],ids[k])) dup=1; if(dup) continue; p+=sprintf(list+p,"%s\"%s\"",u?",":"",ids[k]); u++; }
    list[p++]=']'; list[p]=0;
    sqlite3_stmt* s;
    if(sqlite3_prepare_v2(db,"SELECT " COLS " FROM documents d WHERE d.root_id IN (SELECT value FROM json_each(?1)) AND d.tenant_id IN (?2, '__global__') AND d.deleted_at IS NULL AND d.is_published = 1 AND (NOT EXISTS (" RULES ") OR (EXISTS (" RULES " AND p.effect = 'allow' AND " MATCH ") AND NOT EXISTS (" RULES " AND p.effect = 'deny' AND " MATCH ")))",-1,&s,0)){printf("prep %s\n",sqlite3_errmsg(db));return 1;}
    int iters=2000; double t0=now();
    for(int i=0;i<iters;i++){
      sqlite3_bind_text(s,1,list,-1,SQLITE_STATIC); sqlite3_bind_text(s,2,"default",-1,SQLITE_STATIC);
      sqlite3_bind_null(s,3);sqlite3_bind_text(s,4,"[]",-1,SQLITE_STATIC);sqlite3_bind_text(s,5,"[]",-1,SQLITE_STATIC);
      int rows=0; while(sqlite3_step(s)==SQLITE_ROW){rows++; for(int c=0;c<sqlite3_column_count(s);c++){ sqlite3_column_bytes(s,c); sqlite3_column_text(s,c);} }
      if(rows!=u){printf("batched rows %d of %d\n",rows,u);return 1;}
      sqlite3_reset(s); sqlite3_clear_bindings(s);
    }
    double per=(now()-t0)/iters/1e3; printf("batched: %d distinct targets in one statement: %.2f us (%.2f us per target)\n",u,per,per/u);
  }
  return 0;
}
