import type { Provider as CatalogueProvider } from "@pydantic/genai-prices";
import type { Usage } from "../core/usage.ts";
import { cacheBounded, cachedAndTouched } from "./bounded-cache.ts";
import { calcPrice } from "./catalogue-on-demand.ts";
import { catalogueProviderId, type ProviderKind } from "./catalogue-provider-id.ts";

/** What the catalogue knows of one upstream model. */
export interface CatalogueEntry {
  /** `provider/model` as the catalogue names them (`aws/regional.anthropic.claude-…`). */
  readonly id: string;
  readonly contextWindow: number | undefined;
  /** USD per million tokens at the base tier (prices may rise with prompt size). */
  readonly inputPerMtok: number;
  readonly outputPerMtok: number;
  readonly cachedInputPerMtok: number | undefined;
  /** Every part's own rate at the base tier, where the catalogue's price reads as rates. */
  readonly rates: LinearRates | undefined;
}

/** The catalogue's prices and context window for a model on a provider; undefined when unknown. */
export function catalogueEntry(model: string, providerId: string): CatalogueEntry | undefined {
  // Priced on a small prompt, so the figures are the base tier (long prompts may cost more).
  const sample = 1000;
  const perMtok = (usd: number) => Number(((usd * 1e6) / sample).toPrecision(12));
  const result = calcPrice({ input_tokens: sample, output_tokens: sample }, model, { providerId });
  if (!result || result.provider.id !== providerId) return undefined;
  const cached = calcPrice({ input_tokens: sample, cache_read_tokens: sample }, model, { providerId });
  return {
    id: `${result.provider.id}/${result.model.id}`,
    contextWindow: result.model.context_window,
    inputPerMtok: perMtok(result.input_price),
    outputPerMtok: perMtok(result.output_price),
    cachedInputPerMtok:
      cached && cached.input_price !== result.input_price ? perMtok(cached.input_price) : undefined,
    rates: baseRates(result.model_price)?.rates,
  };
}

/** Plain per-million-token rates: how most models are priced, and all `prices:` entries. */
export interface LinearRates {
  input: number;
  output: number;
  cacheRead?: number | undefined;
  cacheWrite?: number | undefined;
  /** Cache writes that live an hour; default: `cacheWrite`. */
  cacheWrite1h?: number | undefined;
  /** Audio in the prompt; default: `input`. */
  inputAudio?: number | undefined;
  /** Audio in the answer; default: `output`. */
  outputAudio?: number | undefined;
  /** USD per thousand web searches the upstream ran; default: none charged. */
  webSearchesPerK?: number | undefined;
}

/**
 * The cost of `usage` at linear rates: each part of the prompt (cache reads, cache writes of five
 * minutes and of an hour, audio) and of the answer (audio) at its own rate, else as the whole it
 * is part of; web searches per thousand.
 */
export function linearCost(rates: LinearRates, usage: Usage): number {
  const cached = cacheReads(usage);
  const written = usage.cacheWriteTokens ?? 0;
  const hour = hourWrites(usage);
  const audioIn = promptAudio(usage);
  const audioOut = answerAudio(usage);
  const plain = Math.max(0, usage.inputTokens - cached - written - audioIn);
  const cacheWrite = rates.cacheWrite ?? rates.input;
  const input =
    plain * rates.input +
    cached * (rates.cacheRead ?? rates.input) +
    (written - hour) * cacheWrite +
    hour * (rates.cacheWrite1h ?? cacheWrite) +
    audioIn * (rates.inputAudio ?? rates.input);
  const output =
    (usage.outputTokens - audioOut) * rates.output + audioOut * (rates.outputAudio ?? rates.output);
  return (input + output) / 1e6 + ((usage.webSearches ?? 0) * (rates.webSearchesPerK ?? 0)) / 1e3;
}

/**
 * Of the prompt, cache reads: never more than the prompt (a usage an embedder's provider made, say;
 * the upstreams' are read so already: translate/usage-mapping.ts `ofPrompt`).
 */
