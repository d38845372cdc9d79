import { MAX_OFFERED_MODELS, ModelName } from "../protocol.ts";
import type { WorkerLog } from "../worker-log.ts";
import { discoverModels } from "./discover-models.ts";

/** The upstream lists nothing a worker can offer (yet): said as it is, and asked again later. */
export class NothingToOffer extends Error {}

/**
 * Which of the upstream's model ids `register` can carry (the gateway's schema, ModelName), in
 * order, at most MAX_OFFERED_MODELS; the rest with the reason.
 */
export function offerable(ids: readonly string[]): {
  offered: string[];
  skipped: { model: string; problem: string }[];
} {
  const offered: string[] = [];
  const skipped: { model: string; problem: string }[] = [];
  for (const model of ids) {
    const checked = ModelName.safeParse(model);
    if (!checked.success) skipped.push({ model, problem: checked.error.issues[0]?.message ?? "invalid" });
    else if (offered.length >= MAX_OFFERED_MODELS)
      skipped.push({ model, problem: `over ${MAX_OFFERED_MODELS} models` });
    else offered.push(model);
  }
  return { offered, skipped };
}

/** Ollama's default tag, which it lists on every model pulled without one and takes left off. */
const DEFAULT_TAG = ":latest";

/**
 * The upstream's ids, then the names without Ollama's default tag of those that have it
 * (`llama3.1:latest` … `llama3.1`): Ollama lists a model with its tag and takes it left off, the
 * name its docs and most clients use, which the gateway's worker routes match exactly. The short
 * names come after every listed id, so that past the most a worker offers the names given up are
 * short names, never models; one only where the upstream lists no model of that name itself.
 */
export function withDefaultTagsLeftOff(ids: readonly string[]): string[] {
  const names = new Set(ids);
  const out = [...ids];
  for (const id of ids) {
    const short = id.endsWith(DEFAULT_TAG) ? id.slice(0, -DEFAULT_TAG.length) : "";
    if (short !== "" && !names.has(short)) {
      names.add(short);
      out.push(short);
    }
  }
  return out;
}

/**
 * The models a worker offers at each registration: `--models` as given, else what the upstream
 * lists (`GET /models`) that `register` can carry, an Ollama model by its name with and without
 * its default tag (`withDefaultTagsLeftOff`). An id the gateway would refuse is skipped with
 * a warning, once: llama.cpp names its model by the `-m` path, often longer than an id may be.
 * Throws when the upstream cannot say, or lists nothing to offer (Ollama before any pull): the
 * worker asks again after a backoff, as models may come at runtime.
 */
export class ModelOffer {
  private readonly warned = new Set<string>();

  constructor(
    private readonly source: { upstream: string; apiKey: string | undefined; given: string[] | undefined },
    private readonly log: WorkerLog,
  ) {}

  async models(signal: AbortSignal): Promise<string[]> {
    const { upstream, apiKey, given } = this.source;
    if (given?.length) return given;
    const listed = await discoverModels(upstream, apiKey, signal);
    const { offered, skipped } = offerable(withDefaultTagsLeftOff(listed));
    for (const { model, problem } of skipped) {
      if (this.warned.has(model)) continue;
      this.warned.add(model);
      this.log(
        "warn",
        "skipping a model id the gateway cannot take: offer the model under a shorter name (--models, or llama.cpp's --alias)",
        { model, problem },
      );
    }
    if (listed.length === 0)
      throw new NothingToOffer("the upstream lists no models (none loaded or pulled yet?)");
    if (offered.length === 0) throw new NothingToOffer("none of the upstream's models can be offered");
    return offered;
  }
}
