// Starts real `shoal node` processes on 127.0.0.1 for whole-system tests and
// asks them for their status through `shoal health --json`.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

namespace shoal::testing {

class LocalCluster {
 public:
  // Writes configs for n nodes on free loopback ports under a fresh directory.
  explicit LocalCluster(int n, const std::string& extra_config = "");
  ~LocalCluster();

  void start(int id);
  void kill(int id, int signal = SIGKILL);
  bool alive(int id) const { return pids_.count(id) > 0; }
  std::string endpoint(int id) const;
  std::string log_path(int id) const;
  std::string dir() const { return dir_; }
  int size() const { return n_; }

  // `shoal health --json` against node id; nullopt when it does not answer.
  std::optional<boost::json::object> status(int id) const;
  // Polls pred every 50 ms for up to `seconds`; true once it holds.
  static bool eventually(double seconds, const std::function<bool()>& pred);

  static std::string shoal_binary();

 private:
  int n_;
  int base_port_;
  std::string dir_;
  std::map<int, pid_t> pids_;
};

// A shell command's exit code and its output (stdout and stderr).
struct ShellRun {
  int rc;
  std::string out;
};
ShellRun shell(const std::string& cmd);
// --endpoints for every node of c: "1=127.0.0.1:P1,2=...".
std::string endpoints(const LocalCluster& c);

// The running node that says it leads group 0, or 0 when none does.
int leader_of(const LocalCluster& c);

// The status JSON's entry for one peer, or nullptr.
const boost::json::object* peer_entry(const boost::json::object& status, int peer);

}  // namespace shoal::testing
