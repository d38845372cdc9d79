import { errorText } from "../audit/redact-body.ts";
import { badRequest } from "../core/gateway-error.ts";
import { withoutSecrets } from "../core/without-secrets.ts";
import type { KnownAs } from "../models/model-index.ts";

/**
 * The client's model name as the gateway records it (audit row, access line, live events, span,
 * metrics): as it came when the config spells it out, which costs nothing more; else it is the
 * client's own text, which may be a credential pasted into the wrong field (a key as the model,
 * or glued onto a name a glob routes), and it is written down as an error's text is, the access
 * line's `reason` (redact-body.ts `errorText`).
 */
export const recordedModel = (model: string, known: KnownAs | undefined): string =>
  known === "named" ? model : errorText(model, true);

/**
 * Refuses a name only a glob or a worker's list matches when it holds a credential
 * (`claude-x-mgw_…`), before a route is made of it: a glob routed with `model: "*"` passes the
 * client's name upstream as it came, so the credential would be sent to the provider and written
 * down as the upstream model everywhere. A name the config spells out is the config's own, and
 * one nothing routes is a 404 already.
 */
export function refuseCredentialModel(model: string, known: KnownAs | undefined): void {
  if (known === "matched" && withoutSecrets(model) !== model)
    throw badRequest("`model` holds what reads as a credential; it was not sent upstream", "model");
}
