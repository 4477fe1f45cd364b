// Package harden keeps scr's memory — the record on the screen, the
// session's tokens — from outliving scr in a crash dump.
//
// NoCoreDumps is called first thing in main:
//
//   - Linux: the core size limit (RLIMIT_CORE) is set to 0, soft and hard, so
//     that neither scr nor anything it starts can raise it again (unless
//     running as root), and the process is made non-dumpable (prctl
//     PR_SET_DUMPABLE 0). The second also stops a core_pattern that pipes
//     the dump to a handler (systemd-coredump, apport), which the limit does
//     not, and keeps other processes of the same user from attaching a
//     debugger or reading /proc/PID/mem. Programs scr starts are dumpable
//     again (exec resets the flag) but inherit the limit.
//   - macOS and the other Unix systems: the limit alone. macOS's crash
//     reporter still writes a text report (stacks and registers, no memory).
//   - Windows: Windows Error Reporting is kept out (SetErrorMode with
//     SEM_NOGPFAULTERRORBOX), which also undoes GOTRACEBACK=wer. What a
//     process cannot stop from inside: a dump taken by someone allowed to
//     open it (Task Manager's "Create dump file" as the same user, an
//     administrator's procdump), which is the workstation's policy to
//     control.
//
// Go itself writes no core on a crash or SIGQUIT unless GOTRACEBACK=crash
// is set; with it, the limit and the flag above keep the core from being
// written. The goroutine stacks Go prints to standard error on SIGQUIT hold
// function names and argument words in hex (and, with GOTRACEBACK=crash,
// registers): never the contents of strings or buffers, though one word
// could hold eight bytes of one.
package harden
