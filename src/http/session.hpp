#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <memory>
#include <optional>

#include "http/exchange.hpp"
#include "http/message.hpp"

namespace openbar::http {

class Server;

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
    void on_header(boost::beast::error_code error);
    void after_admission(std::optional<Response> early);
    void read_body();
    void on_body(boost::beast::error_code error);
    void send(Response response, bool close_after);
    void on_write(boost::beast::error_code error, bool close);
    void send_parse_error(boost::beast::error_code error);
    void close();

    Server& server_;
    Stream stream_;
    std::string client_address_;
    boost::beast::flat_buffer buffer_;
    std::optional<beast_http::request_parser<beast_http::string_body>> parser_;
    std::unique_ptr<Exchange> exchange_;
    std::unique_ptr<Response> response_;
    std::string response_header_;  // serialized status line and fields of response_
    bool idle_ = true;  // waiting for the first byte of a request
    bool closed_ = false;
};

using PlainSession = Session<boost::beast::tcp_stream>;
using TlsSession = Session<boost::beast::ssl_stream<boost::beast::tcp_stream>>;

}  // namespace openbar::http
