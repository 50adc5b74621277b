#pragma once

#include <stdexcept>
#include <string>

namespace openbar::cli {

// Parses the command line, runs the command and returns the exit status:
// 0 on success, 1 when the command failed, 2 for a usage error.
int run(int argc, char** argv);

// A failure the user can fix; printed as one line to stderr.
class CommandError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace openbar::cli
