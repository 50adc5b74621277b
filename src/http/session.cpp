#include "http/session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <string>
#include <thread>

#include "http/api_error.hpp"
#include "http/server.hpp"
#include "util/coarse_clock.hpp"

namespace openbar::http {

namespace beast = boost::beast;
namespace net = boost::asio;

namespace {

template <class Stream>
Socket& tcp_layer(Stream& stream) {
    return beast::get_lowest_layer(stream);
}

// Renders the status line and header fields as HTTP/1.1 puts them on the
// wire into `header`, reusing its capacity. The same bytes Beast's
// serializer writes for a string body with a Content-Length, built with
// plain appends: Beast's buffer sequence machinery cost more per response
// than the whole token check.
// `connection` is the value of a Connection field to add, or empty for none.
// `content_length`, when set, is written as a Content-Length field.
void serialize_header(const Response& response, std::string_view connection,
                      std::optional<std::size_t> content_length, std::string& header) {
    header.clear();
    header += "HTTP/";
    header += static_cast<char>('0' + response.version() / 10);
    header += '.';
    header += static_cast<char>('0' + response.version() % 10);
    header += ' ';
    header += std::to_string(response.result_int());
    header += ' ';
    header += response.reason();
    header += "\r\n";
    for (const auto& field : response) {
        header += field.name_string();
        header += ": ";
        header += field.value();
        header += "\r\n";
    }
    if (content_length) {
        std::array<char, 24> digits{};
        auto end = std::to_chars(digits.data(), digits.data() + digits.size(), *content_length).ptr;
        header += "Content-Length: ";
        header.append(digits.data(), end);
        header += "\r\n";
    }
    if (!connection.empty()) {
        header += "Connection: ";
        header += connection;
        header += "\r\n";
    }
    header += "\r\n";
}

// True when the status allows a body: anything but 1xx, 204 and 304.
bool status_allows_body(const Response& response) {
    auto status = response.result_int();
    return status >= 200 && status != 204 && status != 304;
}

// True when the response has a Content-Length or Transfer-Encoding field.
bool has_framing_field(const Response& response) {
    for (const auto& field : response) {
        if (field.name() == beast_http::field::content_length || field.name() == beast_http::field::transfer_encoding) {
            return true;
        }
    }
    return false;
}

// True when the response already carries the Content-Length that
// prepare_payload() would set, which saves replacing the field.
bool has_current_content_length(const Response& response) {
    if (!status_allows_body(response)) return false;
    auto field = find_field(response, beast_http::field::content_length);
    if (field == response.end()) return false;
    std::array<char, 24> digits{};
    auto [end, error] = std::to_chars(digits.data(), digits.data() + digits.size(), response.body().size());
    return error == std::errc() && field->value() == std::string_view(digits.data(), end - digits.data());
}

// Returns the error for a request with a Transfer-Encoding field (RFC 9112
// section 6.1) that is anything but one final "chunked", an empty field
// included. Beast reads the body of "chunked, gzip", "gzip" or "" as empty
// and the next bytes as a new request, so a proxy that frames the body
// differently could pass a smuggled request. It reads "gzip, chunked" as
// plain chunked data.
std::optional<ApiError> transfer_encoding_error(const Request& request) {
    std::size_t codings = 0;
    std::size_t chunked_codings = 0;
    bool last_is_chunked = false;
    for (const auto& field : request) {
        if (field.name() != beast_http::field::transfer_encoding) continue;
        for (std::string_view coding : beast_http::token_list(field.value())) {
            last_is_chunked = beast::iequals(coding, "chunked");
            ++codings;
            if (last_is_chunked) ++chunked_codings;
        }
    }
    // Section 6.3: the body length is unknown, so reply 400 and close.
    if (!last_is_chunked || chunked_codings > 1) {
        return ApiError(ErrorKind::bad_request, "invalid_transfer_encoding",
                        "the Transfer-Encoding must end with chunked, applied once");
    }
    if (codings > 1) {
        return ApiError(ErrorKind::not_implemented, "unsupported_transfer_encoding",
                        "chunked is the only supported transfer coding; send a compressed body with "
                        "Content-Encoding: gzip");
    }
    return std::nullopt;
}

// Bytes requested from the socket per read while a request body arrives (Beast
// reads at most 64 KiB at a time), and the most a waiting connection keeps.
constexpr std::size_t body_read_bytes = 64 * 1024;
// The maximum bytes requested from the socket per read while a header
// arrives, the same as Beast's own header reads.
constexpr std::size_t header_read_bytes = 64 * 1024;
constexpr std::size_t idle_buffer_bytes = 4 * 1024;

constexpr bool is_tls(const Socket*) { return false; }
constexpr bool is_tls(const beast::ssl_stream<Socket>*) { return true; }

}  // namespace

template <class Stream>
Session<Stream>::Session(Server& server, Stream stream, std::string client_address)
    : server_(server),
      stream_(std::move(stream)),
      client_address_(std::move(client_address)),
      deadline_timer_(tcp_layer(stream_).get_executor()) {}

template <class Stream>
void Session<Stream>::start() {
    server_.session_started(this);
    // Run on the session's own thread from here on.
    net::dispatch(stream_.get_executor(), [self = self()] {
        // send() writes replies with a synchronous write_some that must
        // return would_block instead of waiting for a full send buffer.
        // Set once here: each call to non_blocking() is an ioctl.
        beast::error_code error;
        tcp_layer(self->stream_).non_blocking(true, error);
        if (error) {
            spdlog::debug("connection from {} failed: {}", self->client_address_, error.message());
            self->close();
            return;
        }
        if constexpr (is_tls(static_cast<Stream*>(nullptr))) {
            self->set_deadline(self->server_.config().header_timeout);
            self->stream_.async_handshake(net::ssl::stream_base::server, [self](beast::error_code error) {
                self->clear_deadline();
                if (error) {
                    spdlog::debug("TLS handshake with {} failed: {}", self->client_address_, error.message());
                    self->close();
                    return;
                }
                self->read_header();
            });
        } else {
            self->read_header();
        }
    });
}

template <class Stream>
void Session<Stream>::shut_down_when_idle() {
    net::post(stream_.get_executor(), [self = self()] {
        if (self->idle_ && self->buffer_.size() == 0) {
            // Cancels the pending read; on_header gets operation_aborted and closes.
            beast::error_code ignored;
            tcp_layer(self->stream_).cancel(ignored);
        }
    });
}

template <class Stream>
void Session<Stream>::read_header() {
    if (server_.stopping()) {
        close();
        return;
    }
    const auto& config = server_.config();
    if (buffer_.capacity() > idle_buffer_bytes) buffer_.shrink_to_fit();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(config.max_header_bytes));
    parser_->body_limit(config.max_body_bytes);
    if (exchange_) path_buffer_ = std::move(exchange_->path);
    exchange_.reset();
    busy_self_.reset();  // the caller holds another reference
    idle_ = true;

