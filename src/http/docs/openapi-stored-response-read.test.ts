import { afterAll, expect, test } from "bun:test";
import Ajv2020 from "ajv/dist/2020.js";
import { parseConfig } from "../../config/load-config.ts";
import { callAs, recordingGateway } from "../../testing/recording-gateway.ts";

// `GET /v1/responses/{id}`'s query as the document describes it, sent to the real server: a value
// the document calls valid is answered, one it does not is the 400 naming it.

const { gateway, adminKey } = await recordingGateway(
  parseConfig({
    storage: { path: ":memory:" },
    providers: [{ name: "demo", type: "mock" }],
    models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
  }),
);
afterAll(() => gateway.stop());

const call = (method: string, path: string, body?: object) => callAs(gateway, adminKey, method, path, body);

interface Parameter {
  name: string;
  in: string;
  schema: object;
}

test("stream: the document lists it, and calls valid only what the gateway answers (true is a 400 naming stream)", async () => {
  const doc = (await (await call("GET", "/docs/openapi.json")).json()) as {
    paths: Record<string, { get: { parameters: Parameter[] } }>;
  };
  const stream = doc.paths["/v1/responses/{id}"]?.get.parameters.find(
    (parameter) => parameter.in === "query" && parameter.name === "stream",
  );
  expect(stream).toBeDefined();
  const valid = new Ajv2020({ strict: false }).compile(stream?.schema ?? {});
  const created = (await (await call("POST", "/v1/responses", { model: "m", input: "hi" })).json()) as {
    id: string;
  };
  for (const value of [true, false]) {
    const answer = await call("GET", `/v1/responses/${created.id}?stream=${value}`);
    const body = (await answer.json()) as { id?: string; error?: { param?: string } };
    if (valid(value)) expect([value, answer.status, body.id]).toEqual([value, 200, created.id]);
    else expect([value, answer.status, body.error?.param]).toEqual([value, 400, "stream"]);
  }
});
