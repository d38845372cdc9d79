import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditRecord } from "../audit/audit-record.ts";
import type { Authenticator } from "../auth/authenticate.ts";
import { parseConfig } from "../config/load-config.ts";
import { GatewayError } from "../core/gateway-error.ts";
import { createGateway, type Gateway } from "../gateway/create-gateway.ts";
import { silentLogger } from "../log/logger.ts";
import type { CallerBinding } from "../tenants/bind-tenant.ts";
import { jwtCaller } from "../testing/jwt-caller.ts";
import { recordOf } from "../testing/recording-gateway.ts";
import type { FrontDoorDeps } from "./front-door-deps.ts";
import { GuardSteps } from "./guard-steps.ts";
import type { GuardedRequest } from "./guarded-request.ts";
import type { RequestRuntime } from "./request-runtime.ts";
import { Shutdown } from "./shutdown.ts";

// The guard's steps, as the model pipeline runs them in its own frame and the generic guard
// around any handler: the same answer and audit row either way, for each way a request ends.
const dir = mkdtempSync(join(tmpdir(), "mindgw-guard-steps-"));
let gateway: Gateway;
const finished: AuditRecord[] = [];
/** The client of the request under way, which leaves while its caller is looked up (`Bearer leaving…`). */
let client = new AbortController();

beforeAll(async () => {
  gateway = await createGateway({
    config: parseConfig({
      storage: { path: join(dir, "gw.db") },
      auth: { bootstrap_admin: false },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    }),
    logger: silentLogger,
    // An embedder's authenticator that throws a plain error for a caller it does not know.
    auth: async (headers) => {
      const token = headers.get("authorization") ?? "";
      const name = token.replace(/^Bearer /, "");
      if (name === "refused") throw new GatewayError({ status: 403, code: "forbidden", message: "not here" });
      if (!["fine", "broken", "leaving", "leaving-broken"].includes(name)) throw new Error("who is this?");
      // As Bun does when it resets a socket that got no answer in time (server.idle_timeout).
      if (name.startsWith("leaving")) client.abort();
      return {
        keyId: null,
        name,
        tenant: "acme",
        role: "user",
        models: ["*"],
        limits: {},
        via: "jwt",
      };
    },
    // A policy that fails with a plain error once the caller is known.
    policy: {
      admit(principal) {
        if (principal.name.endsWith("broken")) throw new Error("the policy store is down");
        return {};
      },
      record: () => 0,
    },
    events: [{ publish: (event) => event.type === "request.finished" && finished.push(event.record) }],
  });
});

afterAll(async () => {
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});

const chat = (token: string) =>
  gateway.handle(
    new Request("http://localhost/v1/chat/completions", {
      method: "POST",
      signal: client.signal,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
    }),
  );

/** The audit row of the request that answered with this id. */
const rowOf = (response: Response): Promise<AuditRecord> => recordOf(finished, response);

