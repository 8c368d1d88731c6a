// llama2.c tokenizer (see tokenizer.h).
#include "workloads/llama2/tokenizer.h"

#include <algorithm>
#include <cstdint>
#include <cmath>
#include <queue>

#include <filesystem>
#include <fstream>

#include "workloads/common/error.h"

namespace slm::llama2 {

namespace {
constexpr int kMaxTokenLength = 1 << 16;  // absurd beyond this
constexpr int kByteFallbackOffset = 3;    // ids 0..2 are <unk>, <s>, </s>
}  // namespace

Tokenizer::Tokenizer(const std::string& path, int vocab_size) {
  if (vocab_size <= 0) throw err(path, ": tokenizer needs a model vocabulary, got ", vocab_size);
  std::ifstream f(path, std::ios::binary);
  if (!f) throw err(path, ": cannot open tokenizer");
  std::error_code ec;
  const uint64_t file_bytes = std::filesystem::file_size(path, ec);
  if (ec) throw err(path, ": cannot stat tokenizer: ", ec.message());
  int32_t max_len = 0;
  if (!f.read(reinterpret_cast<char*>(&max_len), 4))
    throw err(path, ": truncated tokenizer: no max_token_length header");
  if (max_len < 1 || max_len > kMaxTokenLength)
    throw err(path, ": header max_token_length = ", max_len, ": must be in [1, ", kMaxTokenLength,
              "]");
  max_token_length_ = max_len;
  // every record is at least 8 bytes: refuse a vocabulary the file cannot hold before reserving
  if (file_bytes < 4 + 8ull * vocab_size)
    throw err(path, ": ", file_bytes, " bytes cannot hold ", vocab_size,
              " tokens (the model's vocab_size): truncated or a different vocabulary");
  vocab_.reserve(vocab_size);
  scores_.reserve(vocab_size);
  for (int i = 0; i < vocab_size; ++i) {
    float score = 0.0f;
    int32_t len = 0;
    if (!f.read(reinterpret_cast<char*>(&score), 4) || !f.read(reinterpret_cast<char*>(&len), 4))
      throw err(path, ": truncated at token ", i, " of ", vocab_size,
                " (the model's vocab_size): truncated file or a different vocabulary");
    if (!std::isfinite(score)) throw err(path, ": token ", i, " score = ", score, ": must be a finite number");
    if (len < 0 || len > max_len)
      throw err(path, ": token ", i, " length = ", len, ": must be in [0, max_token_length = ",
                max_len, "]");
    std::string piece(static_cast<size_t>(len), '\0');
    if (!f.read(piece.data(), len))
      throw err(path, ": truncated inside token ", i, " of ", vocab_size);
    vocab_.push_back(std::move(piece));
    scores_.push_back(score);
  }
  if (f.peek() != std::char_traits<char>::eof())
    throw err(path, ": ", file_bytes - static_cast<uint64_t>(f.tellg()),
              " bytes left after ", vocab_size,
              " tokens: the tokenizer's vocabulary is larger than the model's");
  for (int i = 0; i < vocab_size; ++i) index_.emplace(vocab_[i], i);  // first one wins
}

int Tokenizer::lookup(const std::string& s) const {
  const auto it = index_.find(s);
  return it == index_.end() ? -1 : it->second;
}

int64_t Tokenizer::min_tokens(const std::string& text, bool bos) const {
  // Every token holds at most max_token_length bytes; the dummy prefix adds one byte.
  const int64_t bytes = static_cast<int64_t>(text.size()) + (text.empty() ? 0 : 1);
  return (bos ? 1 : 0) + (bytes + max_token_length_ - 1) / std::max(max_token_length_, 1);
}

std::vector<int> Tokenizer::encode(const std::string& text, bool bos, bool eos, int64_t max_tokens) const {
  if (max_tokens >= 0 && min_tokens(text, bos) + (eos ? 1 : 0) > max_tokens)
    throw err("prompt of ", text.size(), " bytes needs at least ", min_tokens(text, bos) + (eos ? 1 : 0),
              " tokens (at most ", max_token_length_, " bytes per token), more than the ", max_tokens, " positions available");
  std::vector<int> tokens;
  tokens.reserve(text.size() + 3);
  if (bos) tokens.push_back(kBosToken);
  if (!text.empty()) {  // add_dummy_prefix, as SentencePiece does
    const int space = lookup(" ");
    if (space < 0) throw err("tokenizer has no \" \" piece: cannot add the dummy prefix");
    tokens.push_back(space);
  }
  // one token per UTF-8 code point (at most 4 bytes), else byte fallback
  std::string cp;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) != 0x80) cp.clear();  // ASCII or a leading byte starts a new code point
    cp.push_back(static_cast<char>(c));
    const bool next_is_cont =
        i + 1 < text.size() && (static_cast<unsigned char>(text[i + 1]) & 0xC0) == 0x80;
    if (next_is_cont && cp.size() < 4) continue;
    if (const int id = lookup(cp); id != -1) {
      tokens.push_back(id);
    } else {
      for (const char b : cp) {
        const int id_b = static_cast<unsigned char>(b) + kByteFallbackOffset;
        if (id_b >= vocab_size())
          throw err("tokenizer has no byte-fallback token for byte ",
                    static_cast<int>(static_cast<unsigned char>(b)));
        tokens.push_back(id_b);
      }
    }
    cp.clear();
  }
  // Merge the best-scoring adjacent pair until none is in the vocabulary (first pair on
  // ties), as run.c does, in O(n log n): a doubly linked list of tokens and a heap of
  // candidate pairs; a candidate is stale once either of its tokens has changed.
  const size_t n = tokens.size();
  std::vector<size_t> prev(n), next(n);
  std::vector<uint32_t> version(n, 0);
  std::vector<char> alive(n, 1);
  for (size_t i = 0; i < n; ++i) {
    prev[i] = i - 1;  // wraps to SIZE_MAX for the first
    next[i] = i + 1;  // n for the last
  }
  struct Cand {
    float score;
    size_t left, right;
    uint32_t vl, vr;
    int id;
  };
  // Highest score first; on equal scores the leftmost pair (list order = index order).
  auto worse = [](const Cand& a, const Cand& b) { return a.score < b.score || (a.score == b.score && a.left > b.left); };
  std::priority_queue<Cand, std::vector<Cand>, decltype(worse)> heap(worse);
  std::string merged;
  auto push = [&](size_t l) {
    if (l >= n || next[l] >= n) return;
    const size_t r = next[l];
    merged = vocab_[tokens[l]];
    merged += vocab_[tokens[r]];
    const int id = lookup(merged);
    if (id != -1) heap.push(Cand{scores_[id], l, r, version[l], version[r], id});
  };
  for (size_t i = 0; i + 1 < n; ++i) push(i);
  while (!heap.empty()) {
    const Cand c = heap.top();
    heap.pop();
    if (!alive[c.left] || !alive[c.right] || next[c.left] != c.right || version[c.left] != c.vl || version[c.right] != c.vr) continue;
    tokens[c.left] = c.id;
    ++version[c.left];
    alive[c.right] = 0;
    next[c.left] = next[c.right];
    if (next[c.right] < n) prev[next[c.right]] = c.left;
    if (prev[c.left] < n) push(prev[c.left]);
    push(c.left);
  }
  std::vector<int> out;
  out.reserve(n + 1);
  for (size_t i = 0; i < n; ++i)
    if (alive[i]) out.push_back(tokens[i]);
  tokens = std::move(out);
  if (eos) tokens.push_back(kEosToken);
  if (max_tokens >= 0 && static_cast<int64_t>(tokens.size()) > max_tokens)
    throw err("prompt is ", tokens.size(), " tokens", bos ? " (with BOS)" : "", ", more than the ", max_tokens, " positions available");
  return tokens;
}

