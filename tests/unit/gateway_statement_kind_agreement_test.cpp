// Every reader of SQL text agrees on tricky statements, because they all read it with the
// one lexer (unload/sql_lexer.h): the gateway's statement classification, the job's query
// check, UNLOAD validation, UNLOAD parsing (of the statement that carries the query) and the
// Redshift → PostgreSQL literal rewrite. Before there was one lexer, the first statement
// below had an outer LIMIT for validation (its comment ended at the first `*/`) and none for
// the gateway and the query check (which nest comments as Redshift does).
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "base/error.h"
#include "gateway/statement_kind.h"
#include "unload/inner_sql.h"
#include "unload/parse.h"
#include "unload/query_check.h"
#include "unload/render.h"
#include "unload/sql_text.h"
#include "unload/validate.h"

namespace {

using cu::gateway::StatementKind;
namespace unload = cu::unload;

enum class Check { kOk, kOuterLimit, kSeveral, kModifying, kUnterminated, kNotSelect };

struct Case {
  const char* sql;
  StatementKind kind;  // what the gateway does with it as a statement
  Check check;         // what the query checks say of it as an UNLOAD's query
};

const Case kCases[] = {
    {"select version() /* a /* b */ limit 1 */", StatementKind::kVersion, Check::kOk},
    {"select * from t /* a /* b */ limit 1 */", StatementKind::kPassThrough, Check::kOk},
    {"select * from t /* a /* b */ c */ limit 1", StatementKind::kPassThrough, Check::kOuterLimit},
    {"/* unload */ select version() -- limit 1", StatementKind::kVersion, Check::kOk},
    {"select version(); delete from t", StatementKind::kPassThrough, Check::kSeveral},
    {"select 1; /* a /* b */ ; */ ;", StatementKind::kPassThrough, Check::kOk},
    {R"(select 'it\'s; limit 1' from t)", StatementKind::kPassThrough, Check::kOk},
    {R"(select 'it''s; limit 1' from t)", StatementKind::kPassThrough, Check::kOk},
    {R"(select 'a\\' from t limit 1)", StatementKind::kPassThrough, Check::kOuterLimit},
    {R"(select 'a\'; delete from t; --' as v)", StatementKind::kPassThrough, Check::kOk},
    {R"(select "x;" from t -- ; limit 1)", StatementKind::kPassThrough, Check::kOk},
    {R"(select "limit" from t)", StatementKind::kPassThrough, Check::kOk},
    {"select $$;limit 1$$, $t$ ' $t$ from t", StatementKind::kPassThrough, Check::kOk},
    {"select * from t where id in (select id from t limit 1)", StatementKind::kPassThrough,
     Check::kOk},
    {"with d as (delete from t returning *) select * from d", StatementKind::kPassThrough,
     Check::kModifying},
    {"with a as (select 1) insert into t select * from a returning *", StatementKind::kPassThrough,
     Check::kModifying},
    {"select 'unterminated", StatementKind::kPassThrough, Check::kUnterminated},
    {"select version() /* open /* nested */", StatementKind::kPassThrough, Check::kUnterminated},
    {"-- select version()\nunload ('select 1') to 's3://b/p'", StatementKind::kUnload,
     Check::kNotSelect},
    {"/* a /* b */ select version() */ delete from t", StatementKind::kPassThrough,
     Check::kNotSelect},
};

// kOk, or what the job's query check refuses.
Check query_check(std::string_view sql, cu::unload::sql::Dialect d) {
  try {
    unload::checked_select(sql, d);
    return Check::kOk;
  } catch (const cu::Error& e) {
    std::string m = e.message();
    if (m.find("more than one statement") != std::string::npos) return Check::kSeveral;
    if (m.find("changes data") != std::string::npos) return Check::kModifying;
    if (m.find("unterminated") != std::string::npos) return Check::kUnterminated;
    if (m.find("not a statement starting with") != std::string::npos) return Check::kNotSelect;
    ADD_FAILURE() << "unexpected: " << m;
    return Check::kOk;
  }
}

// kOk, or what validate() refuses in the UNLOAD's query.
Check validation(const unload::UnloadSpec& spec, unload::ValidateOptions o = {}) {
  try {
    unload::validate(spec, o);
    return Check::kOk;
  } catch (const cu::Error& e) {
    std::string m = e.message();
    if (e.resource() == "LIMIT") return Check::kOuterLimit;
    if (m.find("more than one statement") != std::string::npos) return Check::kSeveral;
    if (m.find("changes data") != std::string::npos) return Check::kModifying;
    if (m.find("unterminated") != std::string::npos) return Check::kUnterminated;
    if (m.find("UNLOAD takes a SELECT query") != std::string::npos) return Check::kNotSelect;
    ADD_FAILURE() << "unexpected: " << m;
    return Check::kOk;
  }
}

TEST(OneLexer, ClassificationChecksValidationAndParsingAgree) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.sql);
    // 1. The gateway, given the text as a statement.
    EXPECT_EQ(cu::gateway::classify(c.sql), c.kind);

    // 2. The job's query check (Redshift's reading: server mode). LIMIT is UNLOAD's rule.
    Check want_query = c.check == Check::kOuterLimit ? Check::kOk : c.check;
    EXPECT_EQ(query_check(c.sql, cu::unload::sql::Dialect::kRedshift), want_query);

    // 3. validate() of an UNLOAD with this query.
    unload::UnloadSpec spec;
    spec.select = c.sql;
    spec.destination = "s3://bucket/prefix_";
    spec.authorization = unload::IamRoleDefault{};
    EXPECT_EQ(validation(spec), c.check);

    // 4. The UNLOAD statement a client sends: the gateway sees an UNLOAD, the parser reads
    //    the query back exactly, and validation of what it read says the same.
    std::string statement = unload::render(spec);
    EXPECT_EQ(cu::gateway::classify(statement), StatementKind::kUnload);
    unload::UnloadSpec parsed = unload::parse(statement);
    EXPECT_EQ(parsed.select, c.sql);
    EXPECT_EQ(validation(parsed), c.check);

    // 5. What the gateway runs on PostgreSQL (Redshift's literals rewritten as E'…') reads
    //    the same in PostgreSQL's reading, as the engine checks it.
    if (c.check != Check::kUnterminated) {
      unload::UnloadSpec translated = spec;
      translated.select = unload::to_postgres_sql(c.sql);
      EXPECT_EQ(validation(translated, {.query_dialect = cu::unload::sql::Dialect::kPostgres}),
                c.check)
          << translated.select;
    }
  }
}

}  // namespace
