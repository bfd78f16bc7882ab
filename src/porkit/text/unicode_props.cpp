#include "porkit/text/unicode_props.h"

#include <utf8proc.h>

namespace porkit::text {
namespace {

utf8proc_category_t category(char32_t cp) {
  return utf8proc_category(static_cast<utf8proc_int32_t>(cp));
}

bool is_cased(char32_t cp) {
  auto c = category(cp);
  return c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LL || c == UTF8PROC_CATEGORY_LT;
}

// Unicode's Case_Ignorable, approximated by its general-category part plus the
// word-internal punctuation it lists.
bool is_case_ignorable(char32_t cp) {
  auto c = category(cp);
  if (c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_ME || c == UTF8PROC_CATEGORY_CF ||
      c == UTF8PROC_CATEGORY_LM || c == UTF8PROC_CATEGORY_SK)
    return true;
  return cp == U'\'' || cp == U'.' || cp == U':' || cp == 0x00B7 || cp == 0x2019 ||
         cp == 0x2018 || cp == 0x2024 || cp == 0x00AD;
}

}  // namespace

bool is_bert_whitespace(char32_t cp) {
  if (cp == U' ' || cp == U'\t' || cp == U'\n' || cp == U'\r') return true;
  if (cp < 0x80) return false;  // no other ASCII character is Zs
  // HF's _is_whitespace knows only Zs, but its whitespace_tokenize is Python's str.split(),
  // which also splits at LINE SEPARATOR and PARAGRAPH SEPARATOR (Zl, Zp).
  if (cp == 0x2028 || cp == 0x2029) return true;
  return category(cp) == UTF8PROC_CATEGORY_ZS;
}

bool is_bert_control(char32_t cp) {
  if (cp == U'\t' || cp == U'\n' || cp == U'\r') return false;
  if (cp < 0x80) return cp < 0x20 || cp == 0x7F;  // ASCII Cc
  // HF's _is_control: every category starting with "C": Cc, Cf, Cs, Co (private use) and Cn
  // (unassigned). utf8proc reports unassigned code points as CN.
  switch (category(cp)) {
    case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO: case UTF8PROC_CATEGORY_CN:
      return true;
    default:
      return false;
  }
}

bool is_bert_punctuation(char32_t cp) {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
      (cp >= 123 && cp <= 126))
    return true;
  if (cp < 0x80) return false;  // the ranges above are all ASCII punctuation and symbols
  switch (category(cp)) {
    case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
      return true;
    default:
      return false;
  }
}

bool is_cjk_ideograph(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

void append_lower(std::vector<char32_t>& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(cp >= U'A' && cp <= U'Z' ? cp + 32 : cp);
    return;
  }
  if (cp == 0x0130) {  // LATIN CAPITAL I WITH DOT ABOVE: the one unconditional 1->2 mapping
    out.push_back(U'i');
    out.push_back(0x0307);
    return;
  }
  out.push_back(static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp))));
}

void lower_word(const std::vector<char32_t>& word, std::vector<char32_t>& out,
                std::vector<size_t>& source) {
  out.clear();
  source.clear();
  for (size_t i = 0; i < word.size(); ++i) {
    char32_t cp = word[i];
    if (cp == 0x03A3) {  // GREEK CAPITAL SIGMA: final form after a cased letter, at word end
      bool cased_before = false, cased_after = false;
      for (size_t j = i; j-- > 0;) {
        if (is_case_ignorable(word[j])) continue;
        cased_before = is_cased(word[j]);
        break;
      }
      for (size_t j = i + 1; j < word.size(); ++j) {
        if (is_case_ignorable(word[j])) continue;
        cased_after = is_cased(word[j]);
        break;
      }
      out.push_back(cased_before && !cased_after ? 0x03C2 : 0x03C3);
    } else {
      append_lower(out, cp);
    }
    source.resize(out.size(), i);
  }
}

void append_without_accents(std::vector<char32_t>& out, char32_t cp) {
  if (cp < 0xC0) {  // nothing below U+00C0 decomposes
    out.push_back(cp);
    return;
  }
  utf8proc_int32_t buffer[32];
  int last_boundclass = 0;
  utf8proc_ssize_t n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(cp), buffer, 32,
                                               UTF8PROC_DECOMPOSE, &last_boundclass);
  if (n <= 0 || n > 32) {
    out.push_back(cp);
    return;
  }
  for (utf8proc_ssize_t k = 0; k < n; ++k) {
    if (category(static_cast<char32_t>(buffer[k])) == UTF8PROC_CATEGORY_MN) continue;
    out.push_back(static_cast<char32_t>(buffer[k]));
  }
}

}  // namespace porkit::text
