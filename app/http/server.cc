#include "http/server.h"

#include <spdlog/spdlog.h>

#include <unistd.h>
#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "http/access_log.h"
#include "http/access_log_sink.h"
#include "http/connection_limits.h"
#include "http/service.h"

namespace folio::app {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t UnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// How far the access log's reader may fall behind before lines are dropped (and counted).
constexpr size_t kAccessLogPendingBytes = size_t{8} << 20;

}  // namespace

class Session;

// What sessions need of the server: config, service, metrics, and the registry that lets a
// shutdown reach every open connection.
struct ServerContext {
  const HttpConfig& config;
  int max_connections;  // config.max_connections capped by RLIMIT_NOFILE
  Service& service;
  HttpMetrics& metrics;
  std::mutex mu;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
  bool stopping = false;
  std::function<void()> on_last_session;  // called when stopping and the last session ends
  // The access log (stderr), or null when it is off; and its lines' format.
  std::shared_ptr<spdlog::logger> access_log;
  LogFormat log_format;
};

// One connection: read a request, answer it, repeat while keep-alive. Every step runs on the
// connection's thread (its io_context's only one: an implicit strand).
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, ServerContext& ctx) : stream_(std::move(socket)), ctx_(ctx) {}

  void Start() {
    SetNoDelay();
    RememberClient();
    bool late = false;
    {
      std::lock_guard lock(ctx_.mu);
      ctx_.sessions[this] = weak_from_this();
      late = ctx_.stopping;
    }
    registered_ = true;
    // Accepted as the shutdown began, after it took its list of sessions to drain: nobody
    // will drain this one, so it drains itself (an idle connection closes at once) instead of
    // holding Run() for the whole grace period.
    draining_ = late;
    ctx_.metrics.ConnectionOpened();
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->DoRead(); });
  }

  ~Session() {
    if (!registered_) return;  // a rejected connection was never counted
    ctx_.metrics.ConnectionClosed();
    bool notify = false;
    {
      std::lock_guard lock(ctx_.mu);
      ctx_.sessions.erase(this);
      notify = ctx_.stopping && ctx_.sessions.empty();
    }
    if (notify && ctx_.on_last_session) ctx_.on_last_session();
  }

  // Shutdown: an idle connection closes now; a busy one after its response.
  void Drain() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      self->draining_ = true;
      if (!self->busy_ || self->lingering_) self->Close();
    });
  }

  // The grace period is over.
  void ForceClose() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Close(); });
  }

  // Refuses the connection with 503 (over max-connections), then closes it: it is never
  // registered or counted, so it must not go on to be served.
  void Reject() {
    SetNoDelay();
    RememberClient();
    ctx_.metrics.ConnectionRejected();
    reply_ = std::make_unique<HttpReply>(
        Service::ErrorReply(503, "too many connections; try again", 11, false));
    busy_ = true;
    close_after_write_ = true;
    linger_after_write_ = true;
    started_ = NowNanos();
    method_ = "-";
    target_ = "-";
    WriteReply();
  }

 private:
  // Responses are written whole, in one call: Nagle's algorithm would only hold the last
  // segment of a response back until the client's delayed ACK (~40 ms).
  void RememberClient() {
    if (!ctx_.access_log) return;
    beast::error_code ec;
    auto peer = stream_.socket().remote_endpoint(ec);
    if (!ec) client_ = peer.address().to_string() + ":" + std::to_string(peer.port());
  }

  void SetNoDelay() {
    beast::error_code ignored;
    stream_.socket().set_option(tcp::no_delay(true), ignored);
  }

  // Waits for the next request's first byte — between keep-alive requests within the idle
  // timeout, on a new connection within the shorter of it and the request timeout — then
  // reads its header.
  void DoRead() {
    if (draining_) return Close();
    busy_ = false;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(ctx_.config.header_limit_bytes));
    parser_->body_limit(ctx_.config.body_limit_bytes);
    if (buffer_.size() > 0) return ReadHeader();  // a pipelined request is already here
    const int64_t wait_ms =
        served_ == 0 ? std::min(ctx_.config.request_timeout_ms, ctx_.config.idle_timeout_ms)
                     : ctx_.config.idle_timeout_ms;
    stream_.expires_after(std::chrono::milliseconds(wait_ms));
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->buffer_.commit(n);
                              if (ec) return self->OnReadError(ec);
                              self->ReadHeader();
                            });
  }

  // The whole header must arrive within the request timeout of its first byte, however
  // slowly it trickles: a client cannot hold a connection open by sending a byte at a time.
  void ReadHeader() {
    stream_.expires_after(std::chrono::milliseconds(ctx_.config.request_timeout_ms));
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, std::size_t) {
    if (ec) return OnReadError(ec);
    busy_ = true;
    if (parser_->get().target().size() > ctx_.config.url_limit_bytes) {
      return SendError(
          414, "URL is longer than " + std::to_string(ctx_.config.url_limit_bytes) + " bytes");
    }
    if (std::string framing = FramingError(parser_->get()); !framing.empty()) {
      return SendError(400, framing);
    }
    stream_.expires_after(std::chrono::milliseconds(ctx_.config.request_timeout_ms));
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::operation_aborted || ec == beast::error::timeout ||
        ec == net::error::connection_reset) {
      return Close();
    }
    if (ec == http::error::body_limit) {
      return SendError(
          413, "request body is over " + std::to_string(ctx_.config.body_limit_bytes) + " bytes");
    }
    if (ec == http::error::header_limit) {
      return SendError(431, "request header is over " +
                                std::to_string(ctx_.config.header_limit_bytes) + " bytes");
    }
    // Anything else is a malformed request: answer 400 and close, since the stream can no
    // longer be trusted to frame the next request.
    SendError(400, "malformed HTTP request: " + ec.message());
  }

  void SendError(unsigned status, const std::string& message) {
    busy_ = true;
    close_after_write_ = true;
    linger_after_write_ = true;  // the rest of the request may still be on its way
    reply_ = std::make_unique<HttpReply>(Service::ErrorReply(status, message, 11, false));
    started_ = NowNanos();
    method_ = "-";
    target_ = "-";
    WriteReply();
  }

  // RFC 9112 §6.1, §6.3: a request is framed by chunked as its final (here: only) transfer
  // coding, or by Content-Length, never both; anything else cannot be framed reliably, and
  // guessing would let the leftover bytes pass as a second request (request smuggling).
  static std::string FramingError(const http::request_header<>& header) {
    const size_t codings = header.count(http::field::transfer_encoding);
    if (codings == 0) return {};
    if (codings > 1) return "more than one Transfer-Encoding header";
    auto it = header.find(http::field::transfer_encoding);
    std::string_view value(it->value().data(), it->value().size());
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
      value.remove_suffix(1);
    if (!beast::iequals(value, "chunked")) {
      return "Transfer-Encoding must be exactly 'chunked' (RFC 9112 §6.3)";
    }
    if (header.count(http::field::content_length) > 0) {
      return "a request may not carry both Transfer-Encoding and Content-Length";
    }
    return {};
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec) return OnReadError(ec);
    ++served_;
    HttpRequest request = parser_->release();
    started_ = NowNanos();
    method_ = std::string(request.method_string());
    target_ = std::string(request.target());
    close_after_write_ = !request.keep_alive();
    stream_.expires_never();  // the engine's time is not the client's; writes set their own
    ctx_.service.Handle(std::move(request), stream_.get_executor(),
                        [self = shared_from_this()](HttpReply reply) {
                          self->reply_ = std::make_unique<HttpReply>(std::move(reply));
                          self->WriteReply();
                        });
  }

  void WriteReply() {
    stream_.expires_after(std::chrono::milliseconds(ctx_.config.request_timeout_ms));
    reply_->message->AsyncWrite(stream_,
                                beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, std::size_t bytes) {
    const unsigned status = reply_->status;
    const Route route = reply_->route;
    const int64_t nanos = NowNanos() - started_;
    ctx_.metrics.Record(route, status, static_cast<uint64_t>(nanos));
    if (ctx_.access_log) LogAccess(status, route, bytes, nanos);
    reply_.reset();
    if (ec) return Close();
    if (linger_after_write_ && !draining_) return Linger();
    if (close_after_write_ || draining_) return Close();
    DoRead();
  }

  // After an error answered before the whole request was read (413, 431, 414, 400, 503):
  // closing with unread bytes would make the kernel reset the connection, and a client still
  // sending its body would see the reset instead of the answer. So stop sending, read and
  // discard what the client still sends (bounded in time and bytes), then close.
  void Linger() {
    lingering_ = true;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(
        std::chrono::milliseconds(std::min<int64_t>(ctx_.config.request_timeout_ms, kLingerMaxMs)));
    DiscardInput();
  }

  void DiscardInput() {
    if (!discard_) discard_ = std::make_unique<std::array<char, 16384>>();
    stream_.async_read_some(net::buffer(*discard_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->discarded_ += n;
                              if (ec || self->discarded_ > kLingerMaxBytes) return self->Close();
                              self->DiscardInput();
                            });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  ServerContext& ctx_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::unique_ptr<HttpReply> reply_;
  bool registered_ = false;
  static constexpr int64_t kLingerMaxMs = 2'000;
  static constexpr size_t kFirstReadBytes = 4096;
  uint64_t served_ = 0;  // requests read whole on this connection
  static constexpr size_t kLingerMaxBytes = size_t{4} << 20;
  bool busy_ = false, draining_ = false, close_after_write_ = false;
  bool linger_after_write_ = false, lingering_ = false;
  std::unique_ptr<std::array<char, 16384>> discard_;
  size_t discarded_ = 0;
  int64_t started_ = 0;
  std::string method_, target_;
  std::string client_ = "-";

  void LogAccess(unsigned status, Route route, std::size_t bytes, int64_t nanos) {
    AccessLogEntry entry;
    entry.unix_millis = UnixMillis();
    entry.request_id = reply_->request_id.empty() ? std::string_view("-") : reply_->request_id;
    entry.client = client_;
    entry.method = method_;
    entry.target = target_;
    entry.route = RouteName(route);
    entry.status = status;
    entry.bytes = bytes;
    entry.duration_ms = static_cast<double>(nanos) / 1e6;
    entry.tier = reply_->tier;
    const auto level = status >= 500   ? spdlog::level::err
                       : status >= 400 ? spdlog::level::warn
                                       : spdlog::level::info;
    ctx_.access_log->log(level, "{}", FormatAccessLine(ctx_.log_format, entry));
  }
};

// One io_context per thread, each with its own acceptor on the same port (SO_REUSEPORT: the
// kernel spreads connections across them). A connection lives on one thread from accept to
// close, so its handlers are serialized without a strand and the threads share no scheduler
// queue: one shared io_context on N threads made every completion cross a mutex and a futex
// wake-up, which measured at ~0.5x nginx on a hot page.
class HttpServer::Impl {
 public:
  Impl(Engine& engine, const HttpConfig& config)
      : config_(config),
        service_(engine, metrics_, config_),
        ctx_{config_,  EffectiveMaxConnections(config.max_connections, FileDescriptorSoftLimit()),
             service_, metrics_,
             {},       {},
             false,    {},
             nullptr,  ParseLogFormat(config.log_format).value_or(LogFormat::kText)} {
    if (config.access_log) {
      // Not registered with spdlog: several servers may live in one process (tests). Written
      // to stderr in batches by a background thread: an I/O thread pays a memcpy per line.
      const LogFormat format = ctx_.log_format;
      ctx_.access_log = std::make_shared<spdlog::logger>(
          "access", std::make_shared<BackgroundFdSink>(
                        STDERR_FILENO, kAccessLogPendingBytes, [format](uint64_t dropped) {
                          return FormatDroppedLinesNotice(format, UnixMillis(), dropped);
                        }));
      // JSON and logfmt lines carry their own time and level: nothing may precede them.
      ctx_.access_log->set_pattern(
          ctx_.log_format == LogFormat::kText ? "[%Y-%m-%d %H:%M:%S.%e] [%l] %v" : "%v");
      ctx_.access_log->set_level(spdlog::default_logger()->level());
    }
    const int threads =
        config.threads > 0 ? config.threads : std::max(1u, std::thread::hardware_concurrency());
    for (int i = 0; i < threads; ++i)
      workers_.push_back(std::make_unique<Worker>());
    if (ctx_.max_connections < config.max_connections) {
      spdlog::warn(
          "max-connections {} lowered to {}: the file descriptor limit (ulimit -n) is {}, and {} "
          "are kept for the database and the cache",
          config.max_connections, ctx_.max_connections, FileDescriptorSoftLimit(),
          kReservedFileDescriptors);
    }
    signals_.emplace(workers_[0]->ioc);
    grace_timer_.emplace(workers_[0]->ioc);
    sweep_timer_.emplace(workers_[0]->ioc);
    ctx_.on_last_session = [this] {
      net::post(workers_[0]->ioc, [this] {
        grace_timer_->cancel();
        sweep_timer_->cancel();
        ReleaseWorkers();
      });
    };
  }

  Status Bind(bool handle_signals) {
    std::string host;
    uint16_t port = 0;
    FOLIO_RETURN_IF_ERROR(ParseListen(config_.listen, &host, &port));
    beast::error_code ec;
    auto address = net::ip::make_address(host, ec);
    if (ec) {
      return Status::InvalidArgument("--listen host '" + host + "' is not an IP address");
    }
    if (port != 0) {
      // SO_REUSEPORT would let us join a port another server holds: make sure it is free.
      tcp::acceptor probe(workers_[0]->ioc);
      tcp::endpoint endpoint(address, port);
      probe.open(endpoint.protocol(), ec);
      if (!ec) probe.set_option(net::socket_base::reuse_address(true), ec);
      if (!ec) probe.bind(endpoint, ec);
      if (ec) return Status::IOError("cannot listen on " + config_.listen + ": " + ec.message());
      probe.close(ec);
    }
    for (auto& worker : workers_) {
      // The first acceptor may pick the port (port 0); the others join it.
      tcp::endpoint endpoint(address, workers_.front()->acceptor.is_open()
                                          ? workers_.front()->acceptor.local_endpoint().port()
                                          : port);
      tcp::acceptor& acceptor = worker->acceptor;
      acceptor.open(endpoint.protocol(), ec);
      if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
      if (!ec) acceptor.set_option(ReusePort(true), ec);
      if (!ec) acceptor.bind(endpoint, ec);
      if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
      if (ec) return Status::IOError("cannot listen on " + config_.listen + ": " + ec.message());
    }
    if (handle_signals) {
      signals_->add(SIGINT);
      signals_->add(SIGTERM);
      signals_->async_wait([this](beast::error_code e, int signo) {
        if (e) return;
        spdlog::info("signal {}: shutting down (grace {} ms)", signo, config_.shutdown_grace_ms);
        BeginShutdown();
      });
    }
    return Status::Ok();
  }

  uint16_t port() const { return workers_.front()->acceptor.local_endpoint().port(); }
  int max_connections() const { return ctx_.max_connections; }

  void Run() {
    for (auto& worker : workers_) {
      worker->keep_running.emplace(worker->ioc.get_executor());
      DoAccept(*worker);
    }
    std::vector<std::thread> threads;
    for (size_t i = 1; i < workers_.size(); ++i) {
      threads.emplace_back([this, i] { RunWorker(*workers_[i]); });
    }
    RunWorker(*workers_[0]);
    for (auto& t : threads)
      t.join();
    if (ctx_.access_log) ctx_.access_log->flush();  // every answered request is in the log
  }

  void BeginShutdown() {
    net::dispatch(workers_[0]->ioc, [this] {
      if (shutting_down_) return;
      shutting_down_ = true;
      beast::error_code ignored;
      signals_->cancel(ignored);
      for (auto& worker : workers_) {
        net::dispatch(worker->ioc, [w = worker.get()] {
          beast::error_code e;
          w->acceptor.close(e);
          w->accept_retry.cancel();
        });
      }
      std::vector<std::shared_ptr<Session>> open = OpenSessions(/*begin_stopping=*/true);
      if (open.empty()) return ReleaseWorkers();
      for (auto& s : open)
        s->Drain();
      SweepUntilDrained();
      grace_timer_->expires_after(std::chrono::milliseconds(config_.shutdown_grace_ms));
      grace_timer_->async_wait([this](beast::error_code ec) {
        if (ec) return;  // every session ended first
        sweep_timer_->cancel();
        for (auto& s : OpenSessions())
          s->ForceClose();
        ReleaseWorkers();  // what the force-closed sessions still queue runs, then Run returns
      });
    });
  }

  // The sessions still open. With `begin_stopping`, marks the shutdown begun in the same
  // critical section, so a session registering later knows it is late (Session::Start).
  std::vector<std::shared_ptr<Session>> OpenSessions(bool begin_stopping = false) {
    std::vector<std::shared_ptr<Session>> open;
    std::lock_guard lock(ctx_.mu);
    if (begin_stopping) ctx_.stopping = true;
    for (auto& [raw, weak] : ctx_.sessions) {
      if (auto s = weak.lock()) open.push_back(std::move(s));
    }
    return open;
  }

  // Lets each worker's run() return once it is out of work. Until then a worker keeps running
  // even with nothing pending: a handler posted to it later (a Drain, a session's last
  // completion) must find it running, or the session it holds would never end.
  void ReleaseWorkers() {
    for (auto& worker : workers_) {
      net::post(worker->ioc, [w = worker.get()] { w->keep_running.reset(); });
    }
  }

  // Drains every open session again every 50 ms until none is left (or the grace is over): a
  // connection accepted on another thread while the shutdown took its list could otherwise
  // be missed and hold Run() for the whole grace period (seen under load in tests and on CI).
  // Drain is idempotent: a session already draining is left to finish its response.
  void SweepUntilDrained() {
    sweep_timer_->expires_after(std::chrono::milliseconds(50));
    sweep_timer_->async_wait([this](beast::error_code ec) {
      if (ec) return;
      std::vector<std::shared_ptr<Session>> open = OpenSessions();
      if (open.empty()) return;
      for (auto& s : open)
        s->Drain();
      SweepUntilDrained();
    });
  }

  // Handlers still queued when the io_contexts die are destroyed with them, and a Session they
  // hold touches ctx_ in its destructor: so the contexts go first, while ctx_ is alive, and a
  // session ending then no longer posts to a context that may already be gone.
  ~Impl() {
    {
      std::lock_guard lock(ctx_.mu);
      ctx_.on_last_session = nullptr;
    }
    grace_timer_.reset();
    sweep_timer_.reset();
    signals_.reset();
    workers_.clear();
  }

  HttpMetrics& metrics() { return metrics_; }

 private:
  using ReusePort = net::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

  struct Worker {
    net::io_context ioc{1};  // run by one thread: Asio may skip its internal locking
    tcp::acceptor acceptor{ioc};
    net::steady_timer accept_retry{ioc};
    // Held from Run() until the shutdown has no session left (ReleaseWorkers).
    std::optional<net::executor_work_guard<net::io_context::executor_type>> keep_running;
    AcceptBackoff backoff;
    RateLimitedLog accept_log{std::chrono::seconds(1)};
  };

  // Runs the worker's io_context until it is out of work. A handler that throws (a bug: every
  // request is answered inside Service's own catch) is logged, and the thread serves on.
  static void RunWorker(Worker& worker) {
    for (;;) {
      try {
        worker.ioc.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("unexpected exception on an I/O thread (serving on): {}", e.what());
      } catch (...) {
        spdlog::error("unexpected exception on an I/O thread (serving on)");
      }
    }
  }

  void DoAccept(Worker& worker) {
    worker.acceptor.async_accept([this, &worker](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == net::error::operation_aborted || !worker.acceptor.is_open()) return;
        // Out of descriptors (or memory): accepting again at once fails again at once. Wait,
        // longer each time, and log once a second with the count held back.
        metrics_.AcceptFailed();
        uint64_t suppressed = 0;
        if (worker.accept_log.Allow(std::chrono::steady_clock::now(), &suppressed)) {
          spdlog::warn("accept failed: {} ({} more since the last report); backing off",
                       ec.message(), suppressed);
        }
        worker.accept_retry.expires_after(worker.backoff.Next());
        worker.accept_retry.async_wait([this, &worker](beast::error_code wait_ec) {
          if (!wait_ec) DoAccept(worker);
        });
        return;
      }
      worker.backoff.Reset();
      auto session = std::make_shared<Session>(std::move(socket), ctx_);
      if (metrics_.open_connections() >= ctx_.max_connections) {
        session->Reject();
      } else {
        session->Start();
      }
      DoAccept(worker);
    });
  }

  const HttpConfig config_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::optional<net::signal_set> signals_;
  std::optional<net::steady_timer> grace_timer_;
  std::optional<net::steady_timer> sweep_timer_;  // SweepUntilDrained's
  HttpMetrics metrics_;
  Service service_;
  ServerContext ctx_;
  bool shutting_down_ = false;  // touched only on workers_[0]'s thread
};

Result<std::unique_ptr<HttpServer>> HttpServer::Bind(Engine& engine, const HttpConfig& config,
                                                     bool handle_signals) {
  auto impl = std::make_unique<Impl>(engine, config);
  FOLIO_RETURN_IF_ERROR(impl->Bind(handle_signals));
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() = default;
uint16_t HttpServer::port() const {
  return impl_->port();
}
int HttpServer::max_connections() const {
  return impl_->max_connections();
}
void HttpServer::Run() {
  impl_->Run();
}
void HttpServer::Stop() {
  impl_->BeginShutdown();
}
HttpMetrics& HttpServer::metrics() {
  return impl_->metrics();
}

}  // namespace folio::app
