import { afterAll, expect, test } from "bun:test";
import type { JsonObject } from "../core/dialect.ts";
import type { SseEvent } from "../core/sse.ts";
import type { Provider } from "../providers/provider.ts";
import { chatBody, copyRequest, copyRoute } from "./copy-call-fixture.ts";
import { callShadow } from "./shadow-call.ts";
import { createShadowThread } from "./shadow-thread-client.ts";

// A 200 with no answer in it (core/holds-no-answer.ts; a stream of chunks without a choice then
// [DONE]: routing/no-choice.ts) is the upstream's failure, the 502 the primary answers for it, not
// an answer to compare with the primary's; a role chunk then [DONE] is an answer on both sides.
// Each copy is read as bytes (on the event loop and in the shadow thread) and built by its provider.

const noChoice = { id: "c1", object: "chat.completion", model: "candidate", choices: [] };
const head = { ...noChoice, object: "chat.completion.chunk" };
const DONE: SseEvent = { data: "[DONE]" };
const noChoiceStream: SseEvent[] = [{ data: JSON.stringify(head) }, DONE];
const roleThenDone: SseEvent[] = [
  { data: JSON.stringify({ ...head, choices: [{ index: 0, delta: { role: "assistant", content: "" } }] }) },
  DONE,
];
/** What the upstream and the provider stream, set by each test. */
let streamed = noChoiceStream;

const upstream = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: async (req) =>
    ((await req.json()) as JsonObject).stream
      ? new Response(streamed.map((event) => `data: ${event.data}\n\n`).join(""), {
          headers: { "content-type": "text/event-stream" },
        })
      : Response.json(noChoice),
});
const thread = createShadowThread();
afterAll(() => {
  thread.close();
  void upstream.stop(true);
});

const bytes = copyRoute(`http://127.0.0.1:${upstream.port}/v1`);
const built: Provider = {
  name: "built",
  dialect: "openai",
  call: async (call) =>
    call.stream
      ? {
          kind: "stream",
          events: (async function* () {
            yield* streamed;
          })(),
        }
      : { kind: "json", body: noChoice },
};
const copies = [
  { to: bytes, through: undefined },
  { to: bytes, through: thread },
  { to: { ...bytes, provider: built }, through: undefined },
] as const;

/** Each copy's outcome for a chat request, `stream` or not, named by how it was read. */
const outcomes = (stream: boolean) =>
  Promise.all(
    copies.map(async ({ to, through }) => ({
      read: `${to.provider.name}${through ? " in the thread" : ""}`,
      copy: await callShadow(to, copyRequest(chatBody({ stream })), new AbortController().signal, through),
    })),
  );

test("a copy answered with no choice in it, whole or streamed: a 502 upstream_error, no answer", async () => {
  streamed = noChoiceStream;
  for (const stream of [false, true])
    for (const outcome of await outcomes(stream))
      expect({ stream, ...outcome }).toMatchObject({
        copy: { status: 502, errorClass: "upstream_error", answer: null },
      });
});

test("a role chunk then [DONE]: an answer with nothing said, as on the primary", async () => {
  streamed = roleThenDone;
  for (const outcome of await outcomes(true))
    expect(outcome).toMatchObject({ copy: { status: 200, errorClass: null, answer: { text: "" } } });
});
