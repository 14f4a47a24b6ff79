#include "factorial/number_list.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "rankpool/errors.hpp"

namespace rankpool::factorial {

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::uint64_t parse_n(std::string_view text, std::string_view item, const std::string& where = "--numbers") {
  text = trim(text);
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    if (error == std::errc::result_out_of_range)
      throw UsageError(where + ": '" + std::string(item) + "' is larger than " + std::to_string(kMaxN));
    throw UsageError(where + ": '" + std::string(item) + "' is not a number or a range a-b");
  }
  if (value > kMaxN)
    throw UsageError(where + ": " + std::to_string(value) + " is larger than the limit " + std::to_string(kMaxN));
  return value;
}

bool is_separator(char c) { return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

NumberList NumberList::parse(std::string_view text) {
  NumberList list;
  if (trim(text).empty()) throw UsageError("--numbers: the list is empty");
  std::size_t begin = 0;
  while (begin <= text.size()) {
    std::size_t comma = text.find(',', begin);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string_view item = trim(text.substr(begin, comma - begin));
    if (item.empty()) throw UsageError("--numbers: empty item in '" + std::string(text) + "'");
    list.add_item(item, "--numbers");
    begin = comma + 1;
  }
  return list;
}

NumberList NumberList::parse_file(std::string_view text, const std::string& name) {
  NumberList list;
  std::size_t line = 1;
  std::size_t at = 0;
  while (at < text.size()) {
    if (is_separator(text[at])) {
      line += text[at] == '\n';
      ++at;
      continue;
    }
    std::size_t end = at;
    while (end < text.size() && !is_separator(text[end])) ++end;
    list.add_item(text.substr(at, end - at), "--numbers-file " + name + ": line " + std::to_string(line));
    at = end;
  }
  if (list.size() == 0) throw UsageError("--numbers-file " + name + ": no numbers in it");
  return list;
}

void NumberList::add_item(std::string_view item, const std::string& where) {
  const std::size_t dash = item.find('-');
  if (dash == std::string_view::npos) {
    const std::uint64_t n = parse_n(item, item, where);
    add(n, n);
    return;
  }
  const std::uint64_t first = parse_n(item.substr(0, dash), item, where);
  const std::uint64_t last = parse_n(item.substr(dash + 1), item, where);
  if (first > last) throw UsageError(where + ": range '" + std::string(item) + "' runs backwards");
  add(first, last);
}

NumberList NumberList::upto(std::int64_t n) {
  if (n < 1) throw UsageError("--upto must be at least 1, not " + std::to_string(n));
  if (static_cast<std::uint64_t>(n) > kMaxN)
    throw UsageError("--upto " + std::to_string(n) + " is larger than the limit " + std::to_string(kMaxN));
  NumberList list;
  list.add(1, static_cast<std::uint64_t>(n));
  return list;
}

void NumberList::add(std::uint64_t first, std::uint64_t last) {
  // 1,2,3,… from a long list costs one range, not a million.
  if (!ranges_.empty() && ranges_.back().second + 1 == first) {
    ranges_.back().second = last;
    total_ += last - first + 1;
    return;
  }
  ranges_.emplace_back(first, last);
  starts_.push_back(total_);
  total_ += last - first + 1;
}

std::uint64_t NumberList::at(std::uint64_t position) const {
  if (position >= total_) throw std::out_of_range("factorial task " + std::to_string(position) + " out of range");
  const auto range = std::upper_bound(starts_.begin(), starts_.end(), position) - starts_.begin() - 1;
  return ranges_[static_cast<std::size_t>(range)].first + (position - starts_[static_cast<std::size_t>(range)]);
}

std::uint64_t NumberList::max() const noexcept {
  std::uint64_t out = 0;
  for (const auto& range : ranges_) out = std::max(out, range.second);
  return out;
}

}  // namespace rankpool::factorial
