#include <algorithm>
#include <utility>

#include "reposts/detail/mock_impl.hpp"

namespace rankpool::reposts {

std::shared_ptr<const std::string> MockPageCache::get(const MockPageQuery& query) {
  const Key key{query.post_id, query.total, query.reachable, query.page, query.count};
  {
    std::lock_guard lock(mutex_);
    if (auto it = pages_.find(key); it != pages_.end()) return it->second;
  }
  // Rendered outside the lock; two threads may render the same page once each.
  auto body = std::make_shared<const std::string>(mock_page_body(query));
  std::lock_guard lock(mutex_);
  if (pages_.emplace(key, body).second) {
    order_.push_back(key);
    bytes_ += body->size();
    while (bytes_ > kLimit && order_.size() > 1) {
      auto oldest = pages_.find(order_.front());
      bytes_ -= oldest->second->size();
      pages_.erase(oldest);
      order_.pop_front();
    }
  }
  return body;
}

// Serves `pieces` back to back as one fixed-length body: no copy per answer,
// and httplib compresses only bodies it holds itself, so none here.
void send_pieces(httplib::Response& res, std::vector<std::shared_ptr<const std::string>> pieces) {
  std::size_t size = 0;
  for (const auto& piece : pieces) size += piece->size();
  res.set_content_provider(
      size, kJson, [pieces = std::move(pieces)](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
        for (const auto& piece : pieces) {
          if (length == 0) break;
          if (offset >= piece->size()) {
            offset -= piece->size();
            continue;
          }
          const std::size_t n = std::min(length, piece->size() - offset);
          if (!sink.write(piece->data() + offset, n)) return false;
          offset = 0;
          length -= n;
        }
        return true;
      });
}

void MockWeiboServer::Impl::respond(httplib::Response& res, Answer normal) {
  res.status = normal.status;
  if (normal.rate_limited && !options_.retry_after.empty()) res.set_header("Retry-After", options_.retry_after);
  if (!normal.page) {
    res.set_content(*normal.body, kJson);
  } else if (padding_) {
    // The page without its closing brace, then the padding field and the brace.
    auto head = std::make_shared<const std::string>(normal.body->substr(0, normal.body->size() - 1));
    send_pieces(res, {std::move(head), padding_});
  } else {
    send_pieces(res, {std::move(normal.body)});
  }
}

}  // namespace rankpool::reposts