    // One deadline covers the keep-alive wait and the whole header.
    set_deadline(config.header_timeout);
    parse_header();
}

// Does what beast::http::async_read_header does, with one plain socket read
// per step: Beast's composed operations, which track work on the executor
// and post their completion, cost about 500 instructions per request
// (bench/profile).
template <class Stream>
void Session<Stream>::parse_header() {
    if (buffer_.size() > 0) {
        // A pipelined request may already be here in full.
        beast::error_code error;
        buffer_.consume(parser_->put(buffer_.data(), error));
        if (error != beast_http::error::need_more) {
            on_header(error);
            return;
        }
    }
    auto space = buffer_.prepare(beast::read_size(buffer_, header_read_bytes));
    stream_.async_read_some(space, [self = self()](beast::error_code error, std::size_t bytes) {
        self->buffer_.commit(bytes);
        if (error == net::error::eof) {
            // A connection closed between requests ends quietly. One closed
            // inside a header gets the parser's verdict on what arrived.
            if (self->parser_->got_some()) {
                error = {};
                self->parser_->put_eof(error);
                if (!error && !self->parser_->is_header_done()) error = beast_http::error::partial_message;
            } else {
                error = beast_http::error::end_of_stream;
            }
        }
        if (error) {
            self->on_header(error);
            return;
        }
        self->parse_header();
    });
}

