// The personal-data detectors (unload/pii.h): each against published example values (test
// card numbers of the card networks, the IBAN registry's examples, documentation address
// ranges), the false-positive controls, the server regexes against the client checks (with
// the C library's POSIX regular expressions), the column-name rules and the policy.
#include <gtest/gtest.h>
#include <regex.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "unload/pii.h"

namespace cu::unload {
namespace {

bool client(PiiDetector d, std::string_view v) { return detector(d).matches(v); }

// The server's regex of `d`, as POSIX extended regular expressions read it.
bool server(PiiDetector d, const std::string& v) {
  regex_t re;
  std::string pattern(detector(d).sql_regex);
  EXPECT_EQ(regcomp(&re, pattern.c_str(), REG_EXTENDED | REG_NOSUB), 0) << pattern;
  bool hit = regexec(&re, v.c_str(), 0, nullptr, 0) == 0;
  regfree(&re);
  return hit;
}

TEST(PiiDetectors, EmailAddresses) {
  for (const char* v : {"ann@example.com", "Etiam.laoreet.libero@sodalesMaurisblandit.edu",
                        "write to first.last+tag@sub.example.co.uk today", "x_y%z@a-b.org"}) {
    EXPECT_TRUE(client(PiiDetector::kEmail, v)) << v;
    EXPECT_TRUE(server(PiiDetector::kEmail, v)) << v;
  }
  for (const char* v : {"a@b", "x@example.c", "@example.com", "user@", "me at example dot com",
                        "user@.example.com"}) {
    EXPECT_FALSE(client(PiiDetector::kEmail, v)) << v;
    EXPECT_FALSE(server(PiiDetector::kEmail, v)) << v;
  }
}

TEST(PiiDetectors, PhoneNumbers) {
  for (const char* v :
       {"+44 20 7946 0958", "+14155552671", "+1 (555) 123-4567", "(664) 602-4412",
        "call 555-123-4567 now", "555.123.4567", "020 7946 0958", "030 1234567", "+49 30 901820"}) {
    EXPECT_TRUE(client(PiiDetector::kPhone, v)) << v;
    EXPECT_TRUE(server(PiiDetector::kPhone, v)) << v;
  }
  for (const char* v :
       {"2024-01-15 10:20:30+00", "2024-01-15T10:20:30.123456Z", "+12345", "1234567",
        "12345678901234567890", "555-1234", "+0 123 456 789", "order 4711-2024-15"}) {
    EXPECT_FALSE(client(PiiDetector::kPhone, v)) << v;
    EXPECT_FALSE(server(PiiDetector::kPhone, v)) << v;
  }
}

TEST(PiiDetectors, CardNumbersPassTheLuhnCheck) {
  // The networks' published test numbers.
  for (const char* v :
       {"4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111", "5555555555554444",
        "2223003122003222", "378282246310005", "6011111111111117", "3530111333300000",
        "4012888888881881", "paid with 5105105105105100."}) {
    EXPECT_TRUE(client(PiiDetector::kCard, v)) << v;
    EXPECT_TRUE(server(PiiDetector::kCard, v)) << v;
  }
  // The right shape, failing Luhn: product codes. The server's regex (a shape) matches them.
  for (const char* v : {"4111111111111112", "5555555555554440", "4000123412341235"}) {
    EXPECT_FALSE(client(PiiDetector::kCard, v)) << v;
    EXPECT_TRUE(server(PiiDetector::kCard, v)) << v;
  }
  // Neither: too short, too long, not a network's first digit, a timestamp.
  for (const char* v :
       {"411111111111", "41111111111111111111", "1234567890123452", "20240115102030123",
        "20240115102030", "9111111111111111", "1234567890123452"}) {
    EXPECT_FALSE(client(PiiDetector::kCard, v)) << v;
    EXPECT_FALSE(server(PiiDetector::kCard, v)) << v;
  }
  EXPECT_TRUE(luhn_valid("79927398713"));  // the textbook example
  EXPECT_FALSE(luhn_valid("79927398710"));
  EXPECT_FALSE(luhn_valid(""));
}

TEST(PiiDetectors, IbansPassTheMod97Check) {
  // The IBAN registry's examples.
  for (const char* v :
       {"GB82WEST12345698765432", "GB82 WEST 1234 5698 7654 32", "DE89370400440532013000",
        "DE89 3704 0044 0532 0130 00", "FR1420041010050500013M02606", "NO9386011117947",
        "NL91ABNA0417164300", "to CH9300762011623852957 please"}) {
    EXPECT_TRUE(client(PiiDetector::kIban, v)) << v;
    EXPECT_TRUE(server(PiiDetector::kIban, v)) << v;
  }
  for (const char* v : {"GB82WEST12345698765433", "DE89370400440532013001"}) {
    EXPECT_FALSE(client(PiiDetector::kIban, v)) << v;
    EXPECT_TRUE(server(PiiDetector::kIban, v)) << v;  // the shape only
  }
  for (const char* v :
       {"gb82west12345698765432", "GB82", "SKU AB12 CDEF", "XGB82WEST12345698765432"}) {
    EXPECT_FALSE(client(PiiDetector::kIban, v)) << v;
    EXPECT_FALSE(server(PiiDetector::kIban, v)) << v;
  }
  EXPECT_TRUE(iban_checksum_valid("GB82WEST12345698765432"));
  EXPECT_FALSE(iban_checksum_valid("GB82WEST1234569876543!"));
}

TEST(PiiDetectors, SocialSecurityNumbers) {
  for (const char* v : {"078-05-1120", "123-45-6789", "ssn 219-09-9999.", "665-12-3456"}) {
    EXPECT_TRUE(client(PiiDetector::kSsn, v)) << v;
    EXPECT_TRUE(server(PiiDetector::kSsn, v)) << v;
  }
  for (const char* v : {"000-12-3456", "666-12-3456", "900-12-3456", "123-00-4567", "123-45-0000",
                        "123456789", "1123-45-6789", "2024-01-15"}) {
    EXPECT_FALSE(client(PiiDetector::kSsn, v)) << v;
    EXPECT_FALSE(server(PiiDetector::kSsn, v)) << v;
  }
}

TEST(PiiDetectors, Ipv4Addresses) {
  for (const char* v : {"192.0.2.1", "from 10.0.0.1.", "198.51.100.255:443", "0.0.0.0"}) {
    EXPECT_TRUE(client(PiiDetector::kIpv4, v)) << v;
    EXPECT_TRUE(server(PiiDetector::kIpv4, v)) << v;
  }
  for (const char* v : {"256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "10:20:30.123", "3.14159"}) {
    EXPECT_FALSE(client(PiiDetector::kIpv4, v)) << v;
    EXPECT_FALSE(server(PiiDetector::kIpv4, v)) << v;
  }
}

TEST(PiiDetectors, Ipv6Addresses) {
  for (const char* v :
       {"2001:db8::1", "fe80::1ff:fe23:4567:890a", "::1", "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
        "host 2001:db8::8a2e:370:7334."}) {
    EXPECT_TRUE(client(PiiDetector::kIpv6, v)) << v;
    EXPECT_TRUE(server(PiiDetector::kIpv6, v)) << v;
  }
  for (const char* v :
       {"12:30:45", "std::map", "aa:bb:cc:dd:ee:ff", "2024-01-15T10:20:30Z", "::", "a:b"}) {
    EXPECT_FALSE(client(PiiDetector::kIpv6, v)) << v;
    EXPECT_FALSE(server(PiiDetector::kIpv6, v)) << v;
  }
}

TEST(PiiDetectors, NumericIdsAndTimestampsMatchNothing) {
  std::vector<PiiColumn> cols = {{"v", true, false}};
  PiiScan scan(cols, {});
  for (const char* v : {"1", "49990", "123456789", "9876543210123", "2024-01-15 10:20:30",
                        "2024-01-15 10:20:30.123456+00", "2008-06-03T14:00:00Z", "18:30:00",
                        "JSG99FHE", "3.14159265358979", "-1234567.89"}) {
    scan.add(0, v);
    for (const auto& d : detectors()) {
      if (d.matches) {
        EXPECT_FALSE(d.matches(v)) << d.name << ": " << v;
      }
    }
  }
  EXPECT_TRUE(scan.findings().empty());
}

// The scan's first pass (which detectors can match at all) lets every detector see the
// shortest value it matches.
TEST(PiiDetectors, ScanCountsWhatEachDetectorMatches) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"a@b.co", "email"},      {"+14155552671", "phone"},   {"555.123.4567", "phone"},
      {"030 1234567", "phone"}, {"378282246310005", "card"}, {"NO9386011117947", "iban"},
      {"078-05-1120", "ssn"},   {"1.2.3.4", "ipv4"},         {"::1", "ipv6"},
  };
  for (const auto& [value, want] : cases) {
    PiiScan scan({{"v", true, false}}, {});
    scan.add(0, value);
    auto f = scan.findings();
    ASSERT_EQ(f.size(), 1u) << value;
    EXPECT_EQ(f[0].detector, want) << value;
    EXPECT_EQ(f[0].matched, 1u) << value;
  }
}

