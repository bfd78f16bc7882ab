// Options as data. Every option of every command is declared once, in an OptionTable next to
// its options struct: name (the flag without "--", and the config key), type, default (the
// struct's own initial value), allowed range or choices, help, and role. From that one
// declaration come
//   - the command-line flags and their --help with the live default (cli/option_flags.h),
//   - the keys of TOML configs and recipes (cli/option_config.h),
//   - validation of the whole effective options before any work (validate()),
//   - the run records and the stage keys (to_json(): canonical JSON, so `lr = 1e-5` and
//     `lr = 0.00001` are one value).
//
// Example:
//   OptionTable<Trainer> t;
//   t.add("lr", &Trainer::lr, "Peak learning rate").above(0).at_most(1);
//   t.add("precision", &Trainer::precision, "Arithmetic");   // an enum with EnumNames
//
// Enums are enums: their names are parsed here, at the edge, and nowhere else.
#pragma once
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "porkit/util/error.h"

namespace porkit::options {

using json = nlohmann::json;

// The names of an enum's values, in the order --help lists them. Specialise next to the enum:
//   template <> struct EnumNames<Precision> {
//     static const std::vector<std::pair<Precision, std::string>>& values();
//   };
template <class E>
struct EnumNames;

template <class E>
std::string enum_name(E value) {
  for (const auto& [v, name] : EnumNames<E>::values())
    if (v == value) return name;
  return "?";
}

template <class E>
std::vector<std::string> enum_choices() {
  std::vector<std::string> names;
  for (const auto& [v, name] : EnumNames<E>::values()) names.push_back(name);
  return names;
}

std::string join(const std::vector<std::string>& items, const std::string& separator = ", ");
// The first `count` items joined, and when there are more, ", ... (N in all)".
std::string join_first(const std::vector<std::string>& items, size_t count, const std::string& separator = ", ");

template <class E>
E enum_from_name(const std::string& name, const std::string& what) {
  for (const auto& [v, n] : EnumNames<E>::values())
    if (n == name) return v;
  fail("{}: expected one of {}, got '{}'", what, join(enum_choices<E>()), name);
}

// What an option's value means for the run.
enum class Role {
  Setting,  // changes the results: recorded, and part of the stage keys
  Input,    // a path read as input: its content's hash goes into the stage keys, not the path
  Output,   // where results are written: recorded, never in a key
  Runtime,  // how the work runs (threads, logging, checkpoints): recorded, never in a key
};

enum class Kind { Bool, Integer, Unsigned, Real, Text, Choice, TextList };

// Strict parsers of command-line text: the whole string must be the value. Each throws
// porkit::Error naming `what` and the text.
bool parse_bool(const std::string& text, const std::string& what);
int64_t parse_integer(const std::string& text, const std::string& what);
uint64_t parse_unsigned(const std::string& text, const std::string& what);
double parse_real(const std::string& text, const std::string& what);

// One declared option of the options struct S.
template <class S>
struct Option {
  std::string name;
  std::string help;
  Kind kind = Kind::Text;
  Role role = Role::Setting;
  std::vector<std::string> choices;  // Kind::Choice, and a TextList of choices
  std::optional<double> min, max;    // inclusive bounds, numbers only
  bool min_open = false;             // min itself excluded
  bool required = false;             // must be given (a text or list that is not empty)
  char list_separator = 0;           // TextList from one command-line value, e.g. ','
  std::function<json(const S&)> get;                     // the value as canonical JSON
  std::function<void(S&, const json&)> set;              // from JSON (configs, records)
  std::function<void(S&, const std::string&)> parse;     // from one command-line value
  std::function<std::string(const S&)> check;            // extra rule; "" when satisfied

  // Builder calls, chained after OptionTable::add().
  Option& at_least(double v) { min = v; min_open = false; return *this; }
  Option& above(double v) { min = v; min_open = true; return *this; }
  Option& at_most(double v) { max = v; return *this; }
  Option& range(double lo, double hi) { min = lo; min_open = false; max = hi; return *this; }
  Option& as(Role r) { role = r; return *this; }
  Option& needed() { required = true; return *this; }
  // A list that may also come as one text: "cf,mn,bb" on the command line or in a config.
  Option& separated_by(char c) {
    list_separator = c;
    set = [inner = set, c](S& s, const json& v) {
      if (!v.is_string()) return inner(s, v);
      json items = json::array();
      std::string item;
      for (char ch : v.get<std::string>()) {
        if (ch == c) {
          items.push_back(item);
          item.clear();
        } else {
          item += ch;
        }
      }
      items.push_back(item);
      inner(s, items);
    };
    return *this;
  }
  Option& rule(std::function<std::string(const S&)> f) { check = std::move(f); return *this; }

