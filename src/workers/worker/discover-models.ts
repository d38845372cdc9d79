import { z } from "zod";

const ModelList = z.object({ data: z.array(z.object({ id: z.string().min(1) }).loose()) }).loose();

/** Asks the upstream (`GET {base}/models`) which models it serves. Throws when it cannot say. */
export async function discoverModels(
  base: string,
  apiKey: string | undefined,
  signal: AbortSignal,
): Promise<string[]> {
  const headers: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  const timeout = AbortSignal.any([signal, AbortSignal.timeout(10_000)]);
  const response = await fetch(`${base}/models`, { headers, signal: timeout });
  if (!response.ok) throw new Error(`GET ${base}/models answered ${response.status}`);
  const parsed = ModelList.safeParse(await response.json());
  if (!parsed.success) throw new Error(`GET ${base}/models did not return a model list`);
  return [...new Set(parsed.data.data.map((m) => m.id))];
}
