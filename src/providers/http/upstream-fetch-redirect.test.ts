import { afterAll, describe, expect, test } from "bun:test";
import type { StreamedAnswer } from "./streamed-answer.ts";
import {
  answerFetch,
  closeUpstreamFetch,
  createUpstreamFetch,
  type LeanMode,
  streamFetch,
} from "./upstream-fetch.ts";
import { UpstreamPost } from "./upstream-post.ts";
import type { WholeAnswer } from "./whole-answer.ts";

// Whichever client an upstream call takes — the lean client (alone, under load, past the native
// limit, on its thread), native `fetch`, `node:http` — a redirect comes back as it came: the
// request is sent once, to the upstream, and nothing reaches where it points (upstream-redirect.ts).

const reached: string[] = [];
const target = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(request) {
    reached.push(request.url);
    return new Response("taken");
  },
});
let asked = 0;
const redirector = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(request) {
    asked++;
    const status = Number(new URL(request.url).searchParams.get("status"));
    return new Response("moved", {
      status,
      headers: { location: `http://127.0.0.1:${target.port}/elsewhere?key=k` },
    });
  },
});
afterAll(() => {
  redirector.stop(true);
  target.stop(true);
});

type Answer = Response | WholeAnswer | StreamedAnswer;
const statusOf = (answer: Answer) => answer.status;
const locationOf = (answer: Answer) =>
  answer instanceof Response ? answer.headers.get("location") : (answer as WholeAnswer).location;

/** A worker's init (a plain object, no `redirect`), and a provider's (`UpstreamPost`). */
const inits = (): RequestInit[] => [
  { method: "POST", headers: { authorization: "Bearer k" }, body: "{}" },
  new UpstreamPost("up", { "x-api-key": "k" }, "{}", { signal: new AbortController().signal }),
];

const MODES: readonly LeanMode[] = ["all", "auto", "overflow", "off", "thread"];
const LOADS = [1, 32, 200] as const;

describe("no upstream client follows a redirect", () => {
  for (const mode of MODES)
    test(`${mode}: alone, under load and past the native limit; fetch, answer and stream`, async () => {
      let inFlight = 1;
      const upstream = createUpstreamFetch({ inFlight: () => inFlight, nativeLimit: 256, lean: mode });
      try {
        const calls = [upstream, answerFetch(upstream), streamFetch(upstream)];
        let status = 299;
        for (const load of LOADS)
          for (const call of calls)
            for (const init of inits()) {
              inFlight = load;
              // Every redirect status, 300 and 304 too, which fetch would not follow anyway.
              status = status === 308 ? 300 : status + 1;
              const before = asked;
              const answer = await call(`http://127.0.0.1:${redirector.port}/v1/x?status=${status}`, init);
              expect([statusOf(answer), asked - before]).toEqual([status, 1]);
              if (status !== 304)
                expect(locationOf(answer)).toBe(`http://127.0.0.1:${target.port}/elsewhere?key=k`);
            }
        expect(reached).toEqual([]);
      } finally {
        closeUpstreamFetch(upstream);
      }
    });
});
