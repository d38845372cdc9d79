/**
 * Ends what the tests and benchmarks started (PostgreSQL, Redis, initdb's template folder) and
 * none stopped. Free of the test runner, so `bun run` (benchmarks) may import what imports this:
 * under `bun run` the process's "exit" ends them; under `bun test`, which emits no "exit" (Bun
 * 1.4.5, checked: a handler there never runs), the preloaded afterAll in end-left-behind.ts does;
 * SIGINT/SIGTERM (a CI timeout) end the process before either, so they end them too. Processes
 * outlive none of these: the watchdog below ends them when nothing else did.
 */
import { readFileSync } from "node:fs";

/** A process or folder to end: `kill` ends it; a process gives its `pid` for the watchdog. */
interface Leftover {
  readonly pid?: number;
  kill(signal?: number | NodeJS.Signals): void;
}

const leftovers = new Set<Leftover>();

// A run without the preload (`bun test` from outside the repository) has no hook after its last
// file, and a process killed outright (SIGKILL, a crash) runs nothing: the processes still
// registered would outlive it. A watchdog told each pid with its start time (`+`) and each stop
// (`-`) on a pipe from this process kills those still listed when the pipe closes, which it does
// however this process ends; only a pid that still starts when it did: one that ended by itself
// may be another process's by then. It ignores the terminal's and a group's signals: this process
// ends what they are for.
const WATCHDOG = `trap '' INT HUP TERM
procs=" "
while read -r op pid start; do
  case "$op" in
    +) procs="$procs$pid:$start " ;;
    -) procs=$(printf '%s' "$procs" | sed "s/ $pid:[0-9]* / /") ;;
  esac
done
for proc in $procs; do
  pid=\${proc%%:*}
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
  set -- \${stat##*) }
  [ "\${20}" = "\${proc#*:}" ] && kill -KILL "$pid"
done`;

let watchdog: Bun.Subprocess<"pipe", "ignore", "ignore"> | undefined;

function tellWatchdog(line: string): void {
  if (watchdog === undefined) {
    watchdog = Bun.spawn(["sh", "-c", WATCHDOG], { stdin: "pipe", stdout: "ignore", stderr: "ignore" });
    // Neither it nor its pipe keeps this process running.
    watchdog.unref();
  }
  watchdog.stdin.write(`${line}\n`);
  watchdog.stdin.flush();
}

/** When `pid` started (/proc/<pid>/stat's 22nd field), or undefined when it has ended. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // pid (comm) state …: comm may hold spaces, so split after its closing parenthesis.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

const watched = new Set<Leftover>();

function forget(proc: Leftover): void {
  leftovers.delete(proc);
  if (watched.delete(proc)) tellWatchdog(`- ${proc.pid}`);
}

/** Ends every process and folder still registered (with `endAfterRun`) and not stopped. */
export function endAll(): void {
  for (const proc of leftovers) {
    proc.kill("SIGKILL");
    forget(proc);
  }
}

process.once("exit", endAll);
for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
] as const)
  process.once(signal, () => {
    endAll();
    process.exit(code);
  });

/**
 * Ends `proc` after the run unless the returned function (its stop) is called first; one with a
 * `pid` is killed when this process ends, however it ends, if not before.
 */
export function endAfterRun(proc: Leftover): () => void {
  leftovers.add(proc);
  const started = proc.pid === undefined ? undefined : startTime(proc.pid);
  if (started !== undefined) {
    watched.add(proc);
    tellWatchdog(`+ ${proc.pid} ${started}`);
  }
  return () => forget(proc);
}