template <class Stream>
void Session<Stream>::on_header(beast::error_code error) {
    idle_ = false;
    clear_deadline();
    if (error) {
        send_parse_error(error);
        return;
    }

    Request& request = parser_->get();
    if (find_field(request, beast_http::field::transfer_encoding) != request.end()) {
        if (auto invalid = transfer_encoding_error(request)) {
            send(error_response(*invalid), true);
            return;
        }
    }
    exchange_.emplace(request, client_address_);
    exchange_->secure = is_tls(static_cast<Stream*>(nullptr));
    exchange_->path = std::move(path_buffer_);  // reuses the last request's capacity

    // The callbacks capture only `this`, which std::function stores without
    // allocating; busy_self_ keeps the session alive until the response is written.
    busy_self_ = self();
    server_.pipeline().admit(*exchange_, [this](std::optional<Response> early) {
        // Token checks call back at once, from inside admit() on this
        // session's thread: carry on directly. Password checks call back
        // from a hashing thread, so the rest is posted to the session's
        // thread. The write that follows never completes inline, so no
        // handler runs while admit() is still on the stack.
        if (stream_.get_executor().running_in_this_thread()) {
            after_admission(std::move(early));
            return;
        }
        net::post(stream_.get_executor(),
                  [self = busy_self_, early = std::move(early)]() mutable { self->after_admission(std::move(early)); });
    });
}

template <class Stream>
void Session<Stream>::after_admission(std::optional<Response> early) {
    if (early) {
        // The body, if any, was never read, so the connection cannot be reused.
        send(std::move(*early), !parser_->is_done());
        return;
    }

    // RFC 9110 section 10.1.1: a client that sent "Expect: 100-continue"
    // waits for this interim response before sending the body. It is sent
    // only now, after authentication succeeded, and never to an HTTP/1.0
    // client, which would take it for the final response.
    Request& request = parser_->get();
    auto expect = find_field(request, beast_http::field::expect);
    if (request.version() >= 11 && expect != request.end() && beast::iequals(expect->value(), "100-continue") &&
        !parser_->is_done()) {
        auto interim = std::make_shared<beast_http::response<beast_http::empty_body>>(beast_http::status::continue_, 11);
        set_deadline(server_.config().write_timeout);
        beast_http::async_write(stream_, *interim, [self = self(), interim](beast::error_code error, std::size_t) {
            self->clear_deadline();
            if (error) {
                self->close();
                return;
            }
            self->read_body();
        });
        return;
    }
    read_body();
}

template <class Stream>
void Session<Stream>::read_body() {
    if (parser_->is_done()) {
        on_body({});
        return;
    }
    // Beast reads into the free space of buffer_, which stays as small as the
    // header because the parser moves body bytes out at once: a 110 KB upload
    // took about 240 reads of some 500 bytes. Room for 64 KiB reads is reserved
    // while the body arrives, and read_header() gives it back.
    auto length = parser_->content_length();
    std::size_t read_size = std::min<std::uint64_t>(length.value_or(body_read_bytes), body_read_bytes);
    if (buffer_.capacity() < read_size) buffer_.reserve(read_size);

    set_deadline(server_.config().body_timeout);
    beast_http::async_read(stream_, buffer_, *parser_,
                           [self = self()](beast::error_code error, std::size_t) { self->on_body(error); });
}

