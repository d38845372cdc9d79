import type { JsonObject } from "../core/dialect.ts";
import { badRequest, type GatewayError } from "../core/gateway-error.ts";
import type { ChatTarget } from "./chat-target.ts";

/**
 * A call that asks for audio (`modalities` with `"audio"`) on a target that answers in text only
 * (one that carries no `modalities`: every target's translation here) is refused under every
 * policy, never dropped: the caller asked to hear the answer, and text it cannot play, as a 200,
 * is not the call it made. The refusal is the route's (`unsupported_modality`): the router passes
 * it over for the model's next route, which may answer in audio, and the caller hears it only
 * when none can (routing/routes-tried.ts `passedOverAsUnable`).
 */
export function refuseAudioOutput(body: JsonObject, target: ChatTarget): void {
  const refusal = audioRefusal(body, target);
  if (refusal) throw refusal;
}

/**
 * The refusal `refuseAudioOutput` throws, when the call asks `target` for audio it cannot give:
 * asked too of a route the router skipped, where none was tried (routing/could-serve.ts).
 */
export function audioRefusal(body: JsonObject, target: ChatTarget): GatewayError | undefined {
  const { modalities } = body;
  if (answersInAudio(target) || !Array.isArray(modalities) || !modalities.includes("audio")) return undefined;
  return badRequest(
    `modalities: ${target.name} answers in text only, and this call asks for audio; ask for ["text"], or call a model whose upstream answers in audio`,
    "modalities",
    "unsupported_modality",
  );
}

/** Whether `target` answers in audio when asked (it carries `modalities`): none of the translations does. */
export const answersInAudio = (target: ChatTarget): boolean => target.carries.includes("modalities");
