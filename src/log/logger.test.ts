import { expect, test } from "bun:test";
import { childEnv } from "../testing/off-cloud-env.ts";
import { seededRandom } from "../testing/seeded-random.ts";
import { createLogger } from "./logger.ts";

const at = new Date("2026-11-30T10:00:00.000Z");

function capture(options: Parameters<typeof createLogger>[0] = {}) {
  const lines: string[] = [];
  const logger = createLogger({ ...options, write: (line) => lines.push(line), now: () => at });
  return { logger, lines };
}

test("text lines: time, level, message, then key=value with anything unusual quoted", () => {
  const { logger, lines } = capture();
  logger.info("request", { request_id: "req_1", status: 200, reason: "no such model", skip: undefined });
  logger.warn("worker connected", { models: ["a", "b"] });
  expect(lines).toEqual([
    '2026-11-30T10:00:00.000Z info request request_id=req_1 status=200 reason="no such model"\n',
    "2026-11-30T10:00:00.000Z warn worker connected models=a,b\n",
  ]);
});

test("text lines: numbers and booleans print as JavaScript writes them, whatever their kind", () => {
  const { logger, lines } = capture();
  logger.info("request", {
    latency_ms: 0.334,
    ttft_ms: -0,
    tokens_in: 12,
    big: 1e21,
    tiny: 1e-7,
    odd: Number.NaN,
    stream: false,
    cached: true,
  });
  expect(lines).toEqual([
    "2026-11-30T10:00:00.000Z info request latency_ms=0.334 ttft_ms=0 tokens_in=12 big=1e+21 tiny=1e-7 odd=NaN stream=false cached=true\n",
  ]);
});

test("text lines: a number of up to three decimals prints as String prints it, whatever its size", () => {
  const { logger, lines } = capture();
  const values = [
    0.001,
    0.01,
    0.1,
    0.5,
    0.09,
    1.25,
    7.909,
    12.3,
    999.999,
    2147483.647,
    2147483.648,
    1e6 + 0.5,
  ];
  // Random thousandths across the range, and numbers with more decimals (those take `String`).
  const random = seededRandom(13);
  for (let i = 0; i < 2000; i++) values.push(Math.round(random() * 5e9) / 1000, random() * 1000);
  for (const value of values) logger.info("m", { latency_ms: value });
  expect(lines).toEqual(
    values.map((value) => `2026-11-30T10:00:00.000Z info m latency_ms=${String(value)}\n`),
  );
});

test("json lines parse, one object each, with time, level, msg and the fields", () => {
  const { logger, lines } = capture({ format: "json" });
  logger.error("request", { request_id: "req_2", status: 502, reason: 'say "hi"\nnext' });
  expect(lines).toHaveLength(1);
  expect(lines[0]?.endsWith("\n")).toBe(true);
  expect(lines[0]?.trimEnd().includes("\n")).toBe(false);
  expect(JSON.parse(lines[0] ?? "")).toEqual({
    time: "2026-11-30T10:00:00.000Z",
    level: "error",
    msg: "request",
    request_id: "req_2",
    status: 502,
    reason: 'say "hi"\nnext',
  });
});

test("lines below the level are dropped", () => {
  const { logger, lines } = capture({ level: "warn" });
  logger.debug("d");
  logger.info("i");
  logger.warn("w");
  logger.error("e");
  expect(lines.map((line) => line.split(" ")[1])).toEqual(["warn", "error"]);
  const verbose = capture({ level: "debug" });
  verbose.logger.debug("d");
  expect(verbose.lines).toHaveLength(1);
});

test("warnings and errors are marked to be written soon; info and debug lines may wait", () => {
  const marks: [string, boolean][] = [];
  const logger = createLogger({
    level: "debug",
    write: (line, soon) => marks.push([line.split(" ")[1] ?? "", soon]),
  });
  logger.debug("d");
  logger.info("i");
  logger.warn("w");
  logger.error("e");
  expect(marks).toEqual([
    ["debug", false],
    ["info", false],
    ["warn", true],
    ["error", true],
  ]);
});

test("the default writer's lines (formatted when their batch is written) read as lines formatted at once", async () => {
  // Logs the same lines through the default writer (stderr) and through `write`, then exits; an
  // object value changed after its call prints as it was when logged.
  const run = async (format: "text" | "json") => {
    const script = `
      import { createLogger } from "${import.meta.dir}/logger.ts";
      const now = () => new Date("2026-11-30T10:00:00.000Z");
      const same = [];
      const loggers = [createLogger({ format: "${format}", now }), createLogger({ format: "${format}", now, write: (line) => same.push(line) })];
      for (const logger of loggers) {
        const models = ["a", "b"];
        logger.info("request", { request_id: "req_1", status: 200, latency_ms: 12.345, ttft_ms: 1e-7, stream: true, reason: "say \\"hi\\"\\n", skip: undefined });
        logger.warn("worker connected", { models });
        models.push("c");
        logger.error("bare");
        logger.debug("dropped");
      }
      process.on("exit", () => process.stdout.write(same.join("")));`;
    const proc = Bun.spawn([process.execPath, "-e", script], {
      env: childEnv(),
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await proc.exited).toBe(0);
    return {
      stderr: await new Response(proc.stderr).text(),
      formattedAtOnce: await new Response(proc.stdout).text(),
    };
  };
  const text = await run("text");
  expect(text.stderr).toBe(text.formattedAtOnce);
  expect(text.stderr).toBe(
    [
      '2026-11-30T10:00:00.000Z info request request_id=req_1 status=200 latency_ms=12.345 ttft_ms=1e-7 stream=true reason="say \\"hi\\"\\n"\n',
      "2026-11-30T10:00:00.000Z warn worker connected models=a,b\n",
      "2026-11-30T10:00:00.000Z error bare\n",
    ].join(""),
  );
  const json = await run("json");
  expect(json.stderr).toBe(json.formattedAtOnce);
  expect(
    json.stderr
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line).models),
  ).toEqual([undefined, ["a", "b"], undefined]);
});

