// A hand-written JSON lexer that checks and compacts without building a DOM, and a loose reader
// of compact objects for slicing them. Both keep their own stack on the heap: nesting depth is
// the client's to choose, the C++ stack is not.
#include "folio/storage/exact_json.h"

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace folio::storage {
namespace {

constexpr size_t kNpos = std::string_view::npos;

// Where and why a text was refused.
struct Error {
  size_t at = 0;
  std::string what;
};

bool Fail(Error* err, size_t at, std::string what) {
  err->at = at;
  err->what = std::move(what);
  return false;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

size_t SkipSpace(std::string_view t, size_t pos) {
  while (pos < t.size() && IsSpace(t[pos])) {
    ++pos;
  }
  return pos;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string HexByte(unsigned char b) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  return std::string{'0', 'x', kDigits[b >> 4], kDigits[b & 0xF]};
}

// "'x'" for a printable ASCII character, "byte 0xNN" for anything else: messages may be shown
// in a terminal or sent back in a JSON body, so raw control bytes and broken UTF-8 stay out.
std::string Describe(char c) {
  const auto b = static_cast<unsigned char>(c);
  if (b >= 0x20 && b < 0x7F) return std::string{'\'', c, '\''};
  return std::string("byte ") + HexByte(b);
}

// The 4 hex digits at t[pos..pos+4) as a number, or -1.
long HexQuad(std::string_view t, size_t pos) {
  if (t.size() < 4 || pos > t.size() - 4) return -1;
  long v = 0;
  for (size_t i = 0; i < 4; ++i) {
    const int d = HexValue(t[pos + i]);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// The length of the well-formed UTF-8 sequence (RFC 3629) whose lead byte t[pos] is >= 0x80,
// or 0 with *why saying what is wrong with it.
size_t Utf8Length(std::string_view t, size_t pos, const char** why) {
  const auto lead = static_cast<unsigned char>(t[pos]);
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  const char* below = "truncated UTF-8 sequence";
  const char* above = "truncated UTF-8 sequence";
  if (lead < 0xC0) {
    *why = "stray UTF-8 continuation byte";
    return 0;
  } else if (lead < 0xC2) {
    *why = "overlong UTF-8 encoding";
    return 0;
  } else if (lead < 0xE0) {
    len = 2;
  } else if (lead < 0xF0) {
    len = 3;
    if (lead == 0xE0) {
      lo = 0xA0;
      below = "overlong UTF-8 encoding";
    } else if (lead == 0xED) {
      hi = 0x9F;
      above = "UTF-16 surrogate encoded in UTF-8";
    }
  } else if (lead < 0xF5) {
    len = 4;
    if (lead == 0xF0) {
      lo = 0x90;
      below = "overlong UTF-8 encoding";
    } else if (lead == 0xF4) {
      hi = 0x8F;
      above = "UTF-8 sequence encodes a code point above U+10FFFF";
    }
  } else {
    *why = "byte that never appears in UTF-8";
    return 0;
  }
  for (size_t k = 1; k < len; ++k) {
    if (pos + k >= t.size()) {
      *why = "truncated UTF-8 sequence";
      return 0;
    }
    const auto b = static_cast<unsigned char>(t[pos + k]);
    if ((b & 0xC0) != 0x80) {
      *why = "truncated UTF-8 sequence";
      return 0;
    }
    if (k == 1 && b < lo) {
      *why = below;
      return 0;
    }
    if (k == 1 && b > hi) {
      *why = above;
      return 0;
    }
  }
  return len;
}

// Checks the JSON string whose opening quote is t[*pos] and leaves *pos just past its closing
// quote. Appends the decoded contents to *decoded when it is given.
bool ScanString(std::string_view t, size_t* pos, std::string* decoded, Error* err) {
  const size_t open = *pos;
  const size_t n = t.size();
  size_t p = open + 1;
  size_t run = p;  // the first byte not yet copied to *decoded
  for (;;) {
    if (p >= n) return Fail(err, open, "unterminated string");
    const auto c = static_cast<unsigned char>(t[p]);
    if (c == '"') {
      if (decoded != nullptr) decoded->append(t.substr(run, p - run));
      *pos = p + 1;
      return true;
    }
    if (c >= 0x20 && c < 0x80 && c != '\\') {
      ++p;
      continue;
    }
    if (c < 0x20) {
      return Fail(
          err, p,
          std::string("control character ") + HexByte(c) + " in a string (it must be escaped)");
    }
    if (c >= 0x80) {
      const char* why = nullptr;
      const size_t len = Utf8Length(t, p, &why);
      if (len == 0) return Fail(err, p, std::string(why) + " (" + HexByte(c) + ") in a string");
      p += len;
      continue;
    }
    // A backslash.
    if (decoded != nullptr) decoded->append(t.substr(run, p - run));
    if (p + 1 >= n) return Fail(err, open, "unterminated string");
    const char e = t[p + 1];
    char simple = 0;
    switch (e) {
      case '"':
      case '\\':
      case '/':
        simple = e;
        break;
      case 'b':
        simple = '\b';
        break;
      case 'f':
        simple = '\f';
        break;
      case 'n':
        simple = '\n';
        break;
      case 'r':
        simple = '\r';
        break;
      case 't':
        simple = '\t';
        break;
      case 'u':
        break;
      default:
        return Fail(err, p, std::string("invalid escape: backslash before ") + Describe(e));
    }
    if (simple != 0) {
      if (decoded != nullptr) decoded->push_back(simple);
      p += 2;
      run = p;
      continue;
    }
    const long unit = HexQuad(t, p + 2);
    if (unit < 0) return Fail(err, p, "\\u must be followed by 4 hex digits");
    uint32_t cp = static_cast<uint32_t>(unit);
    size_t end = p + 6;
    if (unit >= 0xDC00 && unit <= 0xDFFF) {
      return Fail(err, p,
                  std::string("lone surrogate escape ") + std::string(t.substr(p, 6)) +
                      " (a low surrogate must follow a high one)");
    }
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      const long low =
          end + 1 < n && t[end] == '\\' && t[end + 1] == 'u' ? HexQuad(t, end + 2) : -1;
      if (low < 0xDC00 || low > 0xDFFF) {
        return Fail(err, p,
                    std::string("lone surrogate escape ") + std::string(t.substr(p, 6)) +
                        " (a high surrogate must be followed by a \\uDC00-\\uDFFF escape)");
      }
      cp = 0x10000 + ((static_cast<uint32_t>(unit) - 0xD800) << 10) +
           (static_cast<uint32_t>(low) - 0xDC00);
      end += 6;
    }
    if (decoded != nullptr) AppendUtf8(decoded, cp);
    p = end;
    run = p;
  }
}

// A key for an error message: control characters escaped, cut at 64 bytes (on a character
// boundary; the key is valid UTF-8).
std::string DisplayKey(std::string_view key) {
  std::string out;
  size_t i = 0;
  for (; i < key.size() && out.size() < 64; ++i) {
    const auto b = static_cast<unsigned char>(key[i]);
    if (b < 0x20 || b == 0x7F) {
      out += "\\u00";
      out += HexByte(b).substr(2);
    } else {
      out.push_back(key[i]);
    }
  }
  if (i < key.size()) {
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) {
      out.pop_back();
    }
    if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
    out += "...";
  }
  return out;
}

// CompactJson's state: the output so far and the containers open around the current position.
class Compactor {
 public:
  Compactor(std::string_view text, size_t max_depth) : t_(text), max_depth_(max_depth) {}

  Result<std::string> Run() {
    out_.reserve(t_.size());
    for (;;) {
      pos_ = SkipSpace(t_, pos_);
      if (want_value_) {
        if (!Value()) return Refusal();
        continue;
      }
      if (open_.empty()) {
        if (pos_ < t_.size()) {
          return Invalid(pos_,
                         std::string("unexpected ") + Describe(t_[pos_]) + " after the JSON value");
        }
        return std::move(out_);
      }
      const bool in_object = open_.back() == '{';
      const char* expected = in_object ? "',' or '}'" : "',' or ']'";
      if (pos_ >= t_.size()) {
        return Invalid(pos_, std::string("unexpected end of input (expected ") + expected + ")");
      }
      const char c = t_[pos_];
      if (c == ',') {
        out_.push_back(',');
        ++pos_;
        if (in_object && !Key("a string key")) return Refusal();
        want_value_ = true;
      } else if (c == (in_object ? '}' : ']')) {
        Close();
      } else {
        return Invalid(pos_, std::string("expected ") + expected);
      }
    }
  }

 private:
  // Scans the value at pos_ (whitespace skipped): a whole scalar, or the opening of a container
  // and its first key. A container's values are scanned by later turns of Run's loop, which
  // keeps the C++ stack flat however deep the input nests. Sets want_value_ to what comes next.
  bool Value() {
    want_value_ = false;
    if (pos_ >= t_.size()) return Fail(&err_, pos_, "unexpected end of input (expected a value)");
    const char c = t_[pos_];
    switch (c) {
      case '{':
      case '[': {
        if (open_.size() >= max_depth_) {
          depth_exceeded_ = true;
          err_.at = pos_;
          return false;
        }
        open_.push_back(c);
        if (c == '{') {
          if (key_sets_.size() == objects_open_) {
            key_sets_.emplace_back();
          } else {
            key_sets_[objects_open_].clear();
          }
          ++objects_open_;
        }
        out_.push_back(c);
        pos_ = SkipSpace(t_, pos_ + 1);
        // An empty container is a whole value: Run then looks for what follows it.
        if (pos_ < t_.size() && t_[pos_] == (c == '{' ? '}' : ']')) {
          Close();
          return true;
        }
        want_value_ = true;
        return c == '[' || Key("a string key or '}'");
      }
      case '"': {
        const size_t start = pos_;
        if (!ScanString(t_, &pos_, nullptr, &err_)) return false;
        out_.append(t_.substr(start, pos_ - start));
        return true;
      }
      case 't':
        return Literal("true");
      case 'f':
        return Literal("false");
      case 'n':
        return Literal("null");
      default:
        if (c == '-' || IsDigit(c)) return Number();
        return Fail(&err_, pos_, std::string("expected a value, found ") + Describe(c));
    }
  }

  // Reads `"key":` at pos_ (after optional whitespace), refusing a key seen before in the same
  // object.
  bool Key(const char* expected) {
    pos_ = SkipSpace(t_, pos_);
    if (pos_ >= t_.size()) {
      return Fail(&err_, pos_, std::string("unexpected end of input (expected ") + expected + ")");
    }
    if (t_[pos_] != '"') return Fail(&err_, pos_, std::string("expected ") + expected);
    const size_t start = pos_;
    key_.clear();
    if (!ScanString(t_, &pos_, &key_, &err_)) return false;
    if (!key_sets_[objects_open_ - 1].insert(key_).second) {
      duplicate_ = true;
      err_.at = start;
      return false;
    }
    out_.append(t_.substr(start, pos_ - start));
    pos_ = SkipSpace(t_, pos_);
    if (pos_ >= t_.size()) {
      return Fail(&err_, pos_, "unexpected end of input (expected ':' after the key)");
    }
    if (t_[pos_] != ':') return Fail(&err_, pos_, "expected ':' after the key");
    out_.push_back(':');
    ++pos_;
    return true;
  }

  void Close() {
    if (open_.back() == '{') --objects_open_;
    out_.push_back(open_.back() == '{' ? '}' : ']');
    open_.pop_back();
    ++pos_;
  }

  bool Literal(std::string_view word) {
    if (t_.substr(pos_, word.size()) != word) {
      return Fail(&err_, pos_, "invalid literal (expected true, false or null)");
    }
    out_.append(word);
    pos_ += word.size();
    return true;
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, copied as written.
  bool Number() {
    const size_t n = t_.size();
    const size_t start = pos_;
    size_t p = pos_;
    if (t_[p] == '-') ++p;
    if (p >= n || !IsDigit(t_[p])) return Fail(&err_, p, "expected a digit after '-'");
    if (t_[p] == '0') {
      ++p;
      if (p < n && IsDigit(t_[p])) return Fail(&err_, start, "number has a leading zero");
    } else {
      while (p < n && IsDigit(t_[p])) {
        ++p;
      }
    }
    if (p < n && t_[p] == '.') {
      ++p;
      if (p >= n || !IsDigit(t_[p])) return Fail(&err_, p, "expected a digit after '.'");
      while (p < n && IsDigit(t_[p])) {
        ++p;
      }
    }
    if (p < n && (t_[p] == 'e' || t_[p] == 'E')) {
      ++p;
      if (p < n && (t_[p] == '+' || t_[p] == '-')) ++p;
      if (p >= n || !IsDigit(t_[p])) return Fail(&err_, p, "expected a digit in the exponent");
      while (p < n && IsDigit(t_[p])) {
        ++p;
      }
    }
    out_.append(t_.substr(start, p - start));
    pos_ = p;
    return true;
  }

  Status Invalid(size_t at, const std::string& what) {
    return Status::InvalidArgument(std::string("invalid JSON at byte ") + std::to_string(at) +
                                   ": " + what);
  }

  Status Refusal() {
    if (depth_exceeded_) {
      return Status::InvalidArgument(std::string("JSON nests deeper than ") +
                                     std::to_string(max_depth_) + " levels (byte " +
                                     std::to_string(err_.at) + ")");
    }
    if (duplicate_) {
      return Status::InvalidArgument(std::string("key '") + DisplayKey(key_) +
                                     "' appears twice in one object (byte " +
                                     std::to_string(err_.at) + ")");
    }
    return Invalid(err_.at, err_.what);
  }

  const std::string_view t_;
  const size_t max_depth_;
  size_t pos_ = 0;
  std::string out_;
  std::string open_;  // '{' or '[' per open container, innermost last
  // The keys seen so far in each open object, innermost last. Sets are kept (cleared, not
  // freed) when their object closes, for the next object at that depth.
  std::vector<std::unordered_set<std::string>> key_sets_;
  size_t objects_open_ = 0;
  std::string key_;         // the decoded key being read
  bool want_value_ = true;  // a value comes next (not ',' or a closing bracket)
  bool depth_exceeded_ = false;
  bool duplicate_ = false;
  Error err_;
};

// --- Reading compact objects --------------------------------------------------------------
//
// These trust their input to be CompactJson's output, so they only find where things end; but
// each index is checked before it is read, and anything that does not fit is an error.

// The offset just past the string whose opening quote is t[pos], or npos.
size_t SkipString(std::string_view t, size_t pos) {
  const size_t n = t.size();
  ++pos;
  while (pos < n) {
    const char c = t[pos];
    if (c == '"') return pos + 1;
    pos += c == '\\' ? 2 : 1;
  }
  return kNpos;
}

bool IsScalarByte(char c) {
  return (c >= 'a' && c <= 'z') || IsDigit(c) || c == '-' || c == '+' || c == '.' || c == 'E';
}

// The offset just past the value whose first byte is t[pos], or npos when it is cut short or
// its brackets do not match.
size_t SkipValue(std::string_view t, size_t pos) {
  std::string closers;  // what each open container ends with, innermost last
  const size_t n = t.size();
  while (pos < n) {
    const char c = t[pos];
    if (c == '"') {
      pos = SkipString(t, pos);
      if (pos == kNpos) return kNpos;
    } else if (c == '{' || c == '[') {
      closers.push_back(c == '{' ? '}' : ']');
      ++pos;
      continue;
    } else if (c == '}' || c == ']') {
      if (closers.empty() || closers.back() != c) return kNpos;
      closers.pop_back();
      ++pos;
    } else if (IsScalarByte(c)) {
      while (pos < n && IsScalarByte(t[pos])) {
        ++pos;
      }
    } else if (!closers.empty() && (c == ',' || c == ':' || IsSpace(c))) {
      ++pos;
      continue;
    } else {
      return kNpos;
    }
    if (closers.empty()) return pos;
  }
  return kNpos;
}

bool IsObjectText(std::string_view t) {
  const size_t p = SkipSpace(t, 0);
  return p < t.size() && t[p] == '{';
}

// Walks the members of an object, one Next() at a time.
class MemberReader {
 public:
  explicit MemberReader(std::string_view t) : t_(t) {}

  bool Start(Error* err) {
    pos_ = SkipSpace(t_, 0);
    if (pos_ >= t_.size() || t_[pos_] != '{') return Fail(err, pos_, "not a JSON object");
    pos_ = SkipSpace(t_, pos_ + 1);
    if (pos_ < t_.size() && t_[pos_] == '}') return End(err);
    return true;
  }

  // Reads the next member into *key_text and *value; false on an error.
  // REQUIRES: !done()
  bool Next(std::string_view* key_text, std::string_view* value, Error* err) {
    if (pos_ >= t_.size() || t_[pos_] != '"') return Fail(err, pos_, "expected a string key");
    const size_t key_end = SkipString(t_, pos_);
    if (key_end == kNpos) return Fail(err, pos_, "unterminated string");
    *key_text = t_.substr(pos_, key_end - pos_);
    pos_ = SkipSpace(t_, key_end);
    if (pos_ >= t_.size() || t_[pos_] != ':') return Fail(err, pos_, "expected ':'");
    pos_ = SkipSpace(t_, pos_ + 1);
    const size_t value_end = pos_ < t_.size() ? SkipValue(t_, pos_) : kNpos;
    if (value_end == kNpos) return Fail(err, pos_, "malformed value");
    *value = t_.substr(pos_, value_end - pos_);
    pos_ = SkipSpace(t_, value_end);
    if (pos_ < t_.size() && t_[pos_] == ',') {
      pos_ = SkipSpace(t_, pos_ + 1);
      return true;
    }
    if (pos_ < t_.size() && t_[pos_] == '}') return End(err);
    return Fail(err, pos_, "expected ',' or '}'");
  }

  // True once the closing brace was read (after Start of "{}", or with the last member).
  bool done() const { return done_; }

 private:
  bool End(Error* err) {
    const size_t after = SkipSpace(t_, pos_ + 1);
    if (after != t_.size()) return Fail(err, after, "unexpected data after the object");
    done_ = true;
    pos_ = after;
    return true;
  }

  const std::string_view t_;
  size_t pos_ = 0;
  bool done_ = false;
};

Status Malformed(const Error& err) {
  return Status::InvalidArgument(std::string("malformed JSON object at byte ") +
                                 std::to_string(err.at) + ": " + err.what);
}

// Decodes a key as written (quotes included) into *out.
bool DecodeKey(std::string_view key_text, std::string* out, Error* err) {
  size_t pos = 0;
  if (!ScanString(key_text, &pos, out, err)) return false;
  if (pos != key_text.size()) return Fail(err, pos, "malformed key");
  return true;
}

// Calls visit(key_text, value) for each member until it returns false. The error, if any, is
// in *err and the result is false.
template <typename Visit>
bool ForEachMember(std::string_view object, Error* err, Visit visit) {
  MemberReader reader(object);
  if (!reader.Start(err)) return false;
  std::string_view key_text, value;
  while (!reader.done()) {
    if (!reader.Next(&key_text, &value, err)) return false;
    if (!visit(key_text, value)) return true;
  }
  return true;
}

}  // namespace

Result<std::string> CompactJson(std::string_view text, size_t max_depth) {
  Compactor compactor(text, max_depth);
  return compactor.Run();
}

Result<std::vector<JsonMember>> ObjectMembers(std::string_view compact_object) {
  std::vector<JsonMember> members;
  Error err;
  bool key_ok = true;
  const bool ok =
      ForEachMember(compact_object, &err, [&](std::string_view key_text, std::string_view value) {
        JsonMember m;
        if (!DecodeKey(key_text, &m.key, &err)) {
          err.at += static_cast<size_t>(key_text.data() - compact_object.data());
          key_ok = false;
          return false;
        }
        m.key_text = key_text;
        m.value = value;
        members.push_back(std::move(m));
        return true;
      });
  if (!ok || !key_ok) return Malformed(err);
  return members;
}

std::optional<std::string_view> FindMember(std::string_view compact_object, std::string_view key) {
  std::optional<std::string_view> found;
  std::string decoded;
  Error err;
  ForEachMember(compact_object, &err, [&](std::string_view key_text, std::string_view value) {
    const std::string_view raw = key_text.substr(1, key_text.size() - 2);
    bool match;
    if (raw.find('\\') == std::string_view::npos) {
      match = raw == key;
    } else {
      decoded.clear();
      match = DecodeKey(key_text, &decoded, &err) && decoded == key;
    }
    if (match) found = value;
    return !match;
  });
  return found;
}

namespace {

// One object being merged: the target's members, rewritten in place as the patch's members
// are applied one by one.
struct MergeFrame {
  struct Slot {
    std::string_view key_text;
    std::string_view value;  // the value text, unless `merged` holds it
    std::string merged;      // the result of a nested merge
    bool use_merged = false;
    bool removed = false;
  };

  std::vector<JsonMember> target;
  std::vector<JsonMember> patch;
  std::vector<Slot> slots;  // slots[i] is target[i] for i < target.size(); then appended keys
  // Decoded target key -> index, for large targets only. The views point into target[i].key:
  // a frame is never copied or moved (MergePatch holds frames by pointer).
  std::unordered_map<std::string_view, size_t> index;
  size_t next = 0;         // the next patch member to apply
  size_t pending = kNpos;  // the slot a nested merge's result goes to

  static constexpr size_t kIndexFrom = 16;

  MergeFrame() = default;
  MergeFrame(const MergeFrame&) = delete;
  MergeFrame& operator=(const MergeFrame&) = delete;

  Status Init(std::string_view target_text, std::string_view patch_text) {
    auto t = ObjectMembers(target_text);
    if (!t.ok()) return t.status().WithContext("merge patch target");
    auto p = ObjectMembers(patch_text);
    if (!p.ok()) return p.status().WithContext("merge patch");
    target = std::move(*t);
    patch = std::move(*p);
    slots.resize(target.size());
    for (size_t i = 0; i < target.size(); ++i) {
      slots[i].key_text = target[i].key_text;
      slots[i].value = target[i].value;
    }
    if (target.size() >= kIndexFrom) {
      for (size_t i = 0; i < target.size(); ++i) {
        index.emplace(target[i].key, i);
      }
    }
    return Status::Ok();
  }

  size_t Find(const std::string& key) const {
    if (target.size() >= kIndexFrom) {
      auto it = index.find(key);
      return it == index.end() ? kNpos : it->second;
    }
    for (size_t i = 0; i < target.size(); ++i) {
      if (target[i].key == key) return i;
    }
    return kNpos;
  }

  std::string Serialize() const {
    size_t size = 2;
    for (const Slot& s : slots) {
      size += s.key_text.size() + 2 + (s.use_merged ? s.merged.size() : s.value.size());
    }
    std::string out;
    out.reserve(size);
    out.push_back('{');
    bool first = true;
    for (const Slot& s : slots) {
      if (s.removed) continue;
      if (!first) out.push_back(',');
      first = false;
      out.append(s.key_text);
      out.push_back(':');
      if (s.use_merged) {
        out.append(s.merged);
      } else {
        out.append(s.value);
      }
    }
    out.push_back('}');
    return out;
  }
};

std::string_view Trim(std::string_view t) {
  const size_t start = SkipSpace(t, 0);
  size_t end = t.size();
  while (end > start && IsSpace(t[end - 1])) {
    --end;
  }
  return t.substr(start, end - start);
}

}  // namespace

Result<std::string> MergePatch(std::string_view compact_target, std::string_view compact_patch) {
  if (!IsObjectText(compact_patch)) return std::string(Trim(compact_patch));
  // Nested merges descend through this explicit stack, one frame per patch object level.
  std::vector<std::unique_ptr<MergeFrame>> stack;
  stack.push_back(std::make_unique<MergeFrame>());
  FOLIO_RETURN_IF_ERROR(
      stack.back()->Init(IsObjectText(compact_target) ? compact_target : "{}", compact_patch));
  for (;;) {
    MergeFrame& frame = *stack.back();
    if (frame.next < frame.patch.size()) {
      const JsonMember& member = frame.patch[frame.next++];
      size_t at = frame.Find(member.key);
      if (member.value == "null") {
        if (at != kNpos) frame.slots[at].removed = true;
        continue;
      }
      if (!IsObjectText(member.value)) {
        if (at == kNpos) {
          at = frame.slots.size();
          frame.slots.emplace_back();
          frame.slots[at].key_text = member.key_text;
        }
        MergeFrame::Slot& slot = frame.slots[at];
        slot.value = member.value;
        slot.use_merged = false;
        slot.removed = false;
        continue;
      }
      const std::string_view nested_target =
          at != kNpos && IsObjectText(frame.target[at].value) ? frame.target[at].value : "{}";
      if (at == kNpos) {
        at = frame.slots.size();
        frame.slots.emplace_back();
        frame.slots[at].key_text = member.key_text;
      }
      frame.pending = at;
      auto nested = std::make_unique<MergeFrame>();
      FOLIO_RETURN_IF_ERROR(nested->Init(nested_target, member.value));
      stack.push_back(std::move(nested));
      continue;
    }
    std::string merged = frame.Serialize();
    stack.pop_back();
    if (stack.empty()) return merged;
    MergeFrame& parent = *stack.back();
    MergeFrame::Slot& slot = parent.slots[parent.pending];
    slot.merged = std::move(merged);
    slot.use_merged = true;
    slot.removed = false;
  }
}

}  // namespace folio::storage
