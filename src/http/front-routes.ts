import { type Dialect, dialectOf, type Operation } from "../core/dialect.ts";
import { clientIpOf, type ServerLike } from "./client-of.ts";
import { MODEL_ROUTES } from "./model-routes.ts";

/** The pipelines a front door answers the model routes with (the root's, or an app's). */
export interface ModelFront {
  readonly serveModel: (
    request: Request,
    clientIp: string | null,
    operation: Operation,
    path?: string,
    server?: ServerLike,
  ) => Promise<Response>;
  readonly listModels: (request: Request, clientIp: string | null) => Promise<Response>;
  /** `GET /v1/models/{id}`. */
  readonly retrieveModel: (request: Request, clientIp: string | null) => Promise<Response>;
}

/** What answers a front route: Bun's route-handler shape (the server is null in process). */
export type FrontHandler = (request: Request, server: ServerLike) => Promise<Response>;

/**
 * One route of the common request. Served from Bun's own route table when listening (no Elysia
 * context, handler wrapper or response copy per request: its handler is called with Bun's request
 * and server as they are), and from Elysia's router for `app.handle` in process, with the same
 * handler: one route, two ways in.
 */
export interface FrontRoute {
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly answer: FrontHandler;
}

/** `GET /v1/models`, `GET /v1/models/{id}` and the model routes (of `dialect` only, for an app) under `prefix`. */
export function frontRoutesOf(front: ModelFront, prefix = "", dialect?: Dialect): FrontRoute[] {
  const routes: FrontRoute[] = [
    {
      method: "GET",
      path: `${prefix}/v1/models`,
      answer: (request, server) => front.listModels(request, clientIpOf(server, request)),
    },
    {
      method: "GET",
      // The rest of the path is the id, slashes and all (`meta-llama/Llama-3.1-8B`).
      path: `${prefix}/v1/models/*`,
      answer: (request, server) => front.retrieveModel(request, clientIpOf(server, request)),
    },
  ];
  for (const [path, operation] of MODEL_ROUTES) {
    if (dialect !== undefined && dialectOf(operation) !== dialect) continue;
    routes.push({
      method: "POST",
      path: prefix + path,
      answer: (request, server) =>
        front.serveModel(request, clientIpOf(server, request), operation, undefined, server),
    });
  }
  return routes;
}

/** The routes as Bun's `routes` table (path, then method); other methods fall through to Elysia. */
export function bunRoutesOf(
  routes: readonly FrontRoute[],
): Record<string, Partial<Record<FrontRoute["method"], FrontHandler>>> {
  const table: Record<string, Partial<Record<FrontRoute["method"], FrontHandler>>> = {};
  for (const route of routes) {
    const methods = table[route.path] ?? {};
    methods[route.method] = route.answer;
    table[route.path] = methods;
  }
  return table;
}
