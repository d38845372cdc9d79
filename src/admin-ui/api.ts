import type { GatewayEvent, NodeUnanswered } from "../audit/gateway-event.ts";
import { noteGatewayDate } from "./gateway-clock.ts";
import { reportUseDelay } from "./report-use-delay.ts";

/** The signed-in session as `/admin/auth/session` describes it. */
export interface SessionInfo {
  signedIn: boolean;
  oidc: boolean;
  /** `tenant`: the one tenant an admin in a tenant reads; null for an admin of every tenant. */
  user?: { name: string; method: "key" | "oidc"; tenant: string | null };
  csrf?: string;
  expiresAt?: number;
  /** Milliseconds until the session ends for inactivity (`admin_ui.session_idle_timeout`), unless used. */
  idleEndsIn?: number;
  /** Milliseconds until the session ends, unless used: the sooner of `idleEndsIn` and `expiresAt`. */
  endsIn?: number;
  /** Signed out because the gateway ended the session for inactivity just now. */
  ended?: "idle";
}

/** An error answer from the gateway, with its message for the page to show and the field it names, if any. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

let csrf = "";
let tenant: string | null = null;
/** Called on a refused call (401); `idle`: the gateway ended the session for inactivity. */
let onSignedOut: (idle: boolean) => void = () => {};
/**
 * Whether someone used the page (a keystroke, a click, a move back or forward) since the last call
 * said so. Opening the page is use too. The next call, whichever it is, says so in
 * `x-user-activity`; the page's own polling with nobody there never does, so the gateway's
 * `session_idle_timeout` ends a session on an unattended screen (docs/ADMIN-UI.md).
 */
let usedSinceLastCall = true;
/** When (the page's clock) a call last said so; use since is reported on its own (report-use-delay.ts). */
let lastMarkedAt = Number.NEGATIVE_INFINITY;
/** The pending report of use no call has carried (`reportUse`), if one is due. */
let useReport: ReturnType<typeof setTimeout> | undefined;

/**
 * Notes that someone used the page: the next call keeps the session from its idle end. Reading a
 * request's detail, typing a filter before Apply, or watching live rows sends no call, so when none
 * has carried the use 30 s after the last that did (`reportUseDelay`), `reportUse` sends one.
 */
export function noteUse(): void {
  usedSinceLastCall = true;
  if (useReport !== undefined || !csrf) return;
  useReport = setTimeout(reportUse, reportUseDelay(lastMarkedAt, Date.now()));
}

/**
 * Tells the gateway of use no call has carried since the last that did: `/admin/auth/session` with
 * the CSRF token and the mark records it (as any marked call does). It answers signed out when the
 * session has ended meanwhile, which the page then says as a refused call would.
 */
function reportUse(): void {
  useReport = undefined;
  if (!csrf || !usedSinceLastCall) return;
  const signedOut = onSignedOut;
  call("/admin/auth/session")
    .then((response) => response.json() as Promise<SessionInfo>)
    .then(
      (info) => {
        if (!info.signedIn && onSignedOut === signedOut) signedOut(info.ended === "idle");
      },
      // Unanswered: the next call, or the idle check (idle-check.ts), finds out.
      () => {},
    );
}

/** The CSRF token every call repeats; held in memory only, never in storage. */
export function setSession(info: SessionInfo, signedOut: (idle: boolean) => void): void {
  csrf = info.csrf ?? "";
  tenant = info.user?.tenant ?? null;
  onSignedOut = signedOut;
}

/** Whether the signed-in admin reads every tenant: one in a tenant is refused gateway-wide figures. */
export const readsEveryTenant = (): boolean => tenant === null;

/** The gateway's error answer as an ApiError: its message, and its `param` (a query's refused field). */
const apiErrorOf = async (response: Response): Promise<ApiError> => {
  const body = (await response.json().catch(() => null)) as {
    error?: { message?: string; param?: string };
  } | null;
  const message = body?.error?.message ?? `${response.status} ${response.statusText}`;
  return new ApiError(response.status, message, body?.error?.param ?? undefined);
};

