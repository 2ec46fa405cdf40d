# fish completion for mountcursor: made by mountcursor.cli.completion from the commands'
# definitions (make share); edit the definitions, not this file.

# the command of the line (the first word after mountcursor's own options)
function __mountcursor_command
    for t in (commandline -opc)[2..-1]
        if not string match -q -- '-*' $t
            echo $t
            return 0
        end
    end
    return 1
end

# whether the command of the line is one of $argv
function __mountcursor_using
    set -l c (__mountcursor_command)
    and contains -- $c $argv
end

function __mountcursor_no_command
    not __mountcursor_command >/dev/null
end

# the item after the last comma of the token: $argv[1] '+' (may start with '+') or 'no' (may start with 'no')
function __mountcursor_list_of
    set -l tok (string replace -r -- '^--[^=]*=' '' (commandline -ct))
    set -l head (string match -r -- '^.*,' $tok; or echo '')
    set -l item (string replace -r -- '^.*,' '' $tok)
    if test -z "$head"; and test "$argv[1]" = +; and string match -q -- '+*' $item
        set head +
    end
    if test "$argv[1]" = no; and string match -q -- 'no*' $item
        set head "$head"no
    end
    for word in $argv[2..-1]
        echo $head$word
    end
end

function __mountcursor_mountopts
    __mountcursor_list_of - (mountcursor list -rno OPTIONS 2>/dev/null | string split , | sort -u)
end

function __mountcursor_fstypes
    test -r /proc/filesystems; or return
    __mountcursor_list_of no (string replace -r '^.*\t' '' </proc/filesystems)
end

complete -c mountcursor -f
complete -c mountcursor -n __mountcursor_no_command -s V -l version -d 'Show the version and exit'
complete -c mountcursor -n __mountcursor_no_command -s h -l help -d 'Show this message and exit'
complete -c mountcursor -n __mountcursor_no_command -a check -d 'Prove or refute "no mount present throughout a read is missed or sh...'
complete -c mountcursor -n __mountcursor_no_command -a completion -d 'Print the completion script of SHELL (bash, zsh or fish)'
complete -c mountcursor -n __mountcursor_no_command -a diff-kernel -d 'Play random scripts on a private mount namespace and on the model (...'
complete -c mountcursor -n __mountcursor_no_command -a list -d 'The mount table as a list, in kernel order (findmnt -l)'
complete -c mountcursor -n __mountcursor_no_command -a man -d 'Show the manual page of mountcursor, or of COMMAND, with man(1)'
complete -c mountcursor -n __mountcursor_no_command -a probe -d 'Which kernel generation is this?'
complete -c mountcursor -n __mountcursor_no_command -a race -d 'One reader reads mountinfo to EOF while mounts come and go, for eve...'
complete -c mountcursor -n __mountcursor_no_command -a tree -d 'The mount table as findmnt\'s tree (findmnt): children by id, unreac...'
complete -c mountcursor -n __mountcursor_no_command -a vm -d 'Boot Debian\'s newest kernel of a generation under QEMU and run a mo...'
complete -c mountcursor -n __mountcursor_no_command -a wait -d 'Wait until PATH is a mount point (or, with --unmounted, no longer o...'
complete -c mountcursor -n __mountcursor_no_command -a watch -d 'Print mount, umount, remount and move events as they happen (like f...'

# check
complete -c mountcursor -n '__mountcursor_using check' -l strategy -x -a 'index cursor cursor-vz cursor-vz-id cursor-vz-fixed idtree-6.8 idtree' -d 'strategy to check (repeatable; default: all)'
complete -c mountcursor -n '__mountcursor_using check' -l semantics -x -a '3.10 4.19-5.9 5.10+ legacy modern' -d 'seq_file semantics, named after its kernels; legacy = 3.10, modern...'
complete -c mountcursor -n '__mountcursor_using check' -l granularity -x -a 'syscall fine' -d 'atomic steps: whole syscalls, or also every lock operation and list...'
complete -c mountcursor -n '__mountcursor_using check' -l no-ns-lock -d 'run the model with the ns_lock spinlock removed'
complete -c mountcursor -n '__mountcursor_using check' -l no-slab-reuse -d 'never hand a freed struct mount out again'
complete -c mountcursor -n '__mountcursor_using check' -l faithful-sync -d 'use the seed\'s sync_collect_filesystems with its never-advancing `c...'
complete -c mountcursor -n '__mountcursor_using check' -l random -x -d 'seeded random schedules per scenario instead of exhaustive search [...'
complete -c mountcursor -n '__mountcursor_using check' -l seed -x -d 'seed for --random'
complete -c mountcursor -n '__mountcursor_using check' -l save-traces -x -a '(__fish_complete_directories)' -d 'write each cell\'s shortest counterexample per property as JSON here'
complete -c mountcursor -n '__mountcursor_using check' -l show-traces -d 'print each counterexample step by step'
complete -c mountcursor -n '__mountcursor_using check' -l replay -r -F -d 're-run a saved trace file and print it step by step'
complete -c mountcursor -n '__mountcursor_using check' -l jobs -x -d 'processes exploring (scenario, cell) units in parallel, longest first'
complete -c mountcursor -n '__mountcursor_using check' -l json -d 'print the matrix as JSON'
complete -c mountcursor -n '__mountcursor_using check' -s h -l help -d 'Show this message and exit'

