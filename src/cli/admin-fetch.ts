import { z } from "zod";
import { EXIT, UsageError } from "./exit-code.ts";

const errorBody = z.object({ error: z.object({ message: z.string() }) });

/** A failure talking to a gateway; `exitCode` says whose fault it is. */
export class GatewayCallError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** The gateway URL from a flag or `MINDGW_GATEWAY`, checked before any request. */
export function gatewayUrl(flag: string | undefined): string | undefined {
  const url = flag ?? process.env.MINDGW_GATEWAY;
  if (url === undefined) return undefined;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error();
  } catch {
    throw new UsageError(`--gateway: not an http(s) URL: ${url}`);
  }
  return url.replace(/\/+$/, "");
}

/** One admin API call; the key goes in the Authorization header, never in the URL or output. */
export async function adminFetch<T>(
  gateway: string,
  adminKey: string,
  path: string,
  method = "GET",
  body?: unknown,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(gateway + path, {
      method,
      headers: {
        authorization: `Bearer ${adminKey}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch {
    throw new GatewayCallError(`cannot reach the gateway at ${gateway}`, EXIT.failure);
  }
  const text = await response.text();
  if (!response.ok) {
    const parsed = errorBody.safeParse(JSON.parse(text || "{}"));
    const message = parsed.success ? parsed.data.error.message : `HTTP ${response.status}`;
    const exitCode =
      response.status === 401 || response.status === 403 || response.status === 400
        ? EXIT.usage
        : EXIT.failure;
    throw new GatewayCallError(`gateway refused: ${message}`, exitCode);
  }
  return JSON.parse(text) as T;
}
