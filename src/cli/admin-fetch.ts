import { z } from "zod";
import {
  adminKeyRefused,
  adminKeyRejected,
  cannotReachGateway,
  noAdminApiAt,
  notAGatewayAnswer,
  notAGatewayAt,
  notAGatewayShape,
} from "../core/admin-api-refusal.ts";
import { gatewayWords } from "../core/gateway-words.ts";
import { mediaType } from "../core/media-type.ts";
import { networkErrorWords } from "../core/network-error-words.ts";
import { redirectRefusal } from "../core/redirect-refusal.ts";
import { ADMIN_SILENCE_MS, NO_ANSWER, SilenceBound } from "../core/silence-bound.ts";
import { urlLabel } from "../core/url-label.ts";
import { expectedWords, valueAt, zodWords } from "../core/zod-words.ts";
import { EXIT } from "./exit-code.ts";

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

/** What the admin API answers with but for its exports and event stream. */
const JSON_TYPE = "application/json";

/** One admin API call: its path (with any query), method and JSON body. */
export interface AdminCall {
  readonly path: string;
  readonly method?: string;
  readonly body?: unknown;
  /** The media type a gateway answers this call with: a 2xx of another is no gateway's. */
  readonly answers: string;
}

/**
 * One admin API call, answered 2xx, with the body left for the caller to read (a stream may
 * be read for as long as it takes). The key goes in the Authorization header, never in the URL
 * or output; an error names the gateway by `urlLabel`, without what its URL may carry besides. A
 * redirect is not followed but refused, saying where it leads (exit 2), and so is a 2xx that is
 * not the call's media type (a proxy's sign-in page): the URL is not a gateway's.
 */
export async function adminResponse(gateway: string, adminKey: string, call: AdminCall): Promise<Response> {
  // Bounded up to the headers, and an error's page; a 2xx's body (an export) is unbounded.
  const silence = new SilenceBound(ADMIN_SILENCE_MS);
  try {
    return await boundedResponse(gateway, adminKey, call, silence);
  } finally {
    silence.end();
  }
}