# completion
complete -c mountcursor -n '__mountcursor_using completion' -s h -l help -d 'Show this message and exit'
complete -c mountcursor -n '__mountcursor_using completion' -a 'bash fish zsh'

# diff-kernel
complete -c mountcursor -n '__mountcursor_using diff-kernel' -l scripts -x -d 'random scripts to play on both'
complete -c mountcursor -n '__mountcursor_using diff-kernel' -l seed -x -d 'seed of the scripts'
complete -c mountcursor -n '__mountcursor_using diff-kernel' -l length -x -d 'operations per script'
complete -c mountcursor -n '__mountcursor_using diff-kernel' -l mounts -x -d 'tmpfs mounts the sandbox starts with'
complete -c mountcursor -n '__mountcursor_using diff-kernel' -l save -r -F -d 'write the first mismatching (shrunk) script here'
complete -c mountcursor -n '__mountcursor_using diff-kernel' -l replay -r -F -d 'play one saved script, printing every step (checked against the scr...'
complete -c mountcursor -n '__mountcursor_using diff-kernel' -l propagation -d 'scripts of propagation operations: make-[r]shared/slave/private/unb...'
complete -c mountcursor -n '__mountcursor_using diff-kernel' -l strategy -x -a 'auto index cursor cursor-vz cursor-vz-id cursor-vz-fixed idtree-6.8 idtree' -d 'the model\'s iteration strategy to hold the kernel to; auto: what `p...'
complete -c mountcursor -n '__mountcursor_using diff-kernel' -l semantics -x -a '3.10 4.19-5.9 5.10+ legacy modern' -d 'the model\'s seq_file semantics (default: what `probe` names with --...'
complete -c mountcursor -n '__mountcursor_using diff-kernel' -l json -d 'print the result as JSON'
complete -c mountcursor -n '__mountcursor_using diff-kernel' -s h -l help -d 'Show this message and exit'

