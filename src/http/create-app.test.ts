import { afterEach, describe, expect, test } from "bun:test";
import type { AnyElysia } from "elysia";
import type { Dialect, Operation } from "../core/dialect.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import { createApp } from "./create-app.ts";
import type { ModelFront } from "./front-routes.ts";
import type { AppMount } from "./mount-app.ts";

// The model routes are answered from Bun's route table when listening and from Elysia's router in
// process: every case here is asked both ways and must get the same answer.

/** A front door that names what it was asked, and from where. */
const front = (name: string): ModelFront => ({
  serveModel: async (_request, clientIp, operation) =>
    Response.json({ by: name, operation, ip: clientIp !== null }),
  listModels: async (_request, clientIp) =>
    Response.json({ by: name, operation: "models", ip: clientIp !== null }),
  retrieveModel: async (request, clientIp) =>
    Response.json({ by: name, operation: `model ${new URL(request.url).pathname}`, ip: clientIp !== null }),
});

/** No route matched: the error and dialect the app chose, as the body (and its `Allow`, if any). */
const unrouted = (_request: Request, _ip: string | null, error: GatewayError, dialect: Dialect) =>
  Response.json(
    { status: error.status, dialect, message: error.message, ...error.headers },
    { status: error.status, headers: error.headers },
  );

/** An OPTIONS request on a routed path: the methods the app named, and its dialect, as the body. */
const preflight = (_request: Request, _ip: string | null, allow: string, dialect: Dialect) =>
  Response.json({ status: 204, dialect, allow });

const appMount = (name: string, path: string, dialect: Dialect): AppMount => ({
  ...front(name),
  name,
  path,
  dialect,
});

let listening: AnyElysia | undefined;
afterEach(async () => {
  await listening?.stop(true);
  listening = undefined;
});

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

