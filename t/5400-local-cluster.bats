#!/usr/bin/env bats
# contrib/local-cluster: the tutorial's 2m-noslave cluster (3 name servers, broker-a and
# broker-b) on one host, started and stopped by PID.
load test_helper

teardown() {
  [ -n "${CL:-}" ] && "$BATS_TEST_DIRNAME/../contrib/local-cluster" stop "$CL" >/dev/null 2>&1
  rm -rf "$T"
}

@test "local-cluster: 3 name servers and broker-a/broker-b; every name server knows both" {
  base=$((20000 + RANDOM % 20000))
  export NS_PORTS="$base $((base + 1)) $((base + 2))" BROKER_PORTS="$((base + 3)) $((base + 4))"
  CL=$T/cluster
  run env RMQ="$RMQ" "$BATS_TEST_DIRNAME/../contrib/local-cluster" start "$CL"
  assert_status 0
  assert_contains "export NAMESRV_ADDR='127.0.0.1:$base;127.0.0.1:$((base + 1));127.0.0.1:$((base + 2))'"
  run "$BATS_TEST_DIRNAME/../contrib/local-cluster" status "$CL"
  [ "$(grep -c running <<<"$output")" -eq 5 ]
  for p in $base $((base + 1)) $((base + 2)); do
    run "$TT" request "127.0.0.1:$p" 106 --show-body
    assert_contains '"broker-a":{"brokerAddrs":{"0":"127.0.0.1:'"$((base + 3))"'"}'
    assert_contains '"broker-b":{"brokerAddrs":{"0":"127.0.0.1:'"$((base + 4))"'"}'
  done
  # and rmq cluster list, through any of them, shows the tutorial's cluster
  run "$RMQ" cluster list -n "127.0.0.1:$((base + 2))"
  assert_status 0
  [[ "${lines[1]}" =~ ^DefaultCluster\ +broker-a\ +0\ +127\.0\.0\.1:$((base + 3))\  ]]
  [[ "${lines[2]}" =~ ^DefaultCluster\ +broker-b\ +0\ +127\.0\.0\.1:$((base + 4))\  ]]
  run "$BATS_TEST_DIRNAME/../contrib/local-cluster" stop "$CL"
  assert_status 0
  run "$BATS_TEST_DIRNAME/../contrib/local-cluster" status "$CL"
  [ "$(grep -c stopped <<<"$output")" -eq 5 ]
  grep -q "unregistered from name server" "$CL/broker-a.log"
}
