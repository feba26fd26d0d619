// Command orbital is the Orbital desktop microkernel: it runs WASM modules, opens the shell,
// manages the registry and policies, and talks to a running instance.
package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// verb is one CLI command.
type verb struct {
	Name  string
	Usage string                              // after "orbital ": "run [flags] TARGET... [-- args...]"
	Short string                              // one line for the help listing
	Help  string                              // more lines for -h, under the usage line
	Run   func(c *command, args []string) int // args exclude the verb; returns the exit code
}

// verbs are the commands, in the order `orbital help` lists them.
var verbs = []verb{
	{"admin", "admin [--home DIR]", "print the admin panel's URL of the running instance", "", adminVerb},
	{"audit", "audit [--home DIR] [--module NAME] [-n N]", "print the policy denials of the audit log, newest last", "", auditVerb},
	{"backup", "backup [--home DIR] [--with-keys] FILE.tar.gz", "snapshot the home (registry, policies, storage, denials, state) into one file, even while it runs", "", backupVerb},
	{"call", "call [--home DIR] [--timeout D] SERVICE.METHOD [PAYLOAD|-]", "call a service by name in the running instance and print its reply", "", callVerb},
	{"cluster token", "cluster token [--addr HOST:PORT] [--home DIR]", "print the URL, credential included, that orbital up --join takes", "", clusterToken},
	{"drivers", "drivers [--home DIR]", "list installed native drivers and the drivers running orbital processes supervise", "", driversVerb},
	{"info", "info NAME[@RANGE]", "show an installed module's manifest, digests, signature and dependencies", "", infoVerb},
	{"install", "install [flags] SOURCE...", "install modules: a .wasm, a .tar.gz, a DIR, an http(s) URL or orbital://NAME[@RANGE]",
		"SOURCE is a .wasm or .tar.gz file, a module directory (module.toml), a directory of .wasm/.tar.gz\nfiles, an http(s):// URL, orbital://NAME[@RANGE] or NAME[@RANGE] (local, then the remote registries).", installVerb},
	{"jobs", "jobs [--json] [--home DIR]", "list the triggers of the running instance: last and next run, runs, skips, last exit", "", jobsVerb},
	{"kill", "kill [--force] [--home DIR] PID...", "stop modules of the running instance (quit request, then forced)", "", killVerb},
	{"kv", "kv [--home DIR] MODULE ls [PREFIX] | get KEY | put KEY VALUE|- | rm KEY", "show and edit a module's key-value storage", "", kvVerb},
	{"logs", "logs [-n N] [--home DIR] PID", "print a module's log and stdout/stderr lines", "", logsVerb},
	{"ls", "ls [--all] [NAME]", "list installed modules (newest version of each; --all for every version)", "", lsVerb},
	{"nodes", "nodes [--json] [--home DIR]", "list the nodes of the running instance's cluster: state, address, uptime, cores, memory, processes", "", nodesVerb},
	{"pack", "pack [-o OUT] DIR", "build a package (.tar.gz) from a module directory (module.toml + entry .wasm + files)", "", packVerb},
	{"policy check", "policy check [--home DIR] [FILES]", "lint the policy files (all of the home's, or FILES against the rest)", "", policyCheck},
	{"policy explain", "policy explain [--home DIR] MODULE", "show a module's effective namespace: each grant with its file and line", "", policyExplain},
	{"policy forget", "policy forget [--home DIR] MODULE", "forget the permission prompts denied for a module, so the shell asks again", "", policyForget},
	{"policy new", "policy new [--home DIR] [--force] [--stdout] MODULE", "write a starting policy file for a module (from what its manifest requests)", "", policyNew},
	{"ps", "ps [--cluster] [--home DIR]", "list the modules of the running Orbital instance", "", psVerb},
	{"publish", "publish --to URL [--key FILE] PACKAGE.tar.gz|DIR", "sign (if needed) and upload a package to a registry server", "", publishVerb},
	{"registry key", "registry key [--home DIR] [--key FILE]", "show your publisher key (created on first use)", "", registryKey},
	{"registry serve", "registry serve [--addr 127.0.0.1:7070] [--require-trusted] DIR", "run a module registry server others fetch from and publish to", "", registryServe},
	{"registry trust", "registry trust [--home DIR] KEY", "trust a publisher key", "", registryTrust},
	{"reload", "reload [--home DIR] [--grace D] NAME [VERSION]", "move every running process of module NAME to VERSION (default: the newest installed) in place: same pid, inbox and windows", "", reloadVerb},
	{"restore", "restore [--home DIR] [--force] FILE.tar.gz", "bring a backup back into an empty home, every digest checked before anything is written", "", restoreVerb},
	{"rm", "rm [--force] NAME[@VERSION]", "uninstall a module (every version, or one)", "", rmVerb},
	{"run", "run [flags] TARGET... [-- args...]", "run WASM modules (files or demo names) headless; exits with the module's exit code",
		"TARGET is a .wasm file, a .js script or a module name ($ORBITAL_MODULES, modules/ beside the binary, the home's modules/).", runVerb},
	{"search", "search [--registry URL] [-n N] WORDS...", "search installed modules and the remote registries, best match first", "", searchVerb},
	{"shell", "shell [--open URL]... [--home DIR] [--screenshot F.png --frames N]", "open the desktop shell (the default when orbital runs with no command)", "", shellVerb},
	{"sign", "sign [--key FILE] [-o OUT] PACKAGE.tar.gz|DIR", "sign a package with your ed25519 publisher key (created on first use)", "", signVerb},
	{"spawn", "spawn [--node NAME | --any] [--need memory=1GiB,cores=2,driver=camera] [--home DIR] MODULE [-- ARGS]", "start a module in the running instance or, placed by resources, on a node of its cluster", "", spawnVerb},
	{"up", "up [--home DIR] [--http ADDR] [--cluster-listen HOST:PORT [--cluster-advertise HOST:PORT]] [--join nats://TOKEN@HOST:PORT] [--node NAME]", "run the home's instance without a desktop until SIGINT/SIGTERM: boot modules and drivers, schedules, triggers, admin panel", "", upVerb},
}

