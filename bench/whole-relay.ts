/**
 * A burst stream's relay as the router runs it, in process, this checkout against another: the
 * burst upstream's answer (bench/burst-upstream.ts: 24 events, 4,193 bytes) in one socket read,
 * handed over as the lean client's feed hands it (a read that answers at once, then the end),
 * relayed by `ByteRelay` under an `Attempt` in its connect bound, the usage event metered as the
 * router meters it; what `relayedReply` does for a same-dialect stream whole in its first read.
 *   bun bench/whole-relay.ts [--against OTHER_CHECKOUT] [--streams 100000] [--rounds 10]
 * Prints CPU µs a stream (this thread's user + system time), min and median over the rounds, for
 * three cuts: the relay whole, its scan (`RelayScan.take` with the meter) and the SSE scanner alone
 * (a sink that does nothing). `--against` loads the same modules from another checkout (say,
 * /tmp/base-s26) and alternates the two round by round, so the machine's load hits both alike.
 * A checkout whose `relayedReply` arms the first-byte bound itself (before session 19) has it armed
 * here too.
 */
import { parseArgs } from "node:util";
import { streamBody } from "./burst-answers.ts";

const { values } = parseArgs({
  options: {
    against: { type: "string" },
    streams: { type: "string", default: "100000" },
    rounds: { type: "string", default: "10" },
  },
});
const streams = Number(values.streams);
const rounds = Number(values.rounds);

/** The socket's read: the head, then the body (viewed, as the lean client views a read past 2 KB). */
const read = Buffer.from(
  `HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: ${Buffer.byteLength(streamBody)}\r\n\r\n${streamBody}`,
);
const bodyAt = read.length - Buffer.byteLength(streamBody);

interface Read {
  done: boolean;
  value: Uint8Array[];
  size: number;
}
const END: Read = { done: true, value: [], size: 0 };

/** The lean client's feed as a whole answer meets it: the one read at once, then the end. */
class Feed {
  private taken = false;
  constructor(private readonly body: Uint8Array) {}
  readMany(): Read {
    if (this.taken) return END;
    this.taken = true;
    return { done: false, value: [this.body], size: this.body.length };
  }
  cancel(): Promise<void> {
    return Promise.resolve();
  }
}

/** The request's abort as the front door's `RequestAbort` is to an attempt: followed, no listener. */
const client = { aborted: false, reason: undefined, follow() {}, unfollow() {} };
const timeouts = { connectMs: 60_000, firstByteMs: 60_000, idleMs: 60_000 };

interface Meter {
  observe(event: { data: string }): void;
}
interface Scan {
  take(chunk: Uint8Array): Uint8Array | undefined;
}
interface Relay {
  readonly drained: boolean;
  ready(): Uint8Array | undefined;
}
interface AttemptLike {
  readonly startedMs: number;
  arm(phase: string, ms: number, fromMs?: number): void;
}
interface Checkout {
  name: string;
  Attempt: new (client: object, t: typeof timeouts, label: string, startedMs: number) => AttemptLike;
  ByteRelay: new (feed: Feed, attempt: AttemptLike, options: object, declared: number) => { start(): Relay };
  RelayScan: new (sink: object) => Scan;
  SseScanner: new (maxLine: number) => { scan(buf: Uint8Array, sink: { onSpan(): void }): number };
  StreamUsageMeter: new (dialect: string) => Meter;
  /** Its `relayedReply` arms the first-byte bound before the relay starts. */
  armsFirstByte: boolean;
}

async function load(root: string, name: string): Promise<Checkout> {
  const exported = async (path: string, name: string): Promise<unknown> =>
    ((await import(`${root}/src/${path}`)) as Record<string, unknown>)[name];
  return {
    name,
    Attempt: (await exported("routing/attempt.ts", "Attempt")) as Checkout["Attempt"],
    ByteRelay: (await exported("routing/byte-relay.ts", "ByteRelay")) as Checkout["ByteRelay"],
    RelayScan: (await exported("routing/relay-scan.ts", "RelayScan")) as Checkout["RelayScan"],
    SseScanner: (await exported("core/sse-scanner.ts", "SseScanner")) as Checkout["SseScanner"],
    StreamUsageMeter: (await exported(
      "translate/stream-usage-meter.ts",
      "StreamUsageMeter",
    )) as Checkout["StreamUsageMeter"],
    armsFirstByte: (await Bun.file(`${root}/src/routing/native-reply.ts`).text()).includes(
      'attempt.arm("first byte"',
    ),
  };
}

const checkouts = [await load(`${import.meta.dir}/..`, "this checkout")];
if (values.against) checkouts.push(await load(values.against, values.against));

const cuts: Record<string, (c: Checkout) => number> = {
  relay(c) {
    const body = read.subarray(bodyAt);
    const meter = new c.StreamUsageMeter("openai");
    const context = {
      provider: "bench",
      maxLine: 1 << 20,
      onUsage(event: { data: string }) {
        meter.observe(event);
        return true;
      },
      done() {},
    };
    const attempt = new c.Attempt(client, timeouts, "bench", performance.now());
    attempt.arm("connect", timeouts.connectMs, attempt.startedMs);
    if (c.armsFirstByte) attempt.arm("first byte", timeouts.firstByteMs);
    const relay = new c.ByteRelay(new Feed(body), attempt, context, body.length).start();
    if (!relay.drained) throw new Error("the burst answer was not relayed whole");
    return relay.ready()?.length ?? 0;
  },
  scan(c) {
    const meter = new c.StreamUsageMeter("openai");
    const scan = new c.RelayScan({
      maxLine: 1 << 20,
      onUsage(event: { data: string }) {
        meter.observe(event);
        return true;
      },
    });
    return scan.take(read.subarray(bodyAt))?.length ?? 0;
  },
  scanner(c) {
    return new c.SseScanner(1 << 20).scan(read.subarray(bodyAt), { onSpan() {} });
  },
};

const cpuMicros = () => {
  const used = process.cpuUsage();
  return used.user + used.system;
};
const results = new Map<string, number[]>();
let sink = 0;
for (let round = 0; round <= rounds; round++) {
  // Round 0 warms every path up; then the checkouts alternate (A B, B A, …).
  const order = round % 2 === 0 ? checkouts : [...checkouts].reverse();
  for (const checkout of order) {
    for (const [cut, run] of Object.entries(cuts)) {
      const started = cpuMicros();
      for (let i = 0; i < streams; i++) sink += run(checkout);
      const perStream = (cpuMicros() - started) / streams;
      if (round === 0) continue;
      const key = `${cut}\t${checkout.name}`;
      const list = results.get(key) ?? [];
      list.push(perStream);
      results.set(key, list);
    }
  }
}
if (sink === 0) throw new Error("nothing relayed");
console.log(
  `the burst answer (${read.length - bodyAt} bytes, 24 events), ${streams} streams a round, ${rounds} rounds`,
);
for (const [key, list] of results) {
  const [cut, name] = key.split("\t");
  const sorted = [...list].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  console.log(
    `${(cut ?? "").padEnd(8)} ${(name ?? "").padEnd(16)} min ${sorted[0]?.toFixed(3)}  median ${median.toFixed(3)} µs a stream`,
  );
}
