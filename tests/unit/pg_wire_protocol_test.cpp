// The v3 protocol codec against byte sequences written out by hand from the PostgreSQL
// documentation (55.7 "Message Formats"): lengths include themselves, integers big-endian.
#include <gtest/gtest.h>

#include <string>

#include "base/error.h"
#include "pg/wire_protocol.h"

namespace w = cu::pg::wire;
using namespace std::string_literals;

namespace {

std::vector<w::Message> drain(w::Framer& f) {
  std::vector<w::Message> out;
  while (auto m = f.next()) out.push_back(*m);
  return out;
}

}  // namespace

TEST(PgWire, BuildsFrontendRequestsExactly) {
  // SSLRequest: length 8, code 1234<<16 | 5679 = 0x04D2162F.
  EXPECT_EQ(w::ssl_request(), "\x00\x00\x00\x08\x04\xd2\x16\x2f"s);
  // CancelRequest: length 16, code 1234<<16 | 5678 = 0x04D2162E, pid, key.
  EXPECT_EQ(w::cancel_request(0x01020304, 0x0A0B0C0D),
            "\x00\x00\x00\x10\x04\xd2\x16\x2e\x01\x02\x03\x04\x0a\x0b\x0c\x0d"s);
  EXPECT_EQ(w::query("select 1"), "Q\x00\x00\x00\x0dselect 1\x00"s);
  EXPECT_EQ(w::sync(), "S\x00\x00\x00\x04"s);
  EXPECT_EQ(w::flush(), "H\x00\x00\x00\x04"s);
  EXPECT_EQ(w::terminate(), "X\x00\x00\x00\x04"s);
  EXPECT_EQ(w::describe('S', "s1"),
            "D\x00\x00\x00\x08S"
            "s1\x00"s);
  EXPECT_EQ(w::execute("", 0), "E\x00\x00\x00\x09\x00\x00\x00\x00\x00"s);
  EXPECT_EQ(w::parse("", "select $1", {23}),
            "P\x00\x00\x00\x15\x00select $1\x00\x00\x01\x00\x00\x00\x17"s);
  // Bind: portal, statement, 0 param formats, 0 params, 1 result format = binary.
  EXPECT_EQ(w::bind("", "", 1), "B\x00\x00\x00\x0e\x00\x00\x00\x00\x00\x00\x00\x01\x00\x01"s);
  EXPECT_EQ(w::startup_message({{"user", "u"}}),
            "\x00\x00\x00\x10\x00\x03\x00\x00user\x00u\x00\x00"s);
}

TEST(PgWire, BuildsBackendRepliesExactly) {
  EXPECT_EQ(w::ready_for_query('I'), "Z\x00\x00\x00\x05I"s);
  EXPECT_EQ(w::command_complete("UNLOAD"), "C\x00\x00\x00\x0bUNLOAD\x00"s);
  EXPECT_EQ(w::authentication_ok(), "R\x00\x00\x00\x08\x00\x00\x00\x00"s);
  EXPECT_EQ(w::parse_complete(), "1\x00\x00\x00\x04"s);
  EXPECT_EQ(w::bind_complete(), "2\x00\x00\x00\x04"s);
  EXPECT_EQ(w::close_complete(), "3\x00\x00\x00\x04"s);
  EXPECT_EQ(w::no_data(), "n\x00\x00\x00\x04"s);
  EXPECT_EQ(w::empty_query_response(), "I\x00\x00\x00\x04"s);
  EXPECT_EQ(w::parameter_description({}), "t\x00\x00\x00\x06\x00\x00"s);
  EXPECT_EQ(w::backend_key_data(7, 9), "K\x00\x00\x00\x0c\x00\x00\x00\x07\x00\x00\x00\x09"s);
  EXPECT_EQ(w::parameter_status("a", "b"),
            "S\x00\x00\x00\x08"
            "a\x00"
            "b\x00"s);
  EXPECT_EQ(w::data_row({"42", std::nullopt}),
            "D\x00\x00\x00\x10\x00\x02\x00\x00\x00\x02"
            "42\xff\xff\xff\xff"s);
  EXPECT_EQ(w::notice_response("INFO", "00000", "hi"),
            "N\x00\x00\x00\x1cSINFO\x00VINFO\x00"
            "C00000\x00Mhi\x00\x00"s);
  // RowDescription of one int8 column "n": name, table oid 0, attnum 0, oid 20, len 8,
  // typmod -1, text format.
  w::Column c;
  c.name = "n";
  c.type_oid = 20;
  c.type_len = 8;
  EXPECT_EQ(w::row_description({c}),
            "T\x00\x00\x00\x1a\x00\x01n\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x14\x00\x08"
            "\xff\xff\xff\xff\x00\x00"s);
}