// exitUsage is the exit code for bad input: a missing file, a bad flag, a corrupt module.
const exitUsage = 2

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

// dispatch runs the verb args name (two words for one with subcommands: policy check); without
// one, or with flags first, the shell.
func dispatch(args []string, stdout, stderr io.Writer) int {
	help := []string{"help", "-h", "-help", "--help"}
	name := "shell"
	switch {
	case len(args) > 0 && slices.Contains(help, args[0]):
		usage(stdout)
		return 0
	case len(args) > 0 && !strings.HasPrefix(args[0], "-"):
		name, args = args[0], args[1:]
	}
	if subs := slices.DeleteFunc(slices.Clone(verbs), func(v verb) bool { return !strings.HasPrefix(v.Name, name+" ") }); len(subs) > 0 {
		if len(args) > 0 && !slices.Contains(help, args[0]) {
			name, args = name+" "+args[0], args[1:]
		} else { // the subcommands' usage; asked for (-h) or not (no subcommand: bad input)
			fmt.Fprintf(stderr, "usage: orbital %s SUBCOMMAND:\n", name)
			list(stderr, subs)
			if len(args) == 0 {
				return exitUsage
			}
			return 0
		}
	}
	i := slices.IndexFunc(verbs, func(v verb) bool { return v.Name == name })
	if i < 0 {
		fmt.Fprintf(stderr, "orbital: unknown command %q; run 'orbital help' for the list\n", name)
		return exitUsage
	}
	return verbs[i].Run(newCommand(verbs[i], stdout, stderr), args)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: orbital [command] [flags]")
	fmt.Fprintln(w, "\nWith no command, orbital opens the shell.\n\ncommands:")
	list(w, verbs)
}

// list prints one line per verb: its usage and what it does.
func list(w io.Writer, vs []verb) {
	for _, v := range vs {
		fmt.Fprintf(w, "  %-40s %s\n", v.Usage, v.Short)
	}
}
