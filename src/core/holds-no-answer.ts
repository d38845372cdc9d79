import type { JsonObject, Operation } from "./dialect.ts";
import { GatewayError } from "./gateway-error.ts";

/**
 * What an answer with no answer in it is said as, whole or streamed, relayed or translated
 * (docs/RELIABILITY.md): `sender` names who sent it (providers/upstream-name.ts). A translation's
 * stream, not told whose it is, leaves it out; the relay that reads the stream names it then
 * (upstream-name.ts `namedFailure`), so the caller reads one wording whichever path found it.
 */
export class NoAnswer extends GatewayError {
  constructor(readonly sender?: string) {
    super({
      status: 502,
      code: "upstream_error",
      message: `${sender ?? "upstream"} sent a body with no answer in it`,
      retryable: true,
    });
  }
}

/** `NoAnswer` from `sender`, or from an upstream still to be named. */
export const noAnswerFrom = (sender?: string): GatewayError => new NoAnswer(sender);

/**
 * Whether a 2xx body (a JSON object, no error in it) carries no answer to `operation`: a chat or
 * completions answer without a choice (`{}`, `{"choices": []}`: a server whose filter ate the
 * answer, a proxy's empty object), a Messages answer without its `content` list, a Responses answer
 * without its `output` list, embeddings without their `data` list. Every client reads what is
 * missing (the SDKs' `choices[0]`, Claude Code's `content`) and fails on it, and no translation
 * has anything to say: it is the upstream's fault, retried and failed over as a body that is not
 * JSON is, whether the caller's dialect is the upstream's or not. An answer whose lists are there
 * but empty is one (Claude's `content: []` at `end_turn`, a Responses answer queued in the
 * background), but for chat's choices, of which an answer has one at least.
 */
export function holdsNoAnswer(operation: Operation, body: JsonObject): boolean {
  switch (operation) {
    case "chat":
    case "completions":
      return !Array.isArray(body.choices) || body.choices.length === 0;
    case "messages":
      return !Array.isArray(body.content);
    case "responses":
      return !Array.isArray(body.output);
    case "embeddings":
      return !Array.isArray(body.data);
    default:
      return false;
  }
}
