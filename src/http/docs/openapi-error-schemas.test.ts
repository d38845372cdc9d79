import { expect, test } from "bun:test";
import { parseConfig } from "../../config/load-config.ts";
import { openApiDocument } from "./openapi-document.ts";
import { servedSurfaceOf } from "./served-surface.ts";

interface ObjectSchema {
  properties?: Record<string, { type?: unknown; anyOf?: { type?: string }[] }>;
  examples?: Record<string, unknown>[];
}

test("the Anthropic error schema names the body's request_id, as Anthropic's SDK types it (a string or null), and its example carries one", () => {
  const doc = openApiDocument(
    "0.0.0-test",
    servedSurfaceOf(
      parseConfig({ providers: [{ name: "p", type: "anthropic", base_url: "http://127.0.0.1:1" }] }),
    ),
  ) as { components: { schemas: Record<string, ObjectSchema> } };
  const schema = doc.components.schemas.AnthropicError;
  const requestId = schema?.properties?.request_id;
  const types = requestId?.anyOf?.map((variant) => variant.type) ?? requestId?.type;
  expect(types).toEqual(["string", "null"]);
  expect(schema?.examples?.[0]?.request_id).toMatch(/^req_/);
});
