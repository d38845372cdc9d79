import { z } from "zod";
import { isRedirectStatus, redirectNotFollowed } from "../../core/redirect-words.ts";
import { withWhy } from "../../core/why-unreachable.ts";

const ModelList = z.object({ data: z.array(z.object({ id: z.string().min(1) }).loose()) }).loose();

/** How long the upstream may take to list its models. */
const LIST_TIMEOUT_MS = 10_000;

/** The upstream answered, but no model list: why, in words the worker's log line ends with. */
export class NoModelList extends Error {}

/**
 * Asks the upstream (`GET {base}/models`) which models it serves. Throws when it cannot say: a
 * failed connection as the runtime's error (its `code` says why), an answer that is no list as
 * `NoModelList`.
 */
export async function discoverModels(
  base: string,
  apiKey: string | undefined,
  signal: AbortSignal,
): Promise<string[]> {
  const headers: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  const timeout = AbortSignal.any([signal, AbortSignal.timeout(LIST_TIMEOUT_MS)]);
  // A redirect is handed back, never followed: the key would go along (upstream-redirect.ts).
  const response = await fetch(`${base}/models`, { headers, signal: timeout, redirect: "manual" });
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    const { status } = response;
    if (isRedirectStatus(status))
      throw new NoModelList(`it ${redirectNotFollowed(status, response.headers.get("location"))}`);
    throw new NoModelList(`it answered ${status}${lacksV1(base, status)}`);
  }
  const parsed = ModelList.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success) throw new NoModelList("its answer is no model list");
  return [...new Set(parsed.data.data.map((m) => m.id))];
}

/**
 * A 404 from a base whose path does not end in /v1 (`http://127.0.0.1:11434`, Ollama's own
 * address, its native API's): the model servers a worker stands beside serve the OpenAI API under /v1.
 */
function lacksV1(base: string, status: number): string {
  if (status !== 404 || /\/v1$/.test(new URL(base).pathname)) return "";
  return ": --upstream has no /v1, under which vLLM, Ollama, TGI and LM Studio serve the OpenAI API";
}

/** What the worker logs of a listing that failed (`listingFailed`). */
export interface ListingFailure {
  /** What failed and why: `could not list the upstream's models: connection refused (ECONNREFUSED)`. */
  message: string;
  /** The runtime's own error, when it may say more than `message` (a failed connection's names the host). */
  detail?: string;
}

/**
 * What the worker says when its upstream could not list its models, and why, in the words its
 * call failures use (core/why-unreachable.ts): `could not list the upstream's models: connection
 * refused (ECONNREFUSED)`, `…: it answered 503`, `…: it did not answer in 10 s`.
 */
export function listingFailed(error: unknown): ListingFailure {
  const words = "could not list the upstream's models";
  if (error instanceof NoModelList) return { message: `${words}: ${error.message}` };
  // The listing's own timeout: a DOMException, whose numeric code no table of causes reads.
  if (error instanceof DOMException && error.name === "TimeoutError")
    return { message: `${words}: it did not answer in ${LIST_TIMEOUT_MS / 1000} s` };
  return { message: withWhy(words, error), detail: String(error) };
}
