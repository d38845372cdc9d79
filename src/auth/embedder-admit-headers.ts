import { GatewayError } from "../core/gateway-error.ts";
import { NO_HEADERS } from "./limit-headers.ts";

/** What in `answer` is no header text, or undefined when it is a record of header texts. */
function misshapen(answer: unknown): string | undefined {
  if (typeof answer !== "object" || answer === null || Array.isArray(answer)) {
    return `(the whole answer): ${answer === null ? "null" : Array.isArray(answer) ? "a list" : typeof answer}`;
  }
  const record = answer as Record<string, unknown>;
  for (const name in record) {
    if (typeof record[name] !== "string") return `${name}: ${typeof record[name]}, not a header's text`;
  }
  return undefined;
}

/**
 * What a policy's `admit` returned, checked at the boundary: anything but a record of header texts
 * (a JavaScript policy's `false`, `undefined` or `{ allowed: false }` meant as a refusal) is a 500
 * naming what it was on the log line alone, never an admission the policy did not give. A plain
 * walk of its members, no schema: every model call a policy admits with a record of its own (a
 * cluster node's shared counters) passes here, and the built-in policy's empty record (a caller
 * with no limits) is passed at once.
 */
export function admitHeaders(answer: unknown): Readonly<Record<string, string>> {
  if (answer === NO_HEADERS) return NO_HEADERS;
  const wrong = misshapen(answer);
  if (wrong === undefined) return answer as Readonly<Record<string, string>>;
  throw new GatewayError({
    status: 500,
    code: "internal_error",
    message: "internal error",
    detail: `the embedder's policy (admit) returned no headers record the gateway can read (throw a GatewayError to refuse): ${wrong}`,
  });
}
