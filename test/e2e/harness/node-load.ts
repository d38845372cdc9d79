/** A chat completion request as the storage and cluster suites send it (one node, or any of several). */
export interface ChatInit {
  id?: string;
  model?: string;
  stream?: boolean;
  content?: string;
  signal?: AbortSignal;
}

/** `POST {url}/v1/chat/completions` with `key`, the mock model and "hi" unless told otherwise. */
export const chatAt = (url: string, key: string, init: ChatInit = {}) =>
  fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      ...(init.id ? { "x-request-id": init.id } : {}),
    },
    body: JSON.stringify({
      model: init.model ?? "mock",
      stream: init.stream ?? false,
      messages: [{ role: "user", content: init.content ?? "hi" }],
    }),
    ...(init.signal ? { signal: init.signal } : {}),
  });

export interface BackgroundLoad {
  /** Every request's status in the order answered; 0 for one that got no answer (refused, reset). */
  readonly statuses: number[];
  /** Request id → when the client had the whole response (any status: each one is audited). */
  readonly answered: Map<string, number>;
  /** Every request id sent. */
  readonly sent: Set<string>;
  stop(): Promise<void>;
}

/**
 * `loops` clients sending one request after another until stopped (or `max` requests in all).
 * `send(turn, id)` sends one: loop `l` takes turns l, l+1, l+2… so a caller spreading the turns
 * over nodes (`turn % n`) has every loop visit every node.
 */
export function backgroundLoad(
  send: (turn: number, id: string) => Promise<Response>,
  options: { loops?: number; prefix?: string; max?: number } = {},
): BackgroundLoad {
  const { loops = 6, prefix = "load", max = Number.POSITIVE_INFINITY } = options;
  let running = true;
  let count = 0;
  const statuses: number[] = [];
  const answered = new Map<string, number>();
  const sent = new Set<string>();
  const done = Promise.all(
    Array.from({ length: loops }, async (_, loop) => {
      for (let turn = loop; running && count < max; turn++) {
        const id = `${prefix}-${count++}`;
        sent.add(id);
        const response = await send(turn, id).catch(() => null);
        const whole = await response?.arrayBuffer().then(
          () => true,
          () => false,
        );
        statuses.push(whole ? response!.status : 0);
        if (whole) answered.set(id, Date.now());
      }
    }),
  );
  return {
    statuses,
    answered,
    sent,
    async stop() {
      running = false;
      await done;
    },
  };
}

/** `count` requests sent at once (`send(i)`, i = 0…count-1); their statuses once all are read. */
export const burst = (count: number, send: (i: number) => Promise<Response>): Promise<number[]> =>
  Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const response = await send(i);
      await response.arrayBuffer();
      return response.status;
    }),
  );
