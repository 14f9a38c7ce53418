// The folio command: flag parsing and the subcommands. Each subcommand returns the process
// exit code: 0 on success, 1 when the operation failed (the error is on stderr), 2 for bad
// usage.
#pragma once

#include <iosfwd>

namespace folio::app {

// Runs `folio` with argv; writes results to `out` and errors to `err`.
int RunFolio(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace folio::app
