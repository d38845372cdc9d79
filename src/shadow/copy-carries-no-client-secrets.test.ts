import { expect, test } from "bun:test";
import { parseConfig } from "../config/load-config.ts";
import { shadowedGateway } from "../testing/shadowed-gateway.ts";
import { waitForValue } from "../testing/wait-for.ts";

// What the shadow upstream is sent, through the gateway in-process: the client's request with the
// shadow's model and credentials, none of the client's (its gateway key, another vendor's key, its
// cookie, its organization, a key or base URL in its body), under an id that says it is a copy.

const gw = shadowedGateway(({ baseUrl, dbPath }) =>
  parseConfig({
    storage: { path: dbPath },
    providers: [
      { name: "fake", type: "openai", base_url: baseUrl, api_key: "sk-primary" },
      { name: "twin", type: "openai", base_url: baseUrl, api_key: "sk-twin" },
    ],
    models: [
      {
        name: "m",
        routes: [{ provider: "fake", model: "served" }],
        shadow: { provider: "twin", model: "candidate", sample: 1 },
      },
    ],
    routing: { retries: 0 },
  }),
);

for (const stream of [false, true])
  test(`${stream ? "stream" : "non-stream"}: the copy carries the shadow's credentials alone, under the request's id marked as a copy`, async () => {
    const requestId = `req_no_secrets_${stream}`;
    const res = await gw.gateway.handle(
      new Request("http://gw/v1/chat/completions", {
        method: "POST",
        headers: {
          authorization: `Bearer ${gw.adminKey}`,
          "content-type": "application/json",
          "x-api-key": "sk-ant-client",
          cookie: "session=client",
          "openai-organization": "org-client",
          "x-request-id": requestId,
        },
        body: JSON.stringify({
          model: "m",
          stream,
          messages: [{ role: "user", content: "hi" }],
          api_key: "sk-in-body",
          base_url: "http://attacker.invalid/v1",
        }),
      }),
    );
    expect(res.status).toBe(200);
    await res.text();
    const copy = await waitForValue("the copy upstream", () =>
      gw.fake.requests.find((sent) => sent.headers["x-request-id"] === `${requestId}-shadow`),
    );
    expect(copy.headers.authorization).toBe("Bearer sk-twin");
    for (const name of ["x-api-key", "cookie", "openai-organization"])
      expect(copy.headers[name]).toBeUndefined();
    const text = JSON.stringify(copy.body);
    for (const secret of [gw.adminKey, "sk-primary", "sk-in-body", "attacker.invalid"])
      expect(text).not.toContain(secret);
    expect(copy.body).toMatchObject({ model: "candidate", messages: [{ role: "user", content: "hi" }] });
  });
