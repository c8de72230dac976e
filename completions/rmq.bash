# bash completion for rmq. Everything is asked of the binary itself, so it never goes
# stale: subcommands from `rmq --list-cmds`, a command's sub-commands from the
# "usage: rmq CMD SUB" lines of `rmq CMD -h`, and options from the --long names there.
# Topic and group names come from the running cluster (`rmq topic list`, `rmq group list`,
# with the same -n/-b/NAMESRV_ADDR the command line has), bounded to 2 s; none when nothing
# answers.

# The -n/-b options already typed, so names come from the cluster the command will use.
_rmq_target() {
    local i
    for ((i = 2; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
        -n | --namesrv | -b | --broker) printf '%s\n' "${COMP_WORDS[i]}" "${COMP_WORDS[i + 1]}" ;;
        esac
    done
}

_rmq_names() {   # _rmq_names topic|group
    local -a target
    mapfile -t target < <(_rmq_target)
    timeout 2 rmq "$1" list "${target[@]}" 2>/dev/null
}

_rmq() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]} cmd=${COMP_WORDS[1]} help words
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "$(rmq --list-cmds 2>/dev/null) help" -- "$cur" || true))
        return
    fi
    case $prev in
    -g | --group)
        COMPREPLY=($(compgen -W "$(_rmq_names group)" -- "$cur" || true))
        return ;;
    -t | --topic)
        COMPREPLY=($(compgen -W "$(_rmq_names topic)" -- "$cur" || true))
        return ;;
    esac
    help=$(rmq "$cmd" -h 2>/dev/null)
    if [ "$COMP_CWORD" -eq 2 ] && [[ $cur != -* ]]; then
        words=$(printf '%s\n' "$help" | sed -n "s/^\(usage:\)\{0,1\} *rmq $cmd \([a-z][a-z|-]*\).*/\2/p" | tr "|" "\n" | sort -u)
        if [ -n "$words" ]; then
            COMPREPLY=($(compgen -W "$words" -- "$cur" || true))
            return
        fi
    fi
    if [[ $cur == -* ]]; then
        words=$(printf '%s\n' "$help" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u)
        COMPREPLY=($(compgen -W "$words" -- "$cur" || true))
        return
    fi
    # a TOPIC argument: produce/consume TOPIC, topic status|route|update|delete TOPIC,
    # admin msg key TOPIC
    case "$cmd ${COMP_WORDS[2]}" in
    "produce "* | "consume "* | "topic status" | "topic route" | "topic update" | "topic delete" | "admin msg")
        COMPREPLY=($(compgen -W "$(_rmq_names topic)" -- "$cur" || true))
        [ ${#COMPREPLY[@]} -gt 0 ] && return ;;
    "group update" | "group delete")
        COMPREPLY=($(compgen -W "$(_rmq_names group)" -- "$cur" || true))
        [ ${#COMPREPLY[@]} -gt 0 ] && return ;;
    esac
    COMPREPLY=($(compgen -f -- "$cur" || true))
}
complete -o filenames -F _rmq rmq
