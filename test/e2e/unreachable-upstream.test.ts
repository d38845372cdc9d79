import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import OpenAI from "openai";
import { auditRow } from "./harness/admin-api.ts";
import { freePort } from "./harness/free-port.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { openaiFailure } from "./harness/sdk-failure.ts";
import { tempDir } from "./harness/temp-dir.ts";
import { waitFor } from "./harness/wait-for.ts";

// An upstream the gateway cannot reach says why: a certificate no CA it trusts signed, a name DNS
// does not know, a port that refuses, TLS spoken to a plain port and the reverse. The caller and
// the audit row read the cause's words and code; the `route failed` line the runtime's own too.

const certs = tempDir();
// A self-signed certificate for 127.0.0.1, as a private CA's server shows one.
const openssl = Bun.spawnSync(
  [
    "openssl",
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    certs.file("key.pem"),
    "-out",
    certs.file("cert.pem"),
    "-days",
    "2",
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
  ],
  { stdout: "pipe", stderr: "pipe" },
);
if (openssl.exitCode !== 0) throw new Error(`openssl failed: ${openssl.stderr.toString()}`);

const ANSWER = {
  id: "chatcmpl-tls",
  object: "chat.completion",
  created: 1,
  model: "up",
  choices: [{ index: 0, message: { role: "assistant", content: "over tls" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
};

const tlsServer = () =>
  Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: {
      cert: readFileSync(certs.file("cert.pem"), "utf8"),
      key: readFileSync(certs.file("key.pem"), "utf8"),
    },
    fetch: () => Response.json(ANSWER),
  });
const plainServer = () => Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => Response.json(ANSWER) });

let config: object;
/** Each provider's base_url, by its name (and its model's). */
let upstreams: Record<string, string> = {};
const fx = gatewayFixture({
  fake: null,
  fakeRoutes: false,
  config: (_noFake, { own }) => {
    own({ stop: () => certs.cleanup() });
    const tls = own(tlsServer());
    const plain = own(plainServer());
    upstreams = {
      tlsup: `https://127.0.0.1:${tls.port}/v1`,
      dnsup: "http://upstream.invalid/v1",
      refusedup: `http://127.0.0.1:${freePort()}/v1`,
      plain2tls: `http://127.0.0.1:${tls.port}/v1`,
      tls2plain: `https://127.0.0.1:${plain.port}/v1`,
    };
    config = {
      log: { format: "json", level: "info" },
      providers: Object.entries(upstreams).map(([name, url]) => ({
        name,
        type: "openai",
        base_url: url,
        api_key: "sk-upstream",
      })),
      models: Object.keys(upstreams).map((name) => ({ name, routes: [{ provider: name, model: "up" }] })),
      routing: { retries: 0, circuit_breaker: { failures: 1000 } },
    };
    return config;
  },
});

let openai: OpenAI;
beforeAll(() => {
  openai = new OpenAI({ baseURL: `${fx.gw.url}/v1`, apiKey: fx.adminKey, maxRetries: 0 });
});

type Line = Record<string, unknown>;
const linesOf = (text: string): Line[] =>
  text
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Line);

describe("could not reach upstream X says why", () => {
  test.each([
    ["tlsup", "TLS certificate not trusted (DEPTH_ZERO_SELF_SIGNED_CERT)", "self signed certificate"],
    ["dnsup", "DNS lookup failed (E", "upstream.invalid"],
    ["refusedup", "connection refused (ECONNREFUSED)", "ECONNREFUSED"],
    ["plain2tls", "connection closed before any answer (ECONNRESET)", "ECONNRESET"],
    ["tls2plain", "TLS handshake failed (EPROTO)", "TLS handshake failed"],
  ])("%s: %s", async (model, why, runtimeWords) => {
    const error = await openaiFailure(
      openai.chat.completions.create({ model, messages: [{ role: "user", content: "x" }] }),
    );
    expect(error).toBeInstanceOf(OpenAI.APIError);
    const told = (error.error as { message?: string }).message ?? "";
    expect([error.status, told]).toEqual([
      502,
      expect.stringContaining(`could not reach upstream ${model}: ${why}`),
    ]);
    // The caller and the audit row read the cause's words and code, never the host or port the
    // gateway sends to.
    const { hostname, port } = new URL(upstreams[model] ?? "");
    const requestId = error.requestID ?? "";
    expect((await auditRow(fx.gw, requestId)).errorMessage).toBe(told);
    for (const place of [hostname, port].filter(Boolean)) expect(told).not.toContain(place);
    const line = await waitFor("the route failed line", () =>
      linesOf(fx.gw.stderr.all).find((l) => l.msg === "route failed" && l.request_id === requestId),
    );
    expect(line.reason).toStartWith(told);
    expect(line.reason).toContain(runtimeWords);
  });
});

test("NODE_EXTRA_CA_CERTS naming the private CA's certificate: the same upstream answers", async () => {
  const trusting = await fx.spawn({ config, env: { NODE_EXTRA_CA_CERTS: certs.file("cert.pem") } });
  const client = new OpenAI({
    baseURL: `${trusting.url}/v1`,
    apiKey: trusting.adminKey ?? "",
    maxRetries: 0,
  });
  const answer = await client.chat.completions.create({
    model: "tlsup",
    messages: [{ role: "user", content: "x" }],
  });
  expect(answer.choices[0]?.message.content).toBe("over tls");
});