TEST(PiiDetectors, ServerRegexesAreSafeLiteralsInBothDialects) {
  for (const auto& d : detectors()) {
    EXPECT_EQ(d.sql_regex.find('\\'), std::string_view::npos) << d.name;
    EXPECT_EQ(d.sql_regex.find('\''), std::string_view::npos) << d.name;
    EXPECT_EQ(d.sql_regex.empty(), d.matches == nullptr) << d.name;
  }
}

TEST(PiiColumnNames, FlagByName) {
  EXPECT_EQ(detector_by_name("email"), PiiDetector::kEmail);
  EXPECT_EQ(detector_by_name("Contact_Email_Address"), PiiDetector::kEmail);
  EXPECT_EQ(detector_by_name("phone"), PiiDetector::kPhone);
  EXPECT_EQ(detector_by_name("home_telephone"), PiiDetector::kPhone);
  EXPECT_EQ(detector_by_name("ssn"), PiiDetector::kSsn);
  EXPECT_EQ(detector_by_name("iban"), PiiDetector::kIban);
  EXPECT_EQ(detector_by_name("dob"), PiiDetector::kBirthDate);
  EXPECT_EQ(detector_by_name("birthdate"), PiiDetector::kBirthDate);
  EXPECT_EQ(detector_by_name("date_of_birth"), PiiDetector::kBirthDate);
  EXPECT_EQ(detector_by_name("card_number"), PiiDetector::kCard);
  EXPECT_EQ(detector_by_name("creditcard"), PiiDetector::kCard);
  for (const char* n : {"userid", "username", "firstname", "city", "venueseats", "likesports",
                        "shipdate", "discard_flag", "lessons", "pancake"}) {
    EXPECT_EQ(detector_by_name(n), std::nullopt) << n;
  }
}

