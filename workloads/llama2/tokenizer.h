// llama2.c BPE tokenizer (tokenizer.bin format) with run.c's encode/decode rules.
//
// File: int32 max_token_length, then vocab_size records of (float32 score, int32 len,
// len bytes). The vocabulary size is not stored: it must equal the model's, and the file
// must end exactly after the last record (a longer or shorter file is refused).
// encode: optional BOS (1); a dummy-prefix " " token unless the text is empty; one token
// per UTF-8 code point found in the vocabulary, else one byte-fallback token per byte
// (id = byte + 3); then repeatedly merge the adjacent pair whose concatenation is the
// highest-scoring vocabulary entry (first such pair on ties); optional EOS (2).
// decode: strips the leading space of a piece that follows BOS; "<0xHH>" pieces become
// the raw byte. Not modelled: SentencePiece normalisation beyond that, chat templates.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace slm::llama2 {

inline constexpr int kBosToken = 1;
inline constexpr int kEosToken = 2;

class Tokenizer {
 public:
  Tokenizer(const std::string& path, int vocab_size);
  // max_tokens >= 0: slm::Error when the result would be longer; checked first from a
  // lower bound (bytes / max_token_length), so a huge prompt is refused before any work.
  // The merge loop is O(n log n) (a heap of candidate pairs), with run.c's results.
  std::vector<int> encode(const std::string& text, bool bos, bool eos, int64_t max_tokens = -1) const;
  // A lower bound on encode(text, bos, false).size().
  int64_t min_tokens(const std::string& text, bool bos) const;
  std::string decode(int prev_token, int token) const;  // llama2.c decode rules
  // llama2.c safe_printf filter: the text printed for a decoded piece ("" to skip): up to
  // the first NUL; a single byte is printed only when printable or whitespace (C locale).
  static std::string printable(const std::string& piece);
  int vocab_size() const { return static_cast<int>(vocab_.size()); }
  const std::string& piece(int id) const { return vocab_.at(id); }
  float score(int id) const { return scores_.at(id); }

 private:
  int lookup(const std::string& s) const;  // id or -1

  std::vector<std::string> vocab_;   // (vocab_size) token pieces
  std::vector<float> scores_;        // (vocab_size) merge scores
  std::unordered_map<std::string, int> index_;
  int max_token_length_ = 0;
};

}  // namespace slm::llama2