const cacheReads = (usage: Usage): number => Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens);

/** Of the cache writes, those that live an hour (never more than the writes). */
const hourWrites = (usage: Usage): number =>
  Math.min(usage.cacheWrite1hTokens ?? 0, usage.cacheWriteTokens ?? 0);

/**
 * Of the prompt, audio: never more than what cache reads and writes leave of it. Which cached
 * tokens were audio no upstream's chat usage says, so cache reads are taken as text; an audio
 * count that cannot then fit is cut to what can (the catalogue refuses parts larger than their whole).
 */
const promptAudio = (usage: Usage): number =>
  Math.min(
    usage.inputAudioTokens ?? 0,
    Math.max(0, usage.inputTokens - cacheReads(usage) - (usage.cacheWriteTokens ?? 0)),
  );

/** Of the answer, audio (never more than the answer). */
const answerAudio = (usage: Usage): number => Math.min(usage.outputAudioTokens ?? 0, usage.outputTokens);

/**
 * How one catalogue model is priced: its base rates, used while the prompt is below the first
 * prompt-size tier; from there on (and for any price we do not know how to read) the catalogue's
 * own calculation, against a provider narrowed to that one model.
 */
interface Pricer {
  readonly rates: LinearRates | undefined;
  /** Prompts of at least this many tokens are priced by the catalogue (tiers start there). */
  readonly tiersFrom: number;
  readonly provider: CatalogueProvider;
  readonly modelId: string;
}

const RATE_KEYS: Record<string, keyof LinearRates> = {
  input_mtok: "input",
  output_mtok: "output",
  cache_read_mtok: "cacheRead",
  cache_write_mtok: "cacheWrite",
  cache_write_1h_mtok: "cacheWrite1h",
  input_audio_mtok: "inputAudio",
  output_audio_mtok: "outputAudio",
  web_searches_kcount: "webSearchesPerK",
};
/**
 * Prices of usage the gateway never reports, zero on both paths (the catalogue's calculation
 * prices at nothing what a usage does not name): audio by the hour, file searches and other
 * counted calls, and cached audio (cache reads are taken as text: `promptAudio`).
 */
const UNREPORTED = /_hours$|_kcount$|^cache_audio_/;

type TieredPrice = { base: number; tiers: { start: number; price: number }[] };
const isTiered = (value: unknown): value is TieredPrice =>
  typeof value === "object" && value !== null && typeof (value as TieredPrice).base === "number";

/**
 * A catalogue price's rates at its base tier, and the prompt size its tiers start from; undefined
 * when it has a price that is no rate we read (then only the catalogue's calculation prices it).
 */
function baseRates(price: object): Pick<Pricer, "rates" | "tiersFrom"> | undefined {
  const rates: LinearRates = { input: 0, output: 0 };
  let tiersFrom = Number.POSITIVE_INFINITY;
  for (const [key, value] of Object.entries(price)) {
    if (value === undefined) continue;
    const field = RATE_KEYS[key];
    if (field === undefined && UNREPORTED.test(key) && key !== "requests_kcount") continue;
    if (field !== undefined && typeof value === "number") rates[field] = value;
    else if (field !== undefined && isTiered(value)) {
      rates[field] = value.base;
      for (const tier of value.tiers) tiersFrom = Math.min(tiersFrom, tier.start);
    } else return undefined;
  }
  return { rates, tiersFrom };
}

type CatalogueModel = CatalogueProvider["models"][number];

function pricerOf(price: object, provider: CatalogueProvider, model: CatalogueModel): Pricer {
  const narrowed = { ...provider, models: [{ ...model, match: { equals: model.id } }] };
  // A price that changes within the day (DeepSeek's off-peak hours) is no one day's rates: each
  // answer is priced by the catalogue at its own moment.
  const rated = changesWithinDay(model) ? undefined : baseRates(price);
  return { ...(rated ?? { rates: undefined, tiersFrom: 0 }), provider: narrowed, modelId: model.id };
}

