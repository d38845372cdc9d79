/**
 * The gateway and the worker run with Bun's allocator (mimalloc) keeping the pages it frees,
 * `MIMALLOC_PURGE_DELAY=-1`, as the shipped deployments always have (docs/DEPLOYMENT.md,
 * "Memory"): with mimalloc's default, pages freed under load go back to the system 100 ms later
 * and are faulted in again by the next burst, which cost the gateway up to a quarter of its CPU
 * a request and a third of what tracing adds (docs/BENCHMARKS.md). The allocator reads its options
 * once, before any JavaScript runs, so a process that lacks the setting starts itself again
 * with it (`execve`: the same pid, arguments, descriptors and environment beside it). An
 * operator's own value, any value, is kept: `MIMALLOC_PURGE_DELAY=100` gives memory back.
 */
import { messageOf } from "../core/describe-error.ts";

const VARIABLE = "MIMALLOC_PURGE_DELAY";
const KEEP_FREED_PAGES = "-1";
/** The commands that serve for as long as they run; the others (keys, audit, tail, …) are brief. */
const LONG_RUNNING = new Set(["serve", "worker"]);

/** How this process was started, as `process` and `Bun` tell it. */
export interface ProcessStart {
  /** `process.argv`: the runtime, the entry (`/$bunfs/…` in the compiled binary), the arguments. */
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  /** The executable: the compiled `mindgw`, or `bun` running the source. */
  execPath: string;
  /** The runtime's own options (`bun --cpu-prof src/main.ts …`); empty in the compiled binary. */
  execArgv: readonly string[];
}

/** The same command started again with the allocator keeping freed pages. */
export interface Restart {
  path: string;
  args: string[];
  env: Record<string, string>;
}

/** What to start instead of this process, or null when it already runs as it should. */
export function allocatorRestart(start: ProcessStart): Restart | null {
  const [, entry, command] = start.argv;
  if (entry === undefined || command === undefined || !LONG_RUNNING.has(command)) return null;
  if (start.env[VARIABLE] !== undefined) return null;
  // Runtime options (a profiler, an inspector, a preload) make a developer's run, which goes as
  // started: `--cpu-prof`'s sampling signal can arrive after the `execve` and kill the new image.
  if (start.execArgv.length > 0) return null;
  const rest = start.argv.slice(2);
  // The compiled binary is its own entry; the source needs `bun` and the script.
  const compiled = entry.startsWith("/$bunfs/");
  const args = compiled ? [start.execPath, ...rest] : [start.execPath, entry, ...rest];
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(start.env)) if (value !== undefined) env[name] = value;
  env[VARIABLE] = KEEP_FREED_PAGES;
  return { path: start.execPath, args, env };
}

/** `process.execve`'s shape: it returns only by throwing. */
export type Execve = (path: string, args: string[], env: Record<string, string>) => never;

/**
 * Replaces this process with `allocatorRestart`'s, when there is one; otherwise returns. A restart
 * that fails (the binary removed under a running upgrade, a runtime without `execve`)
 * is reported and the command runs on with the allocator's default: slower, never down.
 */
export function restartWithAllocatorSettings(
  start: ProcessStart = process,
  execve: Execve | null = process.execve?.bind(process) ?? null,
  warn: (line: string) => void = (line) => process.stderr.write(line),
): void {
  const restart = allocatorRestart(start);
  if (!restart) return;
  try {
    if (!execve) throw new Error("this runtime has no process.execve");
    execve(restart.path, restart.args, restart.env);
  } catch (error) {
    const reason = messageOf(error);
    warn(
      `mindgw: could not start again with ${VARIABLE}=${KEEP_FREED_PAGES} (${reason}); running with the allocator's default\n`,
    );
  }
}
