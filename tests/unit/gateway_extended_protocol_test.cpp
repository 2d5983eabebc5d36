// ProtocolState: the gateway's extended-protocol bookkeeping, fed message sequences as a
// client and an upstream would send them (PostgreSQL's protocol documentation, "Extended
// Query": replies in order, errors skip to Sync, a simple Query replaces the unnamed
// statement and portal). No sockets: what the session would do is read off each step.
#include <gtest/gtest.h>

#include <deque>
#include <string>

#include "gateway/extended_protocol.h"
#include "pg/wire_protocol.h"

namespace {

namespace w = cu::pg::wire;
using cu::gateway::ClientStep;
using cu::gateway::ProtocolState;
using cu::gateway::StatementKind;
using Do = ClientStep::Do;
using Local = ProtocolState::Local;

const char* kUnload = "unload ('select 1') to 's3://b/p_' iam_role default";

class ExtendedProtocol : public ::testing::Test {
 protected:
  // One message framed from its bytes (the framer, which owns them, lives with the test).
  w::Message msg(const std::string& bytes) {
    framers_.emplace_back(w::Framer::Mode::kTyped);
    framers_.back().feed(bytes);
    auto m = framers_.back().next();
    EXPECT_TRUE(m.has_value());
    return *m;
  }
  ClientStep client(const std::string& bytes) { return p_.on_client(msg(bytes)); }
  void upstream(const std::string& bytes) { p_.on_upstream(msg(bytes)); }
  Local resolve(const std::string& bytes) { return p_.resolve(msg(bytes)); }
  // The session after authentication: the upstream's first ReadyForQuery.
  void logged_in() { upstream(w::ready_for_query('I')); }