TEST(PgWire, FramesMessagesSplitAtEveryByte) {
  std::string stream = w::startup_message({{"user", "alice"}, {"database", "tickit"}}) +
                       w::query("select 1") + w::sync() + w::terminate();
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    w::Framer f(w::Framer::Mode::kStartup);
    std::vector<std::string> raws;
    std::vector<char> types;
    auto take = [&] {
      while (auto m = f.next()) {
        raws.emplace_back(m->raw);
        types.push_back(m->type);
        if (m->type == 0) {
          auto p = w::parse_startup(*m);
          ASSERT_EQ(p.kind, w::StartupKind::kStartup);
          EXPECT_EQ(p.parameter("user"), "alice");
          EXPECT_EQ(p.parameter("database"), "tickit");
          f.expect_typed();
        }
      }
    };
    f.feed(std::string_view(stream).substr(0, cut));
    take();
    f.feed(std::string_view(stream).substr(cut));
    take();
    ASSERT_EQ(types, (std::vector<char>{0, 'Q', 'S', 'X'})) << "cut at " << cut;
    std::string joined;
    for (auto& r : raws) joined += r;
    EXPECT_EQ(joined, stream);
    EXPECT_EQ(f.buffered(), 0u);
  }
}

TEST(PgWire, ParsesStartupRequests) {
  w::Framer f(w::Framer::Mode::kStartup);
  f.feed("\x00\x00\x00\x08\x04\xd2\x16\x2f"s);  // SSLRequest
  f.feed("\x00\x00\x00\x08\x04\xd2\x16\x30"s);  // GSSENCRequest
  f.feed("\x00\x00\x00\x10\x04\xd2\x16\x2e\x00\x00\x30\x39\xde\xad\xbe\xef"s);
  auto ms = drain(f);
  ASSERT_EQ(ms.size(), 3u);
  EXPECT_EQ(w::parse_startup(ms[0]).kind, w::StartupKind::kSsl);
  EXPECT_EQ(w::parse_startup(ms[1]).kind, w::StartupKind::kGssEnc);
  auto c = w::parse_startup(ms[2]);
  EXPECT_EQ(c.kind, w::StartupKind::kCancel);
  EXPECT_EQ(c.cancel_pid, 12345u);
  EXPECT_EQ(c.cancel_key, 0xdeadbeefu);
}

TEST(PgWire, ParsesExtendedProtocolMessages) {
  w::Framer f;
  f.feed(w::parse("s1", "unload ('select 1') to '/tmp/x'", {}) + w::bind("p1", "s1") +
         w::describe('P', "p1") + w::execute("p1", 10) + w::close('S', "s1"));
  auto ms = drain(f);
  ASSERT_EQ(ms.size(), 5u);
  auto p = w::parse_parse(ms[0]);
  EXPECT_EQ(p.statement, "s1");
  EXPECT_EQ(p.query, "unload ('select 1') to '/tmp/x'");
  auto b = w::parse_bind(ms[1]);
  EXPECT_EQ(b.portal, "p1");
  EXPECT_EQ(b.statement, "s1");
  EXPECT_EQ(b.result_formats, (std::vector<int16_t>{0}));
  EXPECT_EQ(b.result_format(3), 0);
  auto d = w::parse_describe(ms[2]);
  EXPECT_EQ(d.what, 'P');
  EXPECT_EQ(d.name, "p1");
  auto e = w::parse_execute(ms[3]);
  EXPECT_EQ(e.portal, "p1");
  EXPECT_EQ(e.max_rows, 10);
  auto c = w::parse_close(ms[4]);
  EXPECT_EQ(c.what, 'S');
  EXPECT_EQ(c.name, "s1");
}

