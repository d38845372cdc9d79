import { describe, expect, test } from "bun:test";
import { upstreamError } from "../core/gateway-error.ts";
import { chatRequest, type FakeProvider, fakeProvider, routerFor } from "./router-test-kit.ts";

const config = (sample: number) => ({
  providers: [
    { name: "main", type: "openai" },
    { name: "lab", type: "openai" },
  ],
  models: [
    {
      name: "m",
      routes: [{ provider: "main", model: "served" }],
      shadow: { provider: "lab", model: "candidate", sample },
    },
  ],
  routing: { retries: 0 },
});

async function callsOf(provider: FakeProvider, count: number) {
  for (let i = 0; i < 500 && provider.calls.length < count; i++) await Bun.sleep(2);
  return provider.calls;
}

describe("shadow traffic", () => {
  test("a sampled request is mirrored to the shadow route, non-stream, under its own model", async () => {
    const main = fakeProvider("main");
    const lab = fakeProvider("lab");
    const { router, logs } = routerFor(config(1), [main, lab]);
    const dispatched = await router(
      chatRequest("m", {
        stream: true,
        body: { model: "m", messages: [], stream: true, stream_options: { include_usage: true } },
      }),
    );
    expect(dispatched.route).toBe("provider:main");
    const [call] = await callsOf(lab, 1);
    expect(call?.stream).toBe(false);
    expect(call?.body.model).toBe("candidate");
    expect(call?.body.stream).toBe(false);
    expect(call?.body.stream_options).toBeUndefined();
    expect(call?.requestId).toBe("req_test-shadow");
    for (let i = 0; i < 100 && logs.length === 0; i++) await Bun.sleep(2);
    expect(logs.some((line) => line.includes("shadow provider:lab (candidate) answered"))).toBe(true);
  });

  test("a failing shadow never touches the client's answer", async () => {
    const main = fakeProvider("main");
    const lab = fakeProvider("lab", () => Promise.reject(upstreamError("lab is down")));
    const { router, logs } = routerFor(config(1), [main, lab]);
    const dispatched = await router(chatRequest("m"));
    expect(dispatched.reply.kind).toBe("json");
    await callsOf(lab, 1);
    for (let i = 0; i < 100 && logs.length === 0; i++) await Bun.sleep(2);
    expect(logs.some((line) => line.includes("lab is down"))).toBe(true);
  });

  test("the sample rate decides, through the injected random source", async () => {
    const main = fakeProvider("main");
    const lab = fakeProvider("lab");
    const { router } = routerFor(config(0.5), [main, lab], { random: () => 0.7 });
    await router(chatRequest("m"));
    await Bun.sleep(10);
    expect(lab.calls).toHaveLength(0);
    const sampled = routerFor(config(0.5), [main, lab], { random: () => 0.3 });
    await sampled.router(chatRequest("m"));
    expect(await callsOf(lab, 1)).toHaveLength(1);
  });

  test("no shadow when the main call fails", async () => {
    const main = fakeProvider("main", () => Promise.reject(upstreamError("down")));
    const lab = fakeProvider("lab");
    const { router } = routerFor(config(1), [main, lab]);
    await router(chatRequest("m")).catch(() => {});
    await Bun.sleep(10);
    expect(lab.calls).toHaveLength(0);
  });
});
