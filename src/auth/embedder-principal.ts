import { z } from "zod";
import { GatewayError } from "../core/gateway-error.ts";
import type { Principal } from "./principal.ts";
import { principalFields } from "./principal-fields.ts";

/**
 * What the gateway reads of a principal an embedder's authenticator returns. Fields it does not
 * know are left to it (passthrough): an authenticator may carry its own.
 */
const embedderPrincipalSchema = z
  .object({
    ...principalFields,
    keyCreatedAt: z.number().optional(),
    chain: z.string().optional(),
    tenant: z.string().min(1),
    via: z.enum(["key", "jwt", "session"]),
    expiresAt: z.number().optional(),
  })
  .passthrough();

/**
 * The authenticator's answer, checked at the boundary: one of the wrong shape (a JavaScript caller,
 * a claim copied unchecked) is a 500 naming the field on the log line alone, never read as more
 * than it says (a null tenant was once an admin of every tenant).
 */
export function embedderPrincipal(answer: unknown): Principal {
  const checked = embedderPrincipalSchema.safeParse(answer);
  if (checked.success) return answer as Principal;
  const issue = checked.error.issues[0];
  throw new GatewayError({
    status: 500,
    code: "internal_error",
    message: "internal error",
    detail: `the embedder's authenticator returned no principal the gateway can read: ${issue ? `${issue.path.join(".") || "(the whole answer)"}: ${issue.message}` : "its shape"}`,
  });
}
