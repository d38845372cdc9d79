import { expect, test } from "bun:test";
import type { Authenticator } from "../auth/authenticate.ts";
import type { Principal } from "../auth/principal.ts";
import type { Logger } from "../log/logger.ts";
import { jwtCaller } from "../testing/jwt-caller.ts";
import { waitForValue } from "../testing/wait-for.ts";
import { BoundAuthenticator } from "./bound-authenticator.ts";
import type { FrontDoorDeps } from "./front-door-deps.ts";
import { GuardSteps } from "./guard-steps.ts";
import type { GuardedRequest } from "./guarded-request.ts";
import { pluginBound } from "./plugin-bound.ts";
import type { RequestRuntime } from "./request-runtime.ts";
import { Shutdown } from "./shutdown.ts";

// The embedder's authenticator is timed on its request's wait from whenever a part around it calls
// it: a part that waits first (a store read of its own) neither drops the bound nor is charged it.

const caller = jwtCaller;
const BOUND_MS = 30;

/** A guard whose parts wait (as a store read would) longer than the bound before calling the embedder's. */
function guardAround(embedders: Authenticator) {
  const warnings: string[] = [];
  const logger = { warn: (message: string) => void warnings.push(message) } as unknown as Logger;
  const bound = new BoundAuthenticator(
    embedders,
    pluginBound("the embedder's authenticator", BOUND_MS, logger),
  );
  const deps = {
    refusal: () => undefined,
    authenticate: (base: Authenticator) => async (headers: Headers) => {
      // stimulus: a part's own wait past the bound (the test waits on the answer, not on this).
      await Bun.sleep(BOUND_MS * 3);
      return base(headers);
    },
    pluginBounds: { authenticate: bound },
  } as Pick<FrontDoorDeps, "refusal" | "authenticate" | "pluginBounds"> as FrontDoorDeps;
  const steps = new GuardSteps(deps, new Shutdown(5));
  const runtime = { authenticate: bound.authenticate, bindCaller: (p: Principal) => p } as Pick<
    RequestRuntime,
    "authenticate" | "bindCaller"
  >;
  const admit = async () => {
    const call = {
      request: new Request("http://localhost/"),
      runtime,
      ip: null,
    } as unknown as GuardedRequest;
    return steps.admit(call);
  };
  return { admit, warnings };
}

test("a part that waits before calling the embedder's authenticator still has it bounded: 503 at pluginTimeoutMs, warned", async () => {
  const { admit, warnings } = guardAround(() => new Promise<never>(() => {}));
  const outcome: unknown[] = [];
  admit().then(
    (principal) => outcome.push(principal),
    (error: unknown) => outcome.push(error),
  );
  const failure = await waitForValue("the request's answer", () => outcome[0]);
  expect(failure).toMatchObject({
    status: 503,
    message: "the embedder's authenticator did not answer in time; try again later",
  });
  expect(warnings).toHaveLength(1);
});

test("the part's own wait is not the embedder's: an embedder answering at once is not late, whatever the part waited", async () => {
  const { admit, warnings } = guardAround(async () => caller);
  expect(await admit()).toBe(caller);
  expect(warnings).toEqual([]);
});