namespace {
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string Tokenizer::decode(int prev_token, int token) const {
  if (token < 0 || token >= vocab_size())
    throw err("token id ", token, " outside vocabulary [0, ", vocab_size(), ")");
  std::string piece = vocab_[token];
  // following BOS, SentencePiece strips the leading space
  if (prev_token == kBosToken && !piece.empty() && piece[0] == ' ') piece.erase(0, 1);
  // raw-byte tokens look like "<0x0A>" (run.c: sscanf "<0x%02hhX>")
  if (piece.size() >= 4 && piece.compare(0, 3, "<0x") == 0) {
    const int hi = hex_digit(piece[3]);
    if (hi >= 0) {
      const int lo = piece.size() > 4 ? hex_digit(piece[4]) : -1;
      const int byte = lo >= 0 ? hi * 16 + lo : hi;
      return std::string(1, static_cast<char>(byte));
    }
  }
  return piece;
}

std::string Tokenizer::printable(const std::string& piece) {
  std::string s = piece.substr(0, piece.find('\0'));  // printf("%s") stops at NUL
  if (s.empty()) return "";
  if (s.size() == 1) {
    const auto b = static_cast<unsigned char>(s[0]);
    const bool print = b >= 0x20 && b <= 0x7E;
    const bool space = b == ' ' || (b >= '\t' && b <= '\r');
    if (!print && !space) return "";  // a raw control byte: skip it
  }
  return s;
}

}  // namespace slm::llama2
