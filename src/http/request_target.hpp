#pragma once

#include <boost/url/params_view.hpp>
#include <boost/url/pct_string_view.hpp>
#include <boost/url/url_view.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace openbar::http {

// A request target in origin form ("/path?query", RFC 9112 section 3.2.1),
// validated when the header arrives. Most targets contain only characters
// that the origin-form grammar allows as they are, which a table lookup per
// character checks. Boost.URL then parses the target only when a handler
// reads the query or the url_view, which the token routes never do.
class RequestTarget {
public:
    // Returns false, and leaves the target empty, when `text` is not in
    // origin form. `text` must outlive this object.
    bool assign(std::string_view text);

    std::string_view encoded_path() const { return text_.substr(0, query_start_); }
    // Stores the path with percent-encoded octets decoded in `path`.
    void decode_path(std::string& path) const;

    // The target parsed by Boost.URL (on first use).
    const boost::urls::url_view& view() const;
    operator const boost::urls::url_view&() const { return view(); }
    boost::urls::pct_string_view encoded_query() const { return view().encoded_query(); }
    boost::urls::params_view params() const { return view().params(); }

private:
    std::string_view text_;
    std::size_t query_start_ = std::string_view::npos;  // index of the first '?'
    bool has_percent_ = false;
    mutable std::optional<boost::urls::url_view> view_;
};

}  // namespace openbar::http