template <class Stream>
void Session<Stream>::on_body(beast::error_code error) {
    clear_deadline();
    if (error) {
        send_parse_error(error);
        return;
    }
    server_.pipeline().handle(*exchange_, [this](Response response) {
        // Runs inline for synchronous handlers (already on the session's
        // thread) and is posted back to it for handlers that finish on a worker.
        if (stream_.get_executor().running_in_this_thread()) {
            send(std::move(response), false);
            return;
        }
        net::post(stream_.get_executor(),
                  [self = busy_self_, response = std::move(response)]() mutable { self->send(std::move(response), false); });
    });
}

template <class Stream>
void Session<Stream>::send_parse_error(beast::error_code error) {
    if (error == beast_http::error::end_of_stream || error == net::error::operation_aborted ||
        error == beast::error::timeout || error == net::error::eof || error == net::error::connection_reset) {
        close();
        return;
    }
    if (error == beast_http::error::header_limit) {
        send(error_response(ApiError(ErrorKind::header_too_large, "header_too_large",
                                     "the request header exceeds " +
                                         std::to_string(server_.config().max_header_bytes) + " bytes")),
             true);
        return;
    }
    if (error == beast_http::error::body_limit) {
        send(error_response(ApiError(ErrorKind::payload_too_large, "body_too_large",
                                     "the request body exceeds " + std::to_string(server_.config().max_body_bytes) +
                                         " bytes")),
             true);
        return;
    }
    if (error.category() == beast_http::make_error_code(beast_http::error::bad_target).category()) {
        send(error_response(ApiError(ErrorKind::bad_request, "malformed_request",
                                     "the request is not valid HTTP/1.1: " + error.message())),
             true);
        return;
    }
    spdlog::debug("connection from {} failed: {}", client_address_, error.message());
    close();
}

template <class Stream>
void Session<Stream>::send(Response response, bool close_after) {
    // The parser worked out keep-alive from the version and Connection
    // header as it read them, so no field lookup is needed here.
    bool request_keep_alive = exchange_ && parser_->keep_alive();
    bool close = close_after || server_.stopping() || !request_keep_alive;
    // An HTTP/1.1 response without a Connection field keeps the connection
    // open, so the usual case needs only "Connection: close" written when
    // closing. An HTTP/1.0 client reuses the connection only when the reply
    // has "Connection: keep-alive". keep_alive() would look the field up
    // twice in the tree.
    std::string_view connection_field;
    if (response.version() == 11 && find_field(response, beast_http::field::connection) == response.end()) {
        if (close) {
            connection_field = "close";
        } else if (exchange_->request.version() == 10) {
            connection_field = "keep-alive";
        }
    } else {
        response.keep_alive(!close);
    }
    // A response without framing fields (the usual case) gets its
    // Content-Length written straight into the header. Any other goes
    // through prepare_payload(), which also drops a body where the status
    // allows none.
    std::optional<std::size_t> content_length;
    if (status_allows_body(response) && !has_framing_field(response)) {
        content_length = response.body().size();
    } else if (!has_current_content_length(response)) {
        response.prepare_payload();
    }
    if (exchange_ && spdlog::should_log(spdlog::level::debug)) {
        // The client address and scheme are the ones X-Forwarded-For and
        // X-Forwarded-Proto gave when the peer is a trusted proxy.
        // The raw target is logged, not the decoded path: the HTTP parser has
        // rejected control characters in it, so a client cannot forge log lines.
        spdlog::debug("{} {} {} over {} -> {}", exchange_->client_address,
                      std::string(exchange_->request.method_string()), std::string(exchange_->request.target()),
                      exchange_->secure ? "https" : "http", response.result_int());
    }

    response_.emplace(std::move(response));
    serialize_header(*response_, connection_field, content_length, response_header_);
    std::array<net::const_buffer, 2> wire{net::buffer(response_header_), net::buffer(response_->body())};

    std::size_t written = 0;
    if constexpr (!is_tls(static_cast<Stream*>(nullptr))) {
        // A reply usually fits in the socket's send buffer: write it now,
        // without a trip through the reactor and the write timeout.
        // start() made the socket non-blocking, so a full send buffer
        // returns would_block instead of stalling this thread.
        beast::error_code error;
        written = tcp_layer(stream_).write_some(wire, error);
        if (error && error != net::error::would_block) {
            on_write(error, close);
            return;
        }
        if (written == beast::buffer_bytes(wire)) {
            // Continue from the queue, not from inside the request's call stack.
            net::post(stream_.get_executor(), [self = self(), close] { self->on_write({}, close); });
            return;
        }
    }

    // The rest of the response waits for the client under the write timeout.
    beast::buffers_suffix<std::array<net::const_buffer, 2>> rest(wire);
    rest.consume(written);
    set_deadline(server_.config().write_timeout);
    net::async_write(stream_, rest, [self = self(), close](beast::error_code error, std::size_t) {
        self->clear_deadline();
        self->on_write(error, close);
    });
}

