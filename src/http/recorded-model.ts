import { errorText } from "../audit/redact-body.ts";
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
