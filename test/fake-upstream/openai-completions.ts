import { z } from "zod";
import type { Prepared } from "./fake-call.ts";
import { paramOf, sseFrame } from "./fake-call.ts";
import { buildScript, type FakeScript, fakeId, nowSeconds } from "./fake-script.ts";

const completionSchema = z.looseObject({
  model: z.string().min(1),
  prompt: z.union([z.string(), z.array(z.string())]),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  max_tokens: z.number().int().nullish(),
});

const usageOf = (s: FakeScript) => ({
  prompt_tokens: s.inputTokens,
  completion_tokens: s.outputTokens,
  total_tokens: s.inputTokens + s.outputTokens,
});

/** `POST /v1/completions` (legacy text completions). */
export function prepareCompletion(body: unknown): Prepared {
  const parsed = completionSchema.safeParse(body);
  if (!parsed.success) {
    const param = paramOf(parsed.error.issues[0]?.path ?? []);
    return { status: 400, message: `Invalid value for '${param}'`, param };
  }
  const req = parsed.data;
  const prompt = Array.isArray(req.prompt) ? req.prompt.join(" ") : req.prompt;
  return {
    markerText: prompt,
    stream: req.stream === true,
    render: (behaviour) => {
      const script = buildScript({
        lastUserText: prompt,
        allText: prompt,
        ...(behaviour.chunks !== undefined ? { chunks: behaviour.chunks } : {}),
        ...(req.max_tokens != null ? { maxTokens: req.max_tokens } : {}),
      });
      const finish = script.finish === "length" ? "length" : "stop";
      const base = {
        id: fakeId("cmpl-"),
        object: "text_completion",
        created: nowSeconds(),
        model: req.model,
      };
      const choice = (text: string, finish_reason: string | null) => ({
        text,
        index: 0,
        logprobs: null,
        finish_reason,
      });
      if (req.stream !== true) {
        return {
          json: { ...base, choices: [choice(script.pieces.join(""), finish)], usage: usageOf(script) },
        };
      }
      const frames = script.pieces.map((piece) => sseFrame({ ...base, choices: [choice(piece, null)] }));
      frames.push(sseFrame({ ...base, choices: [choice("", finish)] }));
      if (req.stream_options?.include_usage === true) {
        frames.push(sseFrame({ ...base, choices: [], usage: usageOf(script) }));
      }
      frames.push(sseFrame("[DONE]"));
      return { frames };
    },
  };
}
