"""kernel_diff - differential testing of mapviz's `mainline` model against the real kernel.

Random `%kernel mainline` scenarios are generated from a seed, recorded on the
real kernel with mapviz's own recorder (`mapviz.realkernel`, what
`mapviz run --real` uses: a fresh loop-mounted XFS or ext4 per case, FIEMAP
without FIEMAP_FLAG_SYNC after every step), run through the simulator
(`mapviz run --json` with every invariant checked, in-process by default)
and compared under the conformance suite's normalisation
(`mapviz.realkernel.normalise.compare_runs`, docs/conformance.md).  Every
divergence is shrunk by delta debugging (drop lines, simplify numbers, flags
and the %fs line, as long as the *same* first difference remains) to a
minimal case.

Needs root, loop devices, xfsprogs, e2fsprogs and setpriv (what
`mapviz run --real` needs); the standard library and mapviz itself, nothing
else.  Run it from the repository root.  Record one thing at a time: `sync`
anywhere on the machine flushes the test filesystem too.

Usage
-----
    # 200 random cases from seed 1000, shrink what diverges, keep it in /tmp/kd
    python -m tools.kernel_diff run --seed 1000 --count 200 --out /tmp/kd

    # print the scenario a seed generates
    python -m tools.kernel_diff gen 1234

    # record + compare given scenarios (prints every difference)
    python -m tools.kernel_diff check case.scenario [more.scenario ...]

    # shrink one diverging scenario to a minimal one
    python -m tools.kernel_diff shrink case.scenario -o case.min.scenario

`run` writes, under --out: `seed-N.scenario` (the case), `seed-N.expected.json`
(the recording), `seed-N.min.scenario` (the shrunk case, re-recorded three
times to make sure the kernel's answer is stable) and one JSON line per case
in `log.jsonl`; it ends with the divergence rate and the distinct first
differences (signatures).  `--cli` runs `mapviz run --json FILE` as a
subprocess instead of the in-process simulator (slower, same JSON).

What is compared: per step, the result, and every named file's size and
logical layout (data / unwritten / hole, shared or not, up to EOF rounded up
to a block; physical addresses and post-EOF preallocation are not compared)
-- up to the first step after which the recorder had to restart xfs_io
(SIGBUS/SIGSEGV kill it; the restart closes its fds, whose ->release() has
side effects mapviz does not model because in mapviz the process lives on).
The restarted step's own result still counts.

What counts as a divergence: `run` records a diverging case twice more; if a
recording does not diverge the same way the case is *unstable* (another
process's sync(2), background writeback).  A divergence whose first
difference follows a writeback the kernel only starts (filemap_flush on the
close after a truncate: XFS's "NULL files" heuristic, ext4's auto_da_alloc)
is *racy*: whether FIEMAP sees that I/O completed is a race.  Neither is
counted in the divergence rate (docs/kernel-divergences.md).

The parts, one concept each:

* `generate` -- the seeded scenario generator;
* `oracle` -- one case recorded, simulated and compared: its `Outcome`,
  the restart trimming and the racy-flush test;
* `signature` -- what a divergence (its text) is about;
* `shrink` -- the delta-debugging `Shrinker`, given the "still diverges
  the same way" check as a callable;
* `campaign` -- `run`: many seeds, logged, shrunk and summed up;
* `cli` -- the argument parser and the four commands.
"""
