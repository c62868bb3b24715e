#pragma once
// Runs a program of the build (e.g. the `outpost` binary) and captures its exit code, stdout
// and stderr, for end-to-end tests of the command-line contract.

#include <string>
#include <vector>

namespace outpost::test {

struct RunResult {
  int exit_code = -1;  // -1: did not exit normally
  std::string out;
  std::string err;
};

// Runs `program` with `args` (no shell). stdin is /dev/null.
RunResult run_program(const std::string& program, const std::vector<std::string>& args);

// The outpost binary of this build.
std::string outpost_binary();
std::string rules_tool_binary();  // outpost-rules

// A fresh empty temporary folder (removed by the caller or left in /tmp).
std::string make_temp_dir(const std::string& tag);

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& bytes);
std::vector<std::string> read_lines(const std::string& path);

}  // namespace outpost::test
