/**
 * What the shape of a streamed answer costs, without the gateway: the burst upstream's 20-event
 * stream relayed by a Bun server of a few lines in each shape (bench/relay-shape-server.ts), wrk
 * at c=32, the relaying process's CPU per request from /proc, shapes alternated round by round.
 *   bun bench/relay-shapes.ts [--seconds 3] [--rounds 2] [--shapes bare,standard,standard-closed,direct-closed,bytes]
 * Shapes: `bare` hands `fetch`'s Response back (the bare proxy); `standard` a standard
 * ReadableStream, the first read enqueued in start() and one pull per further read (the gateway's
 * general path); `standard-closed` the whole answer enqueued and closed in start(); `direct-closed`
 * a Bun direct stream that writes it and closes (the gateway's whole-answer path); `bytes` a byte
 * body (Content-Length framing, not a stream's). Prints one line per run, then the medians.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { cpuSeconds } from "./cpu-time.ts";
import { STREAM_SCENARIO } from "./scenarios.ts";
import { spawnService } from "./service.ts";
import { runWrk } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "3" },
    rounds: { type: "string", default: "2" },
    shapes: { type: "string", default: "bare,standard,standard-closed,direct-closed,bytes" },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const shapes = values.shapes.split(",");

const workDir = await mkdtemp(join(tmpdir(), "mindgw-relay-shapes-"));
const upstream = spawnService(["bun", join(import.meta.dir, "burst-upstream.ts")]);
const upstreamUrl = `http://127.0.0.1:${await upstream.portLine()}`;
const servers = new Map<string, { url: string; pid: number; stop: () => Promise<void> }>();
const results = new Map<string, number[]>(shapes.map((shape) => [shape, []]));
try {
  for (const shape of shapes) {
    const service = spawnService([
      "bun",
      join(import.meta.dir, "relay-shape-server.ts"),
      "--upstream",
      upstreamUrl,
      "--shape",
      shape,
    ]);
    servers.set(shape, {
      url: `http://127.0.0.1:${await service.portLine()}`,
      pid: service.pid,
      stop: service.stop,
    });
  }
  const run = async (shape: string, secs: number) => {
    const server = servers.get(shape)!;
    const before = await cpuSeconds(server.pid);
    const result = await runWrk({
      baseUrl: server.url,
      headers: {},
      scenario: STREAM_SCENARIO,
      connections: 32,
      seconds: secs,
      workDir,
    });
    const used = (await cpuSeconds(server.pid)) - before;
    if (result.status_errors > 0 || result.requests === 0)
      throw new Error(`${shape}: ${result.status_errors} errors`);
    return { rps: result.rps, us: (used * 1e6) / result.requests };
  };
  for (const shape of shapes) await run(shape, 1); // warm-up, unmeasured
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? shapes : [...shapes].reverse();
    for (const shape of order) {
      const { rps, us } = await run(shape, seconds);
      results.get(shape)?.push(us);
      console.log(`${shape} round ${round}: ${Math.round(rps)} req/s, ${us.toFixed(1)} µs CPU/request`);
    }
  }
  console.log("");
  for (const [shape, runs] of results) {
    const sorted = [...runs].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    const median =
      sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
    console.log(
      `${shape}: median ${median.toFixed(1)} µs CPU/request (${sorted[0]?.toFixed(1)}–${sorted.at(-1)?.toFixed(1)})`,
    );
  }
} finally {
  for (const server of servers.values()) await server.stop();
  await upstream.stop();
  await rm(workDir, { recursive: true, force: true });
}
