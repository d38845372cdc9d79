/**
 * A process under `valgrind --tool=callgrind`, counted between two points chosen from outside,
 * once `instrument()` has switched counting on: `zero()` (callgrind_control -z) forgets what
 * start-up and warm-up executed, `dump()` (callgrind_control -d) writes the instructions executed
 * since, one file a thread (`--separate-threads=yes`), and reads them back. Instructions are what the guest executed,
 * whatever else the machine is doing; they say nothing of cache misses, of time in the kernel,
 * or of how long a thread waited.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Service, spawnService } from "./service.ts";
import { DEPLOYED_ENV } from "./targets.ts";

/** Instructions a thread executed in one dump; `name` is its name when the dump was taken ("?" if it had ended). */
export interface ThreadCount {
  thread: number;
  name: string;
  instructions: number;
}

export interface Callgrind {
  readonly service: Service;
  /** Instruments from now on (callgrind_control -i on): start-up and a warm-up can run first at speed. */
  instrument(): Promise<void>;
  zero(): Promise<void>;
  /** Dumps, and returns every thread's count since the last `zero()`. */
  dump(): Promise<ThreadCount[]>;
  /** The dump files' paths of the last `dump()`, for callgrind_annotate. */
  lastFiles(): string[];
}

/**
 * JavaScriptCore writes and rewrites its JIT's code in anonymous memory: `--smc-check=all-non-file`
 * makes valgrind notice. Uninstrumented (`--instr-atstart=no`) the gateway starts in ~10 s and
 * serves a request in a few ms; instrumented, ~40 ms. `--dump-instr=no` keeps the dumps to
 * functions and lines.
 */
const VALGRIND_ARGS = [
  "--tool=callgrind",
  "--instr-atstart=no",
  "--smc-check=all-non-file",
  "--separate-threads=yes",
  "--dump-instr=no",
  "--error-limit=no",
];

/**
 * `mindgw serve` (and `worker`) without the allocator's setting starts itself again with it
 * (`execve`, src/cli/allocator-settings.ts), and valgrind, which follows no `execve` unless told,
 * lets the new image run uninstrumented: `callgrind_control` then finds no task. Given the setting
 * as deployed, the process valgrind started is the one that serves. A value in the caller's `env`
 * or in this process's is kept, as the gateway keeps an operator's.
 */
const allocatorAsDeployed = (): Record<string, string> =>
  process.env.MIMALLOC_PURGE_DELAY === undefined ? DEPLOYED_ENV : {};

export function startUnderCallgrind(
  cmd: string[],
  outDir: string,
  opts: { env?: Record<string, string>; stderrPath?: string } = {},
): Callgrind {
  const prefix = join(outDir, "cg");
  const service = spawnService(["valgrind", ...VALGRIND_ARGS, `--callgrind-out-file=${prefix}.%p`, ...cmd], {
    ...opts,
    env: { ...allocatorAsDeployed(), ...opts.env },
  });
  let dumps = 0;
  let files: string[] = [];
  return {
    service,
    instrument: () => control(["-i", "on", String(service.pid)]),
    zero: () => control(["-z", String(service.pid)]),
    async dump() {
      const names = await threadNames(service.pid);
      await control(["-d", String(service.pid)]);
      dumps++;
      // callgrind names a dump `<prefix>.<pid>.<n>-<thread>`; the command returns once it is written.
      const stem = `cg.${service.pid}.${dumps}-`;
      files = (await readdir(outDir)).filter((f) => f.startsWith(stem)).map((f) => join(outDir, f));
      if (files.length === 0) throw new Error(`callgrind wrote no ${stem}* in ${outDir}`);
      const counts = await Promise.all(files.map(readCount));
      return counts
        .map(({ thread, instructions }) => ({ thread, name: names.get(thread) ?? "?", instructions }))
        .sort((a, b) => a.thread - b.thread);
    },
    lastFiles: () => files,
  };
}

async function control(args: string[]): Promise<void> {
  const proc = Bun.spawn(["callgrind_control", ...args], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0 || /error|not found/i.test(out + err)) {
    throw new Error(`callgrind_control ${args.join(" ")}: ${code}\n${out}${err}`);
  }
}

/** One dump file's thread number and its total instructions (`totals:`, or `summary:` when absent). */
async function readCount(path: string): Promise<{ thread: number; instructions: number }> {
  const text = await readFile(path, "utf8");
  const thread = Number(text.match(/^thread: (\d+)/m)?.[1] ?? path.match(/-(\d+)$/)?.[1] ?? Number.NaN);
  const total = text.match(/^totals: (\d+)/m)?.[1] ?? text.match(/^summary: (\d+)/m)?.[1];
  if (total === undefined) throw new Error(`no totals in ${path}`);
  return { thread, instructions: Number(total) };
}

/**
 * Valgrind's thread numbers (those of the dump files) to the threads' names: valgrind's scheduler
 * (`vgdb v.info scheduler`) gives each number's kernel thread id, /proc its name.
 */
async function threadNames(pid: number): Promise<Map<number, string>> {
  const proc = Bun.spawn(["vgdb", `--pid=${pid}`, "v.info", "scheduler"], { stdout: "pipe", stderr: "pipe" });
  const text = await new Response(proc.stdout).text();
  await proc.exited;
  const names = new Map<number, string>();
  for (const [, thread, lwp] of text.matchAll(/Thread (\d+): status = [^\n]*?\(lwpid (\d+)\)/g)) {
    const name = await readFile(`/proc/${pid}/task/${lwp}/comm`, "utf8").catch(() => "?");
    names.set(Number(thread), name.trim());
  }
  return names;
}
