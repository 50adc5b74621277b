#pragma once

#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "http/exchange.hpp"
#include "http/message.hpp"

namespace openbar::http {

class Server;

// A TCP socket bound to one io_context's executor. Its handlers skip the
// type-erased any_io_executor that tcp::socket carries.
using Socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;

// The interface the server needs from every session, whatever its transport.
class SessionBase : public std::enable_shared_from_this<SessionBase> {
public:
    virtual ~SessionBase() = default;
    // Closes the connection now if it is waiting for a request; otherwise the
    // connection closes after its current response.
    virtual void shut_down_when_idle() = 0;
};

// One HTTP/1.1 connection over `Stream` (plain TCP or TLS). A session's
// executor belongs to an io_context run by exactly one thread, so its
// handlers never run concurrently.
template <class Stream>
class Session final : public SessionBase {
public:
    Session(Server& server, Stream stream, std::string client_address);

    void start();
    void shut_down_when_idle() override;

private:
    std::shared_ptr<Session> self() { return std::static_pointer_cast<Session>(shared_from_this()); }

    void read_header();
    // Parses the buffered bytes and reads more until the header is complete.
    void parse_header();
    void on_header(boost::beast::error_code error);
    void after_admission(std::optional<Response> early);
    void read_body();
    void on_body(boost::beast::error_code error);
    void send(Response response, bool close_after);
    void on_write(boost::beast::error_code error, bool close);
    void send_parse_error(boost::beast::error_code error);
    void close();

    // Closes the socket if the current read or write has not finished
    // `timeout` from now. Only stores the deadline when the pending timer
    // wait ends no later than it, which is the case for every request on a
    // keep-alive connection after the first.
    void set_deadline(std::chrono::steady_clock::duration timeout);
    // Clears the deadline when a read or write finishes, so none applies until the next one starts.
    void clear_deadline() { deadline_ = std::chrono::steady_clock::time_point::max(); }
    void on_deadline_timer(boost::beast::error_code error);

    using Timer = boost::asio::basic_waitable_timer<std::chrono::steady_clock,
                                                    boost::asio::wait_traits<std::chrono::steady_clock>,
                                                    boost::asio::io_context::executor_type>;

    Server& server_;
    Stream stream_;
    std::string client_address_;
    boost::beast::flat_buffer buffer_;
    std::optional<beast_http::request_parser<beast_http::string_body>> parser_;
    std::optional<Exchange> exchange_;
    std::optional<Response> response_;
    std::string response_header_;  // serialized status line and fields of response_
    std::string path_buffer_;      // the last exchange's path string, kept for its capacity
    // This session while the pipeline works on a request: the pipeline's
    // callbacks capture a plain `this`.
    std::shared_ptr<Session> busy_self_;
    // One timer per connection enforces the header, body and write timeouts.
    // It waits for the earliest deadline it has been given and, when it
    // fires, checks deadline_, which may have moved later in the meantime.
    Timer deadline_timer_;
    std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
    bool deadline_timer_waiting_ = false;
    bool idle_ = true;  // waiting for the first byte of a request
    bool closed_ = false;
};

using PlainSession = Session<Socket>;
using TlsSession = Session<boost::beast::ssl_stream<Socket>>;

}  // namespace openbar::http
