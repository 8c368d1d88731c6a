// llama2.c tokenizer: encode/decode round trips, byte fallback, unicode, bad files.
#include <cstring>

#include "tests/workloads/llama2/common.h"
#include "workloads/common/error.h"
#include "workloads/llama2/tokenizer.h"

namespace slm::llama2 {
namespace {

using test::read_bytes;
using test::temp_dir;
using test::write_bytes;

// decode every token after BOS the way run.c prints them (without the printable filter)
std::string detokenize(const Tokenizer& t, const std::vector<int>& ids) {
  std::string s;
  for (size_t i = 1; i < ids.size(); ++i) s += t.decode(ids[i - 1], ids[i]);
  return s;
}

TEST(Tokenizer, Llama2KnownIds) {
  SLM_REQUIRE_SHARED("tokenizer.bin");
  const Tokenizer t(test::model_path("tokenizer.bin"), 32000);
  // Meta's Llama 2 SentencePiece model: "Hello world" -> <s> ▁Hello ▁world = 1 15043 3186
  EXPECT_EQ(t.encode("Hello world", true, false), (std::vector<int>{1, 15043, 3186}));
  EXPECT_EQ(t.encode("", true, true), (std::vector<int>{1, 2}));  // no dummy prefix for ""
  EXPECT_EQ(t.encode("", false, false), std::vector<int>{});
}

TEST(Tokenizer, RoundTripsAsciiAndUnicode) {
  SLM_REQUIRE_SHARED("tokenizer.bin");
  SLM_REQUIRE_SHARED("tok512.bin");
  const Tokenizer big(test::model_path("tokenizer.bin"), 32000);
  const Tokenizer small(test::model_path("tok512.bin"), 512);
  const std::string texts[] = {
      "Once upon a time, there was a little girl named Lily.",
      "Tabs\tand\nnewlines  double  spaces",
      "caf\xc3\xa9 na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x90\x89!",  // é ï 日本語 🐉
      "Numbers 12345 and symbols #$%&*()[]{}<>",
  };
  for (const Tokenizer* t : {&big, &small})
    for (const auto& s : texts) {
      const auto ids = t->encode(s, true, false);
      ASSERT_EQ(ids.front(), kBosToken);
      EXPECT_EQ(detokenize(*t, ids), s) << "vocab " << t->vocab_size();  // dummy prefix stripped
    }
}

TEST(Tokenizer, ByteFallbackForUnknownCodePoints) {
  SLM_REQUIRE_SHARED("tok512.bin");
  const Tokenizer t(test::model_path("tok512.bin"), 512);
  const std::string dragon = "\xf0\x9f\x90\x89";  // U+1F409, surely not among 512 pieces
  const auto ids = t.encode(dragon, false, false);
  // dummy prefix " ", then one token per byte: id = byte + 3
  ASSERT_EQ(ids.size(), 5u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(ids[1 + i], static_cast<unsigned char>(dragon[i]) + 3);
  EXPECT_EQ(t.decode(ids[1], ids[2]), "\x9f");  // "<0x9F>" decodes to the raw byte
  // the safe_printf filter drops lone non-printable bytes but keeps whitespace and text
  EXPECT_EQ(Tokenizer::printable("\x9f"), "");
  EXPECT_EQ(Tokenizer::printable(std::string(1, '\0')), "");
  EXPECT_EQ(Tokenizer::printable("\x07"), "");
  EXPECT_EQ(Tokenizer::printable("\n"), "\n");
  EXPECT_EQ(Tokenizer::printable("a"), "a");
  EXPECT_EQ(Tokenizer::printable("\x9f\x90"), "\x9f\x90");  // multi-byte pieces print as is
}

TEST(Tokenizer, LeadingSpaceStrippedOnlyAfterBos) {
  SLM_REQUIRE_SHARED("tok512.bin");
  const Tokenizer t(test::model_path("tok512.bin"), 512);
  const auto ids = t.encode("the cat", false, false);
  ASSERT_GE(ids.size(), 2u);
  const std::string& first = t.piece(ids[0]);
  ASSERT_EQ(first[0], ' ');
  EXPECT_EQ(t.decode(kBosToken, ids[0]), first.substr(1));
  EXPECT_EQ(t.decode(ids[0], ids[0]), first);
}

TEST(Tokenizer, BadFilesAreRefused) {
  SLM_REQUIRE_SHARED("tok512.bin");
  const auto d = temp_dir();
  const std::string good = read_bytes(test::model_path("tok512.bin"));
  auto refused = [&](const std::string& name, const std::string& bytes, int vocab,
                     const std::string& fragment) {
    write_bytes(d / name, bytes);
    try {
      Tokenizer t((d / name).string(), vocab);
      ADD_FAILURE() << name << ": accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  };
  refused("empty.bin", "", 512, "no max_token_length");
  refused("cut.bin", good.substr(0, good.size() - 3), 512, "truncated inside token 511");
  refused("half.bin", good.substr(0, 3000), 512, "truncated");
  refused("bigger_vocab.bin", good, 32000, "cannot hold 32000 tokens");
  refused("smaller_vocab.bin", good, 500, "larger than the model's");
  std::string absurd = good;
  const int32_t len = 1 << 30;
  std::memcpy(absurd.data() + 4 + 4, &len, 4);  // token 0's length
  refused("absurd_len.bin", absurd, 512, "token 0 length = 1073741824");
  std::string bad_max = good;
  const int32_t neg = -1;
  std::memcpy(bad_max.data(), &neg, 4);
  refused("bad_max.bin", bad_max, 512, "max_token_length = -1");
  EXPECT_THROW(Tokenizer((d / "nope.bin").string(), 512), Error);
}

}  // namespace
}  // namespace slm::llama2
