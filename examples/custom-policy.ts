/**
 * A custom policy: limits of your own in place of the built-in rpm/tpm/budgets. This one lets
 * each caller make `perDay` requests a UTC day (429 with Retry-After until midnight) and keeps
 * one model out of office hours (403). The clock is injected, so a test can move it.
 */
import { createGateway, GatewayError, type Policy, parseConfig, silentLogger } from "../src/index.ts";

export function dailyQuotaPolicy(options: {
  perDay: number;
  officeHoursOnly: string[];
  now?: () => number;
}): Policy {
  const now = options.now ?? Date.now;
  const used = new Map<string, number>();
  const dayOf = (at: number) => new Date(at).toISOString().slice(0, 10);
  return {
    admit(principal, model) {
      const at = now();
      const hour = new Date(at).getUTCHours();
      if (model && options.officeHoursOnly.includes(model) && (hour < 8 || hour >= 18))
        throw new GatewayError({
          status: 403,
          code: "forbidden",
          message: `${model} is available 08:00-18:00 UTC`,
        });
      const key = `${principal.tenant}/${principal.name}/${dayOf(at)}`;
      const count = used.get(key) ?? 0;
      if (count >= options.perDay) {
        const midnight = Date.parse(`${dayOf(at)}T00:00:00Z`) + 86_400_000;
        throw new GatewayError({
          status: 429,
          code: "rate_limited",
          message: `daily quota of ${options.perDay} requests used`,
          headers: { "retry-after": String(Math.ceil((midnight - at) / 1000)) },
          // The gateway's own refusal, not an upstream's 429 relayed (metrics count them apart).
          refusedBy: "requests",
        });
      }
      used.set(key, count + 1);
      return { "x-quota-remaining": String(options.perDay - count - 1) };
    },
    // Cost is what the audit row shows; this policy does not price anything.
    record: () => 0,
  };
}

export async function start(now: () => number) {
  let adminKey = "";
  const gateway = await createGateway({
    config: parseConfig({
      storage: { path: ":memory:" },
      providers: [{ name: "demo", type: "mock" }],
      models: [
        { name: "mock", routes: [{ provider: "demo", model: "mock" }] },
        { name: "big-model", routes: [{ provider: "demo", model: "big" }] },
      ],
    }),
    policy: dailyQuotaPolicy({ perDay: 3, officeHoursOnly: ["big-model"], now }),
    logger: silentLogger,
    onBootstrapKey: (key) => {
      adminKey = key;
    },
  });
  const { port } = gateway.listen("127.0.0.1", 0);
  return { url: `http://127.0.0.1:${port}`, adminKey, stop: () => gateway.stop() };
}

if (import.meta.main) console.log(`gateway on ${(await start(Date.now)).url}`);
