import { expect, test } from "bun:test";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { keyInputSchemas } from "../../auth/key-admin-schemas.ts";
import { parseConfig } from "../../config/load-config.ts";
import { openApiDocument } from "./openapi-document.ts";
import { servedSurfaceOf } from "./served-surface.ts";

// The admin API's key bodies as the OpenAPI document describes them, against the zod schemas that
// validate them (key-admin-schemas.ts): a body the document calls valid is one the gateway takes.
// The gateway may take more than the document shows (a CLI's numeric strings, `"60"` for 60), and
// what no schema can say (an expiry in the past, by the admin's clock) is judged after.

const doc = openApiDocument("0.0.0-test", servedSurfaceOf(parseConfig({}))) as {
  components: { schemas: Record<string, object> };
};
const ajv = new Ajv2020({ strict: false });
addFormats(ajv);

const LIFETIMES = ["30d", "12h", "1.5d", " 10M ", "bogus", "0s", "0", "10", "-1d", "5x", ""];

/** Names, tenants and globs holding a control character (key-admin-names.test.ts), refused by both. */
const CONTROLLED = ["a\u0000b", "\talice", "alice\n", "gpt\u001b[2J", "x\u007f", "x\u009b"];

const CASES = {
  CreateKeyInput: {
    schema: () => keyInputSchemas().create,
    bodies: [
      { name: "alice" },
      { name: "key_x" },
      { name: "KEY_x" },
      { name: " jwt:x" },
      { name: "   " },
      { name: "alice", models: [] },
      { name: "alice", models: ["", " "] },
      { name: "alice", models: ["", "gpt-*"] },
      { name: "alice", models: " , " },
      { name: "alice", models: "gpt-*, llama-*" },
      ...LIFETIMES.map((expires_in) => ({ name: "alice", expires_in })),
      { name: "alice", expires_at: "2099-01-01T00:00:00Z", expires_in: "1d" },
      { name: "alice", expires_at: null, expires_in: "1d" },
      { name: "alice", rpm: 60, budget_usd: 5 },
      ...CONTROLLED.flatMap((text) => [
        { name: text },
        { name: "alice", tenant: text },
        { name: "alice", models: text },
        { name: "alice", models: [text] },
      ]),
    ],
  },
  KeyLimitsInput: {
    schema: () => keyInputSchemas().limits,
    bodies: [
      {},
      { rpm: null },
      { models: [] },
      { models: "" },
      ...LIFETIMES.map((expires_in) => ({ expires_in })),
      { expires_at: null, expires_in: "1d" },
      { expires_at: "2099-01-01T00:00:00Z" },
      ...CONTROLLED.flatMap((models) => [{ models }, { models: [models] }]),
    ],
  },
  RotateKeyInput: {
    schema: () => keyInputSchemas().rotate,
    bodies: [{}, ...["10m", "0", "0s", "bogus", "", "2h"].map((grace) => ({ grace }))],
  },
};

test("every key body the document calls valid is one the gateway's schema takes", () => {
  const wrong: string[] = [];
  for (const [name, { schema, bodies }] of Object.entries(CASES)) {
    const documented = ajv.compile(doc.components.schemas[name] ?? {});
    for (const body of bodies)
      if (documented(body) && !schema().safeParse(body).success)
        wrong.push(`${name} ${JSON.stringify(body)}`);
  }
  expect(wrong).toEqual([]);
});

test("the document still calls valid the bodies the gateway takes in their JSON form", () => {
  const taken: [string, unknown][] = [
    ["CreateKeyInput", { name: "alice", models: ["gpt-*"], rpm: 60, expires_in: "30d" }],
    ["CreateKeyInput", { name: "alice", expires_at: "2099-01-01T00:00:00Z" }],
    ["CreateKeyInput", { name: " Alice", models: "gpt-*,llama-*" }],
    ["KeyLimitsInput", { rpm: null, expires_in: "12h" }],
    ["RotateKeyInput", { grace: "0" }],
    ["RotateKeyInput", { grace: "1.5h" }],
  ];
  const refused = taken.filter(([name, body]) => !ajv.compile(doc.components.schemas[name] ?? {})(body));
  expect(refused).toEqual([]);
  for (const [name, body] of taken)
    expect([name, CASES[name as keyof typeof CASES].schema().safeParse(body).success]).toEqual([name, true]);
});

test("the document states that a name, tenant or model glob holds no control character", () => {
  const create = ajv.compile(doc.components.schemas.CreateKeyInput ?? {});
  const limits = ajv.compile(doc.components.schemas.KeyLimitsInput ?? {});
  const called = CONTROLLED.flatMap((text) => [
    create({ name: text }),
    create({ name: "alice", tenant: text }),
    create({ name: "alice", models: text }),
    create({ name: "alice", models: ["gpt-*", text] }),
    limits({ models: text }),
    limits({ models: [text] }),
  ]);
  expect(called.filter(Boolean)).toEqual([]);
  expect([
    create({ name: " Zoë 🚀 ", tenant: " acme ", models: ["gpt-*"] }),
    create({ name: "alice", tenant: " " }),
  ]).toEqual([true, false]);
});
