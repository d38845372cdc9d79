import { z } from "zod";
import { whyUnreachable } from "../../core/why-unreachable.ts";

/** What a probe of the upstream's `/responses` endpoint showed. */
export type ResponsesProbe = "served" | "absent" | "unknown";

/** How long the probe waits: an upstream that serves the endpoint refuses `{}` at once. */
const PROBE_TIMEOUT_MS = 5_000;

/**
 * A Responses object, as a lenient server answers the empty request: `object: "response"`, or at
 * least an `output` list, and no `error` (absent or null).
 */
const ResponsesObject = z
  .union([z.looseObject({ object: z.literal("response") }), z.looseObject({ output: z.array(z.unknown()) })])
  .and(z.looseObject({ error: z.null().optional() }));

/**
 * Asks the upstream once whether it serves OpenAI's Responses API, by sending it an empty
 * `POST {base}/responses`. A server without the endpoint answers 404, 405 or 501; one that has
 * it refuses the empty request (400, 422) or, leniently, answers it with a Responses object (2xx).
 * A 2xx with anything else is no endpoint: LM Studio answers every unknown route 200
 * `{"error":"Unexpected endpoint or method…"}`. Anything else (no answer, 401/403, a 5xx) says
 * nothing about the endpoint: "unknown", asked again later, and `unknownWhy` told why (`it answered
 * 503`, `connection refused (ECONNREFUSED)`): a --upstream given a wrong port is first heard of here.
 */
export async function probeResponsesApi(
  base: string,
  apiKey: string | undefined,
  signal: AbortSignal,
  unknownWhy: (why: string) => void = () => {},
): Promise<ResponsesProbe> {
  try {
    const response = await fetch(`${base}/responses`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
      },
      body: "{}",
      // A redirect is handed back (tells nothing of the endpoint), never followed with the key.
      redirect: "manual",
      signal: AbortSignal.any([signal, AbortSignal.timeout(PROBE_TIMEOUT_MS)]),
    });
    const probe = response.ok
      ? responsesProbeOf(response.status, await response.json().catch(() => undefined))
      : responsesProbeOf(response.status);
    if (!response.ok) await response.body?.cancel();
    if (probe === "unknown") unknownWhy(`it answered ${response.status}`);
    return probe;
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === "TimeoutError";
    unknownWhy(
      timedOut
        ? `no answer within ${PROBE_TIMEOUT_MS / 1000} s`
        : (whyUnreachable(error) ?? "it could not be reached"),
    );
    return "unknown";
  }
}

/**
 * The probe's verdict from the status, and on a 2xx from the body read as JSON (undefined when it
 * is none); exported for its unit test.
 */
export function responsesProbeOf(status: number, body?: unknown): ResponsesProbe {
  if (status >= 200 && status < 300) return ResponsesObject.safeParse(body).success ? "served" : "absent";
  if (status === 404 || status === 405 || status === 501) return "absent";
  if (status === 400 || status === 422) return "served";
  return "unknown";
}
