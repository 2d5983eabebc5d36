// SCRAM-SHA-256 against RFC 7677's published exchange, and the gateway's two sides (server
// for its clients, ClientKey pass-through for the upstream) against each other.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>

#include "aws/crypto.h"
#include "gateway/scram.h"

namespace {

namespace scram = cu::gateway::scram;

// RFC 7677 section 3: user "user", password "pencil".
constexpr const char* kSaltB64 = "W22ZaJ0SNY7soEsUEjb6gQ==";
constexpr const char* kClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr const char* kServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr const char* kServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr const char* kClientFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr const char* kServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

scram::Verifier rfc_verifier() {
  // The salt's bytes, through the verifier parser (base64 in, raw bytes out).
  auto salt_only = scram::parse_verifier(std::string("SCRAM-SHA-256$4096:") + kSaltB64 +
                                         "$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:"
                                         "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
  EXPECT_TRUE(salt_only.has_value());
  return scram::make_verifier("pencil", salt_only->salt, 4096);
}

TEST(GatewayScram, ServerSideReproducesRfc7677) {
  scram::ServerExchange server(rfc_verifier(), kServerNonce);
  EXPECT_EQ(server.first(kClientFirst), kServerFirst);
  EXPECT_TRUE(server.final(kClientFinal));
  EXPECT_EQ(server.server_final(), kServerFinal);
}

TEST(GatewayScram, ClientSideWithTheClientKeyReproducesRfc7677) {
  scram::ServerExchange server(rfc_verifier(), kServerNonce);
  server.first(kClientFirst);
  ASSERT_TRUE(server.final(kClientFinal));
  // The pass-through client, knowing only the recovered ClientKey, computes the same proof
  // (its first message names no user: PostgreSQL takes it from the startup packet).
  scram::ClientExchange client(server.client_key(), rfc_verifier(), "rOprNGfwEbeRWgbNEkqO");
  EXPECT_EQ(client.first(), "n,,n=,r=rOprNGfwEbeRWgbNEkqO");
  scram::ServerExchange upstream(rfc_verifier(), kServerNonce);
  std::string server_first = upstream.first(client.first());
  std::string final_message = client.final(server_first);
  EXPECT_TRUE(upstream.final(final_message));
  EXPECT_TRUE(client.verify(upstream.server_final()));
  EXPECT_FALSE(client.verify("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="));
  EXPECT_FALSE(client.verify("e=invalid-proof"));
}

TEST(GatewayScram, WrongProofUnknownUserAndBadMessages) {
  scram::ServerExchange server(rfc_verifier(), kServerNonce);
  server.first(kClientFirst);
  std::string wrong = kClientFinal;
  wrong[wrong.size() - 5] = wrong[wrong.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(server.final(wrong));
  EXPECT_TRUE(server.client_key().empty());

  auto ghost = scram::ServerExchange::unknown_user("nobody");
  std::string first = ghost.first("n,,n=,r=abc");
  EXPECT_EQ(first.substr(0, 5), "r=abc");
  EXPECT_NE(first.find(",i=4096"), std::string::npos);
  auto salt_of = [](const std::string& server_first) {
    return server_first.substr(server_first.find(",s="));
  };
  // The salt is stable per name, as a stored one would be, and differs between names.
  EXPECT_EQ(salt_of(first),
            salt_of(scram::ServerExchange::unknown_user("nobody").first("n,,n=,r=abc")));
  EXPECT_NE(salt_of(first),
            salt_of(scram::ServerExchange::unknown_user("other").first("n,,n=,r=abc")));
  EXPECT_FALSE(ghost.final("c=biws,r=" + first.substr(2, first.find(',') - 2) +
                           ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="));

  scram::ServerExchange s2(rfc_verifier());
  EXPECT_THROW(s2.first("p=tls-server-end-point,,n=,r=x"), scram::ProtocolError);
  EXPECT_THROW(s2.first("n,a=admin,n=,r=x"), scram::ProtocolError);
  EXPECT_THROW(s2.first("n,,r=x"), scram::ProtocolError);
  scram::ServerExchange s3(rfc_verifier(), kServerNonce);
  s3.first(kClientFirst);
  EXPECT_THROW(s3.final("c=eSws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=AAAA"),
               scram::ProtocolError);  // "y,," does not match the "n,," the client sent
  EXPECT_THROW(s3.final("c=biws,r=other,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="),
               scram::ProtocolError);
}

TEST(GatewayScram, ClientsThatSupportChannelBindingSayYAndAreAccepted) {
  // libpq over TLS, offered plain SCRAM-SHA-256, sends the gs2 flag "y" and c=base64("y,,").
  auto v = scram::make_verifier("secret", "0123456789abcdef", 4096);
  scram::ServerExchange server(v);
  std::string sf = server.first("y,,n=,r=clientnonce");
  std::string nonce = sf.substr(2, sf.find(',') - 2);
  ASSERT_EQ(nonce.substr(0, 11), "clientnonce");
  std::string without_proof = "c=eSws,r=" + nonce;
  std::string auth = "n=,r=clientnonce," + sf + "," + without_proof;
  std::string key = scram::client_key("secret", "0123456789abcdef", 4096);
  std::string proof = key;
  std::string sig = cu::aws::hmac_sha256(v.stored_key, auth);
  for (size_t i = 0; i < proof.size(); ++i) proof[i] = static_cast<char>(proof[i] ^ sig[i]);
  std::string b64(44, '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                  reinterpret_cast<const unsigned char*>(proof.data()), 32);
  EXPECT_TRUE(server.final(without_proof + ",p=" + b64));
  EXPECT_EQ(server.client_key(), key);
}

TEST(GatewayScram, VerifiersRoundTripInPostgresFormat) {
  // A verifier as PostgreSQL 15 stores it for password 'pencil' with RFC 7677's salt.
  std::string text = scram::format_verifier(rfc_verifier());
  EXPECT_EQ(text.substr(0, 44), std::string("SCRAM-SHA-256$4096:") + kSaltB64 + "$");
  auto back = scram::parse_verifier(text);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(scram::format_verifier(*back), text);
  for (const char* bad : {"", "md5abcdef", "SCRAM-SHA-256$", "SCRAM-SHA-256$x:c2FsdA==$a:b",
                          "SCRAM-SHA-256$4096:c2FsdA==$AAAA:AAAA",
                          "SCRAM-SHA-256$4096:c2FsdA==", "SCRAM-SHA-256$0:c2FsdA==$a:b"}) {
    EXPECT_FALSE(scram::parse_verifier(bad).has_value()) << bad;
  }
}

}  // namespace
