// The character classes and normalisations of Hugging Face's BertTokenizer, on top of
// utf8proc's Unicode tables.
#pragma once
#include <cstddef>
#include <vector>

namespace porkit::text {

bool is_bert_whitespace(char32_t cp);   // space, \t, \n, \r, category Zs, U+2028, U+2029
bool is_bert_control(char32_t cp);      // category C* (Cc Cf Cs Co Cn), except \t \n \r
bool is_bert_punctuation(char32_t cp);  // ASCII symbol ranges, or any category P*
bool is_cjk_ideograph(char32_t cp);     // the CJK blocks BERT isolates as single tokens

// Python's str.lower() for one code point, where its result is context free: full case
// mapping (U+0130 becomes "i" + U+0307). Final sigma is handled by lower_word().
void append_lower(std::vector<char32_t>& out, char32_t cp);

// Python's str.lower() on a whole word, including the Final_Sigma rule. `source[j]` is the
// index in `word` of the character that produced out[j].
void lower_word(const std::vector<char32_t>& word, std::vector<char32_t>& out,
                std::vector<size_t>& source);

// Canonical decomposition (NFD) of one code point with non-spacing marks (Mn) removed.
void append_without_accents(std::vector<char32_t>& out, char32_t cp);

}  // namespace porkit::text