  // "--lr" as users write it.
  std::string flag() const { return "--" + name; }
  // The bounds in words, e.g. "a number above 0 and at most 1".
  std::string describe_range() const;
};

namespace detail {

template <class T>
struct is_optional_enum : std::false_type {};
template <class E>
struct is_optional_enum<std::optional<E>> : std::is_enum<E> {};

template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};

template <class T>
struct is_enum_vector : std::false_type {};
template <class E>
struct is_enum_vector<std::vector<E>> : std::is_enum<E> {};

std::string range_words(Kind kind, std::optional<double> min, bool min_open, std::optional<double> max);
json json_number_checked(const json& value, const std::string& what, Kind kind);

}  // namespace detail

template <class S>
std::string Option<S>::describe_range() const {
  return detail::range_words(kind, min, min_open, max);
}

template <class S>
class OptionTable {
 public:
  // Declares `name` bound to the field `field` returns for a struct; the field's type picks
  // the kind: bool, int/int64_t, uint64_t, double, std::string, std::vector<std::string>, an
  // enum with EnumNames, or a std::vector of such an enum (a list whose items are choices).
  template <class T>
  Option<S>& add(std::string name, std::function<T&(S&)> field, std::string help);

  // The same for a direct member.
  template <class T>
  Option<S>& add(std::string name, T S::*member, std::string help) {
    return add<T>(std::move(name), std::function<T&(S&)>([member](S& s) -> T& { return s.*member; }),
                  std::move(help));
  }

  // Options of a nested struct N reached through `part`, with every name as declared there
  // (only those in `names`, when given; a name the nested table lacks is an error).
  template <class N>
  void include(const OptionTable<N>& nested, std::function<N&(S&)> part,
               const std::vector<std::string>& names = {});
  // The same for a direct member: t.include(run_settings_table(), &Options::run).
  template <class N>
  void include(const OptionTable<N>& nested, N S::*member, const std::vector<std::string>& names = {}) {
    include(nested, std::function<N&(S&)>([member](S& s) -> N& { return s.*member; }), names);
  }
  // Changes the help or role of an included option.
  Option<S>& at(const std::string& name) {
    for (auto& o : options_)
      if (o.name == name) return o;
    fail("no option --{}", name);
  }

  const std::vector<Option<S>>& options() const { return options_; }
  const Option<S>* find(const std::string& name) const {
    for (const auto& o : options_)
      if (o.name == name) return &o;
    return nullptr;
  }
  // Cross-field rules ("give exactly one of --size or --config"): each returns "" when
  // satisfied, or the problem in words.
  void add_rule(std::function<std::string(const S&)> rule) { rules_.push_back(std::move(rule)); }
  const std::vector<std::function<std::string(const S&)>>& rules() const { return rules_; }

 private:
  std::vector<Option<S>> options_;
  std::vector<std::function<std::string(const S&)>> rules_;
};

