#pragma once

#include <sodium.h>

#include <stdexcept>

namespace openbar::auth {

// Initialises libsodium once per process; safe to call from any thread.
inline void ensure_sodium() {
    static const bool ready = [] {
        if (sodium_init() < 0) {
            throw std::runtime_error("libsodium failed to initialise");
        }
        return true;
    }();
    (void)ready;
}

}  // namespace openbar::auth