describe("the guard's steps in the model pipeline", () => {
  test("an answered call is recorded with its caller and status", async () => {
    const response = await chat("fine");
    expect(response.status).toBe(200);
    expect(await rowOf(response)).toMatchObject({ status: 200, keyName: "fine", model: "m" });
  });

  test("a plain error before the caller is known is the uniform 401, recorded without a caller", async () => {
    const response = await chat("stranger");
    expect(response.status).toBe(401);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("unauthorized");
    // What threw may pass a moment later (an introspection service down): the clients may retry.
    expect(response.headers.get("x-should-retry")).toBeNull();
    // The row's error is the message of the body answered, which is built once for both.
    expect(await rowOf(response)).toMatchObject({
      status: 401,
      keyName: null,
      errorClass: "unauthorized",
      errorMessage: error.message,
    });
  });

  test("a plain error once the caller is known is a 500, recorded with the caller", async () => {
    const response = await chat("broken");
    expect(response.status).toBe(500);
    expect(await rowOf(response)).toMatchObject({ status: 500, keyName: "broken", model: "m" });
  });

  test("a 401 before the body is read closes the connection, and so does any refusal then of a large or chunked body; after it, or without a body, it stays", async () => {
    // As Bun's server hands a request over: its length declared, its body not yet read.
    const small = JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] });
    const declared = (token: string, body = small, headers: Record<string, string> = {}) =>
      gateway.handle(
        new Request("http://localhost/v1/chat/completions", {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-length": String(body.length), ...headers },
          body,
        }),
      );
    const stranger = await declared("stranger");
    expect([stranger.status, stranger.headers.get("connection")]).toEqual([401, "close"]);
    // Another refusal of a small body, which has come with its head: the connection is kept.
    const refused = await declared("refused");
    expect([refused.status, refused.headers.get("connection")]).toEqual([403, null]);
    const large = await declared("refused", "x".repeat(64 * 1024 + 1));
    expect([large.status, large.headers.get("connection")]).toEqual([403, "close"]);
    const chunked = await gateway.handle(
      new Request("http://localhost/v1/chat/completions", {
        method: "POST",
        headers: { authorization: "Bearer refused", "transfer-encoding": "chunked" },
        body: small,
      }),
    );
    expect([chunked.status, chunked.headers.get("connection")]).toEqual([403, "close"]);
    // The policy's failure comes after the body was read: the connection may carry the next request.
    const broken = await declared("broken");
    expect([broken.status, broken.headers.get("connection")]).toEqual([500, null]);
    const list = await gateway.handle(
      new Request("http://localhost/v1/models", { headers: { authorization: "Bearer stranger" } }),
    );
    expect([list.status, list.headers.get("connection")]).toEqual([401, null]);
  });

  test("the generic guard (GET /v1/models) takes the same steps", async () => {
    const list = (token: string) =>
      gateway.handle(
        new Request("http://localhost/v1/models", { headers: { authorization: `Bearer ${token}` } }),
      );
    const known = await list("fine");
    expect(known.status).toBe(200);
    expect(await rowOf(known)).toMatchObject({ status: 200, keyName: "fine", frontDoor: "models" });
    const stranger = await list("stranger");
    expect(stranger.status).toBe(401);
    expect(await rowOf(stranger)).toMatchObject({ status: 401, keyName: null });
  });
});

describe("a client gone before its answer is recorded 499, as a stream's is, whatever the answer would have been", () => {
  const leave = () => {
    client = new AbortController();
  };

  test("an answer (GET /v1/models, the generic guard)", async () => {
    leave();
    const response = await gateway.handle(
      new Request("http://localhost/v1/models", {
        headers: { authorization: "Bearer leaving" },
        signal: client.signal,
      }),
    );
    expect(await rowOf(response)).toMatchObject({
      status: 499,
      keyName: "leaving",
      errorClass: "client_closed",
    });
  });

  test("a failure (a model call whose policy fails)", async () => {
    leave();
    const response = await chat("leaving-broken");
    const row = await rowOf(response);
    expect(row).toMatchObject({ status: 499, keyName: "leaving-broken", errorClass: "client_closed" });
    // What it would have been told is kept for the operator.
    expect(row.errorMessage).toContain("500");
  });
});

const anyone = jwtCaller;

test("the front door's wrapped authenticator is made per config version: one that shares the last version's authenticator still gets its own binding of callers", async () => {
  const authenticate: Authenticator = async () => anyone;
  const boundAs =
    (tenant: string): CallerBinding =>
    (principal) => ({ ...principal, tenant });
  // The web UI's sessions wrap each version's authenticator with that version's binding.
  const deps = {
    refusal: () => undefined,
    authenticate: (base: Authenticator, bind: CallerBinding) => (headers: Headers) =>
      base(headers).then(bind),
  } as Pick<FrontDoorDeps, "refusal" | "authenticate"> as FrontDoorDeps;
  const steps = new GuardSteps(deps, new Shutdown());
  const callUnder = (runtime: Pick<RequestRuntime, "authenticate" | "bindCaller">) =>
    ({ request: new Request("http://localhost/"), runtime, ip: null }) as unknown as GuardedRequest;
  const first = await steps.admit(callUnder({ authenticate, bindCaller: boundAs("one") }));
  const next = await steps.admit(callUnder({ authenticate, bindCaller: boundAs("two") }));
  expect([first.tenant, next.tenant]).toEqual(["one", "two"]);
});
