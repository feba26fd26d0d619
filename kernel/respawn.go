package kernel

// Spawned returns what p runs: its module (the new one after a reload) and the options Spawn
// was called with, before defaults and policy. An embedder starts the same module again from
// them (the admin panel's Restart, a restart policy), giving the new process output of its
// own: Stdout and Stderr name files of the old process, which may be gone (a pipe closed when
// it ended).
func (p *Process) Spawned() (*Module, SpawnOptions) {
	spec := p.spawnSpec()
	return spec.module, spec.asked
}
