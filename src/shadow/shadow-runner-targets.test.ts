import { expect, test } from "bun:test";
import type { Principal } from "../auth/principal.ts";
import type { ShadowTarget } from "../config/shadow-target.ts";
import type { Dispatched, DispatchRequest } from "../routing/router.ts";
import { config, finishedRecord, requestOf, route, runner } from "../testing/shadow-runner-kit.ts";

// Which calls the runner copies (src/testing/shadow-runner-kit.ts, split from
// shadow-runner.test.ts): a tenant's or an app's shadow, and where a copy may be made at all.

test("a tenant's or an app's shadow copies every model's calls but embeddings, or its own models' calls alone", async () => {
  const { shadow } = runner(60_000, "off", config.shadow.max_concurrent, (target) =>
    target.provider === "twin" ? route : undefined,
  );
  const twin = (models?: string[]): ShadowTarget => ({
    provider: "twin",
    model: "c",
    sample: 1,
    ...(models ? { models } : {}),
  });
  const caller = (tenantShadow: ShadowTarget, appShadow?: ShadowTarget): Principal => ({
    keyId: "key_t",
    name: "t",
    tenant: "team-t",
    role: "user",
    models: ["*"],
    limits: {},
    via: "key",
    tenantRules: { bound: true, models: ["*"], shadow: tenantShadow },
    ...(appShadow ? { appShadow } : {}),
  });
  /** Whether a call of `operation` to `model` by `principal` is copied, its model shadowed too. */
  const copied = (principal: Principal, operation: "chat" | "embeddings", model: string) => {
    const request: DispatchRequest = { ...requestOf(`${operation}-${model}`), operation, model };
    shadow.started(request.serial, principal);
    const may = shadow.mayCopy({ route, sample: 1 }, request);
    const primary: Dispatched = {
      reply: { kind: "json", body: {} },
      route: "provider:fake",
      upstreamModel: model,
      attempts: 1,
      dropped: [],
      usage: () => ({ inputTokens: 1, outputTokens: 1 }),
      answeredModel: () => undefined,
    };
    const before = shadow.inFlight();
    const hooked = shadow.hook({ route, sample: 1 }, request, primary) !== primary;
    shadow.finished({ ...finishedRecord(request.requestId), status: 500 }, request.serial);
    expect(hooked).toBe(may);
    expect(shadow.inFlight()).toBe(before + (hooked ? 1 : 0));
    return may;
  };
  // Without models: chat copied, embeddings not (nor to the model's own shadow: the tenant's takes its place).
  const everyModel = caller(twin());
  expect(copied(everyModel, "chat", "gpt-4o")).toBe(true);
  expect(copied(everyModel, "embeddings", "text-embedding-3-small")).toBe(false);
  // With models: those models' calls, embeddings included, and no other model's.
  const embeddingsOnly = caller(twin(["text-embedding-*"]));
  expect(copied(embeddingsOnly, "embeddings", "text-embedding-3-small")).toBe(true);
  expect(copied(embeddingsOnly, "chat", "gpt-4o")).toBe(false);
  // An app's shadow decides for calls through it, its tenant's no fallback.
  const throughApp = caller(twin(), twin(["claude-*"]));
  expect(copied(throughApp, "chat", "claude-sonnet-4")).toBe(true);
  expect(copied(throughApp, "chat", "gpt-4o")).toBe(false);
  await shadow.close();
});

test("a copy may be made (the received bytes kept for it) only where hook could make one: a route, a chance, a model's answer", async () => {
  const { shadow } = runner(60_000);
  const request = requestOf("may-copy");
  expect(shadow.mayCopy({ route, sample: 0.1 }, request)).toBe(true);
  expect(shadow.mayCopy({ route, sample: 0 }, request)).toBe(false);
  expect(shadow.mayCopy(undefined, request)).toBe(false);
  // A caller whose tenant shadows to a provider no route reaches: hook copies nothing, so neither may this.
  const principal: Principal = {
    keyId: "key_gone",
    name: "gone",
    tenant: "team-gone",
    role: "user",
    models: ["*"],
    limits: {},
    via: "key",
    tenantRules: { bound: true, models: ["*"], shadow: { provider: "gone", model: "x", sample: 1 } },
  };
  shadow.started(request.serial, principal);
  expect(shadow.mayCopy({ route, sample: 1 }, request)).toBe(false);
  await shadow.close();
});
