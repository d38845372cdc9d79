import type { JsonObject } from "../core/dialect.ts";
import type { Provider } from "../providers/provider.ts";
import { plainItemCallIds } from "../translate/openai-to-gemini/gemini-call-id.ts";
import { inputItems } from "../translate/responses/input-items.ts";
import { forNativeUpstream, withoutForeignIds } from "../translate/responses/item-references.ts";
import type { AdaptedCall, ResponsesContext } from "./adapt-dialect.ts";
import { RESPONSES_CONVERSATION } from "./responses-via-chat.ts";
import { identity } from "./same-dialect-call.ts";

/**
 * A native Responses call's answer as given, and its errors in the caller's names: a context too
 * long that the upstream named no field for is the caller's `input`. Shared, not made per call
 * (nothing writes to it).
 */
const NATIVE_RESPONSES: Pick<AdaptedCall, "json" | "callerNames"> = Object.freeze({
  ...identity,
  callerNames: RESPONSES_CONVERSATION,
});

/** A native call's options (AdaptedCall `native`). */
type NativeOptions = NonNullable<AdaptedCall["native"]>;

/**
 * The Responses API passed through to an upstream that serves it. A chain stays where it is
 * held; a chain the gateway holds (built by translation, or held by another provider) moves
 * here expanded from the gateway's store: its turns inlined, `previous_response_id` removed (the
 * answer says it all the same: `previousSaid`), each item with its id only where the upstream
 * named it itself (item-references.ts `forNativeUpstream`). So does an item an `item_reference` names that the upstream does not hold,
 * and an input item's id (`inputFor`).
 */
export function nativeResponses(
  body: JsonObject,
  provider: Provider,
  context: ResponsesContext,
): AdaptedCall {
  const answered = context.compact
    ? undefined
    : (response: JsonObject) => context.onResponse(response, provider.name);
  const native: NativeOptions = { forcedUsage: false, ...(answered ? { answered } : {}) };
  const own = inputFor(body, provider, context);
  if (context.previous.length === 0 || context.previousHolder === provider.name) {
    if (!own) return { operation: "responses", body, ...NATIVE_RESPONSES, native };
    return {
      operation: "responses",
      body: { ...body, input: own },
      ...NATIVE_RESPONSES,
      native: { ...native, rewritten: true },
    };
  }
  const { previous_response_id: held, ...rest } = body;
  // The stored turns as the caller's own input reaches this upstream (caller-body-for.ts): a call a
  // Gemini route answered has its thought signature in its `call_id`, which no Responses API reads
  // (and OpenAI refuses past 64 characters); plain, it pairs again with its output's.
  const previous = forNativeUpstream(
    context.previous,
    context.referenced,
    context.itemHolders,
    provider.name,
  );
  const input = [...plainItemCallIds(previous), ...(own ?? inputItems(body.input))];
  return {
    operation: "responses",
    body: { ...rest, input },
    ...NATIVE_RESPONSES,
    native: typeof held === "string" ? previousSaid(native, held) : { ...native, rewritten: true },
  };
}

/**
 * A native call whose `previous_response_id` (`held`) the gateway took off to send the chain
 * expanded: its answer, and the response stored, name it again (AdaptedCall `previousId`). Every
 * other option as the call's own (`native`).
 */
function previousSaid(native: NativeOptions, held: string): NativeOptions {
  const answered = native.answered;
  if (!answered) return { ...native, rewritten: true, previousId: held };
  const stored = (response: JsonObject) => {
    if (response.previous_response_id === null) response.previous_response_id = held;
    answered(response);
  };
  return { ...native, rewritten: true, previousId: held, answered: stored };
}

/**
 * The caller's input as a route serving the Responses API is sent it, when that is not as sent
 * (undefined, nearly always): its references to items the upstream does not hold replaced by the
 * items, from the gateway's store, and the ids the upstream did not name taken off its items, their
 * calls' ids plain as a stored chain's are; ids the caller's scope does not hold taken off too
 * (item-references.ts).
 */
function inputFor(
  body: JsonObject,
  provider: Provider,
  context: ResponsesContext,
): readonly unknown[] | undefined {
  const { referenced, itemHolders, foreignIds } = context;
  const sent = inputItems(body.input);
  let input = forNativeUpstream(sent, referenced, itemHolders, provider.name);
  if (input !== sent) input = plainItemCallIds(input);
  if (foreignIds) return withoutForeignIds(input, foreignIds, "refuse");
  return input === sent ? undefined : input;
}
