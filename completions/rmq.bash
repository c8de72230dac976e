# bash completion for rmq. Everything is asked of the binary itself, so it never goes
# stale: subcommands from `rmq --list-cmds`, a command's sub-commands from the
# "usage: rmq CMD SUB" lines of `rmq CMD -h`, and options from the --long names there.
_rmq() {
    local cur=${COMP_WORDS[COMP_CWORD]} cmd=${COMP_WORDS[1]} help words
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "$(rmq --list-cmds 2>/dev/null) help" -- "$cur"))
        return
    fi
    help=$(rmq "$cmd" -h 2>/dev/null)
    if [ "$COMP_CWORD" -eq 2 ] && [[ $cur != -* ]]; then
        words=$(printf '%s\n' "$help" | sed -n "s/^\(usage:\)\{0,1\} *rmq $cmd \([a-z][a-z-]*\).*/\2/p" | sort -u)
        if [ -n "$words" ]; then
            COMPREPLY=($(compgen -W "$words" -- "$cur"))
            return
        fi
    fi
    if [[ $cur == -* ]]; then
        words=$(printf '%s\n' "$help" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u)
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
        return
    fi
    COMPREPLY=($(compgen -f -- "$cur"))
}
complete -o filenames -F _rmq rmq
