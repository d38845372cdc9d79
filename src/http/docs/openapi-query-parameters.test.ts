import { expect, test } from "bun:test";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { auditQuerySchema } from "../../audit/audit-query-schema.ts";
import { parseConfig } from "../../config/load-config.ts";
import { shadowSchemas } from "../../shadow/shadow-api-schema.ts";
import { openApiDocument } from "./openapi-document.ts";
import { servedSurfaceOf } from "./served-surface.ts";

// The audit and shadow queries' parameters as the OpenAPI document describes them, against the
// zod schemas that read them: a value the document calls valid is one the gateway takes. Only a
// calendar's own bounds (a 30 February) are judged after.

interface Parameter {
  name: string;
  schema: object;
}
const doc = openApiDocument("0.0.0-test", servedSurfaceOf(parseConfig({}))) as {
  paths: Record<string, { get: { parameters: Parameter[] } }>;
};
const ajv = new Ajv2020({ strict: false });
addFormats(ajv);

const INSTANTS = [
  "1767225600000",
  "2025-01-31",
  "2025-01-31T12:00Z",
  "2025-01-31T12:00:00+09:00",
  "2025-01-31T21:00:00+0900",
  "2025-01-31T12:00:00",
  "yesterday",
  "",
  "2025-1-31",
];
const VALUES: Record<string, readonly string[]> = {
  from: INSTANTS,
  to: INSTANTS,
  status: ["4xx", "5XX", "429", "6xx", "42", "4xx,5xx", "600", "099", ""],
};

test("every audit and shadow query value the document calls valid is one the gateway takes", () => {
  const wrong: string[] = [];
  for (const [path, schema] of [
    ["/admin/api/audit", auditQuerySchema],
    ["/admin/api/shadow", shadowSchemas().query],
  ] as const) {
    const parameters = doc.paths[path]?.get.parameters ?? [];
    expect(parameters.length).toBeGreaterThan(2);
    for (const { name, schema: documented } of parameters)
      for (const value of VALUES[name] ?? []) {
        const valid = ajv.compile(documented)(value);
        if (valid && !schema.safeParse({ [name]: value }).success) wrong.push(`${path}?${name}=${value}`);
      }
  }
  expect(wrong).toEqual([]);
});

test("the document calls valid the values the gateway takes", () => {
  const parameters = doc.paths["/admin/api/audit"]?.get.parameters ?? [];
  const refused: string[] = [];
  for (const { name, schema: documented } of parameters)
    for (const value of VALUES[name] ?? [])
      if (auditQuerySchema.safeParse({ [name]: value }).success && !ajv.compile(documented)(value))
        refused.push(`${name}=${value}`);
  expect(refused).toEqual([]);
});
