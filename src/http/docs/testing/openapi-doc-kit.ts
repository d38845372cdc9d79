import { afterAll, beforeAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { parseConfig } from "../../../config/load-config.ts";
import { type BuiltGateway, createGateway } from "../../../gateway/create-gateway.ts";
import { openApiDocument } from "../openapi-document.ts";
import { servedSurfaceOf } from "../served-surface.ts";

// What the OpenAPI document's tests read of it: its operations, the server's routes spelled as
// the document spells them, and the examples that do not meet their schemas.

export interface MediaType {
  schema?: { $ref?: string };
  example?: unknown;
}
export interface Operation {
  operationId?: string;
  security?: unknown[];
  requestBody?: { content: Record<string, MediaType> };
  responses: Record<string, { content?: Record<string, MediaType> }>;
}
export interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object> };
}

/** Every operation of a document as `METHOD /path`. */
export const operationsOf = (doc: OpenApiDoc) =>
  Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
  );

/**
 * Served but not part of the API the document describes: the admin web UI (its shell, assets,
 * pages and sign-in plumbing, everything under `/admin` but `/admin/api`) and the docs page itself.
 */
export const isApi = (path: string) =>
  !path.startsWith("/docs") && (!path.startsWith("/admin") || path.startsWith("/admin/api/"));

/**
 * An Elysia route as OpenAPI spells it: `{id}` for `:id` and for the model id that is the rest of
 * `/v1/models/*` (under an app's prefix too), no trailing slash, a WebSocket as its GET upgrade.
 */
export function operationOf(method: string, path: string): string {
  const openApiPath = path
    .replace(/:(\w+)/g, "{$1}")
    .replace(/\/v1\/models\/\*$/, "/v1/models/{id}")
    .replace(/(.)\/$/, "$1");
  return `${method === "WS" ? "GET" : method} ${openApiPath}`;
}

/**
 * The document of a gateway on `config` (over an embedded store) and the operations that
 * gateway's server registers.
 */
export function documentAndServer(name: string, config: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), "mindgw-openapi-"));
  const state: { doc: OpenApiDoc; served: string[]; gateway?: BuiltGateway } = {
    doc: { paths: {}, components: { schemas: {} } },
    served: [],
  };
  beforeAll(async () => {
    const parsed = parseConfig({
      storage: { path: join(dir, `${name}.db`) },
      auth: { bootstrap_admin: false },
      ...config,
    });
    state.doc = openApiDocument("0.0.0-test", servedSurfaceOf(parsed)) as unknown as OpenApiDoc;
    state.gateway = await createGateway({ config: parsed });
    state.served = state.gateway.app.routes
      .filter((route) => isApi(route.path))
      .map((route) => operationOf(route.method, route.path));
  });
  afterAll(async () => {
    await state.gateway?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return state;
}

/** The examples that do not meet the schema they illustrate. */
export function misexampled(doc: OpenApiDoc): unknown[] {
  const ajv = new Ajv2020({ strict: false });
  addFormats(ajv);
  const failures: unknown[] = [];
  for (const [path, methods] of Object.entries(doc.paths))
    for (const [method, operation] of Object.entries(methods)) {
      const bodies = [
        ...Object.values(operation.requestBody?.content ?? {}),
        ...Object.values(operation.responses).flatMap((response) => Object.values(response.content ?? {})),
      ];
      for (const { schema, example } of bodies) {
        if (example === undefined || schema === undefined) continue;
        const name = schema.$ref?.split("/").pop();
        const validate = ajv.compile(name === undefined ? schema : (doc.components.schemas[name] ?? {}));
        if (!validate(example)) failures.push({ operation: `${method} ${path}`, errors: validate.errors });
      }
    }
  return failures;
}
