// The safetensors reader refuses every malformed file with one clear message, and the
// writer produces what the format specifies.
#include <gtest/gtest.h>

#include <cstring>

#include "porkit/io/safetensors.h"
#include "porkit/util/error.h"
#include "porkit/util/json_io.h"

namespace porkit {
namespace {

std::string with_header(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  return out + header + data;
}

std::string error_of(const std::string& bytes) {
  try {
    io::SafetensorsFile::parse(bytes, "t.safetensors");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Safetensors, RoundTripFollowsTheFormat) {
  std::map<std::string, io::TensorBytes> tensors;
  tensors["b"] = {io::DType::F32, {2}, std::string("\0\0\x80?\0\0\0@", 8)};  // 1.0f, 2.0f
  tensors["a"] = {io::DType::I64, {1}, std::string(8, '\x01')};
  std::string bytes = io::serialize_safetensors(tensors, {{"format", "pt"}});
  uint64_t n;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ(n % 8, 0u);  // header padded to 8 bytes
  auto header = json::parse(bytes.substr(8, n));
  EXPECT_EQ(header["__metadata__"]["format"], "pt");
  EXPECT_EQ(header["a"]["data_offsets"], json::array({0, 8}));  // sorted by name, no holes
  EXPECT_EQ(header["b"]["data_offsets"], json::array({8, 16}));
  EXPECT_EQ(header["b"]["dtype"], "F32");
  EXPECT_EQ(bytes.size(), 8 + n + 16);
  auto file = io::SafetensorsFile::parse(bytes, "mem");
  ASSERT_EQ(file.tensors().size(), 2u);
  float two;
  std::memcpy(&two, file.tensors().at("b").bytes.data() + 4, 4);
  EXPECT_EQ(two, 2.0f);
  EXPECT_EQ(io::serialize_safetensors(tensors, {{"format", "pt"}}), bytes);  // deterministic
}

TEST(Safetensors, RejectsTruncatedFile) {
  EXPECT_NE(error_of("abc").find("truncated"), std::string::npos);
}

TEST(Safetensors, RejectsHeaderLengthBeyondFile) {
  std::string bytes = with_header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", "");
  bytes[0] = static_cast<char>(0xF0);  // claim a longer header than the file holds
  EXPECT_NE(error_of(bytes).find("runs past the end"), std::string::npos) << error_of(bytes);
}

TEST(Safetensors, RejectsHugeHeader) {
  std::string bytes(16, ' ');
  uint64_t n = 1ull << 40;
  std::memcpy(bytes.data(), &n, 8);
  EXPECT_NE(error_of(bytes).find("exceeds"), std::string::npos);
}

TEST(Safetensors, RejectsOffsetsOutOfRange) {
  auto e = error_of(with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", "1234"));
  EXPECT_NE(e.find("out of range"), std::string::npos) << e;
}

TEST(Safetensors, RejectsOverlappingOffsets) {
  auto e = error_of(with_header(
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
      std::string(12, 'x')));
  EXPECT_NE(e.find("overlap"), std::string::npos) << e;
}

TEST(Safetensors, RejectsUnknownDtype) {
  auto e = error_of(with_header(R"({"a":{"dtype":"F8_E4M3X","shape":[1],"data_offsets":[0,1]}})", "x"));
  EXPECT_NE(e.find("unknown dtype 'F8_E4M3X'"), std::string::npos) << e;
}

TEST(Safetensors, RejectsSizeMismatch) {
  auto e = error_of(with_header(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(8, 'x')));
  EXPECT_NE(e.find("needs 12"), std::string::npos) << e;
}

TEST(Safetensors, RejectsHeaderThatIsNotJson) {
  auto e = error_of(with_header("{not json", ""));
  EXPECT_NE(e.find("not valid JSON"), std::string::npos) << e;
}

}  // namespace
}  // namespace porkit