/** A same-origin call with the session cookie and the CSRF token; throws ApiError on failure. */
export async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (csrf) headers.set("x-csrf-token", csrf);
  if (csrf && usedSinceLastCall) {
    headers.set("x-user-activity", "1");
    usedSinceLastCall = false;
    lastMarkedAt = Date.now();
  }
  if (init.body !== undefined && !headers.has("content-type"))
    headers.set("content-type", "application/json");
  const response = await fetch(path, { ...init, headers, credentials: "same-origin" });
  noteGatewayDate(response.headers.get("date"), Date.now());
  if (response.status === 401) onSignedOut(response.headers.get("x-session-ended") === "idle");
  if (!response.ok) throw await apiErrorOf(response);
  return response;
}

/**
 * A call's JSON answer. One that is not JSON (a proxy in front of the gateway answering 200 with
 * its own login page) is said readably, naming what was called, as the parser's "Unrecognized
 * token '<'" would not be; a read aborted meanwhile stays the abort it is.
 */
async function jsonOf<T>(response: Response, path: string, signal?: AbortSignal): Promise<T> {
  return (await response.json().catch((failure: unknown) => {
    if (signal?.aborted) throw failure;
    const type = response.headers.get("content-type")?.split(";")[0] || "no content type";
    throw new ApiError(
      response.status,
      `${path.split("?")[0]} answered ${response.status} with ${type}, not JSON: a proxy in front of the gateway may have answered in its stead`,
    );
  })) as T;
}

/** A GET's JSON answer; `signal` aborts it (a load another has superseded). */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return jsonOf<T>(await call(path, signal ? { signal } : {}), path, signal);
}

export async function postJson<T>(path: string, body: unknown = {}): Promise<T> {
  return jsonOf<T>(await call(path, { method: "POST", body: JSON.stringify(body) }), path);
}

/** The session the browser holds, if any; throws when the gateway cannot say (ApiError: it answered an error). */
export async function currentSession(): Promise<SessionInfo> {
  const response = await fetch("/admin/auth/session", { credentials: "same-origin" });
  if (!response.ok) throw await apiErrorOf(response);
  return (await response.json().catch(() => {
    throw new ApiError(response.status, "its answer is not JSON");
  })) as SessionInfo;
}

/** Trades an admin key for a session; the key is sent once, in a header, and then forgotten. */
export async function signIn(key: string): Promise<SessionInfo> {
  const response = await fetch("/admin/auth/login", {
    method: "POST",
    headers: { authorization: `Bearer ${key}` },
    credentials: "same-origin",
  });
  if (!response.ok) throw await apiErrorOf(response);
  return jsonOf<SessionInfo>(response, "/admin/auth/login");
}

export async function signOut(): Promise<void> {
  await call("/admin/auth/logout", { method: "POST" });
}

/**
 * Follows `/admin/api/events` (SSE) with fetch, so the CSRF header goes along (EventSource cannot
 * send headers). Calls `onEvent` per event until `signal` aborts; reconnects after a drop.
 */
export async function followEvents(
  onEvent: (event: GatewayEvent | NodeUnanswered) => void,
  signal: AbortSignal,
  onState: (connected: boolean) => void = () => {},
): Promise<void> {
  let delay = 500;
  while (!signal.aborted) {
    try {
      const response = await call("/admin/api/events", { signal });
      if (!response.body) throw new Error("no body");
      onState(true);
      delay = 500;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split("\n")
            .filter((line) => line.startsWith("data:"))
            .map((line) => line.slice(5).trimStart())
            .join("\n");
          if (data) onEvent(JSON.parse(data) as GatewayEvent | NodeUnanswered);
          end = buffer.indexOf("\n\n");
        }
      }
    } catch (error) {
      if (signal.aborted || (error instanceof ApiError && error.status === 401)) return;
    }
    onState(false);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 10_000);
  }
}
