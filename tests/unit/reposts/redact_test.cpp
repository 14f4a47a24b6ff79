#include "reposts/redact.hpp"

#include <gtest/gtest.h>

namespace rankpool::reposts {
namespace {

TEST(RedactUrl, ReplacesTokenValue) {
  EXPECT_EQ(redact_url("https://api.weibo.com/2/x.json?id=1&access_token=abc"),
            "https://api.weibo.com/2/x.json?id=1&access_token=***");
  EXPECT_EQ(redact_url("http://h/x?access_token=abc&id=1"), "http://h/x?access_token=***&id=1");
  EXPECT_EQ(redact_url("http://h/x?ACCESS_TOKEN=abc#frag"), "http://h/x?ACCESS_TOKEN=***#frag");
  EXPECT_EQ(redact_url("a access_token=x b access_token=y"), "a access_token=*** b access_token=***");
}

TEST(RedactUrl, LeavesOtherUrlsAlone) {
  EXPECT_EQ(redact_url("http://h/x?id=1&count=2"), "http://h/x?id=1&count=2");
  EXPECT_EQ(redact_url("http://h/x?my_access_token=abc"), "http://h/x?my_access_token=abc");
  EXPECT_EQ(redact_url(""), "");
  EXPECT_EQ(redact_url("access_token="), "access_token=***");
}

TEST(RedactSecret, RemovesRawAndEncodedToken) {
  EXPECT_EQ(redact_secret("bad token a/b+c= and a%2Fb%2Bc%3D", "a/b+c="), "bad token *** and ***");
  EXPECT_EQ(redact_secret("no secret here", ""), "no secret here");
  EXPECT_EQ(redact_secret("url ?access_token=zzz", "other"), "url ?access_token=***");
}

// Servers echo tokens re-encoded their own way: lower-case hex, '+' for a
// space, some bytes escaped and others not.
TEST(RedactSecret, RemovesTheTokenInAnyUrlEncoding) {
  const std::string token = "tok/EN+s3cr3t==";
  for (const char* shown : {"tok/EN+s3cr3t==", "tok%2FEN%2Bs3cr3t%3D%3D", "tok%2fEN%2bs3cr3t%3d%3d",
                            "tok%2fEN+s3cr3t%3D=", "%74ok%2F%45N%2Bs3cr3t%3d%3D"}) {
    EXPECT_EQ(redact_secret(std::string("error: ") + shown + " is bad", token), "error: *** is bad") << shown;
  }
  EXPECT_EQ(redact_secret("a+b and a%20b and a b", "a b"), "*** and *** and ***") << "'+' for a space";
  EXPECT_EQ(redact_secret("tok%2fEN", token), "tok%2fEN") << "a part of the token is not the token";
  EXPECT_EQ(redact_secret("ab%2", "ab/"), "ab%2") << "an escape cut short";
  EXPECT_EQ(redact_secret("xx%2", "x%"), "x***2");
}

TEST(UrlEncode, KeepsUnreserved) {
  EXPECT_EQ(url_encode("2.00abc_-~"), "2.00abc_-~");
  EXPECT_EQ(url_encode("a b/c+d=&"), "a%20b%2Fc%2Bd%3D%26");
  EXPECT_EQ(url_encode("微"), "%E5%BE%AE");
}

}  // namespace
}  // namespace rankpool::reposts