TEST(PgWire, ParsesBackendMessages) {
  w::Framer f;
  f.feed(
      "E\x00\x00\x00\x24SERROR\x00"
      "C42601\x00Msyntax error\x00P7\x00\x00"s);
  f.feed("Z\x00\x00\x00\x05T"s);
  f.feed(
      "C\x00\x00\x00\x0b"
      "COPY 3\x00\x00\x00\x00"s.substr(0, 12));
  f.feed("K\x00\x00\x00\x0c\x00\x00\x04\xd2\x00\x00\x16\x2e"s);
  f.feed("H\x00\x00\x00\x09\x01\x00\x01\x00\x01"s);
  f.feed("D\x00\x00\x00\x0f\x00\x02\x00\x00\x00\x01x\xff\xff\xff\xff"s);
  auto ms = drain(f);
  ASSERT_EQ(ms.size(), 6u);
  auto e = w::parse_error_fields(ms[0]);
  EXPECT_EQ(e.get('S'), "ERROR");
  EXPECT_EQ(e.get('C'), "42601");
  EXPECT_EQ(e.get('M'), "syntax error");
  EXPECT_EQ(e.get('P'), "7");
  EXPECT_EQ(w::error_response(e), std::string(ms[0].raw));
  EXPECT_EQ(w::parse_ready_for_query(ms[1]), 'T');
  EXPECT_EQ(w::parse_command_complete(ms[2]), "COPY 3");
  auto k = w::parse_backend_key_data(ms[3]);
  EXPECT_EQ(k.pid, 1234u);
  EXPECT_EQ(k.key, 5678u);
  auto cr = w::parse_copy_response(ms[4]);
  EXPECT_EQ(cr.overall_format, 1);
  EXPECT_EQ(cr.column_formats, (std::vector<int16_t>{1}));
  auto row = w::parse_data_row(ms[5]);
  ASSERT_EQ(row.size(), 2u);
  EXPECT_EQ(*row[0], "x");
  EXPECT_FALSE(row[1].has_value());
}

TEST(PgWire, RowDescriptionRoundTrips) {
  w::Column a{"id", 16384, 1, 23, 4, -1, 0};
  w::Column b{"name", 16384, 2, 1043, -1, 68, 0};
  w::Framer f;
  f.feed(w::row_description({a, b}));
  auto m = f.next();
  ASSERT_TRUE(m);
  auto cols = w::parse_row_description(*m);
  ASSERT_EQ(cols.size(), 2u);
  EXPECT_EQ(cols[1].name, "name");
  EXPECT_EQ(cols[1].type_oid, 1043u);
  EXPECT_EQ(cols[1].type_mod, 68);
  EXPECT_EQ(cols[0].attnum, 1);
}

TEST(PgWire, RejectsImpossibleLengthsAndTruncatedBodies) {
  w::Framer f;
  f.feed("Q\x00\x00\x00\x02"s);  // length below 4
  EXPECT_THROW(f.next(), cu::Error);
  w::Framer g;
  g.feed("Z\x00\x00\x00\x04"s);  // ReadyForQuery without its status byte
  auto m = g.next();
  ASSERT_TRUE(m);
  EXPECT_THROW(w::parse_ready_for_query(*m), cu::Error);
  w::Framer h;
  h.feed(
      "Q\x00\x00\x00\x08"
      "abcd"s);  // string without NUL
  auto q = h.next();
  ASSERT_TRUE(q);
  EXPECT_THROW(w::parse_query(*q), cu::Error);
}

TEST(PgWire, WaitsForTheWholeMessage) {
  w::Framer f;
  std::string m = w::copy_data(std::string(100000, 'x'));
  f.feed(std::string_view(m).substr(0, 50000));
  EXPECT_FALSE(f.next());
  f.feed(std::string_view(m).substr(50000));
  auto got = f.next();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->type, 'd');
  EXPECT_EQ(got->body.size(), 100000u);
}

TEST(PgWire, ParsesBindWithParametersAndResultFormats) {
  // Bind "" "st": 1 param format (binary), 2 params ("ab", NULL), 2 result formats (0, 1).
  std::string body =
      "\x00st\x00\x00\x01\x00\x01\x00\x02\x00\x00\x00\x02"
      "ab"
      "\xff\xff\xff\xff\x00\x02\x00\x00\x00\x01"s;
  std::string msg = "B\x00\x00\x00"s + static_cast<char>(body.size() + 4) + body;
  w::Framer f;
  f.feed(msg);
  auto m = f.next();
  ASSERT_TRUE(m);
  auto b = w::parse_bind(*m);
  EXPECT_EQ(b.portal, "");
  EXPECT_EQ(b.statement, "st");
  EXPECT_EQ(b.result_formats, (std::vector<int16_t>{0, 1}));
  EXPECT_EQ(b.result_format(0), 0);
  EXPECT_EQ(b.result_format(1), 1);
}
