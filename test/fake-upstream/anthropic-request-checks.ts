import type { FakeRefusal } from "./fake-call.ts";

/** What of a Messages request these checks read. */
interface Checked {
  readonly model: string;
  readonly temperature?: unknown;
  readonly top_p?: unknown;
  readonly stop_sequences?: unknown;
  readonly tools?: ReadonlyArray<{ readonly type?: unknown; readonly input_schema?: unknown }>;
}

/** Claude 4.5 and later (by name), which take `temperature` or `top_p`, not both. */
const ONE_SAMPLER_MODEL = /^claude-(?:opus|sonnet|haiku)-(?:4-[5-9]|[5-9])/;

/**
 * The Messages API's refusals of values OpenAI takes, in Anthropic's words: `temperature` and
 * `top_p` together to a Claude 4.5 model, an empty stop sequence or one of whitespace alone, and a
 * custom tool whose `input_schema` does not say its type.
 */
export function anthropicRefusal(req: Checked): FakeRefusal | undefined {
  if (ONE_SAMPLER_MODEL.test(req.model) && req.temperature != null && req.top_p != null)
    return refused("`temperature` and `top_p` cannot both be specified for this model. Please use only one.");
  const stops = Array.isArray(req.stop_sequences) ? req.stop_sequences : [];
  if (stops.some((stop) => stop === ""))
    return refused("stop_sequences: each stop sequence must be non-empty");
  if (stops.some((stop) => typeof stop === "string" && stop.trim() === ""))
    return refused("stop_sequences: each stop sequence must contain non-whitespace");
  for (const [i, tool] of (req.tools ?? []).entries()) {
    const custom = tool.type === undefined || tool.type === "custom";
    const schema = tool.input_schema;
    if (custom && (typeof schema !== "object" || schema === null || !("type" in schema)))
      return refused(`tools.${i}.custom.input_schema.type: Field required`);
  }
  return undefined;
}

const refused = (message: string): FakeRefusal => ({ status: 400, message });
