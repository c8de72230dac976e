# fish completion for rmq: asks the binary (see rmq.bash for the rules).
function __rmq_cmds
    rmq --list-cmds 2>/dev/null
    echo help
end
function __rmq_subs
    set -l cmd (commandline -opc)[2]
    rmq $cmd -h 2>/dev/null | sed -n "s/^\(usage:\)\{0,1\} *rmq $cmd \([a-z][a-z-]*\).*/\2/p" | sort -u
end
function __rmq_opts
    set -l cmd (commandline -opc)[2]
    rmq $cmd -h 2>/dev/null | grep -o -- '--[a-z][a-z0-9-]*' | sort -u
end
complete -c rmq -f -n '__fish_is_first_arg' -a '(__rmq_cmds)'
complete -c rmq -f -n 'test (count (commandline -opc)) -eq 2' -a '(__rmq_subs)'
complete -c rmq -n 'not __fish_is_first_arg; and string match -q -- "-*" (commandline -ct)' -a '(__rmq_opts)'
