import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditRecord } from "../audit/audit-record.ts";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import type { Gateway } from "../gateway/create-gateway.ts";
import { recordingGateway, recordOf } from "../testing/recording-gateway.ts";
import { type RecordedLine, recordingLogger } from "../testing/recording-logger.ts";

// An upstream that answers a redirect is never followed: the provider's credentials (Anthropic's
// `x-api-key`, Azure's `api-key`, Gemini's `x-goog-api-key`, a SigV4 signature) and the prompt
// would go to wherever it points, in cleartext where it points at http. The attempt ends as the
// upstream's failure, a 502 in the caller's dialect that says what it answered, where it led
// (the gateway's log; a caller is told no URL of the gateway's upstreams) without its query.

/** Where the redirects lead: it records every request that reaches it. */
let target: ReturnType<typeof Bun.serve>;
const reached: { url: string; headers: Record<string, string> }[] = [];
/** The provider's upstream: it answers every call with a redirect to `target`. */
let redirector: ReturnType<typeof Bun.serve>;
let redirects = 0;
let status = 307;

let dir: string;
let gateway: Gateway;
let adminKey = "";
let finished: AuditRecord[] = [];
let lines: RecordedLine[] = [];
let url = "";

const SECRETS = ["sk-oa-SECRET", "sk-ant-SECRET", "gm-SECRET", "az-SECRET", "AKIAREDIRECT", "aws-SECRET"];

beforeAll(async () => {
  target = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      reached.push({ url: request.url, headers: Object.fromEntries(request.headers) });
      return Response.json({ stolen: true });
    },
  });
  redirector = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch() {
      redirects++;
      return new Response("moved", {
        status,
        headers: { location: `http://127.0.0.1:${target.port}/collect/v1?key=LEAKED-IN-QUERY` },
      });
    },
  });
  const base = `http://127.0.0.1:${redirector.port}`;
  dir = mkdtempSync(join(tmpdir(), "mindgw-upstream-redirect-"));
  const config = parseConfig({
    ...EMBEDDED_DEFAULTS,
    storage: { path: join(dir, "gw.db") },
    providers: [
      { name: "oa", type: "openai", base_url: `${base}/v1`, api_key: "sk-oa-SECRET" },
      { name: "an", type: "anthropic", base_url: base, api_key: "sk-ant-SECRET" },
      { name: "gm", type: "gemini", base_url: `${base}/v1beta`, api_key: "gm-SECRET" },
      { name: "az", type: "azure", base_url: base, api_version: "v1", api_key: "az-SECRET" },
      {
        name: "br",
        type: "bedrock",
        region: "us-east-1",
        base_url: base,
        aws: { access_key_id: "AKIAREDIRECT", secret_access_key: "aws-SECRET" },
      },
    ],
    models: [
      { name: "oa", routes: [{ provider: "oa", model: "gpt-4o" }] },
      { name: "an", routes: [{ provider: "an", model: "claude-sonnet-4-5" }] },
      { name: "gm", routes: [{ provider: "gm", model: "gemini-2.5-flash" }] },
      { name: "az", routes: [{ provider: "az", model: "gpt-4o" }] },
      { name: "br", routes: [{ provider: "br", model: "us.anthropic.claude-sonnet-4-5-v1:0" }] },
      { name: "oa-embed", routes: [{ provider: "oa", model: "text-embedding-3-small" }] },
      { name: "gm-embed", routes: [{ provider: "gm", model: "gemini-embedding-001" }] },
      { name: "az-embed", routes: [{ provider: "az", model: "text-embedding-3-small" }] },
      { name: "br-embed", routes: [{ provider: "br", model: "amazon.titan-embed-text-v2:0" }] },
    ],
    routing: { retries: 0 },
  });
  const recorded = recordingLogger();
  lines = recorded.lines;
  ({ gateway, adminKey, finished } = await recordingGateway(config, recorded.logger));
  url = `http://127.0.0.1:${gateway.listen("127.0.0.1", 0).port}`;
});

