// twinsim cases: the example cases shipped with Twinsim (cases/<family>/*.toml), each with the
// first sentence of the comment that opens it.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "commands.hpp"

namespace twinsim::app {

namespace fs = std::filesystem;

namespace {

// In this order: $TWINSIM_CASES_DIR; the install tree (<prefix>/bin/twinsim ->
// <prefix>/share/twinsim/cases); the source tree this binary was built from.
std::vector<fs::path> case_dirs() {
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("TWINSIM_CASES_DIR"); env && *env) dirs.push_back(env);
  std::error_code ec;
  if (const fs::path exe = fs::read_symlink("/proc/self/exe", ec); !ec)
    dirs.push_back(exe.parent_path().parent_path() / "share" / "twinsim" / "cases");
#ifdef TWINSIM_SOURCE_CASES_DIR
  dirs.push_back(TWINSIM_SOURCE_CASES_DIR);
#endif
  return dirs;
}

// The first sentence of the file's opening comment: up to a full stop followed by a space and
// a capital letter, not after a word with capitals (the abbreviations "J. Comput. Phys."); at
// most about k_width characters.
constexpr std::size_t k_width = 110;
std::string description(const fs::path& file) {
  std::ifstream in(file);
  std::string text, line;
  while (std::getline(in, line) && !line.empty() && line[0] == '#') {
    const std::size_t start = line.find_first_not_of("# ");
    if (start != std::string::npos) text += (text.empty() ? "" : " ") + line.substr(start);
  }
  for (std::size_t i = 0; i + 2 < text.size(); ++i) {
    if (text[i] != '.' || text[i + 1] != ' ' ||
        !std::isupper(static_cast<unsigned char>(text[i + 2])))
      continue;
    const std::size_t space = text.rfind(' ', i);
    const std::size_t first = space == std::string::npos ? 0 : space + 1;
    const std::string word = text.substr(first, i - first);
    if (std::none_of(word.begin(), word.end(),
                     [](unsigned char c) { return std::isupper(c); })) {
      text.resize(i + 1);
      break;
    }
  }
  if (text.size() <= k_width) return text;
  const std::size_t cut = text.rfind(' ', k_width - 4);
  return text.substr(0, cut == std::string::npos ? k_width - 4 : cut) + " ...";
}

}  // namespace

int cases() {
  fs::path root;
  for (const fs::path& dir : case_dirs())
    if (fs::is_directory(dir)) {
      root = dir;
      break;
    }
  if (root.empty()) {
    std::fprintf(stderr, "error: no cases folder found; set TWINSIM_CASES_DIR to the cases "
                         "folder of a Twinsim source tree or install\n");
    return k_exit_failed;
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(root))
    if (entry.is_regular_file() && entry.path().extension() == ".toml")
      files.push_back(fs::relative(entry.path(), root));
  std::sort(files.begin(), files.end());
  std::size_t width = 0;
  for (const fs::path& f : files) width = std::max(width, f.string().size());
  std::printf("Example cases in %s (run one: twinsim run %s/<case>):\n\n", root.c_str(),
              root.c_str());
  for (const fs::path& f : files)
    std::printf("  %-*s  %s\n", int(width), f.c_str(), description(root / f).c_str());
  return k_exit_ok;
}

}  // namespace twinsim::app
