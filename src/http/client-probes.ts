import { type AnyElysia, Elysia } from "elysia";
import { requestIdHeader } from "./request-id.ts";

/** Where Anthropic's API answers its connection probe, below the SDK's base URL. */
const HELLO = "/api/hello";

/**
 * `HEAD` and `GET /api/hello` under each of `bases` (the root, each Anthropic app's path): the
 * probe Anthropic's API answers, which Claude Code sends as it starts to open its connection early
 * (it reads no answer). Answered as `/healthz` is (no credential, no audit row, an `x-request-id`),
 * so that each start of a client leaves no 404 row and no warn line in the operator's log.
 */
export function clientProbes(bases: readonly string[]): AnyElysia {
  const hello = (request: Request) =>
    Response.json({ message: "hello" }, { headers: requestIdHeader(request) });
  let app: AnyElysia = new Elysia();
  for (const base of bases)
    app = app
      .get(base + HELLO, ({ request }) => hello(request))
      .head(base + HELLO, ({ request }) => hello(request));
  return app;
}
