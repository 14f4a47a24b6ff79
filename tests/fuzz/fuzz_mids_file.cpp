// parse_mids_file: the input as a mids file on disk gives distinct ids > 0,
// the same as parse_mids_text of its bytes, or an InputError.

#include <set>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "reposts/errors.hpp"
#include "reposts/inputs.hpp"

namespace fuzz = rankpool::fuzz;
namespace reposts = rankpool::reposts;

namespace {

// The ids, or the rejection's message.
struct Result {
  std::vector<std::int64_t> ids;
  std::string error;
};

template <class Parse>
Result run(Parse&& parse) {
  Result out;
  fuzz::expect_only<reposts::InputError>([&] {
    try {
      out.ids = parse();
    } catch (const reposts::InputError& e) {
      out.error = e.what();
      throw;
    }
  });
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz::as_text(data, size);
  const auto file = fuzz::scratch_dir() / "mids.txt";
  fuzz::write_file(file, {}, text);

  const auto from_file = run([&] { return reposts::parse_mids_file(file); });
  const auto from_text = run([&] { return reposts::parse_mids_text(text, file.string()); });
  if (from_file.ids != from_text.ids || from_file.error != from_text.error)
    fuzz::fail("parse_mids_file and parse_mids_text disagree");
  if (from_file.error.empty()) {
    if (from_file.ids.empty()) fuzz::fail("no ids and no error");
    std::set<std::int64_t> seen;
    for (auto id : from_file.ids) {
      if (id <= 0) fuzz::fail("id " + std::to_string(id) + " accepted");
      if (!seen.insert(id).second) fuzz::fail("id " + std::to_string(id) + " repeated");
    }
  }
  return 0;
}
