# fish completion for rmq: asks the binary (see rmq.bash for the rules), topic and group
# names from the running cluster.
function __rmq_cmds
    rmq --list-cmds 2>/dev/null
    echo help
end
function __rmq_subs
    set -l cmd (commandline -opc)[2]
    rmq $cmd -h 2>/dev/null | sed -n "s/^\(usage:\)\{0,1\} *rmq $cmd \([a-z][a-z|-]*\).*/\2/p" | tr "|" "\n" | sort -u
end
function __rmq_opts
    set -l cmd (commandline -opc)[2]
    rmq $cmd -h 2>/dev/null | grep -o -- '--[a-z][a-z0-9-]*' | sort -u
end
# topic or group names, asked with the -n/-b already on the line
function __rmq_names
    set -l words (commandline -opc)
    set -l target
    for i in (seq 3 (count $words))
        switch $words[$i]
            case -n --namesrv -b --broker
                set -a target $words[$i] $words[(math $i + 1)]
        end
    end
    timeout 2 rmq $argv[1] list $target 2>/dev/null
end
function __rmq_wants_topic
    set -l w (commandline -opc)
    test (count $w) -ge 2; or return 1
    contains -- $w[-1] -t --topic; and return 0
    switch "$w[2] $w[3]"
        case 'produce*' 'consume*' 'topic status' 'topic route' 'topic update' 'topic delete' 'admin msg'
            return 0
    end
    return 1
end
function __rmq_wants_group
    set -l w (commandline -opc)
    contains -- $w[-1] -g --group; and return 0
    test (count $w) -ge 3; and contains -- "$w[2] $w[3]" 'group update' 'group delete'
end
complete -c rmq -f -n '__fish_is_first_arg' -a '(__rmq_cmds)'
complete -c rmq -f -n 'test (count (commandline -opc)) -eq 2' -a '(__rmq_subs)'
complete -c rmq -n 'not __fish_is_first_arg; and string match -q -- "-*" (commandline -ct)' -a '(__rmq_opts)'
complete -c rmq -f -n '__rmq_wants_group' -a '(__rmq_names group)'
complete -c rmq -f -n '__rmq_wants_topic' -a '(__rmq_names topic)'
