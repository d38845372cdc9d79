/**
 * Ends what the tests and benchmarks started (PostgreSQL, Redis, their folders, initdb's template)
 * and none stopped. Free of the test runner, so `bun run` (benchmarks) may import what imports this:
 * under `bun run` the process's "exit" ends them; under `bun test`, which emits no "exit" (Bun
 * 1.4.5, checked: a handler there never runs), the preloaded afterAll in end-left-behind.ts does;
 * SIGINT/SIGTERM (a CI timeout) end the process before either, so they end them too. Processes
 * and folders outlive none of these: the watchdog below ends them when nothing else did.
 */
import { readFileSync, rmSync } from "node:fs";

/**
 * A process or folder to end: `kill` ends it; a process gives its `pid`, a folder its `dir`, for
 * the watchdog.
 */
interface Leftover {
  readonly pid?: number;
  readonly dir?: string;
  kill(signal?: number | NodeJS.Signals): void;
}

const leftovers = new Set<Leftover>();

// A run without the preload (`bun test` from outside the repository) has no hook after its last
// file, and a process killed outright (SIGKILL, a crash) runs nothing: the processes and folders
// still registered would outlive it. A watchdog told each pid with its start time (`+`) and each
// folder (`D`), and each stop (`-`, `d`), on a pipe from this process kills the processes still
// listed, then removes the folders, when the pipe closes, which it does however this process
// ends; only a pid that still starts when it did: one that ended by itself may be another
// process's by then; each with its children, as postgres-server.ts's crash ends a server:
// PostgreSQL's backends each call setsid(), so no group holds them, and one busy in a query does
// not look for the postmaster's death (only a wait does). The process is stopped first, so that it
// forks none while they are found by parent pid, and /proc is read with `read`, no child of the
// watchdog's exiting meanwhile: the watchdog shares the stopped server's group, orphaned once this
// process is gone, where an exit has the kernel send a group with a stopped member SIGHUP and
// SIGCONT (checked: with a `cat` a process, the watchdog stalled and the busy backend was left). It
// ignores the terminal's and a group's signals: this process ends what they are for. Folders are
// kept one a line (`x` keeps the last newline `$(…)` would strip).
const WATCHDOG = `trap '' INT HUP TERM
procs=" "
dirs=""
while read -r op arg; do
  case "$op" in
    +) procs="$procs$arg " ;;
    -) procs=$(printf '%s' "$procs" | sed "s/ $arg:[0-9]* / /") ;;
    D) dirs="$dirs$arg
" ;;
    d) dirs=$(printf '%s' "$dirs" | grep -vxF -e "$arg"; echo x); dirs=\${dirs%x} ;;
  esac
done
for proc in $procs; do
  pid=\${proc%%:*}
  read -r stat 2>/dev/null <"/proc/$pid/stat" || continue
  set -- \${stat##*) }
  [ "\${20}" = "\${proc#*:}" ] || continue
  kill -STOP "$pid"
  for child in /proc/[0-9]*/stat; do
    read -r stat 2>/dev/null <"$child" || continue
    set -- \${stat##*) }
    [ "$2" = "$pid" ] || continue
    child=\${child#/proc/}
    kill -KILL "\${child%/stat}"
  done
  kill -KILL "$pid"
done
printf '%s' "$dirs" | while IFS= read -r dir; do rm -rf -- "$dir"; done`;

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

/** /proc/<pid>/stat's fields after the command's name (state first), or undefined when it has ended. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // pid (comm) state …: comm may hold spaces, so split after its closing parenthesis.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** When `pid` started (/proc/<pid>/stat's 22nd field), or undefined when it has ended. */
const startTime = (pid: number): string | undefined => statFields(pid)?.[19];

/**
 * `pids` as a run prints them for another process to check (test/e2e/left-behind.test.ts): each
 * `pid:start time`, so that the check never takes a later process under a reused pid for one;
 * one that has ended already (a backend done with its connection) is left out.
 */
export const processIds = (pids: readonly number[]): string[] =>
  pids.flatMap((pid) => {
    const started = startTime(pid);
    return started === undefined ? [] : [`${pid}:${started}`];
  });

/**
 * The pids of `ids` (`processIds`) still running as the processes they were: not ended, not a
 * zombie (an orphan that PID 1 in a container may never reap), not another process under the pid.
 */
export const runningOf = (ids: readonly string[]): number[] =>
  ids.flatMap((id) => {
    const pid = Number(id.slice(0, id.indexOf(":")));
    const fields = statFields(pid);
    return fields !== undefined && fields[0] !== "Z" && `${pid}:${fields[19]}` === id ? [pid] : [];
  });

/** What the watchdog was told of each leftover it watches: the line that forgets it. */
const watched = new Map<Leftover, string>();

function forget(proc: Leftover): void {
  leftovers.delete(proc);
  const line = watched.get(proc);
  if (line === undefined) return;
  watched.delete(proc);
  tellWatchdog(line);
}

/**
 * Ends every process and folder still registered (with `endAfterRun`) and not stopped: the
 * processes first, so that none writes into a folder being removed.
 */
export function endAll(): void {
  for (const processes of [true, false])
    for (const proc of leftovers) {
      if ((proc.pid !== undefined) !== processes) continue;
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
  if (proc.dir !== undefined) watch(proc, `D ${proc.dir}`, `d ${proc.dir}`);
  else if (started !== undefined) watch(proc, `+ ${proc.pid}:${started}`, `- ${proc.pid}`);
  return () => forget(proc);
}

function watch(proc: Leftover, line: string, forgetLine: string): void {
  watched.set(proc, forgetLine);
  tellWatchdog(line);
}

/**
 * Removes folder `dir` after the run, however it ends, unless the returned function, which
 * removes it now, is called first.
 */
export function removeAfterRun(dir: string): () => void {
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const forgetIt = endAfterRun({ dir, kill: remove });
  return () => {
    remove();
    forgetIt();
  };
}
