import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import { GatewayError } from "../core/gateway-error.ts";
import type { AdaptedCall } from "./adapt-dialect.ts";
import type { CallerNames } from "./caller-param.ts";

/**
 * A field a translation wrote that only tunes the answer and that the caller did not send by that
 * name (`AdaptedCall.hints`): an effort level, which Codex and Claude Code send on every request,
 * in their own dialect's words. A model without efforts refuses the other dialect's field (Haiku
 * 4.5: 400 "This model does not support the effort parameter."; gpt-4.1: 400 "Unsupported
 * parameter: 'reasoning_effort'…"), and the client, which never sent a field of that name, cannot
 * fall back: the router sends the call again without it, once (dispatch-run.ts).
 */
export interface RefusedHint {
  /** Where it is in the upstream body: `output_config.effort`, `reasoning_effort`. */
  readonly path: string;
  /** What the caller sent for it, as `x-mindgw-dropped` and the audit row name it. */
  readonly callerName: string;
}

/**
 * The effort level a translated body sets, by its path there, with `callerName` for it: Messages'
 * `output_config.effort`, chat's `reasoning_effort`. Undefined when it sets none.
 */
export function effortHint(body: JsonObject, callerName: string): CallerNames | undefined {
  if (isJsonObject(body.output_config) && body.output_config.effort != null)
    return { "output_config.effort": callerName };
  if (body.reasoning_effort != null) return { reasoning_effort: callerName };
  return undefined;
}

/**
 * How upstreams say a request has a parameter this model does not take, and its name: OpenAI's
 * `Unsupported parameter: 'reasoning_effort' is not supported with this model.` (code
 * `unsupported_parameter`, the name in `param` too), Anthropic's `This model does not support the
 * effort parameter.`, and Anthropic's schema check of a field it does not know.
 */
const REFUSALS = [
  /^Unsupported parameter: '([\w.]+)'/,
  /does not support the ([\w.]+) parameter/,
  /^([\w.]+): Extra inputs are not permitted/,
];

/** The hint of `hints` that an upstream's 400 refuses, if it is one of those refusals. */
export function refusedHint(error: unknown, hints: CallerNames | undefined): RefusedHint | undefined {
  if (hints === undefined || !(error instanceof GatewayError) || error.status !== 400) return undefined;
  const named = refusedParameter(error);
  if (named === undefined) return undefined;
  for (const [path, callerName] of Object.entries(hints)) {
    if (path === named || path.endsWith(`.${named}`)) return { path, callerName };
  }
  return undefined;
}

function refusedParameter(error: GatewayError): string | undefined {
  if (error.upstream?.code === "unsupported_parameter" && error.param) return error.param;
  for (const refusal of REFUSALS) {
    const named = refusal.exec(error.message)?.[1];
    if (named) return named;
  }
  return undefined;
}

/** The call without the refused hint, which is named among what the translation left out. */
export function withoutHint(adapted: AdaptedCall, hint: RefusedHint): AdaptedCall {
  const dropped = adapted.dropped ?? [];
  return {
    ...adapted,
    body: withoutPath(adapted.body, hint.path.split(".")),
    dropped: dropped.includes(hint.callerName) ? dropped : [...dropped, hint.callerName],
    hints: undefined,
  };
}

/** A copy of `body` without the field at `path`; an object it leaves empty goes too. */
function withoutPath(body: JsonObject, [key, ...rest]: readonly string[]): JsonObject {
  if (key === undefined) return body;
  const { [key]: value, ...others } = body;
  if (rest.length === 0) return others;
  if (!isJsonObject(value)) return body;
  const inner = withoutPath(value, rest);
  return Object.keys(inner).length === 0 ? others : { ...others, [key]: inner };
}
