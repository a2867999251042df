# Sourced by the tests/cli scripts that run three real nodes on loopback.
# After `real_cluster_start SHOAL`: $shoal (absolute), $tmp (removed on exit),
# $base (node i listens on 127.0.0.1:$((base + i))),
# $E (the --endpoints value), node_pid[1..3], and pids (every background
# process, killed on exit). run / expect / one_line / fail / wait_for_cluster
# drive `shoal ARGS --endpoints $E` with a time bound.

# fail MESSAGE: prints it and the nodes' last log lines, and exits 1.
fail() { echo "FAIL: $*"; for i in 1 2 3; do echo "--- node $i log:"; tail -5 "$tmp/n$i.log" 2>/dev/null; done; exit 1; }

real_cluster_cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$tmp"
}

# real_cluster_start SHOAL: three nodes on loopback ports nobody listens on,
# below the ephemeral range (32768..), so no outgoing connection holds one
# when a node restarts.
real_cluster_start() {
  shoal=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
  tmp=$(mktemp -d)
  pids=()
  node_pid=()
  trap real_cluster_cleanup EXIT
  port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
  for _ in $(seq 1 20); do
    base=$((20000 + RANDOM % 12000))
    port_in_use $((base + 1)) || port_in_use $((base + 2)) || port_in_use $((base + 3)) || break
  done
  E="1=127.0.0.1:$((base + 1)),2=127.0.0.1:$((base + 2)),3=127.0.0.1:$((base + 3))"
  for i in 1 2 3; do
    cat > "$tmp/n$i.toml" <<TOML
id = $i
listen = "127.0.0.1:$((base + i))"
data_dir = "$tmp/d$i"
peers = ["1=127.0.0.1:$((base + 1))", "2=127.0.0.1:$((base + 2))", "3=127.0.0.1:$((base + 3))"]
TOML
    start_node "$i"
  done
}

# start_node I: (re)starts node I from its config.
start_node() {
  "$shoal" node --config "$tmp/n$1.toml" 2>>"$tmp/n$1.log" &
  pids+=($!)
  node_pid[$1]=$!
}

# run ARGS...: shoal ARGS against the cluster; stdout in $out, stderr in $err, exit code in $rc.
run() {
  timeout 30 "$shoal" "$@" --endpoints "$E" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  out=$(cat "$tmp/out") err=$(cat "$tmp/err")
}
# expect CODE ARGS...: run, then require the exit code.
expect() {
  local want=$1; shift
  run "$@"
  [ "$rc" -eq "$want" ] || fail "shoal $*: exit $rc, want $want; out: $out; err: $err"
}
one_line() { [ "$(printf '%s\n' "$1" | wc -l)" -eq 1 ] || fail "$2: not one line: $1"; }

# wait_for_cluster: until the group answers (a lock status changes no key).
wait_for_cluster() {
  for _ in $(seq 1 150); do
    run lock status --timeout 1s
    [ "$rc" -eq 0 ] && return
    sleep 0.2
  done
  fail "the cluster never answered: $err"
}