template <class S>
template <class T>
Option<S>& OptionTable<S>::add(std::string name, std::function<T&(S&)> field, std::string help) {
  for (const auto& o : options_) check(o.name != name, "option --{} is declared twice", name);
  Option<S> o;
  o.name = name;
  o.help = std::move(help);
  const std::string what = "--" + name;
  // Reading through a const struct: the accessor takes a mutable one and only reads.
  auto ref = [field](const S& s) -> const T& { return field(const_cast<S&>(s)); };
  if constexpr (std::is_same_v<T, bool>) {
    o.kind = Kind::Bool;
    o.get = [ref](const S& s) { return json(ref(s)); };
    o.set = [field, what](S& s, const json& v) {
      check(v.is_boolean(), "{}: expected true or false, got {}", what, v.dump());
      field(s) = v.get<bool>();
    };
    o.parse = [field, what](S& s, const std::string& t) { field(s) = parse_bool(t, what); };
  } else if constexpr (std::is_enum_v<T>) {
    o.kind = Kind::Choice;
    o.choices = enum_choices<T>();
    o.get = [ref](const S& s) { return json(enum_name(ref(s))); };
    o.set = [field, what](S& s, const json& v) {
      check(v.is_string(), "{}: expected one of {}, got {}", what, join(enum_choices<T>()), v.dump());
      field(s) = enum_from_name<T>(v.get<std::string>(), what);
    };
    o.parse = [field, what](S& s, const std::string& t) { field(s) = enum_from_name<T>(t, what); };
  } else if constexpr (detail::is_optional_enum<T>::value) {
    // An enum that may be unset (e.g. --size, given or not): JSON null when unset.
    using E = typename T::value_type;
    o.kind = Kind::Choice;
    o.choices = enum_choices<E>();
    o.get = [ref](const S& s) { return ref(s) ? json(enum_name(*ref(s))) : json(nullptr); };
    o.set = [field, what](S& s, const json& v) {
      if (v.is_null()) {
        field(s).reset();
        return;
      }
      check(v.is_string(), "{}: expected one of {}, got {}", what, join(enum_choices<E>()), v.dump());
      field(s) = enum_from_name<E>(v.get<std::string>(), what);
    };
    o.parse = [field, what](S& s, const std::string& t) { field(s) = enum_from_name<E>(t, what); };
  } else if constexpr (std::is_same_v<T, uint64_t>) {
    o.kind = Kind::Unsigned;
    o.get = [ref](const S& s) { return json(ref(s)); };
    o.set = [field, what](S& s, const json& v) {
      check(v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0),
            "{}: expected a whole number from 0 to {}, got {}", what, std::numeric_limits<uint64_t>::max(), v.dump());
      field(s) = v.get<uint64_t>();
    };
    o.parse = [field, what](S& s, const std::string& t) { field(s) = parse_unsigned(t, what); };
  } else if constexpr (std::is_integral_v<T>) {
    o.kind = Kind::Integer;
    o.get = [ref](const S& s) { return json(static_cast<int64_t>(ref(s))); };
    auto store = [field, what](S& s, int64_t v) {
      check(v >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
                v <= static_cast<int64_t>(std::numeric_limits<T>::max()),
            "{}: {} is out of range", what, v);
      field(s) = static_cast<T>(v);
    };
    o.set = [store, what](S& s, const json& v) {
      check(v.is_number_integer() && !(v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX)),
            "{}: expected a whole number, got {}", what, v.dump());
      store(s, v.get<int64_t>());
    };
    o.parse = [store, what](S& s, const std::string& t) { store(s, parse_integer(t, what)); };
  } else if constexpr (std::is_floating_point_v<T>) {
    o.kind = Kind::Real;
    o.get = [ref](const S& s) { return json(static_cast<double>(ref(s))); };
    o.set = [field, what](S& s, const json& v) {
      field(s) = static_cast<T>(detail::json_number_checked(v, what, Kind::Real).template get<double>());
    };
    o.parse = [field, what](S& s, const std::string& t) { field(s) = static_cast<T>(parse_real(t, what)); };
  } else if constexpr (std::is_same_v<T, std::string>) {
    o.kind = Kind::Text;
    o.get = [ref](const S& s) { return json(ref(s)); };
    o.set = [field, what](S& s, const json& v) {
      check(v.is_string(), "{}: expected a text, got {}", what, v.dump());
      field(s) = v.get<std::string>();
    };
    o.parse = [field](S& s, const std::string& t) { field(s) = t; };
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    o.kind = Kind::TextList;
    o.get = [ref](const S& s) { return json(ref(s)); };
    o.set = [field, what](S& s, const json& v) {
      if (v.is_string()) {
        field(s) = {v.get<std::string>()};
        return;
      }
      check(v.is_array(), "{}: expected a list of texts, got {}", what, v.dump());
      std::vector<std::string> items;
      for (const auto& item : v) {
        check(item.is_string(), "{}: expected a list of texts, found {}", what, item.dump());
        items.push_back(item.get<std::string>());
      }
      field(s) = std::move(items);
    };
    // One command-line value adds one item; a list separator (set later) splits it.
    o.parse = [field](S& s, const std::string& t) { field(s).push_back(t); };
  } else if constexpr (detail::is_enum_vector<T>::value) {
    // A list of choices, e.g. --positions random,start: a TextList whose items are names.
    using E = typename T::value_type;
    o.kind = Kind::TextList;
    o.choices = enum_choices<E>();
    o.get = [ref](const S& s) {
      json names = json::array();
      for (E v : ref(s)) names.push_back(enum_name(v));
      return names;
    };
    o.set = [field, what](S& s, const json& v) {
      const json items = v.is_string() ? json::array({v}) : v;
      check(items.is_array(), "{}: expected a list of {}, got {}", what, join(enum_choices<E>()), v.dump());
      T values;
      for (const auto& item : items) {
        check(item.is_string(), "{}: expected one of {}, found {}", what, join(enum_choices<E>()), item.dump());
        values.push_back(enum_from_name<E>(item.get<std::string>(), what));
      }
      field(s) = std::move(values);
    };
    o.parse = [field, what](S& s, const std::string& t) { field(s).push_back(enum_from_name<E>(t, what)); };
  } else {
    static_assert(!sizeof(T*), "OptionTable::add: unsupported option type");
  }
  options_.push_back(std::move(o));
  return options_.back();
}

