/**
 * A sketch measured by bench/client-micro.ts (`--clients threaded`), not the gateway's code: the
 * lean client on a thread of its own, as Bun's `fetch` has its HTTP thread, so the loopback TCP
 * work of each call (the request's send runs the upstream's receive path inside the sender's
 * system call) leaves the event loop. The hand-off is what `fetch`'s costs the loop, so it is
 * batched: the calls of one turn go over in one message, and the answers of one of this thread's
 * turns come back in one (a structured-clone round trip costs the loop ~4.4 µs a call alone,
 * ~0.5 µs in batches of 32). Whole answers only (the gateway's same-dialect non-stream path).
 */
import { createLeanFetch } from "../src/providers/http/http1/lean-fetch.ts";

declare const self: Worker;

/** One call, as the event loop sends it over. */
export interface ThreadCall {
  id: number;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** One answer, as it goes back: the body whole, or why there is none. */
export interface ThreadAnswer {
  id: number;
  status: number;
  body: Uint8Array | null;
  error?: string;
}

const lean = createLeanFetch({ fallback: fetch });
let answers: ThreadAnswer[] = [];
const sendAnswers = () => {
  const batch = answers;
  answers = [];
  self.postMessage(batch);
};
const answered = (answer: ThreadAnswer) => {
  if (answers.length === 0) setImmediate(sendAnswers);
  answers.push(answer);
};

self.onmessage = (event: MessageEvent<ThreadCall[]>) => {
  for (const { id, url, headers, body } of event.data)
    lean.answer(url, { method: "POST", headers, body }).then(
      async (answer) =>
        answered(
          answer instanceof Response
            ? { id, status: answer.status, body: await answer.bytes() }
            : { id, status: answer.status, body: answer.body },
        ),
      (error: Error) => answered({ id, status: 0, body: null, error: error.message }),
    );
};