afterAll(async () => {
  await gateway.stop();
  redirector.stop(true);
  target.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

const post = (path: string, body: object, headers: Record<string, string>) =>
  fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

const chat = (model: string, stream: boolean) =>
  post(
    "/v1/chat/completions",
    { model, stream, messages: [{ role: "user", content: "the prompt" }] },
    { authorization: `Bearer ${adminKey}` },
  );

const messages = (model: string, stream: boolean) =>
  post(
    "/v1/messages",
    { model, stream, max_tokens: 16, messages: [{ role: "user", content: "the prompt" }] },
    { "x-api-key": adminKey },
  );

const embeddings = (model: string) =>
  post("/v1/embeddings", { model, input: "the prompt" }, { authorization: `Bearer ${adminKey}` });

/** The caller's error words, in either dialect's shape. */
async function told(response: Response): Promise<{ type: string; message: string }> {
  const body = (await response.json()) as { error: { type: string; message: string } };
  return body.error;
}

const CASES: readonly [string, () => Promise<Response>][] = [
  ["OpenAI-compatible, chat whole", () => chat("oa", false)],
  ["OpenAI-compatible, chat streamed", () => chat("oa", true)],
  ["OpenAI-compatible, embeddings", () => embeddings("oa-embed")],
  ["Anthropic, Messages whole (relayed)", () => messages("an", false)],
  ["Anthropic, Messages streamed (relayed)", () => messages("an", true)],
  ["Anthropic, chat whole (translated)", () => chat("an", false)],
  ["Anthropic, chat streamed (translated)", () => chat("an", true)],
  ["Gemini, chat whole", () => chat("gm", false)],
  ["Gemini, chat streamed", () => chat("gm", true)],
  ["Gemini, embeddings", () => embeddings("gm-embed")],
  ["Azure, chat whole", () => chat("az", false)],
  ["Azure, chat streamed", () => chat("az", true)],
  ["Azure, embeddings", () => embeddings("az-embed")],
  ["Bedrock, chat whole", () => chat("br", false)],
  ["Bedrock, chat streamed", () => chat("br", true)],
  ["Bedrock, embeddings", () => embeddings("br-embed")],
];
// Every 3xx, not only those `fetch` follows: a 300 or a 304 names where it leads too.
const STATUSES = [307, 308, 302, 301, 300, 304] as const;

describe("an upstream's redirect is never followed: the attempt is the upstream's 502", () => {
  CASES.forEach(([name, ask], index) => {
    const answered = STATUSES[index % STATUSES.length] as number;
    test(`${name}: ${answered}`, async () => {
      status = answered;
      const before = { redirects, reached: reached.length, lines: lines.length };
      const response = await ask();
      expect(response.status).toBe(502);
      const error = await told(response);
      // Nothing reached where it led: no key, no signature, no prompt.
      expect(reached.slice(before.reached)).toEqual([]);
      expect(redirects - before.redirects).toBe(1);
      // Where it led is the operator's to read: a caller is told no URL of the gateway's upstreams.
      expect(error.message).toMatch(
        new RegExp(
          `^upstream [a-z]+ answered ${answered}, a redirect to \\(a URL\\), which the gateway does not follow$`,
        ),
      );
      expect(error.message).not.toContain("LEAKED-IN-QUERY");
      for (const secret of SECRETS) expect(error.message).not.toContain(secret);
      const row = await recordOf(finished, response);
      expect([row.status, row.errorClass, row.errorMessage]).toEqual([502, "upstream_error", error.message]);
      expect(row.attempts?.map((attempt) => attempt.status)).toEqual([answered]);
      // The operator's log names where it led, its query left out.
      const logged = JSON.stringify(lines.slice(before.lines));
      expect(logged).toContain(`a redirect to http://127.0.0.1:${target.port}/collect/v1`);
      expect(logged).not.toContain("LEAKED-IN-QUERY");
    });
  });
});
