import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { parseConfig } from "../../config/load-config.ts";
import { createGateway, type Gateway } from "../../gateway/create-gateway.ts";
import { openApiDocument } from "./openapi-document.ts";
import { PROMISED_OPERATIONS } from "./promised-operations.ts";

// The document against the server it describes: every route the assembled gateway registers is
// documented, nothing unserved is, and the document is valid OpenAPI 3.1 with examples that
// meet their own schemas.

interface MediaType {
  schema?: { $ref?: string };
  example?: unknown;
}
interface Operation {
  security?: unknown[];
  requestBody?: { content: Record<string, MediaType> };
  responses: Record<string, { content?: Record<string, MediaType> }>;
}
interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object> };
}

const doc = openApiDocument("0.0.0-test") as unknown as OpenApiDoc;

/** Every operation of the document as `METHOD /path`. */
const documented = Object.entries(doc.paths).flatMap(([path, methods]) =>
  Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
);

/**
 * Served but not part of the API the document describes: the admin web UI (its shell, assets,
 * pages and sign-in plumbing, everything under `/admin` but `/admin/api`) and the docs page itself.
 */
const isApi = (path: string) =>
  !path.startsWith("/docs") && (!path.startsWith("/admin") || path.startsWith("/admin/api/"));

/**
 * An Elysia route as OpenAPI spells it: `{id}` for `:id` and for the model id that is the rest of
 * `/v1/models/*`, no trailing slash, a WebSocket as its GET upgrade.
 */
function operationOf(method: string, path: string): string {
  const openApiPath = path
    .replace(/:(\w+)/g, "{$1}")
    .replace(/^\/v1\/models\/\*$/, "/v1/models/{id}")
    .replace(/(.)\/$/, "$1");
  return `${method === "WS" ? "GET" : method} ${openApiPath}`;
}

const dir = mkdtempSync(join(tmpdir(), "mindgw-openapi-"));
let gateway: Gateway;
let served: string[];

beforeAll(async () => {
  // The default config serves every route group a single node has (workers, metrics, stored
  // responses at the root); a cluster's node-to-node endpoint is not part of the public API.
  gateway = await createGateway({
    config: parseConfig({ storage: { path: join(dir, "gw.db") }, auth: { bootstrap_admin: false } }),
  });
  served = gateway.app.routes
    .filter((route) => isApi(route.path))
    .map((route) => operationOf(route.method, route.path));
});

afterAll(async () => {
  await gateway?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the OpenAPI document", () => {
  test("is valid OpenAPI 3.1", async () => {
    expect(await new Validator().validate(doc as never)).toEqual({ valid: true });
  });

  test("documents every route the gateway serves, and nothing it does not", () => {
    expect(served.length).toBeGreaterThan(20);
    expect(served.filter((operation) => !documented.includes(operation))).toEqual([]);
    expect(documented.filter((operation) => !served.includes(operation))).toEqual([]);
  });

  test("covers everything the product contract promises", () => {
    expect(PROMISED_OPERATIONS.filter((operation) => !documented.includes(operation))).toEqual([]);
    expect(PROMISED_OPERATIONS.filter((operation) => !served.includes(operation))).toEqual([]);
  });

  test("every operation that takes a credential documents its refusals (401, 403)", () => {
    const open = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, operation]) => operation.security?.length !== 0)
        .filter(([, operation]) => !operation.responses["401"] || !operation.responses["403"])
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(open).toEqual([]);
  });

  test("every example meets the schema it illustrates", () => {
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
          const name = schema?.$ref?.split("/").pop();
          if (example === undefined || name === undefined) continue;
          const validate = ajv.compile(doc.components.schemas[name] ?? {});
          if (!validate(example)) failures.push({ operation: `${method} ${path}`, errors: validate.errors });
        }
      }
    expect(failures).toEqual([]);
  });
});
