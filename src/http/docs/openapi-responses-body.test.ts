import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { parseConfig } from "../../config/load-config.ts";
import type { Gateway } from "../../gateway/create-gateway.ts";
import { callAs, recordingGateway } from "../../testing/recording-gateway.ts";

// A Responses request's fields the gateway judges itself on every route, as the OpenAPI document
// describes them: `metadata` held to OpenAI's limits (core/refuse-bad-metadata.ts), no
// `conversation`, no `background` run, `store` a boolean, `previous_response_id` text. A body
// the document calls valid is answered, one it calls invalid refused (400 naming the field).

type Doc = { components: { schemas: Record<string, object> } };

const dir = mkdtempSync(join(tmpdir(), "mindgw-openapi-responses-body-"));
let gateway: Gateway;
let adminKey = "";
let doc: Doc;

beforeAll(async () => {
  ({ gateway, adminKey } = await recordingGateway(
    parseConfig({
      storage: { path: join(dir, "metadata.db") },
      providers: [{ name: "mock", type: "mock" }],
      models: [{ name: "*", routes: [{ provider: "mock", model: "m" }] }],
    }),
  ));
  doc = (await (await gateway.handle(new Request("http://localhost/docs/openapi.json"))).json()) as Doc;
});
afterAll(async () => {
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});

const pairs = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, "v"]));
const METADATA: unknown[] = [
  null,
  {},
  { team: "billing" },
  pairs(16),
  pairs(17),
  { ["k".repeat(64)]: "v" },
  { ["k".repeat(65)]: "v" },
  { k: "v".repeat(512) },
  { k: "v".repeat(513) },
  { k: "é".repeat(512) },
  { k: 5 },
  { k: null },
];

/** The bodies whose documented validity and answer differ. */
async function mismatchedOf(bodies: readonly Record<string, unknown>[]): Promise<unknown[]> {
  const ajv = new Ajv2020({ strict: false });
  addFormats(ajv);
  const documented = ajv.compile(doc.components.schemas.ResponsesRequest ?? {});
  const mismatched: unknown[] = [];
  for (const fields of bodies) {
    const body = { model: "gpt-4o-mini", input: "hi", ...fields };
    const answer = await callAs(gateway, adminKey, "POST", "/v1/responses", body);
    const valid: boolean = documented(body);
    if (valid !== (answer.status === 200))
      mismatched.push({ fields: JSON.stringify(fields).slice(0, 40), valid, status: answer.status });
  }
  return mismatched;
}

test("a Responses body's metadata the document calls valid is answered, and one it calls invalid refused", async () => {
  expect(await mismatchedOf(METADATA.map((metadata) => ({ metadata })))).toEqual([]);
});

test("so are its conversation (none served), background (never run), store (a boolean) and previous_response_id (text)", async () => {
  const bodies = [
    ...[null, "conv_1", { id: "conv_1" }].map((conversation) => ({ conversation })),
    ...[null, false, true].map((background) => ({ background })),
    ...[null, true, false, "yes", 1].map((store) => ({ store })),
    // A string is looked up (one of no stored response is a 400 of its own, not the document's).
    ...[null, 5, { id: "resp_1" }].map((previous_response_id) => ({ previous_response_id })),
  ];
  expect(await mismatchedOf(bodies)).toEqual([]);
});
