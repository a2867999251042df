#!/usr/bin/env bash
# Bad node configuration and client flags get one line that names the real
# problem and exit 2, never a misleading message, a hang or a crash: an
# unknown key, a value that is no duration, two peers at one address, a data
# directory the node cannot write, and a zero client timeout.
set -u
shoal=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d); trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT
fail() { echo "$*"; exit 1; }

# config DATA-DIR EXTRA-LINE: a node's config file at $tmp/n.toml.
config() {
  cat > "$tmp/n.toml" <<TOML
id = 1
listen = "127.0.0.1:7191"
data_dir = "$1"
peers = ["1=127.0.0.1:7191", "2=127.0.0.1:7192", "3=127.0.0.1:7193"]
$2
TOML
}

# expect WANT-SUBSTRING CONFIG-EXTRA: the node refuses the config with one line.
expect() {
  local want=$1 extra=$2
  config "$tmp/d" "$extra"
  err=$(timeout 10 "$shoal" node --config "$tmp/n.toml" 2>&1 >/dev/null); rc=$?
  [ $rc -eq 2 ] || fail "'$extra': exit $rc, want 2: $err"
  [ "$(wc -l <<<"$err")" -eq 1 ] || fail "'$extra': more than one line: $err"
  grep -qF -- "$want" <<<"$err" || fail "'$extra': the message does not say '$want': $err"
}
expect "unknown key 'colour'" 'colour = "blue"'
expect "election_timeout: 'soon' is not a duration" 'election_timeout = "soon"'
expect "raft_heartbeat_interval: 'often' is not a duration" 'raft_heartbeat_interval = "often"'
expect "must be more than twice raft_heartbeat_interval" 'election_timeout = "60ms"'
expect "heartbeat_interval: '0s' is not a positive duration" 'heartbeat_interval = "0s"'

# Two peers at one address.
sed -i 's/"3=127.0.0.1:7193"/"3=127.0.0.1:7192"/' "$tmp/n.toml"
err=$(timeout 10 "$shoal" node --config "$tmp/n.toml" 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && grep -q 'peers 2 and 3 have the same address 127.0.0.1:7192' <<<"$err" ||
  fail "a duplicate peer address: exit $rc: $err"

# A data directory the node may not write: named as such, not as a missing
# file. (Root may write anywhere, so as root the node runs as nobody.)
expect_ro() {
  config "$tmp/ro" ""
  mkdir -p "$tmp/ro" && chmod 555 "$tmp/ro"
  if [ "$(id -u)" -eq 0 ]; then
    command -v runuser >/dev/null || { echo "(no runuser: the read-only data directory is not tested as root)"; return; }
    chmod 755 "$tmp" && chmod 644 "$tmp/n.toml"
    err=$(timeout 10 runuser -u nobody -- "$shoal" node --config "$tmp/n.toml" 2>&1 >/dev/null); rc=$?
  else
    err=$(timeout 10 "$shoal" node --config "$tmp/n.toml" 2>&1 >/dev/null); rc=$?
  fi
  [ $rc -eq 2 ] && grep -q "data directory $tmp/ro is not writable: Permission denied" <<<"$err" ||
    fail "a read-only data directory: exit $rc: $err"
}
expect_ro

# A zero timeout is refused at once (it used to hang with no output).
for t in 0s 0ms; do
  err=$(timeout 10 "$shoal" kv get k --endpoints 127.0.0.1:7191 --timeout $t 2>&1); rc=$?
  [ $rc -eq 2 ] && grep -q -- '--timeout must be longer than 0' <<<"$err" || fail "kv --timeout $t: exit $rc: $err"
done
echo "node config: each bad value named in one line, exit 2"
