#!/usr/bin/env bats
# The command-line contract over the whole command table (git's t0012-help): every
# subcommand answers -h with a usage line and exit 0; unknown commands exit 2.
load test_helper

@test "rmq alone lists every subcommand of the table" {
  run "$RMQ"
  assert_status 0
  for c in $("$RMQ" --list-cmds); do
    assert_contains "  $c "
  done
}

@test "every subcommand answers -h, --help and 'rmq help CMD' with its usage" {
  local n=0
  for c in $("$RMQ" --list-cmds); do
    for form in "$c -h" "$c --help" "help $c"; do
      run $RMQ $form
      assert_status 0
      [[ "${lines[0]}" == "usage: rmq $c"* ]] || { echo "rmq $form: first line '${lines[0]}'" >&2; return 1; }
    done
    n=$((n + 1))
  done
  [ "$n" -ge 4 ]
}

@test "an unknown command is a usage error on stderr" {
  run "$RMQ" frobnicate
  assert_status 2
  assert_contains "'frobnicate' is not an rmq command"
}

@test "bad options are usage errors (exit 2), naming the command" {
  for c in $("$RMQ" --list-cmds); do
    [ "$c" = version ] && continue
    run "$RMQ" "$c" --no-such-option
    assert_status 2
  done
}

@test "--version prints the version" {
  run "$RMQ" --version
  assert_status 0
  [[ "$output" =~ ^rmq\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "bash completion offers subcommands and options taken from the binary" {
  PATH="$(dirname "$RMQ"):$PATH"
  source "$BATS_TEST_DIRNAME/../completions/rmq.bash"
  COMP_WORDS=(rmq st); COMP_CWORD=1; _rmq
  [[ " ${COMPREPLY[*]} " == *" store "* ]]
  COMP_WORDS=(rmq store ""); COMP_CWORD=2; _rmq
  [[ " ${COMPREPLY[*]} " == *" verify "* ]]
  [[ " ${COMPREPLY[*]} " == *" dump "* ]]   # "usage: rmq store verify|stat|dump"
  COMP_WORDS=(rmq bench store --sce); COMP_CWORD=3; _rmq
  [[ " ${COMPREPLY[*]} " == *" --scenario "* ]]
}

@test "bash completion offers topic and group names from the running broker" {
  start_broker
  "$RMQ" topic create TopicCompl -b "$UNIX" >/dev/null
  "$RMQ" group update gCompl -b "$UNIX" >/dev/null
  PATH="$(dirname "$RMQ"):$PATH"
  source "$BATS_TEST_DIRNAME/../completions/rmq.bash"
  complete -p rmq | grep -q -- "-F _rmq"
  COMP_WORDS=(rmq consume -b "$UNIX" TopicC); COMP_CWORD=4; _rmq
  [ "${COMPREPLY[*]}" = TopicCompl ]
  COMP_WORDS=(rmq consume -b "$UNIX" -g gC); COMP_CWORD=5; _rmq
  [ "${COMPREPLY[*]}" = gCompl ]
  COMP_WORDS=(rmq topic status -b "$UNIX" TopicC); COMP_CWORD=5; _rmq
  [ "${COMPREPLY[*]}" = TopicCompl ]
  COMP_WORDS=(rmq group delete -b "$UNIX" gC); COMP_CWORD=5; _rmq
  [ "${COMPREPLY[*]}" = gCompl ]
  # nothing reachable: no names, no error, files as before
  COMP_WORDS=(rmq consume -b "unix:$T/none.sock" -g gC); COMP_CWORD=5; _rmq
  [ "${#COMPREPLY[@]}" -eq 0 ]
}

@test "stdout write errors fail the command (but a closed pipe does not)" {
  run bash -c "'$RMQ' --list-cmds > /dev/full"
  [ "$status" -ne 0 ]
  run bash -c "'$RMQ' help | head -1"
  assert_status 0
}
