import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

/** One load shape: a POST with a fixed JSON body. */
export interface Scenario {
  name: string;
  path: string;
  body: unknown;
}

/** What wrk's `done` hook prints (latencies in microseconds). */
const wrkResultSchema = z.object({
  requests: z.number(),
  duration_us: z.number(),
  socket_errors: z.number(),
  status_errors: z.number(),
  p50: z.number(),
  p90: z.number(),
  p99: z.number(),
  mean: z.number(),
  max: z.number(),
});
export type WrkResult = z.infer<typeof wrkResultSchema> & { rps: number };

const MARK = "WRKJSON ";

function luaScript(scenario: Scenario, headers: Record<string, string>): string {
  const lines = [
    'wrk.method = "POST"',
    `wrk.body = [==[${JSON.stringify(scenario.body)}]==]`,
    'wrk.headers["Content-Type"] = "application/json"',
    ...Object.entries(headers).map(([k, v]) => `wrk.headers[ [==[${k}]==] ] = [==[${v}]==]`),
    "done = function(summary, latency, requests)",
    "  local e = summary.errors",
    `  io.write("${MARK}")`,
    '  io.write(string.format(\'{"requests":%d,"duration_us":%d,"socket_errors":%d,"status_errors":%d,\' ..',
    '    \'"p50":%d,"p90":%d,"p99":%d,"mean":%.1f,"max":%d}\\n\',',
    "    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,",
    "    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))",
    "end",
  ];
  return `${lines.join("\n")}\n`;
}

/** Runs wrk once against `baseUrl + scenario.path` and returns its numbers. */
export async function runWrk(opts: {
  baseUrl: string;
  headers: Record<string, string>;
  scenario: Scenario;
  connections: number;
  seconds: number;
  workDir: string;
  /** Run wrk on these cores only (`taskset -c`), e.g. to keep it off the measured process's core. */
  cpus?: string;
  /** A command wrk runs under, e.g. `["chrt", "-r", "1"]` (bench/c1-latency.ts --rt). */
  prefix?: string[];
}): Promise<WrkResult> {
  const script = join(opts.workDir, `${opts.scenario.name}.lua`);
  await writeFile(script, luaScript(opts.scenario, opts.headers));
  const threads = String(Math.min(opts.connections, 2));
  const pinned = opts.cpus === undefined ? [] : ["taskset", "-c", opts.cpus];
  const cmd = [
    ...(opts.prefix ?? []),
    ...pinned,
    "wrk",
    "-t",
    threads,
    "-c",
    String(opts.connections),
    "-d",
    `${opts.seconds}s`,
  ];
  const proc = Bun.spawn([...cmd, "--timeout", "10s", "-s", script, `${opts.baseUrl}${opts.scenario.path}`], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const killer = setTimeout(() => proc.kill("SIGKILL"), (opts.seconds + 30) * 1000);
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  clearTimeout(killer);
  const line = out.split("\n").find((l) => l.startsWith(MARK));
  if (!line) throw new Error(`wrk printed no result:\n${out}\n${err}`);
  const result = wrkResultSchema.parse(JSON.parse(line.slice(MARK.length)));
  return { ...result, rps: result.requests / (result.duration_us / 1e6) };
}
