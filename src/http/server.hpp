#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "http/pipeline.hpp"
#include "util/repeat_limiter.hpp"

namespace openbar::http {

class SessionBase;

// Accepts connections and runs sessions on a pool of threads, each with its
// own io_context: a connection stays on the thread that it was given when
// accepted. Stops gracefully on SIGINT and SIGTERM: no new connections,
// in-flight requests finish (up to shutdown_grace), idle keep-alive
// connections close.
class Server {
public:
    Server(const config::ServerConfig& config, Pipeline& pipeline);
    ~Server();

    // Binds the listening socket; throws std::runtime_error naming the
    // address when it cannot. Returns the bound port (useful with port 0).
    unsigned short bind();

    // Serves until a stop signal arrives and the drain completes.
    void run();

    // Requests a graceful stop (also what the signal handler does).
    void stop();

    // Session bookkeeping, called by sessions.
    void session_started(SessionBase* session);
    void session_finished(SessionBase* session);
    bool stopping() const { return stopping_.load(); }
    const config::ServerConfig& config() const { return config_; }
    Pipeline& pipeline() { return pipeline_; }

private:
    void accept();
    void wait_for_drain();
    // The executor for the next accepted connection, round-robin over the threads.
    boost::asio::io_context::executor_type next_session_executor();

    const config::ServerConfig& config_;
    Pipeline& pipeline_;
    // io_ runs on the thread that calls run(). It also holds the acceptor,
    // the signals and the drain timer. Each further thread runs one of
    // extra_contexts_, which its work guard keeps running until the server
    // stops. With one thread per io_context, the steps of a connection need
    // no strand and wake no other thread.
    // extra_contexts_ comes first so that it is destroyed last: a pending
    // accept in io_ owns a socket of the next connection's context.
    std::vector<std::unique_ptr<boost::asio::io_context>> extra_contexts_;
    boost::asio::io_context io_{1};
    std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_guards_;
    std::size_t next_context_ = 0;  // touched only by the accept handler
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::signal_set signals_;
    boost::asio::steady_timer drain_timer_;
    boost::asio::steady_timer accept_retry_timer_;
    util::RepeatLimiter accept_error_log_{std::chrono::seconds(1)};
    util::RepeatLimiter rejection_log_{std::chrono::seconds(1)};
    std::chrono::steady_clock::time_point drain_deadline_;
    std::optional<boost::asio::ssl::context> tls_;

    std::atomic<bool> stopping_{false};
    std::mutex sessions_mutex_;
    std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions_;
};

}  // namespace openbar::http
