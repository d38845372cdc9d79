import type { AuditRecord } from "../audit/audit-record.ts";
import { redactSecrets } from "../audit/redact-body.ts";
import { configSchema } from "../config/config-schema.ts";
import type { ShadowTarget } from "../config/shadow-target.ts";
import type { Provider, ProviderCall } from "../providers/provider.ts";
import type { Route } from "../routing/route.ts";
import type { Dispatched, DispatchRequest } from "../routing/router.ts";
import {
  answeredRecord,
  clientRequest,
  fixtureRunner,
  primaryDispatch,
  shadowRoute,
} from "../shadow/shadow-runner-fixture.ts";
import { threadRulesOf } from "../shadow/thread-rules.ts";

/**
 * Test support for the shadow runner's tests (src/shadow/shadow-runner*.test.ts): a runner over a
 * shadow route whose upstream never answers, the client requests it is handed, and their answers
 * and audit records as the gateway would give them (src/shadow/shadow-runner-fixture.ts builds them).
 */

let calls = 0;
/** How many calls the hanging upstream has had. */
export const hangingCalls = () => calls;

/** A shadow upstream that never answers: its call settles only when its signal aborts. */
export const hanging: Provider = {
  name: "hanging",
  dialect: "openai",
  call: (call: ProviderCall) => {
    calls++;
    return new Promise((_, reject) =>
      call.signal.addEventListener("abort", () => reject(call.signal.reason), { once: true }),
    );
  },
};
/** The shadow route to the hanging upstream. */
export const route: Route = shadowRoute(hanging);
export const config = configSchema.parse({
  providers: [{ name: "hanging", type: "openai", base_url: "http://127.0.0.1:1/v1" }],
  models: [{ name: "m", routes: [{ provider: "hanging", model: "candidate" }] }],
});

/** A shadow runner whose copies of a request time out after `timeout` ms, its pairs kept in `stored`. */
export function runner(
  timeout: number,
  thread: "all" | "off" = "off",
  maxConcurrent = config.shadow.max_concurrent,
  routeFor: (target: ShadowTarget) => Route | undefined = () => undefined,
  /** The shadow thread records the pairs it sends (the gateway's default hook and rules). */
  owned = false,
  /** The draw each request's sample is compared with (Math.random when not given). */
  random?: () => number,
) {
  return fixtureRunner({
    config,
    timeout,
    maxConcurrent,
    keepAnswers: false,
    redact: owned ? redactSecrets : (text) => text,
    thread,
    routeFor,
    ...(owned ? { threadRules: () => threadRulesOf(config) } : {}),
    ...(random ? { random } : {}),
  });
}

/** A client's request as the router has it. */
export const requestOf = (requestId: string): DispatchRequest =>
  clientRequest(requestId, { model: "m", messages: [{ role: "user", content: "hi" }] });

/** The primary's dispatch of a client request answered "hello" by provider fake (one token each way). */
export const answered = (): Dispatched =>
  primaryDispatch({ kind: "json", body: { choices: [{ message: { content: "hello" } }] } }, 1, 1);

/** One client request through the runner: sampled, answered, its audit record in. */
export function mirrored(
  shadow: ReturnType<typeof runner>["shadow"],
  requestId: string,
  to = route,
  request = requestOf(requestId),
  sample = 1,
): void {
  shadow.hook({ route: to, sample }, request, answered());
  shadow.finished(finishedRecord(requestId), request.serial);
}

/** The audit record of a client request that was answered (200). */
export const finishedRecord = (requestId: string): AuditRecord => answeredRecord(requestId);