/** adminResponse, its answer's silence bounded by `silence`, which the caller ends. */
async function boundedResponse(
  gateway: string,
  adminKey: string,
  call: AdminCall,
  silence: SilenceBound,
): Promise<Response> {
  const { path, method = "GET", body } = call;
  const signal = silence.signal;
  let response: Response;
  try {
    response = await fetch(gateway + path, {
      method,
      headers: {
        authorization: `Bearer ${adminKey}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal,
      // Not followed: the operator is told where the URL leads instead (redirect-refusal.ts).
      redirect: "manual",
    });
  } catch (error) {
    // Why, as `mindgw tail` says it: a refused port, a TLS failure and a typo'd host differ.
    const why = signal.aborted ? NO_ANSWER : networkErrorWords(error);
    throw new GatewayCallError(cannotReachGateway(urlLabel(gateway), why), EXIT.failure);
  }
  // Counted from the headers on: a gateway slow to them (20 s) that then sends its body within
  // the bound of them was cut at 30 s from the request.
  silence.restart();
  const redirect = redirectRefusal(response, gateway + path, urlLabel(gateway));
  if (redirect !== null) {
    await response.body?.cancel().catch(() => {});
    throw new GatewayCallError(redirect, EXIT.usage);
  }
  if (!response.ok) {
    // Read as a JSON answer's body is, under the silence restarted at each part: a page that
    // stalls (a proxy's 502 held open) or breaks is undefined, said by its status alone (unread,
    // it held the command for ever: an export, whose 2xx is a stream, has no other bound).
    const text = await bodyText(response, silence.restart).catch(() => undefined);
    let parsed: ReturnType<typeof errorBody.safeParse> | undefined;
    try {
      parsed = text === undefined ? undefined : errorBody.safeParse(JSON.parse(text || "{}"));
    } catch {
      parsed = undefined;
    }
    // The words may be a proxy's page's, which may echo the key: quoted as tail quotes them.
    const message = parsed?.success
      ? gatewayWords(parsed.data.error.message, adminKey)
      : `HTTP ${response.status}`;
    // A page not read (a gateway's own 404 cut short) is no sign of another server.
    const wrongPlace =
      text === undefined
        ? undefined
        : noAdminApi(response.status, message, parsed?.success === true, gateway, path, method);
    if (wrongPlace) throw new GatewayCallError(wrongPlace, EXIT.usage);
    // The gateway has no route for the very path asked: a CLI newer than its gateway (a rolling
    // upgrade), not a wrong URL nor the caller's input.
    if (response.status === 404 && parsed?.success === true && message.startsWith(NO_ROUTE))
      throw new GatewayCallError(
        `gateway refused: ${message} (a gateway older than this mindgw?)`,
        EXIT.failure,
      );
    // Which credential, and where it came from, as `mindgw tail` says it; a key known but not let
    // make this call (403), in the same words as the tail, the gateway's after them.
    if (response.status === 401) throw new GatewayCallError(adminKeyRejected(urlLabel(gateway)), EXIT.usage);
    if (response.status === 403)
      throw new GatewayCallError(
        adminKeyRefused(urlLabel(gateway), parsed?.success ? message : undefined),
        EXIT.usage,
      );
    // The caller's mistake (bad input, no such key) is a usage error, as
    // it is for the local store; a status without the gateway's error body (a proxy's 502) is a failure.
    const refused = response.status === 400;
    const rejected = parsed?.success === true && response.status >= 400 && response.status < 500;
    const exitCode = refused || (rejected && response.status !== 429) ? EXIT.usage : EXIT.failure;
    throw new GatewayCallError(`gateway refused: ${message}`, exitCode);
  }
  const media = mediaType(response.headers.get("content-type"));
  if (media !== call.answers) {
    await response.body?.cancel().catch(() => {});
    const wanted = call.answers === JSON_TYPE ? "JSON" : call.answers;
    throw new GatewayCallError(
      notAGatewayAt(urlLabel(gateway), askedPath(path), response.status, media, wanted),
      EXIT.usage,
    );
  }
  return response;
}

/** A call's path without its query: what an error names. */
const askedPath = (path: string): string => path.replace(/[?#].*$/, "");

/** How the gateway's 404 for a path it has no route for begins (http/mount-app.ts). */
const NO_ROUTE = "no route for ";

/**
 * Why `gateway` has no admin API, when a 404 says so: no gateway's error body (another server, a
 * proxy's page) or the gateway's own "no route" for a path that is not the one asked (a path before
 * the admin API's that is not the gateway's: an API's, `…/v1`, or `…/admin`); undefined for any
 * other answer, such as a 404 naming a key that is not there, or no route for the path asked (a
 * gateway older than this CLI). Said as `mindgw tail` says its own (exit 2).
 */
function noAdminApi(
  status: number,
  message: string,
  fromGateway: boolean,
  gateway: string,
  path: string,
  method: string,
): string | undefined {
  if (status !== 404) return undefined;
  const asked = askedPath(path);
  if (fromGateway && (!message.startsWith(NO_ROUTE) || sawAsked(message, method, asked))) return undefined;
  return noAdminApiAt(urlLabel(gateway), asked);
}

/** Whether a gateway's "no route for METHOD PATH" names the path asked, whole or cut short ("…"). */
function sawAsked(message: string, method: string, asked: string): boolean {
  const seen = `${NO_ROUTE}${method.toUpperCase()} ${asked}`;
  return message === seen || (message.endsWith("…") && seen.startsWith(message.slice(0, -1)));
}

/**
 * An answer begun whose body did not come whole: silent for `silentMs` (its bound ran out), or,
 * `silentMs` undefined, its read failed with `error`. A read that failed, not a body that is no
 * gateway's: said as tail says a lost connection.
 */
export function brokenAnswer(
  gateway: string,
  silentMs: number | undefined,
  error: unknown,
): GatewayCallError {
  const then =
    silentMs !== undefined
      ? `sent nothing for ${silentMs / 1000} s`
      : `cut it short (${networkErrorWords(error)})`;
  return new GatewayCallError(
    `the gateway at ${urlLabel(gateway)} began its answer, then ${then}`,
    EXIT.failure,
  );
}

/** A body's text, `received` called at each part of it that comes. */
async function bodyText(response: Response, received: () => void): Promise<string> {
  if (response.body === null) return "";
  const decoder = new TextDecoder();
  let text = "";
  for await (const part of response.body) {
    received();
    text += decoder.decode(part, { stream: true });
  }
  return text + decoder.decode();
}

/** An admin API call answered with JSON: `holds` is the field every gateway's answer to it has. */
export interface JsonCall extends Omit<AdminCall, "answers"> {
  readonly holds: string;
  /**
   * What every gateway's answer is, checked once `holds` is there: typed where a field is present,
   * and requiring only what every release answered (an older gateway's lacks newer fields).
   */
  readonly shape?: z.ZodType;
}

/** The first place where `answer` is not `shape`: `without "id"`, `whose "keys.0" is no gateway's (…)`. */
function shapeFault(shape: z.ZodType, answer: unknown): string | undefined {
  const checked = shape.safeParse(answer);
  const issue = checked.success ? undefined : checked.error.issues[0];
  if (issue === undefined) return undefined;
  const path = issue.path.join(".");
  if (valueAt(answer, issue.path) === undefined) return `without "${path}"`;
  const words =
    issue.code === "invalid_type" ? `expected ${expectedWords(issue.expected)}` : zodWords(issue.message);
  return `whose "${path}" is no gateway's (${words})`;
}

/**
 * One admin API call whose JSON answer is returned. An answer without the field `call.holds` is
 * another server's (an API at that URL that answers everything 200): a usage error naming the
 * field, where the command read it as a gateway's and printed `undefined` or a script error.
 */
export async function adminFetch<T>(gateway: string, adminKey: string, call: JsonCall): Promise<T> {
  // The body bounded too, not the headers alone: one that stalls (a gateway or a proxy holding it
  // open) held the command for ever. By silence, restarted at each part: a big page (audit rows
  // with their bodies) on a slow link takes as long as it keeps coming.
  const silence = new SilenceBound(ADMIN_SILENCE_MS);
  let text: string;
  let response: Response;
  try {
    response = await boundedResponse(gateway, adminKey, { ...call, answers: JSON_TYPE }, silence);
    text = await bodyText(response, silence.restart);
  } catch (error) {
    if (error instanceof GatewayCallError) throw error;
    throw brokenAnswer(gateway, silence.signal.aborted ? silence.ms : undefined, error);
  } finally {
    silence.end();
  }
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    // JSON by its type but not readable as JSON (another server's API): a parser's complaint
    // would say nothing of where.
    throw new GatewayCallError(`${urlLabel(gateway)} did not answer like a mindgw gateway`, EXIT.failure);
  }
  if (typeof answer !== "object" || answer === null || !(call.holds in answer))
    throw new GatewayCallError(
      notAGatewayAnswer(urlLabel(gateway), askedPath(call.path), response.status, call.holds),
      EXIT.usage,
    );
  const fault = call.shape === undefined ? undefined : shapeFault(call.shape, answer);
  if (fault !== undefined)
    throw new GatewayCallError(
      notAGatewayShape(urlLabel(gateway), askedPath(call.path), response.status, fault),
      EXIT.usage,
    );
  return answer as T;
}
