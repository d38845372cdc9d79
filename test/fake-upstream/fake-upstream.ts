import { anthropicErrors } from "./anthropic-errors.ts";
import { type AuthRules, answer, authRefusal } from "./fake-answer.ts";
import {
  type Behaviour,
  behaviourFromHeaders,
  behaviourListSchema,
  behaviourSchema,
} from "./fake-behaviour.ts";
import type { FakeRequest } from "./fake-request.ts";
import { modelList, ROUTES } from "./fake-routes.ts";
import { openaiErrors } from "./openai-errors.ts";
import { RequestLog } from "./request-log.ts";

export type { Behaviour } from "./fake-behaviour.ts";
export type { FakeOutcome, FakeRequest } from "./fake-request.ts";

/** How to start the fake. */
export interface FakeUpstreamOptions extends AuthRules {
  /** Default 0: a free port. */
  port?: number;
  /** Model ids that `GET /v1/models` lists. */
  models?: string[];
  /** Keep a record of each request (default true). The benchmark turns it off to keep memory flat. */
  record?: boolean;
}

/** A running fake OpenAI + Anthropic upstream on 127.0.0.1. */
export interface FakeUpstream {
  /** `http://127.0.0.1:PORT`, no trailing slash, no `/v1`. */
  readonly url: string;
  readonly port: number;
  /** Requests received, oldest first (control calls under `/_fake/` and paths it does not serve are not recorded). */
  readonly requests: readonly FakeRequest[];
  /** Queues behaviours for the next requests, one each, in order (same as `POST /_fake/next`). */
  enqueue(...behaviours: Behaviour[]): void;
  /** Resolves with the n-th request (1-based) once it has arrived. */
  waitForRequest(n: number, timeoutMs?: number): Promise<FakeRequest>;
  /** Resolves with the first request the client abandoned before its answer ended. */
  waitForAbort(timeoutMs?: number): Promise<FakeRequest>;
  /** Forgets recorded requests and queued behaviours. */
  reset(): void;
  stop(): Promise<void>;
}

const DEFAULT_MODELS = ["fake-model", "bench-model", "claude-fake"];

async function readBody(req: Request): Promise<unknown> {
  const text = await req.text();
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const json = (body: unknown, status = 200) => Response.json(body, { status });

export async function startFakeUpstream(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const log = new RequestLog();
  const queue: Behaviour[] = [];
  const models = options.models ?? DEFAULT_MODELS;

  async function control(req: Request, url: URL): Promise<Response> {
    const route = `${req.method} ${url.pathname}`;
    if (route === "POST /_fake/next") {
      const body = await readBody(req);
      const parsed = behaviourListSchema.safeParse(Array.isArray(body) ? body : [body]);
      if (!parsed.success) return json({ error: parsed.error.message }, 400);
      queue.push(...parsed.data);
      return json({ queued: queue.length });
    }
    if (route === "GET /_fake/requests") return json(log.list);
    if (route === "POST /_fake/reset") {
      fake.reset();
      return json({ ok: true });
    }
    if (route === "GET /_fake/wait-abort") {
      const timeout = Number(url.searchParams.get("timeout_ms") ?? 5000);
      return fake.waitForAbort(timeout).then(json, (e: Error) => json({ error: e.message }, 408));
    }
    return json({ error: `unknown control route ${route}` }, 404);
  }

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    idleTimeout: 0,
    async fetch(req) {
      const url = new URL(req.url);
      if (url.pathname.startsWith("/_fake/")) return control(req, url);
      const route = ROUTES.get(`${req.method} ${url.pathname}`);
      // A path the fake does not serve is refused before it is recorded or takes a queued
      // behaviour: a worker's start-up probe (`POST /v1/responses`) leaves the test's log alone.
      if (!route && !(req.method === "GET" && url.pathname === "/v1/models")) {
        const message = `Invalid URL (${req.method} ${url.pathname})`;
        return json(openaiErrors.body(404, message), 404);
      }
      const headers: Record<string, string> = {};
      req.headers.forEach((value, name) => {
        headers[name] = value;
      });
      const rec = log.add(req.method, url.pathname, headers, await readBody(req), options.record !== false);
      // Only the request's own signal: a signal combined with a long-lived one is kept alive by it,
      // which leaks one per request under load. stop() closes connections, which aborts these.
      const signal = req.signal;
      signal.addEventListener("abort", () => rec.settle("aborted"), { once: true });
      let base: Behaviour;
      try {
        base = { ...queue.shift(), ...behaviourFromHeaders(req.headers) };
      } catch (e) {
        rec.settle("completed");
        return json(openaiErrors.body(400, (e as Error).message), 400);
      }
      if (!route) {
        // GET /v1/models, the one path served outside ROUTES.
        rec.behaviour = base;
        rec.settle("completed");
        const dialect = headers["anthropic-version"] === undefined ? "openai" : "anthropic";
        const refused = authRefusal({ dialect }, rec, options);
        if (refused) {
          const errors = dialect === "openai" ? openaiErrors : anthropicErrors;
          return json(errors.body(refused.status, refused.message), refused.status);
        }
        return json(modelList(models, dialect === "anthropic"));
      }
      return answer(route, rec, base, options, signal);
    },
  });

  const fake: FakeUpstream = {
    url: `http://127.0.0.1:${server.port}`,
    port: server.port ?? 0,
    requests: log.list,
    enqueue: (...behaviours) => {
      queue.push(...behaviours.map((b) => behaviourSchema.parse(b)));
    },
    waitForRequest: (n, timeoutMs = 5000) => log.waitFor((r) => r.id === n, timeoutMs, `request #${n}`),
    waitForAbort: (timeoutMs = 5000) => log.waitFor((r) => r.aborted, timeoutMs, "aborted request"),
    reset: () => {
      log.clear();
      queue.length = 0;
    },
    stop: async () => {
      await server.stop(true);
    },
  };
  return fake;
}
