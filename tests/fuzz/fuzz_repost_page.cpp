// parse_repost_page and parse_weibo_error on any answer body: a page whose
// reposts are JSON objects, or MalformedPage; parse_weibo_error never throws.

#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "reposts/repost_page.hpp"

namespace fuzz = rankpool::fuzz;
namespace reposts = rankpool::reposts;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto body = fuzz::as_text(data, size);
  fuzz::expect_only<reposts::MalformedPage>([&] {
    const auto page = reposts::parse_repost_page(body);
    if (page.total_number < 0) fuzz::fail("negative total_number");
    for (const auto& repost : page.reposts) {
      if (!nlohmann::ordered_json::parse(repost.json, nullptr, false).is_object())
        fuzz::fail("a repost's json is not an object: " + repost.json);
    }
  });
  try {
    (void)reposts::parse_weibo_error(body);
  } catch (const std::exception& e) {
    fuzz::fail("parse_weibo_error threw " + fuzz::type_name(e) + ": " + e.what());
  }
  return 0;
}
