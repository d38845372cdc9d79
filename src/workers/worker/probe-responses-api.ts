/** What a probe of the upstream's `/responses` endpoint showed. */
export type ResponsesProbe = "served" | "absent" | "unknown";

/** How long the probe waits: an upstream that serves the endpoint refuses `{}` at once. */
const PROBE_TIMEOUT_MS = 5_000;

/**
 * Asks the upstream once whether it serves OpenAI's Responses API, by sending it an empty
 * `POST {base}/responses`. A server without the endpoint answers 404, 405 or 501; one that has
 * it refuses the empty request (400, 422) or, leniently, answers it (2xx). Anything else (no
 * answer, 401/403, a 5xx) says nothing about the endpoint: "unknown", asked again later.
 */
export async function probeResponsesApi(
  base: string,
  apiKey: string | undefined,
  signal: AbortSignal,
): Promise<ResponsesProbe> {
  let status: number;
  try {
    const response = await fetch(`${base}/responses`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
      },
      body: "{}",
      signal: AbortSignal.any([signal, AbortSignal.timeout(PROBE_TIMEOUT_MS)]),
    });
    status = response.status;
    await response.body?.cancel();
  } catch {
    return "unknown";
  }
  return responsesProbeOf(status);
}

/** The probe's verdict from the status alone (exported for its unit test). */
export function responsesProbeOf(status: number): ResponsesProbe {
  if (status === 404 || status === 405 || status === 501) return "absent";
  if ((status >= 200 && status < 300) || status === 400 || status === 422) return "served";
  return "unknown";
}