/** Asks `app` in process and over a socket; both must answer alike. */
async function askBoth(
  app: AnyElysia,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<Answer & { ip: boolean }> {
  listening ??= app.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listening.server?.port;
  const init = { method, headers, ...(method === "POST" ? { body: "{}" } : {}) };
  const inProcess = await app.handle(new Request(`http://localhost${path}`, init));
  const overSocket = await fetch(`http://127.0.0.1:${port}${path}`, init);
  const here = { status: inProcess.status, body: (await inProcess.json()) as Record<string, unknown> };
  const there = { status: overSocket.status, body: (await overSocket.json()) as Record<string, unknown> };
  // The client's address is known only over a socket.
  expect(here.body.ip ?? false).toBe(false);
  const ip = there.body.ip === true;
  delete there.body.ip;
  delete here.body.ip;
  expect(there).toEqual(here);
  return { ...there, ip };
}

const served = (by: string, operation: Operation | "models" | `model ${string}`) => ({
  status: 200,
  body: { by, operation },
});

/** The app with the root front door, and the apps `mounts` names. */
const appOf = (...mounts: AppMount[]) =>
  createApp({ ...front("root"), notReady: () => undefined, unrouted, preflight, mounts });

/** Each route, asked both ways, is served as said, the handler told the client's address over the socket. */
async function expectServed(app: AnyElysia, routes: readonly [string, string, Answer][]): Promise<void> {
  for (const [method, path, answer] of routes) {
    const got = await askBoth(app, method, path);
    expect({ status: got.status, body: got.body }).toEqual(answer);
    expect(got.ip).toBe(true);
  }
}

describe("createApp's model routes", () => {
  test("without apps: every model route and the model list, the same from the socket and in process", async () => {
    const app = appOf();
    const cases: [string, string, Answer][] = [
      ["POST", "/v1/chat/completions", served("root", "chat")],
      ["POST", "/v1/completions", served("root", "completions")],
      ["POST", "/v1/embeddings", served("root", "embeddings")],
      ["POST", "/v1/responses", served("root", "responses")],
      ["POST", "/v1/messages", served("root", "messages")],
      ["POST", "/v1/messages/count_tokens", served("root", "count_tokens")],
      ["GET", "/v1/models", served("root", "models")],
      ["GET", "/v1/models/gpt-4o", served("root", "model /v1/models/gpt-4o")],
      // An id with a slash (a worker's `meta-llama/…`) is the rest of the path.
      [
        "GET",
        "/v1/models/meta-llama/Llama-3.1-8B",
        served("root", "model /v1/models/meta-llama/Llama-3.1-8B"),
      ],
    ];
    await expectServed(app, cases);
  });

  test("without apps: a wrong path is the caller's dialect's 404", async () => {
    const app = appOf();
    const cases: [string, string, string][] = [
      ["POST", "/v1/nope", "openai"],
      ["POST", "/v1/messages/nope", "anthropic"],
      ["OPTIONS", "/v1/nope", "openai"],
    ];
    for (const [method, path, dialect] of cases) {
      const got = await askBoth(app, method, path);
      expect(got.body).toEqual({ status: 404, dialect, message: `no route for ${method} ${path}` });
    }
  });

  test("a 16 KB path is quoted in the 404 and the 405 cut at 256 characters", async () => {
    const app = appOf();
    const long = "a-".repeat(8_000);
    const notFound = await askBoth(app, "GET", `/${long}`);
    expect(notFound.body).toEqual({
      status: 404,
      dialect: "openai",
      message: `no route for GET ${`/${long}`.slice(0, 256)}…`,
    });
    const path = `/v1/models/${long}`;
    const refused = await askBoth(app, "DELETE", path);
    expect(refused.body).toMatchObject({
      status: 405,
      message: `DELETE is not allowed on ${path.slice(0, 256)}…; it takes GET, HEAD, OPTIONS`,
    });
  });

  test("a caller sending anthropic-version (an Anthropic SDK) gets Anthropic's 404 and 405 at the root; under an app, the app's dialect's", async () => {
    const app = appOf();
    const anthropic = { "anthropic-version": "2023-06-01" };
    // The Anthropic SDK's Files API (`client.beta.files.list()`), which the gateway does not serve.
    expect((await askBoth(app, "GET", "/v1/files", anthropic)).body).toEqual({
      status: 404,
      dialect: "anthropic",
      message: "no route for GET /v1/files",
    });
    expect((await askBoth(app, "POST", "/v1/models", anthropic)).body).toMatchObject({
      status: 405,
      dialect: "anthropic",
    });
    // An app's dialect is the app's, whatever the caller sends.
    const mounted = appOf(appMount("oa", "/openai", "openai"));
    const inApp = await mounted.handle(
      new Request("http://localhost/openai/v1/files", { headers: anthropic }),
    );
    expect(await inApp.json()).toMatchObject({ status: 404, dialect: "openai" });
  });

  test("a routed path asked with another method: the caller's dialect's 405 naming its methods; OPTIONS: the preflight", async () => {
    const app = appOf(appMount("an", "/team/anthropic", "anthropic"));
    const refused: [string, string, string, string][] = [
      ["GET", "/team/anthropic/v1/messages", "anthropic", "POST, OPTIONS"],
      ["PUT", "/team/anthropic/v1/models", "anthropic", "GET, HEAD, OPTIONS"],
      // A model id, slashes and all, is the rest of the path.
      ["DELETE", "/team/anthropic/v1/models/meta-llama/Llama-3.1-8B", "anthropic", "GET, HEAD, OPTIONS"],
      // A trailing slash is the same path, as Elysia routes it.
      ["POST", "/healthz/", "openai", "GET, HEAD, OPTIONS"],
    ];
    for (const [method, path, dialect, allow] of refused) {
      const got = await askBoth(app, method, path);
      expect(got.body).toEqual({
        status: 405,
        dialect,
        message: `${method} is not allowed on ${path}; it takes ${allow}`,
        allow,
      });
    }
    const preflighted = await askBoth(app, "OPTIONS", "/team/anthropic/v1/messages");
    expect(preflighted.body).toEqual({ status: 204, dialect: "anthropic", allow: "POST, OPTIONS" });
  });

  test("with apps: each app's routes of its own dialect under its path, nothing at the root", async () => {
    const app = appOf(appMount("oa", "/openai", "openai"), appMount("an", "/team/anthropic", "anthropic"));
    const routes: [string, string, Answer][] = [
      ["POST", "/openai/v1/chat/completions", served("oa", "chat")],
      ["POST", "/openai/v1/responses", served("oa", "responses")],
      ["GET", "/openai/v1/models", served("oa", "models")],
      ["GET", "/openai/v1/models/m", served("oa", "model /openai/v1/models/m")],
      ["POST", "/team/anthropic/v1/messages", served("an", "messages")],
      ["POST", "/team/anthropic/v1/messages/count_tokens", served("an", "count_tokens")],
      ["GET", "/team/anthropic/v1/models", served("an", "models")],
    ];
    await expectServed(app, routes);
    const refused: [string, string, string, string][] = [
      ["POST", "/openai/v1/messages", "openai", 'in app "oa" (openai API at /openai/v1/...)'],
      [
        "POST",
        "/team/anthropic/v1/chat/completions",
        "anthropic",
        'in app "an" (anthropic API at /team/anthropic/v1/...)',
      ],
      ["POST", "/v1/chat/completions", "openai", "model APIs are served only under the apps mounted at"],
    ];
    for (const [method, path, dialect, says] of refused) {
      const got = await askBoth(app, method, path);
      expect(got.status).toBe(404);
      expect(got.body).toMatchObject({ dialect });
      expect(String((got.body as { message: string }).message)).toContain(says);
    }
    // No model API path: plainly not found, in the same shape, with no word of the apps.
    for (const path of ["/admin/api/nope", "/healthz/x", "/docs/nope"]) {
      const got = await askBoth(app, "GET", path);
      expect(got).toMatchObject({ status: 404, body: { message: `no route for GET ${path}` } });
    }
  });

  test("Anthropic's connection probe (Claude Code's preconnect): 200 at the root and under each Anthropic app", async () => {
    const app = appOf(appMount("oa", "/openai", "openai"), appMount("an", "/team/anthropic", "anthropic"));
    for (const path of ["/api/hello", "/team/anthropic/api/hello"]) {
      expect(await askBoth(app, "GET", path)).toEqual({ status: 200, body: { message: "hello" }, ip: false });
      const head = await app.handle(new Request(`http://localhost${path}`, { method: "HEAD" }));
      expect({ path, status: head.status, id: head.headers.get("x-request-id")?.startsWith("req_") }).toEqual(
        {
          path,
          status: 200,
          id: true,
        },
      );
    }
    expect((await askBoth(app, "GET", "/openai/api/hello")).status).toBe(404);
  });
});