test("fields a line cannot hold (a bigint in JSON, a cycle) throw into no caller: the line keeps its message and level and says why its fields are missing", () => {
  const cycle: Record<string, unknown> = { a: 1 };
  cycle.self = cycle;
  const json = capture({ format: "json" });
  json.logger.warn("count", { n: 1n });
  json.logger.error("loop", { c: cycle });
  expect(json.lines.map((line) => JSON.parse(line))).toEqual([
    {
      time: "2026-11-30T10:00:00.000Z",
      level: "warn",
      msg: "count",
      fields_error: "the fields could not be serialised: JSON.stringify cannot serialize BigInt.",
    },
    {
      time: "2026-11-30T10:00:00.000Z",
      level: "error",
      msg: "loop",
      fields_error: "the fields could not be serialised: JSON.stringify cannot serialize cyclic structures.",
    },
  ]);
  const text = capture({ format: "text" });
  text.logger.info("count", { n: 1n });
  text.logger.info("loop", { c: cycle });
  expect(text.lines).toEqual([
    "2026-11-30T10:00:00.000Z info count n=1\n",
    '2026-11-30T10:00:00.000Z info loop fields_error="the fields could not be serialised: JSON.stringify cannot serialize cyclic structures."\n',
  ]);
});

test("fields whose reading or toJSON throws (a getter, the fields' own toJSON) throw into no caller and fail no batch: through the default writer, each line says why, keeping its plain fields", async () => {
  const script = `
    import { createLogger } from "${import.meta.dir}/logger.ts";
    const logger = createLogger({ format: "json", now: () => new Date("2026-11-30T10:00:00.000Z") });
    const getter = Object.defineProperty({ request_id: "req_1" }, "x", { enumerable: true, get() { throw new Error("getter boom"); } });
    const own = { request_id: "req_2", toJSON() { throw new Error("toJSON boom"); } };
    const calls = [];
    for (const [message, fields] of [["getter", getter], ["own toJSON", own]]) {
      try { logger.info(message, fields); calls.push("ok"); } catch (error) { calls.push(error.message); }
    }
    logger.info("after", { status: 200 });
    process.stdout.write(calls.join(","));`;
  const proc = Bun.spawn([process.execPath, "-e", script], {
    env: childEnv(),
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(await proc.exited).toBe(0);
  expect(await new Response(proc.stdout).text()).toBe("ok,ok");
  const lines = (await new Response(proc.stderr).text())
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  const time = "2026-11-30T10:00:00.000Z";
  expect(lines).toEqual([
    {
      time,
      level: "info",
      msg: "getter",
      request_id: "req_1",
      fields_error: "the fields could not be serialised: getter boom",
    },
    {
      time,
      level: "info",
      msg: "own toJSON",
      request_id: "req_2",
      fields_error: "the fields could not be serialised: toJSON boom",
    },
    { time, level: "info", msg: "after", status: 200 },
  ]);
});

test("json lines read as the line object stringified whole, whatever the fields", () => {
  const { logger, lines } = capture({ format: "json" });
  const cases: (Record<string, unknown> | undefined)[] = [
    undefined,
    {},
    { skip: undefined },
    { request_id: "req_3", status: 200, latency_ms: 1.25, stream: false, reason: 'a "b"\n\u2028' },
    { level: "custom", msg: "over", time: 1, extra: true },
    { toJSON: () => ({ replaced: 1 }) },
  ];
  for (const fields of cases) logger.info("request \u001b", fields);
  expect(lines).toEqual(
    cases.map(
      (fields) =>
        `${JSON.stringify({ time: "2026-11-30T10:00:00.000Z", level: "info", msg: "request \u001b", ...fields })}\n`,
    ),
  );
});

test("DEL and the C1 controls a client may send (U+009B, a terminal's CSI; U+0085, a line break to some readers) are escaped in both formats, the JSON line parsing back to the same value", () => {
  const model = "x\u009b2J\u0085y\u007f";
  const fields = { model, models: [model], meta: { model } };
  const text = capture();
  text.logger.warn("request \u009b", fields);
  const json = capture({ format: "json" });
  json.logger.warn("request \u009b", fields);
  json.logger.warn("request", { level: model });
  expect(text.lines).toEqual([
    '2026-11-30T10:00:00.000Z warn request \\u009b model="x\\u009b2J\\u0085y\\u007f" models="x\\u009b2J\\u0085y\\u007f" meta={"model":"x\\u009b2J\\u0085y\\u007f"}\n',
  ]);
  for (const line of [...text.lines, ...json.lines]) expect(line).not.toMatch(/[\u007f-\u009f]/);
  expect(json.lines.map((line) => JSON.parse(line))).toEqual([
    { time: "2026-11-30T10:00:00.000Z", level: "warn", msg: "request \u009b", ...fields },
    { time: "2026-11-30T10:00:00.000Z", level: model, msg: "request" },
  ]);
});
