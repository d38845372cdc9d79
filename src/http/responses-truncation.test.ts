import { afterAll, expect, test } from "bun:test";
import { type Authenticator, createGateway, parseConfig, silentLogger } from "../index.ts";
import { jwtCaller } from "../testing/jwt-caller.ts";

// `truncation` is `auto` or `disabled` (OpenAI's `'auto' | 'disabled' | null`): another value is
// OpenAI's 400 naming it, in its words, on a route that translates the Responses call too.

const anyone: Authenticator = async () => jwtCaller;
const gateway = await createGateway({
  config: parseConfig({
    storage: { path: ":memory:" },
    auth: { bootstrap_admin: false },
    providers: [{ name: "mk", type: "mock" }],
    models: [{ name: "m", routes: [{ provider: "mk", model: "mock-small" }] }],
  }),
  auth: anyone,
  logger: silentLogger,
});
afterAll(() => gateway.stop());

const respond = (truncation: unknown) =>
  gateway.handle(
    new Request("http://gw/v1/responses", {
      method: "POST",
      headers: { authorization: "Bearer t", "content-type": "application/json" },
      body: JSON.stringify({ model: "m", input: "hi", truncation }),
    }),
  );

test("a truncation other than auto or disabled: OpenAI's 400 naming truncation", async () => {
  for (const truncation of ["sometimes", "AUTO", ""]) {
    const response = await respond(truncation);
    expect([response.status, ((await response.json()) as { error: object }).error]).toEqual([
      400,
      expect.objectContaining({
        message: `Invalid value: '${truncation}'. Supported values are: 'auto' and 'disabled'.`,
        type: "invalid_request_error",
        param: "truncation",
      }),
    ]);
  }
});

test("auto, disabled or null: answered", async () => {
  for (const truncation of ["auto", "disabled", null]) expect((await respond(truncation)).status).toBe(200);
});
