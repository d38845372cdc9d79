import { afterAll, expect } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditRecord } from "../../audit/audit-record.ts";
import type { Policy } from "../../auth/policy.ts";
import type { Principal } from "../../auth/principal.ts";
import { parseConfig } from "../../config/load-config.ts";
import type { SseEvent } from "../../core/sse.ts";
import { createGateway, type Gateway } from "../../gateway/create-gateway.ts";
import type { LogFields, Logger } from "../../log/logger.ts";
import type { Provider } from "../../providers/provider.ts";
import { openSqliteStorage } from "../../storage/sqlite/sqlite-storage.ts";
import type { Storage } from "../../storage/storage.ts";
import { waitFor } from "../../testing/wait-for.ts";

// The embedded gateway the embedder-*-faults.test.ts files break the parts of: a policy, an
// authenticator, a store, each a test's own, in front of two in-memory providers.

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

export interface Logged {
  level: string;
  message: string;
  fields?: LogFields;
}

/** Its events throw a raw error before the first one, as an embedder's provider on a lost socket may. */
const flaky: Provider = {
  name: "flaky",
  dialect: "openai",
  async call() {
    const events: AsyncIterable<SseEvent> = {
      [Symbol.asyncIterator]: () => ({
        async next(): Promise<IteratorResult<SseEvent>> {
          await nextTurn();
          throw new TypeError("fetch failed");
        },
      }),
    };
    return { kind: "stream", events };
  },
};

export const recordingPolicy: Policy = { admit: () => ({}), record: () => 0 };

/** The caller every test's authenticator lets in. */
export const principal: Principal = {
  keyId: null,
  name: "embedded",
  tenant: "default",
  role: "user",
  models: ["*"],
  limits: {},
  via: "jwt",
};

/** What a test changes of the gateway beyond its policy and authenticator. */
export interface Parts {
  /** The storage, made from the test's own SQLite one (a store call made to hang, say). */
  readonly storage?: (sqlite: Storage) => Storage;
  readonly drainTimeout?: string;
}

/**
 * Registers the file's hook that stops its gateways and removes their directory; returns the
 * builder of a gateway and `slow`, whose `held` a test sets to hold the next call's answer.
 */
export function embedderGateways() {
  const dir = mkdtempSync(join(tmpdir(), "mindgw-policy-faults-"));
  const gateways: Gateway[] = [];
  afterAll(async () => {
    for (const gateway of gateways) await gateway.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  /** Set by a test: the next call's answer waits for it (a slow first token, answered kept alive). */
  const slow: { held: Promise<void> | undefined } = { held: undefined };

  /** Answers in several reads (a turn between each chunk), so the stream's end comes after its head. */
  const slowStream: Provider = {
    name: "slow",
    dialect: "openai",
    async call(call) {
      if (slow.held) await slow.held;
      const chunk = (delta: object, finish: string | null) => ({
        data: JSON.stringify({
          id: "c1",
          object: "chat.completion.chunk",
          model: call.body.model,
          choices: [{ index: 0, delta, finish_reason: finish }],
        }),
      });
      if (!call.stream)
        return {
          kind: "json",
          body: {
            id: "c1",
            object: "chat.completion",
            model: call.body.model,
            choices: [{ index: 0, message: { role: "assistant", content: "whole" }, finish_reason: "stop" }],
            usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
          },
        };
      async function* events(): AsyncIterable<SseEvent> {
        yield chunk({ role: "assistant", content: "" }, null);
        for (const word of ["one ", "two ", "three"]) {
          await nextTurn();
          yield chunk({ content: word }, null);
        }
        await nextTurn();
        yield chunk({}, "stop");
        yield { data: "[DONE]" };
      }
      return { kind: "stream", events: events() };
    },
  };

  async function gatewayWith(
    name: string,
    policy: Policy = recordingPolicy,
    auth: (headers: Headers) => Promise<Principal> = async () => principal,
    parts: Parts = {},
  ) {
    const logged: Logged[] = [];
    const log =
      (level: string) =>
      (message: string, fields?: LogFields): void => {
        logged.push({ level, message, fields });
      };
    const logger: Logger = { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
    const finished: AuditRecord[] = [];
    const path = join(dir, `${name}.db`);
    const gateway = await createGateway({
      config: parseConfig({
        storage: { path },
        auth: { bootstrap_admin: false },
        server: {
          max_concurrent_requests: 2,
          ...(parts.drainTimeout ? { drain_timeout: parts.drainTimeout } : {}),
        },
        routing: { stream_keepalive: "10ms" },
        providers: [
          { name: "slow", type: "mock" },
          { name: "flaky", type: "mock" },
        ],
        models: [
          { name: "m", routes: [{ provider: "slow", model: "m" }] },
          {
            name: "failing-over",
            routes: [
              { provider: "flaky", model: "m" },
              { provider: "slow", model: "m" },
            ],
          },
        ],
      }),
      providers: (config) => (config.name === "flaky" ? flaky : slowStream),
      ...(parts.storage ? { storage: parts.storage(openSqliteStorage(path)) } : {}),
      auth,
      policy,
      logger,
      events: [{ publish: (event) => event.type === "request.finished" && finished.push(event.record) }],
    });
    gateways.push(gateway);
    const { port } = gateway.listen("127.0.0.1", 0);
    const call = (
      stream: boolean,
      model = "m",
      path = "/v1/chat/completions",
      token = "any",
      signal?: AbortSignal,
    ) =>
      fetch(`http://127.0.0.1:${port}${path}`, {
        method: "POST",
        signal,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ model, stream, max_tokens: 16, messages: [{ role: "user", content: "hi" }] }),
      });
    return { call, logged, finished, gateway, port };
  }

  return { gatewayWith, slow };
}

/**
 * The two requests' clients leave: each ends (its fetch refused), each is recorded 499, and the
 * places they held are given back (the next request is served).
 */
export async function bothLeft(
  leaving: AbortController[],
  calls: Promise<unknown>[],
  finished: { status: number }[],
  call: (stream: boolean) => Promise<Response>,
): Promise<void> {
  for (const controller of leaving) controller.abort();
  expect(await Promise.all(calls)).toEqual(["left", "left"]);
  await waitFor("both requests recorded", () => finished.length === 2);
  expect(finished.map((record) => record.status)).toEqual([499, 499]);
  const next = await call(false);
  expect(next.status).toBe(200);
  await next.text();
}
