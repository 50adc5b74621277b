#pragma once

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

#include "config/config.hpp"
#include "http/pipeline.hpp"
#include "util/repeat_limiter.hpp"

namespace openbar::http {

class SessionBase;

// Accepts connections and runs sessions on a pool of threads sharing one
// io_context. Stops gracefully on SIGINT and SIGTERM: no new connections,
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

    const config::ServerConfig& config_;
    Pipeline& pipeline_;
    boost::asio::io_context io_;
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