# list tree
complete -c mountcursor -n '__mountcursor_using list tree' -s l -l list -d 'A list (what the list command prints)'
complete -c mountcursor -n '__mountcursor_using list tree' -s o -l output -x -a '(__mountcursor_list_of + AVAIL FREQ FSROOT FSTYPE FS-OPTIONS ID LABEL MAJ:MIN OPTIONS OPT-FIELDS PARENT PARTLABEL PARTUUID PASSNO PROPAGATION SIZE SOURCE SOURCES TARGET TID USED USE% UUID VFS-OPTIONS UNIQ-ID)' -d 'Columns, comma-separated (\'+COLS\' adds to the default)'
complete -c mountcursor -n '__mountcursor_using list tree' -l output-all -d 'All columns'
complete -c mountcursor -n '__mountcursor_using list tree' -s t -l types -x -a '(__mountcursor_fstypes)' -d 'Only these fs types (\'nofoo,bar\' excludes)'
complete -c mountcursor -n '__mountcursor_using list tree' -s O -l options -x -a '(__mountcursor_mountopts)' -d 'Only mounts with these options'
complete -c mountcursor -n '__mountcursor_using list tree' -s S -l source -r -F -d 'Only mounts of this source: a path, MAJ:MIN, LABEL=, UUID=, PARTUUI...'
complete -c mountcursor -n '__mountcursor_using list tree' -s T -l target -x -a '(__fish_complete_directories)' -d 'The mounts at PATH, else the mount holding PATH'
complete -c mountcursor -n '__mountcursor_using list tree' -s M -l mountpoint -x -a '(__fish_complete_directories)' -d 'Only the mounts at mount point DIR'
complete -c mountcursor -n '__mountcursor_using list tree' -l id -x -d 'Only the mount with id N'
complete -c mountcursor -n '__mountcursor_using list tree' -l uniq-id -x -d 'Only the mount with 64-bit unique id N (listmount tables)'
complete -c mountcursor -n '__mountcursor_using list tree' -s f -l first-only -d 'Only the first match'
complete -c mountcursor -n '__mountcursor_using list tree' -s R -l submounts -d 'Each match with all mounts below it'
complete -c mountcursor -n '__mountcursor_using list tree' -l shadowed -d 'Only mounts over-mounted by another mount'
complete -c mountcursor -n '__mountcursor_using list tree' -s U -l uniq -d 'One mount per mount point (the top one)'
complete -c mountcursor -n '__mountcursor_using list tree' -l real -d 'Only real filesystems (not pseudo)'
complete -c mountcursor -n '__mountcursor_using list tree' -l pseudo -d 'Only pseudo filesystems'
complete -c mountcursor -n '__mountcursor_using list tree' -s D -l df -d 'Like df(1): sizes from statvfs, no pseudo filesystems'
complete -c mountcursor -n '__mountcursor_using list tree' -s A -l all -d 'No built-in filter (-D keeps pseudo filesystems)'
complete -c mountcursor -n '__mountcursor_using list tree' -s b -l bytes -d 'Sizes in bytes'
complete -c mountcursor -n '__mountcursor_using list tree' -s i -l invert -d 'Invert the sense of matching'
complete -c mountcursor -n '__mountcursor_using list tree' -s d -l direction -x -a 'forward backward' -d 'Search the table forward or backward'
complete -c mountcursor -n '__mountcursor_using list tree' -s e -l evaluate -d 'Show LABEL=/UUID=/'
complete -c mountcursor -n '__mountcursor_using list tree' -s c -l canonicalize -d 'Show source paths canonical'
complete -c mountcursor -n '__mountcursor_using list tree' -s C -l nocanonicalize -d 'Compare paths as written (no symlinks resolved)'
complete -c mountcursor -n '__mountcursor_using list tree' -l vfs-all -d 'VFS-OPTIONS with every flag spelled out, defaults included'
complete -c mountcursor -n '__mountcursor_using list tree' -l tree -d 'A tree whenever the table is one (findmnt --tree)'
complete -c mountcursor -n '__mountcursor_using list tree' -s v -l nofsroot -d 'No [/dir] after the source of a bind mount'
complete -c mountcursor -n '__mountcursor_using list tree' -s F -l tab-file -r -F -d 'Read a saved table: mountinfo, /proc/<pid>/mounts or fstab format (...'
complete -c mountcursor -n '__mountcursor_using list tree' -s s -l fstab -d 'Read /etc/fstab (or -F FILE) as a list'
complete -c mountcursor -n '__mountcursor_using list tree' -s k -l kernel -d 'Read the kernel\'s table (the default)'
complete -c mountcursor -n '__mountcursor_using list tree' -s m -l mtab -d 'The kernel\'s table with libmount\'s userspace options from utab ($LI...'
complete -c mountcursor -n '__mountcursor_using list tree' -s N -l task -l pid -x -a '(__fish_complete_pids)' -d 'The mount table of process PID'
complete -c mountcursor -n '__mountcursor_using list tree' -s J -l json -d 'JSON in findmnt\'s shape'
complete -c mountcursor -n '__mountcursor_using list tree' -s r -l raw -d 'Space-separated, blanks and \\ escaped as \\xHH'
complete -c mountcursor -n '__mountcursor_using list tree' -s P -l pairs -d 'NAME="value" pairs'
complete -c mountcursor -n '__mountcursor_using list tree' -s y -l shell -d 'Column names usable as shell variables (USE% -> USE_PCT)'
complete -c mountcursor -n '__mountcursor_using list tree' -s n -l noheadings -d 'No header line'
complete -c mountcursor -n '__mountcursor_using list tree' -s u -l notruncate -d 'Never truncate cells to the terminal width'
complete -c mountcursor -n '__mountcursor_using list tree' -s a -l ascii -d 'ASCII tree lines'
complete -c mountcursor -n '__mountcursor_using list tree' -l method -x -a 'auto mountinfo listmount' -d 'How to read the live table'
complete -c mountcursor -n '__mountcursor_using list tree' -l consistency -x -a 'strict best-effort single-pass' -d 'Retry until a pass saw no change?'
complete -c mountcursor -n '__mountcursor_using list tree' -l strict -d 'Reject lines the kernel would not print'
complete -c mountcursor -n '__mountcursor_using list tree' -s w -l timeout -x -d 'A --poll timeout in milliseconds: checked, then ignored, as findmnt...'
complete -c mountcursor -n '__mountcursor_using list tree' -s x -l verify -d 'Check the table (default: fstab) as findmnt --verify does: targets,...'
complete -c mountcursor -n '__mountcursor_using list tree' -l verbose -d 'With --verify: say what was found right too'
complete -c mountcursor -n '__mountcursor_using list tree' -l max-lines -x -d 'Stop reading an -F file after this many lines'
complete -c mountcursor -n '__mountcursor_using list tree' -s V -l version -d 'Show the version and exit'
complete -c mountcursor -n '__mountcursor_using list tree' -s h -l help -d 'Show this message and exit'
complete -c mountcursor -n '__mountcursor_using list tree' -F

