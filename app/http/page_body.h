// A Beast body for pages and documents served from the cache: a short head this response
// adds, the shared cached bytes (owned by a shared_ptr, so an entry evicted meanwhile stays
// alive until the write ends), and a short tail (the cache metadata). The cached bytes are
// neither copied nor re-encoded: they go to the socket as one buffer of three.
#pragma once

#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>
#include <memory>
#include <string>
#include <string_view>

namespace folio::app {

struct SharedPageBody {
  struct value_type {
    std::string head;
    std::shared_ptr<const std::string> owner;  // keeps `shared` alive
    std::string_view shared;                   // a view into *owner
    std::string tail;
  };

  static std::uint64_t size(const value_type& body) {
    return body.head.size() + body.shared.size() + body.tail.size();
  }

  class writer {
   public:
    using const_buffers_type = std::array<boost::asio::const_buffer, 3>;

    template <bool isRequest, class Fields>
    writer(const boost::beast::http::header<isRequest, Fields>&, const value_type& body)
        : body_(body) {}

    void init(boost::beast::error_code& ec) { ec = {}; }

    boost::optional<std::pair<const_buffers_type, bool>> get(boost::beast::error_code& ec) {
      ec = {};
      if (done_) return boost::none;
      done_ = true;
      return std::make_pair(
          const_buffers_type{boost::asio::buffer(body_.head.data(), body_.head.size()),
                             boost::asio::buffer(body_.shared.data(), body_.shared.size()),
                             boost::asio::buffer(body_.tail.data(), body_.tail.size())},
          false);
    }

   private:
    const value_type& body_;
    bool done_ = false;
  };
};

}  // namespace folio::app
