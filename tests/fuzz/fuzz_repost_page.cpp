// parse_repost_page and parse_weibo_error on any answer body: MalformedPage,
// or a page whose reposts are each one line of valid UTF-8 that parses back,
// as a page of its own, to itself (same bytes, same id); the in-place parse
// agrees with the copying one; parse_weibo_error never throws.

#include <simdjson.h>

#include <cstring>

#include "fuzz_support.hpp"
#include "reposts/repost_page.hpp"

namespace fuzz = rankpool::fuzz;
namespace reposts = rankpool::reposts;

namespace {

void check_repost(const reposts::Repost& repost) {
  const std::string& json = repost.json;
  if (json.size() < 2 || json.front() != '{' || json.back() != '}') fuzz::fail("a repost is not an object: " + json);
  if (json.find_first_of("\r\n") != std::string::npos) fuzz::fail("a repost spans lines: " + json);
  if (!simdjson::validate_utf8(json.data(), json.size())) fuzz::fail("a repost is not UTF-8: " + json);
  if (repost.id <= 0) fuzz::fail("a repost id <= 0");
  // What the client writes must read back as what the server sent.
  const auto again = reposts::parse_repost_page(R"({"reposts":[)" + json + R"(],"total_number":1})");
  if (again.reposts.size() != 1 || again.reposts[0] != repost) fuzz::fail("a repost does not parse to itself: " + json);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto body = fuzz::as_text(data, size);
  bool parsed = false;
  reposts::RepostPage page;
  fuzz::expect_only<reposts::MalformedPage>([&] {
    page = reposts::parse_repost_page(body);
    parsed = true;
    if (page.total_number < 0) fuzz::fail("negative total_number");
    if (page.next_cursor < 0) fuzz::fail("negative next_cursor");
    for (const auto& repost : page.reposts) check_repost(repost);
  });
  std::string copy(body);
  bool parsed_in_place = false;
  fuzz::expect_only<reposts::MalformedPage>([&] {
    const auto in_place = reposts::parse_repost_page_in_place(copy);
    parsed_in_place = true;
    if (!parsed || in_place.total_number != page.total_number || in_place.next_cursor != page.next_cursor ||
        in_place.reposts != page.reposts)
      fuzz::fail("in place and copying parses differ");
  });
  if (parsed != parsed_in_place) fuzz::fail("in place and copying parses disagree on validity");
  try {
    (void)reposts::parse_weibo_error(body);
  } catch (const std::exception& e) {
    fuzz::fail("parse_weibo_error threw " + fuzz::type_name(e) + ": " + e.what());
  }
  return 0;
}
