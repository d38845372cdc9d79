import { expect } from "bun:test";
import { SignJWT } from "jose";
import OpenAI from "openai";
import type { ShadowPage } from "../../../src/shadow/shadow-api-schema.ts";
import { vendorAnswers } from "./error-fidelity-vendors.ts";
import { bearer } from "./fake-config.ts";
import { gatewayFixture } from "./gateway-fixture.ts";
import { parsePrometheus, sampleValue } from "./prometheus-text.ts";
import { shadowedModel } from "./shadowed-model.ts";
import { waitFor } from "./wait-for.ts";

/** How long a shadow copy may take before it is given up (`shadow.timeout`). */
export const SHADOW_TIMEOUT_MS = 8_000;
/** How many shadow copies may be in flight at once (`shadow.max_concurrent`); more are shed. */
export const CAP = 2;
const JWT = {
  secret: "a-shared-secret-for-the-shadow-tests-0123456",
  issuer: "https://idp.test",
  audience: "mindgw",
};

/**
 * The gateway the shadow tests share (test/e2e/shadow.test.ts and the files split from it): twins of
 * the fake upstream (the same, another tenant's, one that hangs, ones whose streams are cut or end
 * in an error event, one that answers otherwise and later), the mock, and models shadowed to each;
 * JWT callers and two tenants, team-b with a shadow of its own. Each file that calls it starts its
 * own in its `beforeAll`: read `gw`, `fake` and `admin` off what this returns when a test runs.
 */
