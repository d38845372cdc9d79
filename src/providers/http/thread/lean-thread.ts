/**
 * The lean client on a thread of its own (lean-thread-client.ts is the event loop's side): the
 * loopback TCP work of a non-stream upstream call (a send runs the upstream's receive path inside
 * the sender's system call) leaves the event loop, as `fetch`'s does on Bun's HTTP thread, but
 * handed over in batches: the loop's calls of one turn come in one message, and the answers of
 * one of this thread's turns go back in one (docs/BENCHMARKS-HISTORY.md, "Session 11: the lean
 * client on a thread of its own").
 */
import { messageOf } from "../../../core/describe-error.ts";
import { GatewayError } from "../../../core/gateway-error.ts";
import { IdTable } from "../../../core/id-table.ts";
import { onceATurn } from "../../../core/once-a-turn.ts";
import { isRedirectStatus } from "../../../core/redirect-words.ts";
import { errorCode } from "../../../core/why-unreachable.ts";
import { CallCancel, type LeanInit } from "../call-cancel.ts";
import { createLeanFetch } from "../http1/lean-fetch.ts";
import { manualRedirect } from "../manual-redirect.ts";
import { MAX_ERROR_BODY, readBounded } from "../read-bounded.ts";
import type { WholeAnswer } from "../whole-answer.ts";
import type { ThreadAnswer, ThreadCall, ThreadRequest } from "./lean-thread-protocol.ts";

declare const self: Worker;

/**
 * Anything the lean client does not take goes to this thread's `fetch`; a redirect is answered as
 * it came, never followed (upstream-redirect.ts), its `Location` sent back with it.
 */
const lean = createLeanFetch({ fallback: manualRedirect(fetch), followRedirects: false });
/**
 * The calls in progress, to be cut off when the loop gives up on them: each by its cancel hook
 * (no `AbortController` and no listener a call: call-cancel.ts).
 */
const inProgress = new IdTable<CallCancel>();

let answers: ThreadAnswer[] = [];
let moved: ArrayBuffer[] = [];
/** The answers of one turn leave in one message, their bodies moved. */
const sendAnswers = onceATurn(() => {
  self.postMessage(answers, moved);
  answers = [];
  moved = [];
});
const answered = (answer: ThreadAnswer) => {
  if (!inProgress.delete(answer.id)) return; // cut off meanwhile: the loop has settled it
  sendAnswers();
  answers.push(answer);
  if ("body" in answer) moved.push(answer.body.buffer);
};

/** A body's bytes in a buffer of their own, to be moved (not copied) to the loop. */
const own = (body: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> =>
  body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? body : body.slice();

/** A whole answer as `readNativeReply` reads one: an error body cut, a 2xx body within the bound. */
function wholeOf(id: number, answer: WholeAnswer, maxBody: number): ThreadAnswer {
  const { status, contentType, retryAfter } = answer;
  const error = status < 200 || status > 299;
  if (!error && answer.body.byteLength > maxBody)
    return { id, status, contentType, retryAfter, body: new Uint8Array(0), over: true };
  const body = error ? answer.body.subarray(0, MAX_ERROR_BODY) : answer.body;
  return { id, status, contentType, retryAfter, body: own(body) };
}

/** An answer that came as a `Response` (a body not whole with its head, a redirect): read here, bounded. */
async function readResponse(id: number, response: Response, maxBody: number): Promise<ThreadAnswer> {
  const status = response.status;
  const contentType = response.headers.get("content-type") ?? undefined;
  const retryAfter = response.headers.get("retry-after") ?? undefined;
  if (!response.ok) {
    // As `readErrorText`: cut at its bound; a body that cannot be read is none.
    const body = await readBounded(response, MAX_ERROR_BODY, "", "truncate").catch(() => new Uint8Array(0));
    const location = isRedirectStatus(status) ? response.headers.get("location") : null;
    return location === null
      ? { id, status, contentType, retryAfter, body: own(body) }
      : { id, status, contentType, retryAfter, body: own(body), location };
  }
  try {
    return {
      id,
      status,
      contentType,
      retryAfter,
      body: own(await readBounded(response, maxBody, "", "refuse")),
    };
  } catch (error) {
    // Over the bound (`tooLarge`, the only GatewayError a read throws): the loop's 502 for it;
    // a body that broke off is the call's failure, as on the loop.
    if (error instanceof GatewayError)
      return { id, status, contentType, retryAfter, body: new Uint8Array(0), over: true };
    throw error;
  }
}

function start({ id, url, method, headers, body, maxBody }: ThreadCall): void {
  const cancel = new CallCancel();
  inProgress.set(id, cancel);
  const init: LeanInit = { method, headers, body, cancel };
  lean
    .answer(url, init)
    .then((answer) =>
      answer instanceof Response ? readResponse(id, answer, maxBody) : wholeOf(id, answer, maxBody),
    )
    .then(answered, (error: unknown) => {
      // Its code says why a connection failed, for the loop's message (unreachable.ts).
      const code = errorCode(error);
      answered(code === undefined ? { id, error: messageOf(error) } : { id, error: messageOf(error), code });
    });
}

self.onmessage = (event: MessageEvent<ThreadRequest>) => {
  const { calls, aborts } = event.data;
  for (const call of calls) start(call);
  for (const id of aborts) {
    // The lean client ends the exchange and closes its connection (it is never pooled again).
    inProgress.get(id)?.cancel();
    inProgress.delete(id);
  }
};