# man
complete -c mountcursor -n '__mountcursor_using man' -l roff -d 'Print the page\'s roff source instead of showing it'
complete -c mountcursor -n '__mountcursor_using man' -s h -l help -d 'Show this message and exit'
complete -c mountcursor -n '__mountcursor_using man' -a 'check completion diff-kernel list man probe race tree vm wait watch'

# probe
complete -c mountcursor -n '__mountcursor_using probe' -l json -d 'print the result as JSON (with every script and read)'
complete -c mountcursor -n '__mountcursor_using probe' -s h -l help -d 'Show this message and exit'

# race
complete -c mountcursor -n '__mountcursor_using race' -l mounts -x -d 'tmpfs mounts in the namespace (at least 4: for every failure to sho...'
complete -c mountcursor -n '__mountcursor_using race' -l read-size -x -d 'bytes per read(2) (1024 is what stdio asks of /proc files)'
complete -c mountcursor -n '__mountcursor_using race' -l seed -x -d 'seed of the churn'
complete -c mountcursor -n '__mountcursor_using race' -l strategy -x -a 'index cursor cursor-vz cursor-vz-id cursor-vz-fixed idtree-6.8 idtree' -d 'iteration strategy (repeatable; default: all)'
complete -c mountcursor -n '__mountcursor_using race' -l semantics -x -a '3.10 4.19-5.9 5.10+ legacy modern' -d 'seq_file semantics, named after its kernels; legacy = 3.10, modern...'
complete -c mountcursor -n '__mountcursor_using race' -l churn -x -d 'mounts unmounted behind the reader between two reads'
complete -c mountcursor -n '__mountcursor_using race' -l long-every -x -d 'every K-th mount starts a run of 3 overlay-style lines longer than...'
complete -c mountcursor -n '__mountcursor_using race' -l live -d 'add a row for the running kernel (a private mount namespace; needs...'
complete -c mountcursor -n '__mountcursor_using race' -l json -d 'print the rows as a JSON list'
complete -c mountcursor -n '__mountcursor_using race' -s h -l help -d 'Show this message and exit'

# vm
complete -c mountcursor -n '__mountcursor_using vm' -l kernel -x -a '5.10 6.1 6.12 7.2' -d 'the Debian kernel to boot: 5.10 (bullseye), 6.1 (bookworm), 6.12 (t...'
complete -c mountcursor -n '__mountcursor_using vm' -l accel -x -a 'auto kvm tcg' -d 'auto: KVM where kvm_intel/kvm_amd drive /dev/kvm, TCG otherwise'
complete -c mountcursor -n '__mountcursor_using vm' -l timeout -x -d 'seconds before the guest is stopped'
complete -c mountcursor -n '__mountcursor_using vm' -l refresh -d 'apt-get update the suite\'s private lists first'
complete -c mountcursor -n '__mountcursor_using vm' -s h -l help -d 'Show this message and exit'