  ProtocolState p_;
  std::deque<w::Framer> framers_;
};

TEST_F(ExtendedProtocol, BeforeAuthenticationEverythingIsRelayed) {
  EXPECT_FALSE(p_.ready());
  EXPECT_EQ(client(w::query(kUnload)).what, Do::kForward);
  EXPECT_EQ(client(w::parse("s", kUnload)).what, Do::kForward);
  logged_in();
  EXPECT_TRUE(p_.ready());
  EXPECT_EQ(client(w::parse("s", kUnload)).what, Do::kLocal);
}

TEST_F(ExtendedProtocol, ARelayedBatchIsAwaitedUntilReadyForQuery) {
  logged_in();
  EXPECT_EQ(client(w::parse("", "select 1")).what, Do::kForward);
  EXPECT_TRUE(p_.needs_flush());  // nothing closes the batch yet: a Flush must go along
  EXPECT_EQ(client(w::bind("", "")).what, Do::kForward);
  EXPECT_EQ(client(w::execute("")).what, Do::kForward);
  EXPECT_EQ(client(w::sync()).what, Do::kForward);
  EXPECT_FALSE(p_.needs_flush());
  EXPECT_TRUE(p_.awaiting());
  upstream(w::parse_complete());
  upstream(w::bind_complete());
  upstream(w::command_complete("SELECT 1"));
  EXPECT_TRUE(p_.awaiting());  // ReadyForQuery still owed
  upstream(w::ready_for_query('T'));
  EXPECT_FALSE(p_.awaiting());
  EXPECT_EQ(p_.transaction_status(), 'T');
}

TEST_F(ExtendedProtocol, ALocalStatementLivesFromParseToClose) {
  logged_in();
  ClientStep parse = client(w::parse("s1", kUnload));
  ASSERT_EQ(parse.what, Do::kLocal);
  EXPECT_EQ(parse.statement.kind, StatementKind::kUnload);
  EXPECT_EQ(parse.statement.text, kUnload);
  EXPECT_EQ(resolve(w::parse("s1", kUnload)), Local::kAnswer);

  ClientStep bind = client(w::bind("p1", "s1", /*result_format=*/1));
  ASSERT_EQ(bind.what, Do::kLocal);
  EXPECT_EQ(bind.statement.format, 1);
  EXPECT_EQ(resolve(w::bind("p1", "s1", 1)), Local::kAnswer);

  ClientStep describe = client(w::describe('P', "p1"));
  ASSERT_EQ(describe.what, Do::kLocal);
  EXPECT_EQ(describe.statement.format, 1);  // the portal's bound format
  EXPECT_EQ(client(w::describe('S', "s1")).statement.format, 0);
  ClientStep execute = client(w::execute("p1"));
  ASSERT_EQ(execute.what, Do::kLocal);
  EXPECT_EQ(execute.statement.text, kUnload);

  EXPECT_EQ(client(w::close('S', "s1")).what, Do::kLocal);
  EXPECT_EQ(resolve(w::close('S', "s1")), Local::kAnswer);
  // Gone: the next Bind of s1 is the upstream's business (it will say it does not exist).
  EXPECT_EQ(client(w::bind("p2", "s1")).what, Do::kForward);
  // The portal bound before the Close lives on, as a backend's does.
  EXPECT_EQ(client(w::execute("p1")).what, Do::kLocal);
}

TEST_F(ExtendedProtocol, OrdinaryStatementsUnderALocalNameAreRelayed) {
  logged_in();
  ASSERT_EQ(client(w::parse("s", "select version()")).what, Do::kLocal);
  ASSERT_EQ(resolve(w::parse("s", "select version()")), Local::kAnswer);
  // Parse again under the same name with an ordinary query: the name is the upstream's now.
  EXPECT_EQ(client(w::parse("s", "select 2")).what, Do::kForward);
  EXPECT_EQ(client(w::bind("", "s")).what, Do::kForward);
  EXPECT_EQ(client(w::describe('S', "s")).what, Do::kForward);
}

TEST_F(ExtendedProtocol, AnUpstreamErrorSkipsTheRestOfTheBatchLocalAnswersIncluded) {
  logged_in();
  client(w::parse("", "select 1/0"));
  client(w::bind("", ""));
  client(w::execute(""));
  ClientStep version = client(w::parse("v", "select version()"));
  ASSERT_EQ(version.what, Do::kLocal);
  // The session drains before answering: the upstream fails the Execute.
  upstream(w::parse_complete());
  upstream(w::bind_complete());
  upstream(w::error_response("ERROR", "22012", "division by zero"));
  EXPECT_FALSE(p_.awaiting());
  EXPECT_EQ(resolve(w::parse("v", "select version()")), Local::kDrop);
  // Not stored: later in the batch, Bind of v is relayed (and skipped by the upstream).
  EXPECT_EQ(client(w::bind("", "v")).what, Do::kForward);
  EXPECT_FALSE(p_.awaiting());  // a skipping upstream owes nothing for it
  EXPECT_EQ(client(w::sync()).what, Do::kForward);
  EXPECT_TRUE(p_.awaiting());
  upstream(w::ready_for_query('I'));
  EXPECT_FALSE(p_.awaiting());
  // After Sync the next batch is answered again.
  ASSERT_EQ(client(w::parse("v", "select version()")).what, Do::kLocal);
  EXPECT_EQ(resolve(w::parse("v", "select version()")), Local::kAnswer);
}

TEST_F(ExtendedProtocol, AFailedLocalStatementSkipsClientMessagesUntilSync) {
  logged_in();
  client(w::parse("", kUnload));
  resolve(w::parse("", kUnload));
  client(w::bind("", ""));
  resolve(w::bind("", ""));
  ASSERT_EQ(client(w::execute("")).what, Do::kLocal);
  p_.on_local_failure(/*extended=*/true, /*upstream_failed=*/true);
  EXPECT_EQ(client(w::parse("", "select 1")).what, Do::kDrop);
  EXPECT_EQ(client(w::execute("")).what, Do::kDrop);
  EXPECT_EQ(client(w::sync()).what, Do::kForward);
  upstream(w::ready_for_query('I'));
  EXPECT_EQ(client(w::parse("", "select 1")).what, Do::kForward);
}

TEST_F(ExtendedProtocol, ASimpleQueryFailureLeavesNoSkipping) {
  logged_in();
  p_.on_local_failure(/*extended=*/false, /*upstream_failed=*/false);
  EXPECT_EQ(client(w::query("select 1")).what, Do::kForward);
}

TEST_F(ExtendedProtocol, InAFailedTransactionOnlyUnloadIsAnswered) {
  upstream(w::ready_for_query('E'));
  ASSERT_EQ(client(w::query("select version()")).what, Do::kLocal);
  // PostgreSQL answers "current transaction is aborted": the query goes to it after all.
  EXPECT_EQ(resolve(w::query("select version()")), Local::kForward);
  EXPECT_TRUE(p_.awaiting());
  upstream(w::error_response("ERROR", "25P02", "current transaction is aborted"));
  upstream(w::ready_for_query('E'));
  ASSERT_EQ(client(w::query(kUnload)).what, Do::kLocal);
  EXPECT_EQ(resolve(w::query(kUnload)), Local::kAnswer);
  // The gateway's own Sync after a simple-protocol UNLOAD is awaited like the client's.
  p_.on_gateway_sync();
  EXPECT_TRUE(p_.awaiting());
  upstream(w::ready_for_query('E'));
  EXPECT_FALSE(p_.awaiting());
}

TEST_F(ExtendedProtocol, ASimpleQueryReplacesTheUnnamedStatementAndPortal) {
  logged_in();
  client(w::parse("", "select version()"));
  resolve(w::parse("", "select version()"));
  client(w::bind("", ""));
  resolve(w::bind("", ""));
  EXPECT_EQ(client(w::query("select 1")).what, Do::kForward);
  EXPECT_EQ(client(w::execute("")).what, Do::kForward);
  EXPECT_EQ(client(w::bind("", "")).what, Do::kForward);
}

TEST_F(ExtendedProtocol, DescribeAndCloseOfUnknownNamesAreRelayedAndAwaited) {
  logged_in();
  EXPECT_EQ(client(w::describe('S', "x")).what, Do::kForward);
  EXPECT_EQ(client(w::close('P', "x")).what, Do::kForward);
  EXPECT_TRUE(p_.needs_flush());
  upstream(w::no_data());
  EXPECT_TRUE(p_.awaiting());
  upstream(w::close_complete());
  EXPECT_FALSE(p_.awaiting());
}

}  // namespace