/** Whether some of the model's prices hold only at times of day (a `time_of_date` constraint). */
const changesWithinDay = (model: CatalogueModel): boolean =>
  Array.isArray(model.prices) && model.prices.some((dated) => dated.constraint?.type === "time_of_date");

/**
 * Pricers per provider and model, for the UTC day of the answers they price (catalogue prices can
 * change on a date: the cache starts afresh each day). Finding a model among the catalogue's
 * hundreds and running its generic calculation costs a few hundred microseconds a call, so the
 * model is found once and an answer below its tiers is priced with one multiplication per kind of
 * token (equal to the catalogue's figure: catalogue.test.ts); a model whose price changes with the
 * time of day, by the catalogue's calculation at the answer's moment. Looked up by provider, then model: no key text
 * made per answer. A provider's pricers are bounded (bounded-cache.ts): a `*` route prices any name
 * a client sends.
 */
const pricers = new Map<string, Map<string, Pricer | null>>();

const DAY_MS = 86_400_000;
let pricersDay = -1;

function pricerFor(model: string, providerId: string, at: number): Pricer | null {
  const day = Math.floor(at / DAY_MS);
  if (day !== pricersDay) {
    pricersDay = day;
    pricers.clear();
  }
  let ofProvider = pricers.get(providerId);
  if (ofProvider === undefined) {
    ofProvider = new Map();
    pricers.set(providerId, ofProvider);
  }
  if (cachedAndTouched(ofProvider, model)) return ofProvider.get(model) ?? null;
  const found = calcPrice({ input_tokens: 0, output_tokens: 0 }, model, {
    providerId,
    timestamp: new Date(at),
  });
  const pricer =
    found && found.provider.id === providerId
      ? pricerOf(found.model_price, found.provider, found.model)
      : null;
  cacheBounded(ofProvider, model, pricer);
  return pricer;
}

/** Pricers held, every provider's (for tests). */
export const pricersHeld = (): number => {
  let held = 0;
  for (const ofProvider of pricers.values()) held += ofProvider.size;
  return held;
};

/**
 * The cost of one answer from the catalogue, with every tier and rate it knows (cache reads
 * and writes, prompt-size tiers); undefined when the model is not in it.
 */
export function catalogueCost(
  model: string,
  providerId: string,
  usage: Usage,
  /** When the answer was counted (epoch ms): the pricers are found afresh each day. */
  at: number,
): number | undefined {
  const pricer = pricerFor(model, providerId, at);
  if (!pricer) return undefined;
  if (pricer.rates && usage.inputTokens < pricer.tiersFrom) return linearCost(pricer.rates, usage);
  return calcPrice(catalogueUsage(usage), pricer.modelId, {
    provider: pricer.provider,
    timestamp: new Date(at),
  })?.total_price;
}

/**
 * Our usage in the catalogue's terms (its `input_tokens` is the whole prompt, as ours is, each
 * part inside its whole as ours are). Where audio and cache reads are both in a prompt it must be
 * told how many cache reads were audio (a model that prices both prices that too): none
 * (`promptAudio`).
 */
export function catalogueUsage(usage: Usage): Record<string, number> {
  const parts: Record<string, number> = {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
  };
  const audio = promptAudio(usage);
  const cached = cacheReads(usage);
  if (cached) parts.cache_read_tokens = cached;
  if (usage.cacheWriteTokens) parts.cache_write_tokens = usage.cacheWriteTokens;
  if (hourWrites(usage)) parts.cache_write_1h_tokens = hourWrites(usage);
  if (audio) parts.input_audio_tokens = audio;
  if (audio && cached) parts.cache_audio_read_tokens = 0;
  if (answerAudio(usage)) parts.output_audio_tokens = answerAudio(usage);
  if (usage.webSearches) parts.web_searches = usage.webSearches;
  return parts;
}

/** The catalogue's context window for a route's upstream model on its provider. */
export function catalogueContextWindow(provider: ProviderKind, model: string): number | undefined {
  const providerId = catalogueProviderId(provider);
  return providerId ? catalogueEntry(model, providerId)?.contextWindow : undefined;
}
