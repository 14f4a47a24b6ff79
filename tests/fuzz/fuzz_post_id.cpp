// parse_post_id: any text is an id > 0 written in plain digits, or an InputError.

#include <algorithm>
#include <string>

#include "fuzz_support.hpp"
#include "reposts/errors.hpp"
#include "reposts/inputs.hpp"

namespace fuzz = rankpool::fuzz;
namespace reposts = rankpool::reposts;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz::as_text(data, size);
  fuzz::expect_only<reposts::InputError>([&] {
    const auto id = reposts::parse_post_id(text);
    if (id <= 0) fuzz::fail("id " + std::to_string(id) + " accepted");
    auto digits = text.substr(std::min(text.find_first_not_of('0'), text.size()));
    if (std::to_string(id) != digits) fuzz::fail("id " + std::to_string(id) + " is not the text");
  });
  return 0;
}