# wait
complete -c mountcursor -n '__mountcursor_using wait' -l mounted -l unmounted -l gone -d 'Wait until a mount matches (the default), or until none does (--gon...'
complete -c mountcursor -n '__mountcursor_using wait' -s t -l types -x -a '(__mountcursor_fstypes)' -d 'Only these fs types (\'nofoo,bar\' excludes)'
complete -c mountcursor -n '__mountcursor_using wait' -s O -l options -x -a '(__mountcursor_mountopts)' -d 'Only mounts with these options'
complete -c mountcursor -n '__mountcursor_using wait' -s S -l source -r -F -d 'Only mounts of this source: a path, MAJ:MIN, LABEL=, UUID=, PARTUUI...'
complete -c mountcursor -n '__mountcursor_using wait' -s T -l target -x -a '(__fish_complete_directories)' -d 'A mount at PATH (symlinks resolved; not the mount holding PATH)'
complete -c mountcursor -n '__mountcursor_using wait' -s M -l mountpoint -x -a '(__fish_complete_directories)' -d 'A mount at mount point DIR (what PATH means)'
complete -c mountcursor -n '__mountcursor_using wait' -s w -l timeout -x -d 'Give up after this many milliseconds (as findmnt\'s -w): exit 1'
complete -c mountcursor -n '__mountcursor_using wait' -s J -l json -d 'Print the mounts as \'list -J\' does'
complete -c mountcursor -n '__mountcursor_using wait' -s o -l output -x -a '(__mountcursor_list_of + AVAIL FREQ FSROOT FSTYPE FS-OPTIONS ID LABEL MAJ:MIN OPTIONS OPT-FIELDS PARENT PARTLABEL PARTUUID PASSNO PROPAGATION SIZE SOURCE SOURCES TARGET TID USED USE% UUID VFS-OPTIONS UNIQ-ID)' -d 'Columns, comma-separated (\'+COLS\' adds to the default)'
complete -c mountcursor -n '__mountcursor_using wait' -s N -l task -l pid -x -a '(__fish_complete_pids)' -d 'The mount table of process PID'
complete -c mountcursor -n '__mountcursor_using wait' -s h -l help -d 'Show this message and exit'
complete -c mountcursor -n '__mountcursor_using wait' -F

# watch
complete -c mountcursor -n '__mountcursor_using watch' -s p -l poll -x -a '(__mountcursor_list_of - mount umount remount move propagation)' -d 'Only these actions, comma-separated: mount, umount, remount, move (...'
complete -c mountcursor -n '__mountcursor_using watch' -s w -l timeout -x -d 'Stop after this many milliseconds (as findmnt); a timeout exits 0'
complete -c mountcursor -n '__mountcursor_using watch' -s f -l first-only -d 'Stop after the first event'
complete -c mountcursor -n '__mountcursor_using watch' -l count -x -d 'Stop after N events'
complete -c mountcursor -n '__mountcursor_using watch' -s o -l output -x -a '(__mountcursor_list_of + ACTION AVAIL FREQ FSROOT FSTYPE FS-OPTIONS ID LABEL MAJ:MIN OLD-OPTIONS OLD-TARGET OPTIONS OPT-FIELDS PARENT PARTLABEL PARTUUID PASSNO PROPAGATION SIZE SOURCE SOURCES TARGET TID USED USE% UUID VFS-OPTIONS UNIQ-ID)' -d 'Columns (\'+COLS\' adds to the default ACTION,TARGET,SOURCE,FSTYPE,OP...'
complete -c mountcursor -n '__mountcursor_using watch' -s n -l noheadings -d 'No header line'
complete -c mountcursor -n '__mountcursor_using watch' -s r -l raw -d 'Space-separated, blanks and \\ escaped as \\xHH'
complete -c mountcursor -n '__mountcursor_using watch' -s P -l pairs -d 'NAME="value" pairs'
complete -c mountcursor -n '__mountcursor_using watch' -s J -l json -d 'One JSON object per event and line'
complete -c mountcursor -n '__mountcursor_using watch' -s t -l types -x -a '(__mountcursor_fstypes)' -d 'Only these fs types (\'nofoo,bar\' excludes)'
complete -c mountcursor -n '__mountcursor_using watch' -s O -l options -x -a '(__mountcursor_mountopts)' -d 'Only mounts with these options'
complete -c mountcursor -n '__mountcursor_using watch' -s T -l target -x -a '(__fish_complete_directories)' -d 'Only events at this mount point (symlinks resolved)'
complete -c mountcursor -n '__mountcursor_using watch' -s M -l mountpoint -x -a '(__fish_complete_directories)' -d 'Only events at this mount point, as written'
complete -c mountcursor -n '__mountcursor_using watch' -s N -l task -l pid -x -a '(__fish_complete_pids)' -d 'Watch the mount table of process PID (ends when it exits)'
complete -c mountcursor -n '__mountcursor_using watch' -l source -x -a 'auto poll reread fanotify' -d 'poll: poll(POLLPRI) on mountinfo, then only the mount ids that chan...'
complete -c mountcursor -n '__mountcursor_using watch' -l interval -x -d 'Re-read the table at most this often'
complete -c mountcursor -n '__mountcursor_using watch' -s h -l help -d 'Show this message and exit'
