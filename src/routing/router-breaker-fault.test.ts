import { describe, expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
import { upstreamError } from "../core/gateway-error.ts";
import { routeRefused } from "../core/route-refused.ts";
import { chatRequest, fakeProvider, modelOver, routerFor, twoRoutes } from "./router-test-kit.ts";

// A breaker opened by what only the operator can mend (the gateway's credentials or account
// refused) says so in its 503: Codex retries every 5xx, reading no `x-should-retry`, so its retry
// of the 502 `upstream_auth` meets the breaker that 502 opened, and ended on "temporarily out of
// service" alone, where pointed at the upstream it says its key was refused.

const config = twoRoutes({ retries: 0, circuit_breaker: { failures: 1, cooldown: "30s" } });
const failWith = (error: GatewayError) => () => Promise.reject(error);
const refusedKey = (name: string) => routeRefused("credentials", { name: `upstream ${name}`, status: 401 });
const outOfService = "every route for model m is temporarily out of service";

async function afterOneFailureEach(a: () => Promise<never>, b: () => Promise<never>): Promise<GatewayError> {
  const { router } = routerFor(config, [fakeProvider("a", a), fakeProvider("b", b)]);
  await router(chatRequest("m")).catch(() => {});
  return (await router(chatRequest("m")).catch((e: unknown) => e)) as GatewayError;
}

describe("router: the 503 of a breaker the gateway's own credentials opened", () => {
  test("says which upstream refused them, in the gateway's words, with its Retry-After", async () => {
    const error = await afterOneFailureEach(failWith(refusedKey("a")), failWith(refusedKey("b")));
    expect([error.status, error.code]).toEqual([503, "no_route_available"]);
    expect(error.message).toBe(`${outOfService}: upstream a rejected the gateway's credentials`);
    expect(error.headers["retry-after"]).toBe("30");
  });

  test("an account refused is named too", async () => {
    const account = routeRefused("account", { name: "upstream a", status: 402 });
    const error = await afterOneFailureEach(failWith(account), failWith(upstreamError("down")));
    expect(error.message).toBe(
      `${outOfService}: upstream a refused the gateway's account (billing or quota)`,
    );
  });

  test("a server fault opening it leaves the 503 as it was: the upstream's words are no other caller's", async () => {
    const down = failWith(upstreamError("upstream a answered 500: something about your prompt"));
    const error = await afterOneFailureEach(down, down);
    expect(error.message).toBe(outOfService);
  });

  test("a later server fault on the route replaces the cause: the last failure is told, not an old one", async () => {
    let refused = true;
    const a = () => Promise.reject(refused ? refusedKey("a") : upstreamError("down"));
    const one = modelOver([{ provider: "a", type: "openai", model: "ma" }], {
      retries: 0,
      circuit_breaker: { failures: 1, cooldown: "1s" },
    });
    const { router, advance } = routerFor(one, [fakeProvider("a", a)]);
    await router(chatRequest("m")).catch(() => {});
    refused = false;
    advance(1_000); // the cooldown over: the next request is the probe, and fails as a server fault
    await router(chatRequest("m")).catch(() => {});
    const error = (await router(chatRequest("m")).catch((e: unknown) => e)) as GatewayError;
    expect(error.message).toBe(outOfService);
  });
});