template <class Stream>
void Session<Stream>::on_write(beast::error_code error, bool close_connection) {
    response_.reset();
    if (error || close_connection) {
        close();
        return;
    }
    read_header();
}

template <class Stream>
void Session<Stream>::close() {
    if (closed_) return;
    closed_ = true;
    // Every caller holds another reference, so this is not the last one.
    busy_self_.reset();
    beast::error_code ignored;
    if constexpr (is_tls(static_cast<Stream*>(nullptr))) {
        // A TLS close_notify could block on a dead peer; bound it.
        set_deadline(std::chrono::seconds(2));
        stream_.async_shutdown([self = self()](beast::error_code) {
            beast::error_code ignored_error;
            self->clear_deadline();
            self->deadline_timer_.cancel();
            tcp_layer(self->stream_).shutdown(net::ip::tcp::socket::shutdown_both, ignored_error);
            tcp_layer(self->stream_).close(ignored_error);
            self->server_.session_finished(self.get());
        });
        return;
    } else {
        // The pending timer wait holds a reference to this session; cancel
        // it so the session can be destroyed.
        clear_deadline();
        deadline_timer_.cancel();
        tcp_layer(stream_).shutdown(net::ip::tcp::socket::shutdown_send, ignored);
        tcp_layer(stream_).close(ignored);
    }
    server_.session_finished(this);
}

template <class Stream>
void Session<Stream>::set_deadline(std::chrono::steady_clock::duration timeout) {
    deadline_ = util::coarse_steady_now() + timeout;
    if (deadline_timer_waiting_ && deadline_timer_.expiry() <= deadline_) return;

    // expires_at() cancels a wait for a later time; that handler gets operation_aborted.
    deadline_timer_.expires_at(deadline_);
    deadline_timer_waiting_ = true;
    deadline_timer_.async_wait([self = self()](beast::error_code error) { self->on_deadline_timer(error); });
}

template <class Stream>
void Session<Stream>::on_deadline_timer(beast::error_code error) {
    // Cancelled: either replaced by an earlier wait, which now owns
    // deadline_timer_waiting_, or the connection closed.
    if (error) return;
    deadline_timer_waiting_ = false;
    if (deadline_ == std::chrono::steady_clock::time_point::max()) return;  // no read or write in progress

    if (std::chrono::steady_clock::now() >= deadline_) {
        // Closing the socket ends the pending read or write with
        // operation_aborted, and its handler closes the session.
        spdlog::debug("connection from {} timed out", client_address_);
        clear_deadline();
        beast::error_code ignored;
        tcp_layer(stream_).close(ignored);
        return;
    }
    // The deadline moved later while the timer waited: wait again.
    deadline_timer_.expires_at(deadline_);
    deadline_timer_waiting_ = true;
    deadline_timer_.async_wait([self = self()](beast::error_code wait_error) { self->on_deadline_timer(wait_error); });
}

template class Session<Socket>;
template class Session<beast::ssl_stream<Socket>>;

}  // namespace openbar::http
