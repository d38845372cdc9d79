import { z } from "zod";
import { GatewayError } from "../core/gateway-error.ts";

const headersSchema = z.record(z.string(), z.string());

/**
 * What a policy's `admit` returned, checked at the boundary: anything but a record of header texts
 * (a JavaScript policy's `false`, `undefined` or `{ allowed: false }` meant as a refusal) is a 500
 * naming what it was on the log line alone, never an admission the policy did not give.
 */
export function admitHeaders(answer: unknown): Readonly<Record<string, string>> {
  const checked = headersSchema.safeParse(answer);
  if (checked.success) return answer as Readonly<Record<string, string>>;
  const issue = checked.error.issues[0];
  throw new GatewayError({
    status: 500,
    code: "internal_error",
    message: "internal error",
    detail: `the embedder's policy (admit) returned no headers record the gateway can read (throw a GatewayError to refuse): ${issue ? `${issue.path.join(".") || "(the whole answer)"}: ${issue.message}` : "its shape"}`,
  });
}