TEST(PiiPolicy, ThresholdAllowWarnAndMasked) {
  std::vector<PiiColumn> cols = {{"notes", true, false},
                                 {"email", true, false},
                                 {"userid", false, false},
                                 {"dob", false, false}};
  PiiSettings s;
  PiiScan scan(cols, s);
  // notes: 5 of 100 hold an e-mail address: exactly the 5 % threshold.
  for (int i = 0; i < 100; ++i) {
    scan.add(0, i < 5 ? "mail me: ann@example.com" : "nothing here");
  }
  std::vector<PiiFinding> f = scan.findings();
  ASSERT_EQ(f.size(), 3u);  // notes (values), email (name), dob (name)
  EXPECT_EQ(f[0].column, "notes");
  EXPECT_EQ(f[0].detector, "email");
  EXPECT_EQ(f[0].matched, 5u);
  EXPECT_EQ(f[0].checked, 100u);
  EXPECT_DOUBLE_EQ(f[0].share, 0.05);
  EXPECT_FALSE(f[0].by_name);
  EXPECT_EQ(f[0].decision, "refused");
  EXPECT_EQ(f[1].column, "email");
  EXPECT_TRUE(f[1].by_name);
  EXPECT_EQ(f[2].detector, "date of birth");

  // Below the threshold (4 of 100) the values do not flag it.
  PiiScan below(cols, s);
  for (int i = 0; i < 100; ++i) {
    below.add(0, i < 4 ? "ann@example.com" : "-");
  }
  EXPECT_EQ(below.findings({"email", "dob"}).size(), 0u);

  s.allow = {"email"};
  s.policy = PiiPolicy::kWarn;
  PiiScan warn(cols, s);
  warn.add(0, "ann@example.com");
  f = warn.findings({"dob"});
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].decision, "warned");
  EXPECT_EQ(f[1].decision, "allowed");
  EXPECT_NO_THROW(refuse_if_flagged(f, "s3://b/p"));
}

