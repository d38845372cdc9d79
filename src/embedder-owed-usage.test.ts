import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AuditRecord,
  type Authenticator,
  createGateway,
  openSqliteStorage,
  type Provider,
  parseConfig,
  type SseEvent,
  silentLogger,
} from "./index.ts";
import { jwtCaller } from "./testing/jwt-caller.ts";
import { waitForValue } from "./testing/wait-for.ts";

// An embedder's provider that answers with events (`{ kind: "stream", events }`), not bytes, and
// whose stream says no usage: its caller that asked for usage (`stream_options.include_usage`) is
// owed the gateway's estimate in a last usage chunk, as a byte-relayed stream's caller is
// (routing/owed-usage.ts), and the event sinks' `request.finished` and the audit row say that figure.

const dir = mkdtempSync(join(tmpdir(), "mindgw-owed-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const anyone: Authenticator = async () => jwtCaller;
const USAGE = { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 };

/**
 * Streams three words and a finish; with `usage`, OpenAI's usage chunk before `[DONE]`; with `done`
 * false, no `[DONE]` at all (the gateway ends the stream itself after the finish).
 */
const streaming = (usage: boolean, done = true): Provider => ({
  name: "events",
  dialect: "openai",
  async call(call) {
    const chunk = (delta: object, finish: string | null): SseEvent => ({
      data: JSON.stringify({
        id: "c1",
        object: "chat.completion.chunk",
        created: 1,
        model: call.body.model,
        choices: [{ index: 0, delta, finish_reason: finish }],
      }),
    });
    async function* events(): AsyncIterable<SseEvent> {
      yield chunk({ role: "assistant", content: "" }, null);
      for (const word of ["one ", "two ", "three"]) yield chunk({ content: word }, null);
      yield chunk({}, "stop");
      if (usage)
        yield {
          data: JSON.stringify({
            id: "c1",
            object: "chat.completion.chunk",
            created: 1,
            choices: [],
            usage: USAGE,
          }),
        };
      if (done) yield { data: "[DONE]" };
    }
    return { kind: "stream", events: events() };
  },
});

interface Told {
  id?: string;
  object?: string;
  model?: string;
  choices?: unknown[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
}

/** A stream's data events as the caller read them, `[DONE]` as itself. */
const eventsOf = (text: string): (Told | "[DONE]")[] =>
  text
    .split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => (line === "data: [DONE]" ? "[DONE]" : (JSON.parse(line.slice(6)) as Told)));

/** One streamed chat call through an embedded gateway: what the caller read, the sink's record, the row. */
async function streamed(name: string, provider: Provider, streamOptions?: object) {
  const path = join(dir, `${name}.db`);
  const finished: AuditRecord[] = [];
  const gateway = await createGateway({
    config: parseConfig({
      storage: { path },
      auth: { bootstrap_admin: false },
      providers: [{ name: "events", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "events", model: "m" }] }],
    }),
    auth: anyone,
    logger: silentLogger,
    providers: () => provider,
    events: [{ publish: (event) => void (event.type === "request.finished" && finished.push(event.record)) }],
  });
  try {
    const response = await gateway.handle(
      new Request("http://gw/v1/chat/completions", {
        method: "POST",
        headers: { authorization: "Bearer t", "content-type": "application/json" },
        body: JSON.stringify({
          model: "m",
          stream: true,
          ...(streamOptions ? { stream_options: streamOptions } : {}),
          messages: [{ role: "user", content: "count to three, please, in words" }],
        }),
      }),
    );
    expect(response.status).toBe(200);
    const requestId = response.headers.get("x-request-id");
    const read = eventsOf(await response.text());
    const record = await waitForValue("the request's request.finished", () =>
      finished.find((finishedRecord) => finishedRecord.requestId === requestId),
    );
    await gateway.stop();
    const written = openSqliteStorage(path, { readonly: true });
    try {
      const rows = await written.audit.select({ order: "asc", bodies: false }, null, 10);
      return { read, record, row: rows.find((entry) => entry.record.requestId === requestId)?.record };
    } finally {
      await written.close();
    }
  } finally {
    await gateway.stop();
  }
}

const tokensOf = (record: AuditRecord | undefined) => [record?.inputTokens, record?.outputTokens];

test("an embedder's event stream that says no usage: the caller that asked is owed the estimate in a usage chunk before [DONE], the figure the event sink's record and the audit row say", async () => {
  const { read, record, row } = await streamed("owed", streaming(false), { include_usage: true });
  expect(read.at(-1)).toBe("[DONE]");
  const owed = read.at(-2);
  expect(owed).toMatchObject({ id: "c1", object: "chat.completion.chunk", model: "m", choices: [] });
  const usage = owed === "[DONE]" ? undefined : owed?.usage;
  // The answer: a token an upstream event (the role chunk, three words, the finish).
  expect(usage?.completion_tokens).toBe(5);
  expect(usage?.total_tokens).toBe((usage?.prompt_tokens ?? 0) + 5);
  expect(tokensOf(record)).toEqual([usage?.prompt_tokens, usage?.completion_tokens]);
  expect(tokensOf(row)).toEqual([usage?.prompt_tokens, usage?.completion_tokens]);
});

test("an event stream that says its usage is passed on as it came: one usage chunk, the upstream's, on the record and the row", async () => {
  const { read, record, row } = await streamed("said", streaming(true), { include_usage: true });
  const told = read.filter((event) => event !== "[DONE]" && event.usage);
  expect(told).toHaveLength(1);
  expect(told[0] === "[DONE]" ? undefined : told[0]?.usage).toEqual(USAGE);
  expect(tokensOf(record)).toEqual([7, 3]);
  expect(tokensOf(row)).toEqual([7, 3]);
});

test("a caller that did not ask for usage is owed none: no usage chunk, the estimate on the record and the row alike", async () => {
  const { read, record, row } = await streamed("unasked", streaming(false));
  expect(read.filter((event) => event !== "[DONE]" && event.usage)).toEqual([]);
  expect(read.at(-1)).toBe("[DONE]");
  expect(record.outputTokens).toBe(5);
  expect(tokensOf(row)).toEqual(tokensOf(record));
});

test("an event stream that ends after its finish without [DONE]: the owed usage chunk comes before the [DONE] the gateway writes, the figure on the record and the row", async () => {
  const { read, record, row } = await streamed("undone", streaming(false, false), { include_usage: true });
  expect(read.at(-1)).toBe("[DONE]");
  const owed = read.at(-2);
  expect(owed).toMatchObject({ id: "c1", object: "chat.completion.chunk", model: "m", choices: [] });
  const usage = owed === "[DONE]" ? undefined : owed?.usage;
  expect(usage?.completion_tokens).toBe(5);
  expect(read.filter((event) => event !== "[DONE]" && event.usage)).toHaveLength(1);
  expect(tokensOf(record)).toEqual([usage?.prompt_tokens, usage?.completion_tokens]);
  expect(tokensOf(row)).toEqual([usage?.prompt_tokens, usage?.completion_tokens]);
});