export function shadowFixture() {
  const fx = gatewayFixture({
    fakeRoutes: false,
    config: (_fakeUrl, { fake, own }) => ({
      providers: [
        // 200s with no answer in them, as vendors send them (error-fidelity-no-answer-vendors.ts),
        // by the model asked: an OpenAI-dialect candidate and an Anthropic one.
        ...(({ url }) => [
          { name: "oa-vendor", type: "openai", base_url: `${url}v1` },
          { name: "an-vendor", type: "anthropic", base_url: url.href.replace(/\/$/, "") },
        ])(own(vendorAnswers())),
        { name: "fake", type: "openai", base_url: `${fake.url}/v1` },
        { name: "twin", type: "openai", base_url: `${fake.url}/v1` },
        // team-b's own upstream account, used only for team-b's shadow.
        { name: "twin-b", type: "openai", base_url: `${fake.url}/v1`, tenant: "team-b" },
        // Every call to this provider hangs: no headers, no body, until the caller gives up.
        { name: "hanger", type: "openai", base_url: `${fake.url}/v1`, headers: { "x-fake-hang": "1" } },
        // Twins whose streams end cleanly without their end marker, or in an error event of their own.
        {
          name: "twin-cut",
          type: "openai",
          base_url: `${fake.url}/v1`,
          headers: { "x-fake-stop-after": "2" },
        },
        {
          name: "twin-errev",
          type: "openai",
          base_url: `${fake.url}/v1`,
          headers: { "x-fake-stream-error": "2" },
        },
        // A twin that answers otherwise (its text padded to eight pieces), and later than the primary.
        {
          name: "twin-other",
          type: "openai",
          base_url: `${fake.url}/v1`,
          headers: { "x-fake-chunks": "8", "x-fake-delay": "300" },
        },
        { name: "claude", type: "anthropic", base_url: fake.url },
        { name: "mocked", type: "mock" },
        { name: "claude-cut", type: "anthropic", base_url: fake.url, headers: { "x-fake-stop-after": "2" } },
        {
          name: "claude-errev",
          type: "anthropic",
          base_url: fake.url,
          headers: { "x-fake-stream-error": "2" },
        },
      ],
      models: [
        shadowedModel("same", ["fake", "m1"], ["twin", "m1-candidate"]),
        shadowedModel("hangs", ["fake", "m1"], ["hanger", "m1"]),
        { name: "plain", routes: [{ provider: "fake", model: "m1" }] },
        shadowedModel("answers-other", ["fake", "m1"], ["twin-other", "m1"]),
        // One test's own: its figures are that test's pairs alone, whichever tests ran before it.
        shadowedModel("tallied", ["fake", "m1"], ["twin", "m1"]),
        // Embeddings: the same vectors from a twin, others from the mock.
        shadowedModel("emb-same", ["fake", "e1"], ["twin", "e1"]),
        shadowedModel("emb-other", ["fake", "e1"], ["mocked", "mock-emb"]),
        // count_tokens is no model's answer: an OpenAI-shaped shadow could not even serve it.
        shadowedModel("counted", ["claude", "m1"], ["twin", "m1-candidate"]),
        shadowedModel("cut", ["fake", "m1"], ["twin-cut", "m1"]),
        shadowedModel("errev", ["fake", "m1"], ["twin-errev", "m1"]),
        shadowedModel("a-cut", ["claude", "m1"], ["claude-cut", "m1"]),
        shadowedModel("a-errev", ["claude", "m1"], ["claude-errev", "m1"]),
        // Both sides sent to an upstream that fails mid-stream in the same way.
        shadowedModel("errev-both", ["twin-errev", "m1"], ["twin-errev", "m1"]),
        shadowedModel("a-errev-both", ["claude-errev", "m1"], ["claude-errev", "m1"]),
        // Copies answered with no answer in them: to a candidate of the caller's dialect, and of the other.
        shadowedModel("no-choice", ["fake", "m1"], ["oa-vendor", "no-choices-stream"]),
        shadowedModel("a-no-choice", ["claude", "m1"], ["oa-vendor", "no-choices-stream"]),
        shadowedModel("a-no-choice-whole", ["claude", "m1"], ["oa-vendor", "no-choices"]),
        shadowedModel("no-content-whole", ["fake", "m1"], ["an-vendor", "empty-object"]),
      ],
      routing: { retries: 0 },
      // Only the copies to twin's candidate are priced ($1 a token): their spend is the shadow's own.
      prices: { "m1-candidate": { input_per_mtok: 1_000_000, output_per_mtok: 1_000_000 } },
      audit: { bodies: true },
      tenants: [
        { name: "team-a" },
        { name: "team-b", shadow: { provider: "twin-b", model: "b-candidate", sample: 1 } },
      ],
      shadow: { max_concurrent: CAP, timeout: `${SHADOW_TIMEOUT_MS}ms` },
      auth: { jwt: { ...JWT, algorithms: ["HS256"], claims: { name: "sub", tenant: "tenant" } } },
    }),
  });

  const admin = () => fx.gw.adminKey ?? "";
  async function shadowPage(query: Record<string, string> = {}, key = admin()): Promise<ShadowPage> {
    const res = await fetch(`${fx.gw.url}/admin/api/shadow?${new URLSearchParams(query)}`, {
      headers: bearer(key),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as ShadowPage;
  }
  return {
    get gw() {
      return fx.gw;
    },
    get fake() {
      return fx.fake;
    },
    /** The bootstrap admin key. */
    get admin() {
      return admin();
    },
    shadowPage,
    /** The shadow pair of the request `requestId`, waited for. */
    pairOf: (requestId: string) =>
      waitFor(
        `the shadow pair of ${requestId}`,
        async () => (await shadowPage({ limit: "500" })).records.find((r) => r.requestId === requestId),
        20_000,
        50,
      ),
    /** The shadow families on /metrics: shed, in flight, copies over by provider and outcome, and their spend. */
    async shadowMetrics() {
      const res = await fetch(`${fx.gw.url}/metrics`, { headers: { authorization: `Bearer ${admin()}` } });
      const samples = parsePrometheus(await res.text());
      return {
        shed: sampleValue(samples, "mindgw_shadow_shed_total", {}) ?? -1,
        inFlight: sampleValue(samples, "mindgw_shadow_copies_in_flight", {}) ?? -1,
        copies: (provider: string, outcome: string) =>
          sampleValue(samples, "mindgw_shadow_copies_total", { provider, outcome }) ?? 0,
        spent: (model: string) => sampleValue(samples, "mindgw_shadow_cost_usd_total", { model }) ?? 0,
        requestsSpent: (model: string) => sampleValue(samples, "mindgw_cost_usd_total", { model }) ?? 0,
      };
    },
    /** The OpenAI SDK on the gateway as `key` (the admin by default), no retries of its own. */
    client: (key = admin()) => new OpenAI({ apiKey: key, baseURL: `${fx.gw.url}/v1`, maxRetries: 0 }),
    /** A JWT the gateway takes, with `claims` (`sub`, `tenant`). */
    token: (claims: Record<string, string>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setIssuer(JWT.issuer)
        .setAudience(JWT.audience)
        .setExpirationTime("10m")
        .sign(new TextEncoder().encode(JWT.secret)),
  };
}
