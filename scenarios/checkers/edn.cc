#include "scenarios/checkers/edn.h"

#include <cctype>

namespace shoal::check::internal {
namespace {

constexpr size_t kSequenceItemsReserved = 10;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ','; }
bool is_delimiter(char c) {
  return is_space(c) || c == '[' || c == ']' || c == '{' || c == '}' || c == '(' || c == ')' || c == '"';
}

class EdnReader {
 public:
  explicit EdnReader(std::string_view text) : s_(text) {}

  std::optional<Edn> value(int depth) {
    skip_space();
    if (pos_ >= s_.size()) return fail("unexpected end of input");
    if (depth > kEdnDepthMax) return fail("nested too deeply");
    char c = s_[pos_];
    if (c == '[') return sequence(Edn::Kind::kVector, ']', depth);
    if (c == '(') return sequence(Edn::Kind::kList, ')', depth);
    if (c == '{') return sequence(Edn::Kind::kMap, '}', depth);
    if (c == '"') return string();
    if (c == ']' || c == ')' || c == '}') return fail(std::string("unexpected '") + c + "'");
    return atom();
  }

  bool at_end() {
    skip_space();
    return pos_ == s_.size();
  }
  const std::string& error() const { return error_; }

 private:
  std::optional<Edn> fail(std::string message) {
    if (error_.empty()) error_ = std::move(message) + " at column " + std::to_string(pos_ + 1);
    return std::nullopt;
  }

  void skip_space() {
    while (pos_ < s_.size() && is_space(s_[pos_])) ++pos_;
  }

  std::optional<Edn> sequence(Edn::Kind kind, char close, int depth) {
    Edn out;
    out.kind = kind;
    // A Jepsen event is a map of five entries: room for them from the start
    // saves the vector regrowing (and moving its items) for every line.
    out.items.reserve(kSequenceItemsReserved);
    ++pos_;
    for (;;) {
      skip_space();
      if (pos_ >= s_.size()) return fail(std::string("missing '") + close + "'");
      if (s_[pos_] == close) break;
      std::optional<Edn> item = value(depth + 1);
      if (!item) return std::nullopt;
      out.items.push_back(std::move(*item));
    }
    ++pos_;
    if (kind == Edn::Kind::kMap && out.items.size() % 2 != 0) return fail("a map needs a value for every key");
    return out;
  }

  std::optional<Edn> string() {
    Edn out;
    out.kind = Edn::Kind::kString;
    ++pos_;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      char c = s_[pos_++];
      if (c != '\\') {
        out.text.push_back(c);
        continue;
      }
      if (pos_ >= s_.size()) break;
      char e = s_[pos_++];
      switch (e) {
        case 'n':
          out.text.push_back('\n');
          break;
        case 't':
          out.text.push_back('\t');
          break;
        case 'r':
          out.text.push_back('\r');
          break;
        case '"':
        case '\\':
          out.text.push_back(e);
          break;
        case 'u':
          if (!unicode_escape(&out.text)) return fail("bad \\u escape");
          break;
        default:
          return fail(std::string("unsupported escape '\\") + e + "'");
      }
    }
    if (pos_ >= s_.size()) return fail("unterminated string");
    ++pos_;
    return out;
  }

  // Reads the four hex digits after "\\u" and appends the code point as UTF-8.
  bool unicode_escape(std::string* out) {
    if (pos_ + 4 > s_.size()) return false;
    uint32_t cp = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_++];
      if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
      cp = cp * 16 + uint32_t(std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (std::tolower(c) - 'a' + 10));
    }
    if (cp < 0x80) {
      out->push_back(char(cp));
    } else if (cp < 0x800) {
      out->push_back(char(0xC0 | (cp >> 6)));
      out->push_back(char(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(char(0xE0 | (cp >> 12)));
      out->push_back(char(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(char(0x80 | (cp & 0x3F)));
    }
    return true;
  }

  std::optional<Edn> atom() {
    size_t start = pos_;
    while (pos_ < s_.size() && !is_delimiter(s_[pos_])) ++pos_;
    std::string_view t = s_.substr(start, pos_ - start);
    if (t.empty()) return fail("unexpected character");
    Edn out;
    out.text = std::string(t);
    if (t == "nil") {
      out.kind = Edn::Kind::kNil;
    } else if (t == "true" || t == "false") {
      out.kind = Edn::Kind::kBool;
    } else if (t[0] == ':') {
      if (t.size() == 1) return fail("empty keyword");
      out.kind = Edn::Kind::kKeyword;
      out.text = std::string(t.substr(1));
    } else if (std::isdigit(static_cast<unsigned char>(t[0])) ||
               ((t[0] == '-' || t[0] == '+') && t.size() > 1 && std::isdigit(static_cast<unsigned char>(t[1])))) {
      out.kind = Edn::Kind::kNumber;
    } else {
      out.kind = Edn::Kind::kSymbol;
    }
    return out;
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace

const Edn* Edn::get(std::string_view keyword) const {
  if (kind != Kind::kMap) return nullptr;
  for (size_t i = 0; i + 1 < items.size(); i += 2) {
    if (items[i].kind == Kind::kKeyword && items[i].text == keyword) return &items[i + 1];
  }
  return nullptr;
}

std::optional<Edn> parse_edn(std::string_view text, std::string* error) {
  EdnReader reader(text);
  std::optional<Edn> v = reader.value(0);
  if (v && !reader.at_end()) {
    *error = "unexpected text after the value";
    return std::nullopt;
  }
  if (!v) *error = reader.error();
  return v;
}

}  // namespace shoal::check::internal