TEST(PiiPolicy, RefusalNamesColumnsAndFixesNeverValues) {
  std::vector<PiiColumn> cols = {{"contact", true, false}};
  PiiScan scan(cols, {});
  scan.add(0, "+44 20 7946 0958");
  scan.add(0, "ann@example.com");
  scan.add(0, "+1 415 555 2671");
  try {
    refuse_if_flagged(scan.findings(), "s3://b/p");
    FAIL() << "not refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    std::string w = e.what();
    EXPECT_NE(w.find("column contact: phone in 66.7 % of 3 checked values"), std::string::npos)
        << w;
    EXPECT_NE(w.find("--mask contact=hash"), std::string::npos) << w;
    EXPECT_NE(w.find("--allow-pii contact"), std::string::npos) << w;
    EXPECT_EQ(w.find("7946"), std::string::npos) << w;
    EXPECT_EQ(w.find("example.com"), std::string::npos) << w;
  }
}

TEST(PiiPolicy, ThresholdWords) {
  EXPECT_DOUBLE_EQ(*parse_pii_threshold("5%"), 0.05);
  EXPECT_DOUBLE_EQ(*parse_pii_threshold("0.5 %"), 0.005);
  EXPECT_DOUBLE_EQ(*parse_pii_threshold("100"), 1.0);
  EXPECT_FALSE(parse_pii_threshold("0"));
  EXPECT_FALSE(parse_pii_threshold("101%"));
  EXPECT_FALSE(parse_pii_threshold("five"));
}

TEST(PiiSample, OneAggregateQueryAndItsCounts) {
  std::vector<PiiColumn> cols = {{"id", false, false}, {"notes", true, false}, {"doc", true, true}};
  PiiSettings s;
  s.sample_rows = 500;
  PiiScan scan(cols, s);
  std::string sql = sample_sql("select * from t", scan);
  EXPECT_NE(sql.find("count(\"notes\")"), std::string::npos) << sql;
  EXPECT_NE(sql.find("cast(\"doc\" as text) ~ '"), std::string::npos) << sql;
  EXPECT_NE(sql.find("limit 500"), std::string::npos) << sql;
  EXPECT_EQ(sql.find("\"id\""), std::string::npos) << sql;
  // 2 columns x (1 count + 7 regex detectors).
  std::vector<std::optional<std::string>> row(16, std::string("0"));
  row[0] = "10";
  row[1] = "9";  // notes: 9 of 10 e-mail addresses
  row[8] = "4";
  row[9] = std::nullopt;  // sum over no rows
  read_sample_counts(scan, row);
  auto f = scan.findings();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].column, "notes");
  EXPECT_EQ(f[0].matched, 9u);
  EXPECT_EQ(f[0].checked, 10u);
}

}  // namespace
}  // namespace cu::unload
