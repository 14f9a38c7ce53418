// How the `folio` command prints what it read: JSON for scripts (one object per line, the
// HTTP service's shapes), or a human-readable form on a terminal. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace folio::app {

enum class OutputMode { kJson, kHuman };

// The mode a command prints in: JSON when `json_flag` (--json) is given or stdout is not a
// terminal (a pipe, a file: a script is reading), human-readable otherwise. FOLIO_OUTPUT=human
// or =json overrides the terminal test (not --json).
OutputMode ChooseOutputMode(bool json_flag, bool stdout_is_terminal);

// `json` (one JSON value) for a person: a page of documents ({"data":[…],"meta":{…}}) as a
// table — root id, version, status, slug or title, updated — with its count, next cursor and
// answering tier; anything else indented. Control characters never reach the terminal raw:
// the table prints them as '?', the indented JSON escapes them. Text that is not JSON is
// returned as it is.
std::string HumanReadable(std::string_view json);

}  // namespace folio::app
