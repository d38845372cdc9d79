import { type AnyElysia, Elysia } from "elysia";
import type { Operation } from "../core/dialect.ts";
import { GatewayError, notFound } from "../core/gateway-error.ts";
import { errorResponse } from "./error-body.ts";
import type { ClientInfo } from "./front-door.ts";
import { requestIdOf } from "./request-id.ts";

export interface AppDeps {
  /** The shared model-call pipeline (front-door.ts). */
  readonly serveModel: (request: Request, client: ClientInfo, operation: Operation) => Promise<Response>;
  readonly listModels: (request: Request, client: ClientInfo) => Promise<Response>;
  readonly ready: () => boolean;
  /** Further route groups (admin API, worker endpoint, stored responses), mounted as given. */
  readonly plugins?: readonly AnyElysia[];
}

const MODEL_ROUTES: readonly [string, Operation][] = [
  ["/v1/chat/completions", "chat"],
  ["/v1/completions", "completions"],
  ["/v1/embeddings", "embeddings"],
  ["/v1/responses", "responses"],
  ["/v1/messages", "messages"],
  ["/v1/messages/count_tokens", "count_tokens"],
];

type ServerLike = { requestIP(request: Request): { address: string } | null } | null;

const clientOf = (server: ServerLike, request: Request): ClientInfo => ({
  ip: server?.requestIP(request)?.address ?? null,
});

/** Composes the HTTP surface. Handlers hold no logic of their own: they call the pipelines. */
export function createApp(deps: AppDeps) {
  let app: AnyElysia = new Elysia()
    .get("/healthz", () => Response.json({ status: "ok" }))
    .get("/readyz", () =>
      deps.ready() ? Response.json({ status: "ready" }) : Response.json({ status: "draining" }, { status: 503 }),
    )
    .get("/v1/models", ({ request, server }) => deps.listModels(request, clientOf(server, request)));
  for (const [path, operation] of MODEL_ROUTES) {
    app = app.post(path, ({ request, server }) => deps.serveModel(request, clientOf(server, request), operation));
  }
  for (const plugin of deps.plugins ?? []) app = app.use(plugin);
  return app.onError(({ code, request, path }) => {
    const dialect = path.startsWith("/v1/messages") ? "anthropic" : "openai";
    const error =
      code === "NOT_FOUND"
        ? notFound(`no route for ${request.method} ${path}`)
        : new GatewayError({ status: 400, code: "invalid_request", message: "malformed request" });
    return errorResponse(error, dialect, { "x-request-id": requestIdOf(request.headers) });
  });
}