template <class S>
template <class N>
void OptionTable<S>::include(const OptionTable<N>& nested, std::function<N&(S&)> part,
                             const std::vector<std::string>& names) {
  for (const auto& name : names) check(nested.find(name) != nullptr, "no option --{} to include", name);
  for (const auto& n : nested.options()) {
    if (!names.empty() && std::find(names.begin(), names.end(), n.name) == names.end()) continue;
    for (const auto& o : options_) check(o.name != n.name, "option --{} is declared twice", n.name);
    Option<S> o;
    o.name = n.name;
    o.help = n.help;
    o.kind = n.kind;
    o.role = n.role;
    o.choices = n.choices;
    o.min = n.min;
    o.max = n.max;
    o.min_open = n.min_open;
    o.required = n.required;
    o.list_separator = n.list_separator;
    o.get = [part, get = n.get](const S& s) { return get(part(const_cast<S&>(s))); };
    o.set = [part, set = n.set](S& s, const json& v) { set(part(s), v); };
    o.parse = [part, parse = n.parse](S& s, const std::string& t) { parse(part(s), t); };
    if (n.check) o.check = [part, check = n.check](const S& s) { return check(part(const_cast<S&>(s))); };
    options_.push_back(std::move(o));
  }
  if (names.empty()) {
    for (const auto& rule : nested.rules())
      rules_.push_back([part, rule](const S& s) { return rule(part(const_cast<S&>(s))); });
  }
}

// The problem with one option's value, or "" (range, required, its own rule).
template <class S>
std::string problem_of(const Option<S>& o, const S& s) {
  const json v = o.get(s);
  if (o.required && ((v.is_string() && v.get<std::string>().empty()) || (v.is_array() && v.empty())))
    return fmt::format("{} is required", o.flag());
  if (v.is_number() && (o.min || o.max)) {
    const double x = v.get<double>();
    const bool low = o.min && (o.min_open ? !(x > *o.min) : !(x >= *o.min));
    const bool high = o.max && !(x <= *o.max);
    if (low || high || x != x) return fmt::format("{}: expected {}, got {}", o.flag(), o.describe_range(), v.dump());
  }
  if (o.check) return o.check(s);
  return "";
}

// Validates every option and every rule; throws one porkit::Error listing all problems.
// `where` prefixes the message (e.g. "porkit inject").
template <class S>
void validate(const OptionTable<S>& table, const S& s, const std::string& where) {
  std::vector<std::string> problems;
  for (const auto& o : table.options()) {
    std::string p = problem_of(o, s);
    if (!p.empty()) problems.push_back(std::move(p));
  }
  for (const auto& rule : table.rules()) {
    std::string p = rule(s);
    if (!p.empty()) problems.push_back(std::move(p));
  }
  if (!problems.empty()) fail("{}: {}", where, join(problems, "; "));
}

// The options as canonical JSON, {name: value} sorted by name; only the given roles.
template <class S>
json to_json(const OptionTable<S>& table, const S& s, std::initializer_list<Role> roles) {
  json out = json::object();
  for (const auto& o : table.options()) {
    for (Role r : roles) {
      if (o.role == r) out[o.name] = o.get(s);
    }
  }
  return out;
}

template <class S>
json to_json(const OptionTable<S>& table, const S& s) {
  return to_json(table, s, {Role::Setting, Role::Input, Role::Output, Role::Runtime});
}

// Sets options from {name: value}; unknown names are an error that lists the known ones.
template <class S>
void apply_json(const OptionTable<S>& table, S& s, const json& values, const std::string& where) {
  check(values.is_object(), "{}: expected a table of options", where);
  for (auto it = values.begin(); it != values.end(); ++it) {
    const Option<S>* o = table.find(it.key());
    if (!o) {
      std::vector<std::string> known;
      for (const auto& opt : table.options()) known.push_back(opt.name);
      fail("{}: '{}' is not an option here (known: {})", where, it.key(), join(known));
    }
    try {
      o->set(s, it.value());
    } catch (const Error& e) {
      fail("{}: {}", where, e.what());
    }
  }
}

}  // namespace porkit::options
