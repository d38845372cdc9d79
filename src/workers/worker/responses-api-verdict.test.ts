import { afterAll, expect, test } from "bun:test";
import type { WorkerLog } from "../worker-log.ts";
import { ResponsesApiVerdict } from "./responses-api-verdict.ts";

// An upstream that could not say whether it serves the Responses API is asked again; the worker's
// line said only "could not tell whether the upstream serves the Responses API; asking again",
// so a --upstream with a wrong port (the first thing a worker given --models asks it) read as a
// question about an API, never as the upstream being unreachable.

const quiet: WorkerLog = () => {};
const signal = new AbortController().signal;

const loading = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: () => new Response("loading", { status: 503 }),
});
afterAll(() => loading.stop(true));

test("a verdict that could not be had says why: the upstream's status, or why it could not be reached", async () => {
  const answered = new ResponsesApiVerdict(
    `http://127.0.0.1:${loading.port}/v1`,
    undefined,
    quiet,
    undefined,
  );
  expect(await answered.ask(signal)).toBe(false);
  expect(answered.why).toBe("it answered 503");

  const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
  const place = `http://127.0.0.1:${closed.port}/v1`;
  await closed.stop(true);
  const unreachable = new ResponsesApiVerdict(place, undefined, quiet, undefined);
  expect(await unreachable.ask(signal)).toBe(false);
  expect(unreachable.why).toBe("connection refused (ECONNREFUSED)");
});
