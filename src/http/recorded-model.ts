import { errorText } from "../audit/redact-body.ts";
import { shown } from "../core/cut-words.ts";
import { badRequest } from "../core/gateway-error.ts";
import { withoutSecrets } from "../core/without-secrets.ts";
import type { KnownAs } from "../models/model-index.ts";
import { MAX_MODEL_LENGTH } from "./request-schemas.ts";

/**
 * The client's model name as the gateway records it (audit row, access line, live events, span,
 * metrics): as it came when the config spells it out, which costs nothing more; else it is the
 * client's own text, which may be a credential pasted into the wrong field (a key as the model,
 * or glued onto a name a glob routes), and only its credentials are replaced (without-secrets.ts):
 * its text is kept, whitespace and all. A name only a glob matches that held one was refused
 * (`refuseCredentialModel`), so a served name is recorded exactly as sent, and a failed call is
 * priced (account-answer.ts `chargeFailedAttempts`, by the recorded name) as its answer would be.
 * A name longer than any the gateway takes (a Responses WebSocket turn refused at the door, its
 * body unchecked; a `GET /v1/models/{id}` probe) is never served: its credentials replaced as an
 * error's text's are, it is cut as an error's message quotes a caller's value (`shown`), so the row
 * and the access line hold no more of it than the 404's message does.
 */
export const recordedModel = (model: string, known: KnownAs | undefined): string => {
  if (known === "named") return model;
  return model.length > MAX_MODEL_LENGTH ? shown(errorText(model)) : withoutSecrets(model);
};

/**
 * Refuses a name only a glob or a worker's list matches when it holds a credential
 * (`claude-x-mgw_…`, `claude-x-sk-proj-…`), before a route is made of it: a glob routed with
 * `model: "*"` passes the client's name upstream as it came, so the credential would be sent to
 * the provider and written down as the upstream model everywhere. A name the config spells out is the config's own, and
 * one nothing routes is a 404 already.
 */
export function refuseCredentialModel(model: string, known: KnownAs | undefined): void {
  if (known === "matched" && recordedModel(model, known) !== model)
    throw badRequest("`model` holds what reads as a credential; it was not sent upstream", "model");
}
