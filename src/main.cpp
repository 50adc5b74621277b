#include "cli/cli.hpp"

int main(int argc, char** argv) { return openbar::cli::run(argc, argv); }
