import { cutWords } from "../../core/cut-words.ts";
import { readOpenAIError } from "../../core/openai-errors.ts";
import { withoutSecrets } from "../../core/without-secrets.ts";
import { bytesAtMost } from "./bounded-body.ts";
import type { SessionEnd } from "./worker-session.ts";

/**
 * How long the probe waits for the gateway's answer: longer than the gateway's default bound on an
 * embedder's authenticator (`pluginTimeoutMs`, 10 s), whose 503 says the authenticator did not
 * answer, where a probe cut at 5 s left the worker saying it could not reach the gateway.
 */
export const PROBE_MS = 15_000;

/**
 * How long it waits when the upgrade itself went unanswered for the session's whole bound (15 s):
 * a frozen gateway, or one the network drops packets to, which a longer wait would not hear from
 * either, and which would lengthen every reconnect cycle to it by as much.
 */
export const UNANSWERED_PROBE_MS = 5_000;

/** The most of a refusal's body read for its words: the gateway's error is a few hundred bytes. */
const WORDS_READ_LIMIT = 16 * 1024;

/** How long to ask after a failed upgrade, by how the upgrade ended. */
export const probeWaitMs = (end: Extract<SessionEnd, { kind: "closed" }>): number =>
  end.unanswered ? UNANSWERED_PROBE_MS : PROBE_MS;

/** Why the gateway refused the upgrade, as its HTTP status showed. */
export interface UpgradeRefusal {
  status: number;
  message: string;
  /** The token itself is refused: reconnecting with it could never succeed. */
  final: boolean;
}

/**
 * Asks the gateway, over plain HTTPS, why an upgrade failed before any frame: a WebSocket
 * client sees only "closed (1006)" whatever the status was (Bun's error event names it, and a
 * status said without words is taken from there: worker-client.ts). The same upgrade request, sent as a
 * plain request, runs the endpoint's admission check again and shows its status: a 401 or 403
 * means the token itself is refused (`final`); a 404 that the gateway has no worker endpoint there
 * (`workers.enabled` off, a wrong `--connect` path); another status, most often a proxy in between
 * that does not pass the upgrade; for a 5xx or another 4xx, its error's words when it gave some
 * (the gateway's: "the embedder's authenticator did not answer in time"). The answer is waited for
 * `waitMs` (probeWaitMs), its words read within the same bound: a body that does not end in it
 * costs the words alone. Undefined when no status came back (gateway down, or not answering within
 * `waitMs`) or it was the upgrade's own 101.
 */
export async function upgradeRefusal(
  connectUrl: URL,
  token: string,
  signal: AbortSignal,
  waitMs = PROBE_MS,
): Promise<UpgradeRefusal | undefined> {
  const url = new URL(connectUrl.href);
  url.protocol = url.protocol === "wss:" ? "https:" : "http:";
  let response: Response;
  try {
    response = await fetch(url, {
      headers: {
        authorization: `Bearer ${token}`,
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64"),
      },
      signal: AbortSignal.any([signal, AbortSignal.timeout(waitMs)]),
      redirect: "manual",
    });
  } catch {
    return undefined;
  }
  // The status is the answer, kept whatever becomes of the body: one that trickles past the bound
  // costs the words alone, never the 503 already received.
  const { status } = response;
  if (!saysInWords(status)) {
    await response.body?.cancel().catch(() => {});
    return refusalOf(status, connectUrl);
  }
  return refusalOf(status, connectUrl, await wordsOf(response));
}

/**
 * Whether a refusal of this status is said in the answer's words when it has some: a 5xx or a 4xx
 * the status alone does not explain. A 401, 403 or 404 says what to mend in the worker's own
 * words, and a redirect where it leads; a 101 is no refusal.
 */
export const saysInWords = (status: number): boolean =>
  status >= 400 && status !== 401 && status !== 403 && status !== 404;

/**
 * The error's message in an answer's body, when it is an error in OpenAI's shape (the gateway's),
 * read within what is left of the probe's bound.
 */
async function wordsOf(response: Response): Promise<string | undefined> {
  try {
    const body = await bytesAtMost(response, WORDS_READ_LIMIT);
    return readOpenAIError(JSON.parse(new TextDecoder().decode(body)))?.message;
  } catch {
    return undefined;
  }
}

/**
 * What a status answered to the upgrade says, with the error's words `said` in its body: quoted,
 * cut and without a credential they quote, as an upstream's are. Read of the probe's answer here,
 * and by worker-client.ts of the status Bun's upgrade error names, where `saysInWords` is false.
 */
export function refusalOf(status: number, connectUrl: URL, said?: string): UpgradeRefusal | undefined {
  if (status === 101) return undefined;
  if (status === 401)
    return {
      status,
      final: true,
      message: "the gateway refused the worker token (401): check --token or MINDGW_WORKER_TOKEN",
    };
  if (status === 403)
    return {
      status,
      final: true,
      message: "this token may not connect a worker (403): it needs the worker or admin role",
    };
  if (status === 404)
    return {
      status,
      final: false,
      message: `no worker endpoint at ${connectUrl.href} (404): check that workers.enabled is on in the gateway's config and that --connect is right`,
    };
  const answered = `the upgrade at ${connectUrl.href} was answered ${status}`;
  if (said && saysInWords(status))
    return {
      status,
      final: false,
      message: `${answered}: ${JSON.stringify(cutWords(withoutSecrets(said)))}`,
    };
  const why =
    status >= 300 && status < 400
      ? "a redirect, which a WebSocket does not follow: give --connect the address it leads to"
      : status >= 500
        ? "the gateway, or a proxy in front of it, is failing"
        : "not 101: a proxy in between may not pass WebSocket upgrades";
  return { status, final: false, message: `${answered}, ${why}` };
}
