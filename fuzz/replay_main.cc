// Replays a fuzz target without libFuzzer (any compiler): every file given (or found in a
// directory given), then --mutations deterministic pseudo-random mutations of them (--seed).
// A crash, a sanitizer report or an uncaught exception fails the run, as it would fail the
// fuzzer; the exit code is 0 otherwise. Used as the ctest unit test <target>_replay.
//
//   api_decode_fuzz_replay [--mutations N] [--seed S] FILE_OR_DIR...
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

// Tokens that reach decoder corner cases more often than random bytes do.
constexpr std::string_view kTokens[] = {
    "null",
    "{}",
    "[]",
    "\"\"",
    "0",
    "-1",
    "1e400",
    "1.5",
    "true",
    "\"a\"",
    R"("\u0000")",
    "9223372036854775808",
    "{\"metadata\":{}}",
    "\"$patch\"",
    "\"replace\"",
    "\"delete\"",
    "\"op\"",
    "\"path\"",
    "\"/spec\"",
    "\"remove\"",
    "\"add\"",
    R"("k8s\u0000")",
    "\"-\"",
    "\"~1\"",
};

void RunOne(const std::string& input) {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the fuzzer API takes bytes.
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// One to four byte-level edits of `input`, and sometimes a splice with `other`.
std::string Mutate(std::string input, const std::string& other, std::mt19937_64& rng) {
  auto below = [&rng](size_t n) { return n == 0 ? size_t{0} : static_cast<size_t>(rng() % n); };
  const size_t edits = 1 + below(4);
  for (size_t e = 0; e < edits; ++e) {
    switch (below(7)) {
      case 0:  // flip a bit
        if (!input.empty()) {
          char& c = input[below(input.size())];
          c = static_cast<char>(static_cast<unsigned char>(c) ^ (1U << below(8)));
        }
        break;
      case 1:  // insert a random byte
        input.insert(input.begin() + static_cast<std::ptrdiff_t>(below(input.size() + 1)),
                     static_cast<char>(below(256)));
        break;
      case 2: {  // erase a range
        size_t at = below(input.size());
        input.erase(at, 1 + below(16));
        break;
      }
      case 3: {  // duplicate a range
        size_t at = below(input.size());
        std::string piece = input.substr(at, 1 + below(32));
        input.insert(below(input.size() + 1), piece);
        break;
      }
      case 4: {  // insert a token
        std::string_view token = kTokens[below(std::size(kTokens))];
        input.insert(below(input.size() + 1), token);
        break;
      }
      case 5: {  // replace the body after a position with the other input's tail
        size_t at = below(input.size());
        input = input.substr(0, at) + other.substr(below(other.size()));
        break;
      }
      default:  // change a byte to a structural character
        if (!input.empty()) input[below(input.size())] = "{}[],:\"\n"[below(8)];
        break;
    }
  }
  return input;
}

}  // namespace

int main(int argc, char** argv) {
  size_t mutations = 0;
  uint64_t seed = 1;
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--mutations" && i + 1 < argc) {
      mutations = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::filesystem::is_directory(arg)) {
      for (const auto& entry : std::filesystem::directory_iterator(arg)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
    } else if (std::filesystem::is_regular_file(arg)) {
      files.emplace_back(arg);
    } else {
      std::fprintf(stderr, "no such file or directory: %s\n", argv[i]);
      return 2;
    }
  }
  std::sort(files.begin(), files.end());  // directory order varies; the run must not
  std::vector<std::string> inputs;
  inputs.reserve(files.size());
  for (const auto& file : files) inputs.push_back(ReadFile(file));
  for (const auto& input : inputs) RunOne(input);
  std::mt19937_64 rng(seed);
  if (!inputs.empty()) {
    for (size_t i = 0; i < mutations; ++i) {
      const std::string& base = inputs[rng() % inputs.size()];
      const std::string& other = inputs[rng() % inputs.size()];
      RunOne(Mutate(base, other, rng));
    }
  }
  std::printf("ran %zu inputs and %zu mutations\n", inputs.size(),
              inputs.empty() ? size_t{0} : mutations);
  return 0;
}
