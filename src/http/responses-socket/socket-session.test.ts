import { describe, expect, test } from "bun:test";
import type { Principal, TenantRules } from "../../auth/principal.ts";
import { RateLimiter, tenantSpendSubject } from "../../auth/rate-limiter.ts";
import { SpendLedger } from "../../auth/spend-ledger.ts";
import { manualClock } from "../../auth/test-support.ts";
import { errorBody } from "../../core/error-wire.ts";
import { type GatewayError, upstreamTimeout } from "../../core/gateway-error.ts";
import { createMemorySpendStore } from "../../storage/memory/memory-spend-store.ts";
import { gatewayErrorOf } from "../../testing/gateway-error-of.ts";
import { waitForValue } from "../../testing/wait-for.ts";
import { ResponsesSocketSession } from "./socket-session.ts";
import type { SocketError, SocketTurn } from "./socket-turn.ts";
import { MAX_LANES, MAX_WAITING_TURNS } from "./waiting-turns.ts";

/**
 * A turn the fake front door is answering: its stream stays open until `finish()`, which answers
 * `output`, telling who holds it upstream first, as the pipeline does (`holder`: none, translated).
 */
interface Answering {
  readonly turn: SocketTurn;
  finish(output?: readonly object[], holder?: string): void;
}

/**
 * A session over a fake front door whose answers stream until the test finishes them, so turns
 * can be made to wait; every event sent is kept, parsed.
 */
function session(
  maxBody = 10 * 1024 * 1024,
  // As the front door answers a refused message: its error, as the OpenAI error body.
  refuse = async (error: SocketError) =>
    Response.json({ error: { message: error.message, type: "invalid_request_error" } }, { status: 400 }),
) {
  const sent: Record<string, unknown>[] = [];
  const answering: Answering[] = [];
  const socket = new ResponsesSocketSession({
    send: (text) => sent.push(JSON.parse(text)),
    answer: async (turn, _signal, answered) => {
      let finish: Answering["finish"] = () => {};
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          finish = (output = [], holder) => {
            answered(holder, holder);
            const response = { id: `resp_${answering.length}`, output, input: turn.body.input };
            controller.enqueue(
              new TextEncoder().encode(
                `data: ${JSON.stringify({ type: "response.completed", response })}\n\n`,
              ),
            );
            controller.close();
          };
        },
      });
      answering.push({ turn, finish: (output, holder) => finish(output, holder) });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    },
    maxBody: () => maxBody,
    refuse,
    notRun: () => {},
  });
  return { socket, sent, answering };
}

const create = (input: string, streamId?: string) => ({
  type: "response.create",
  model: "m1",
  input,
  ...(streamId === undefined ? {} : { stream_id: streamId }),
});

/** Lets the session's promises (answers, stream reads) run until `ready` holds, within a deadline. */
const until = (ready: () => boolean) => waitForValue("the session to get there", ready, 2_000, 0);

const errors = (sent: Record<string, unknown>[]) => sent.filter((event) => event.type === "error");

describe("a Responses WebSocket's waiting turns are bounded", () => {
  test(`${MAX_WAITING_TURNS} turns wait behind one that streams; the next is a 429 error event, and the rest run in order`, async () => {
    const { socket, sent, answering } = session();
    socket.message(create("first"));
    await until(() => answering.length === 1);
    for (let i = 0; i < MAX_WAITING_TURNS + 1; i++) socket.message(create(`waiting ${i}`));
    expect(errors(sent)).toEqual([
      {
        type: "error",
        status: 429,
        error: {
          type: "rate_limit_error",
          code: "rate_limited",
          message: expect.stringContaining(
            `too many turns waiting on this connection (at most ${MAX_WAITING_TURNS})`,
          ),
          param: null,
        },
      },
    ]);
    // The waiting ones run one after the other, as they came; the refused one never does.
    for (let i = 0; i < MAX_WAITING_TURNS + 1; i++) {
      answering[i]?.finish();
      await until(() => answering.length === Math.min(i + 2, MAX_WAITING_TURNS + 1));
    }
    expect(answering.map((a) => a.turn.body.input)).toEqual([
      "first",
      ...Array.from({ length: MAX_WAITING_TURNS }, (_, i) => `waiting ${i}`),
    ]);
    // Once they have run, turns wait again.
    await until(() => sent.filter((e) => e.type === "response.completed").length === MAX_WAITING_TURNS + 1);
    socket.message(create("again"));
    await until(() => answering.length === MAX_WAITING_TURNS + 2);
    socket.message(create("and waits"));
    expect(errors(sent)).toHaveLength(1);
    socket.closed();
  });

  test("waiting turns hold no more than server.max_body together; the refusal is in the turn's lane", async () => {
    const { socket, sent, answering } = session(1000);
    socket.message(create("first", "a"));
    await until(() => answering.length === 1);
    socket.message(create("x".repeat(600), "a"));
    socket.message(create("y".repeat(600), "a"));
    expect(errors(sent)).toEqual([
      expect.objectContaining({
        status: 429,
        stream_id: "a",
        error: expect.objectContaining({
          code: "rate_limited",
          message: expect.stringContaining("more than server.max_body (1000 bytes)"),
        }),
      }),
    ]);
    // The turn that waited runs, and frees its bytes for the next.
    answering[0]?.finish();
    await until(() => answering.length === 2);
    socket.message(create("y".repeat(600), "a"));
    expect(errors(sent)).toHaveLength(1);
    socket.closed();
  });

  test(`${MAX_LANES} lanes run at once; a new lane past them is refused, a turn of a running lane still waits`, async () => {
    const { socket, sent, answering } = session();
    for (let i = 0; i < MAX_LANES; i++) socket.message(create("hi", `lane-${i}`));
    await until(() => answering.length === MAX_LANES);
    socket.message(create("one more", "lane-new"));
    socket.message(create("next", "lane-0"));
    expect(errors(sent)).toEqual([
      expect.objectContaining({
        status: 429,
        stream_id: "lane-new",
        error: expect.objectContaining({ message: expect.stringContaining(`at most ${MAX_LANES}`) }),
      }),
    ]);
    // A lane that ends makes room for a new one.
    answering[1]?.finish();
    await until(() => socket.lanesUnderWay === MAX_LANES - 1);
    socket.message(create("now", "lane-new"));
    await until(() => answering.length === MAX_LANES + 1);
    expect(errors(sent)).toHaveLength(1);
    socket.closed();
  });

  test("a turn that throws is an error event in its lane; the lane goes on and its waiting turns are counted out", async () => {
    const { socket, sent, answering } = session(undefined, () => Promise.reject(new Error("refusal lost")));
    socket.message(create("first"));
    await until(() => answering.length === 1);
    socket.message({ type: "response.cancel" });
    for (let i = 0; i < MAX_WAITING_TURNS - 1; i++) socket.message(create(`after ${i}`));
    answering[0]?.finish();
    await until(() => errors(sent).length === 1);
    expect(errors(sent)[0]).toMatchObject({ status: 502, error: { message: "refusal lost" } });
    for (let i = 1; i < MAX_WAITING_TURNS; i++) {
      await until(() => answering.length === i + 1);
      answering[i]?.finish();
    }
    await until(() => socket.lanesUnderWay === 0);
    // The lane again, and as many turns waiting behind it as the bound allows: none refused.
    socket.message(create("again"));
    await until(() => answering.length === MAX_WAITING_TURNS + 1);
    for (let i = 0; i < MAX_WAITING_TURNS; i++) socket.message(create(`waiting ${i}`));
    expect(errors(sent)).toHaveLength(1);
    socket.closed();
  });

  test("closing the socket cancels the turn under way and drops what waits: none of it runs", async () => {
    const { socket, answering } = session();
    socket.message(create("first"));
    await until(() => answering.length === 1);
    for (let i = 0; i < MAX_WAITING_TURNS; i++) socket.message(create(`waiting ${i}`));
    socket.closed();
    await until(() => socket.lanesUnderWay === 0);
    expect(answering).toHaveLength(1);
  });
});

describe("a Responses WebSocket continues from its lanes' last responses", () => {
  const said = (content: string) => ({ type: "message", role: "user", content });

  test("a turn naming the last response is answered with it held: the conversation so far, and whether the store has it", async () => {
    const { socket, answering } = session();
    socket.message({ ...create("one"), store: false });
    await until(() => answering.length === 1);
    answering[0]?.finish();
    socket.message({ ...create("two"), previous_response_id: "resp_1" });
    await until(() => answering.length === 2);
    // Its own input in its body, as over HTTP; what came before beside it, for the pipeline.
    expect(answering[1]?.turn.body.input).toBe("two");
    expect(answering[1]?.turn.continued).toEqual({
      id: "resp_1",
      items: [said("one")],
      holders: new Map(),
      stored: false,
    });
    answering[1]?.finish();
    socket.message({ ...create("three"), previous_response_id: "resp_2" });
    await until(() => answering.length === 3);
    expect(answering[2]?.turn.continued).toEqual({
      id: "resp_2",
      items: [said("one"), said("two")],
      holders: new Map(),
      stored: true,
    });
    answering[2]?.finish();
    socket.closed();
  });

  test("who holds each item upstream is kept with the conversation: a native turn's output its provider's, as the pipeline told; every other item none's", async () => {
    const { socket, answering } = session();
    const message = (id: string) => ({ id, type: "message", role: "assistant", content: [] });
    const echoed = { id: "msg_echoed", type: "message", role: "user", content: "hi" };
    socket.message({ ...create("one"), input: [echoed] });
    await until(() => answering.length === 1);
    answering[0]?.finish([message("msg_up1")], "oa");
    // A translated turn continuing it: the ids of its output are the gateway's.
    socket.message({ ...create("two"), previous_response_id: "resp_1" });
    await until(() => answering.length === 2);
    expect(answering[1]?.turn.continued?.holders).toEqual(
      new Map([
        ["msg_echoed", null],
        ["msg_up1", "oa"],
      ]),
    );
    answering[1]?.finish([message("msg_t2")]);
    socket.message({ ...create("three"), previous_response_id: "resp_2" });
    await until(() => answering.length === 3);
    expect(answering[2]?.turn.continued?.holders).toEqual(
      new Map([
        ["msg_echoed", null],
        ["msg_up1", "oa"],
        ["msg_t2", null],
      ]),
    );
    answering[2]?.finish();
    socket.closed();
  });
});

describe("a turn always ends with its last event, never in silence", () => {
  /** A session whose every turn is answered with these SSE writes (then the body ends, or not). */
  /**
   * A session whose turns are answered with `writes`; `written`, the failure the gateway writes
   * into the stream, is told of first, as the pipeline tells of it before writing it.
   */
  function answeredWith(writes: readonly string[], close = true, written?: GatewayError) {
    const sent: Record<string, unknown>[] = [];
    let cancelled = false;
    const socket = new ResponsesSocketSession({
      send: (text) => sent.push(JSON.parse(text)),
      answer: async (_turn, _signal, _answered, failing) => {
        if (written) failing(written);
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            for (const write of writes) controller.enqueue(new TextEncoder().encode(write));
            if (close) controller.close();
          },
          cancel() {
            cancelled = true;
          },
        });
        return new Response(body, { headers: { "content-type": "text/event-stream" } });
      },
      maxBody: () => 10 * 1024 * 1024,
      refuse: async () => new Response(null, { status: 400 }),
      notRun: () => {},
    });
    return { socket, sent, cancelled: () => cancelled };
  }
  const created = `data: ${JSON.stringify({ type: "response.created", sequence_number: 0, response: { id: "resp_1", output: [] } })}\n\n`;
  const failedBy = (code: string, message: string, sequence: number) =>
    `event: response.failed\ndata: ${JSON.stringify({
      type: "response.failed",
      sequence_number: sequence,
      response: { id: "resp_1", output: [], status: "failed", error: { code, message } },
    })}\n\n`;

  test("a kept-alive stream's chat-style error chunk ends the turn with the error event, numbered, then response.failed (the route timed out)", async () => {
    const chunk = {
      error: { message: "upstream timed out", type: "server_error", code: "upstream_timeout", param: null },
    };
    // A keep-alive comment went first: the answer was committed before the route failed.
    const { socket, sent, cancelled } = answeredWith(
      [": keep-alive\n\n", `data: ${JSON.stringify(chunk)}\n\n`],
      false,
      upstreamTimeout("upstream timed out"),
    );
    socket.message(create("slow"));
    await until(() => sent.length === 2 && cancelled());
    expect(sent).toEqual([
      {
        type: "error",
        status: 504,
        sequence_number: 0,
        code: "upstream_timeout",
        message: "upstream timed out",
        param: null,
        error: chunk.error,
      },
      {
        type: "response.failed",
        sequence_number: 1,
        // No response opened: one of the gateway's own is failed, as an SSE stream's would be.
        response: expect.objectContaining({
          id: expect.stringMatching(/^resp_/),
          object: "response",
          status: "failed",
          error: { code: "upstream_timeout", message: "upstream timed out" },
        }),
      },
    ]);
  });

  test("a native route's error event, relayed, is the socket's at the status the HTTP path judges it (model_not_found: the route's 502); the turn ends at the response.failed after it", async () => {
    const said = {
      type: "error",
      sequence_number: 1,
      code: "model_not_found",
      message: "no gpt-9",
      param: null,
    };
    const { socket, sent } = answeredWith([
      created,
      `event: error\ndata: ${JSON.stringify(said)}\n\n`,
      failedBy("model_not_found", "no gpt-9", 2),
    ]);
    socket.message(create("native", "lane"));
    socket.message(create("again", "lane"));
    await until(() => sent.length === 6);
    expect(sent[1]).toMatchObject({
      type: "error",
      status: 502,
      sequence_number: 1,
      code: "model_not_found",
      message: "no gpt-9",
      stream_id: "lane",
    });
    expect(sent[2]).toMatchObject({ type: "response.failed", sequence_number: 2, stream_id: "lane" });
    // The lane's next turn runs once the first has wholly ended, its response.failed sent.
    expect(sent.map((event) => event.type)).toEqual([
      "response.created",
      "error",
      "response.failed",
      "response.created",
      "error",
      "response.failed",
    ]);
  });

  test("an error event the stream ends at gets its response.failed from the socket, numbered next", async () => {
    const said = { type: "error", sequence_number: 1, code: "server_error", message: "boom", param: null };
    const { socket, sent } = answeredWith([created, `event: error\ndata: ${JSON.stringify(said)}\n\n`]);
    socket.message(create("native"));
    await until(() => sent.length === 3);
    expect(sent.map((event) => [event.type, event.sequence_number])).toEqual([
      ["response.created", 0],
      ["error", 1],
      ["response.failed", 2],
    ]);
    expect(sent[2]).toMatchObject({
      response: { id: "resp_1", status: "failed", error: { code: "server_error", message: "boom" } },
    });
  });

  test("a stream that ends before its last event gets an error event numbered next and response.failed, failing the response it opened; one that ended is left as it is", async () => {
    const cut = answeredWith([created]);
    cut.socket.message(create("cut", "lane"));
    await until(() => cut.sent.length === 3);
    expect(cut.sent[1]).toMatchObject({ type: "error", status: 502, sequence_number: 1, stream_id: "lane" });
    expect(cut.sent[2]).toEqual({
      type: "response.failed",
      sequence_number: 2,
      response: {
        id: "resp_1",
        object: "response",
        created_at: expect.any(Number),
        incomplete_details: null,
        status: "failed",
        error: { code: "server_error", message: expect.stringContaining("ended before") },
      },
      stream_id: "lane",
    });
    const failed = `data: ${JSON.stringify({ type: "response.failed", response: { id: "resp_1", output: [] } })}\n\n`;
    const whole = answeredWith([created, failed, "data: [DONE]\n\n"]);
    // Two turns of one lane: the second runs once the first has wholly ended.
    whole.socket.message(create("whole"));
    whole.socket.message(create("again"));
    await until(() => whole.sent.length >= 4);
    expect(whole.sent.map((event) => event.type)).toEqual([
      "response.created",
      "response.failed",
      "response.created",
      "response.failed",
    ]);
  });

  test("the response.failed the socket writes fails the opened response by its id, created_at and chain alone, as an SSE stream's does: not its instructions, tools and input again", async () => {
    const big = "x".repeat(100_000);
    const opened = {
      id: "resp_1",
      object: "response",
      created_at: 1700000000,
      previous_response_id: "resp_0",
      instructions: big,
      tools: [{ type: "function", name: "f", description: big }],
      input: [{ role: "user", content: big }],
      output: [],
    };
    const created = `data: ${JSON.stringify({ type: "response.created", sequence_number: 0, response: opened })}\n\n`;
    const { socket, sent } = answeredWith([created]);
    socket.message(create("cut"));
    await until(() => sent.length === 3);
    expect(sent[2]).toEqual({
      type: "response.failed",
      sequence_number: 2,
      response: {
        id: "resp_1",
        object: "response",
        created_at: 1700000000,
        incomplete_details: null,
        previous_response_id: "resp_0",
        status: "failed",
        error: { code: "server_error", message: expect.stringContaining("ended before") },
      },
    });
  });

  test("what is no Responses event ends the turn with the error event and response.failed, numbered after the last event relayed", async () => {
    const delta = `data: ${JSON.stringify({ type: "response.output_text.delta", sequence_number: 4, delta: "hi" })}\n\n`;
    const { socket, sent, cancelled } = answeredWith([created, delta, "data: {not json\n\n"], false);
    socket.message(create("garbled"));
    await until(() => sent.length === 4 && cancelled());
    expect(sent.map((event) => [event.type, event.sequence_number])).toEqual([
      ["response.created", 0],
      ["response.output_text.delta", 4],
      ["error", 5],
      ["response.failed", 6],
    ]);
  });
});

describe("a refused turn says its wait, which no WebSocket message has a header for", () => {
  /** A session whose front door refuses every turn with `refusal`, as its reply says it over HTTP. */
  function refusedWith(refusal: GatewayError) {
    const sent: Record<string, unknown>[] = [];
    const socket = new ResponsesSocketSession({
      send: (text) => sent.push(JSON.parse(text)),
      answer: async () =>
        Response.json(errorBody(refusal, "openai"), { status: refusal.status, headers: refusal.headers }),
      maxBody: () => 10 * 1024 * 1024,
      refuse: async () => new Response(null, { status: 400 }),
      notRun: () => {},
    });
    return { socket, sent };
  }
  const clock = manualClock(0);
  const limiter = new RateLimiter({ now: clock.now });
  const caller = (limits: Principal["limits"], tenantRules?: TenantRules): Principal => ({
    keyId: "key_ws",
    name: "codex",
    tenant: tenantRules ? "team-a" : "default",
    role: "user",
    models: ["*"],
    limits,
    via: "key",
    ...(tenantRules ? { tenantRules } : {}),
  });

  test("an rpm refusal: the seconds in its words and Retry-After with the x-ratelimit-* headers in its event's headers", async () => {
    const key = caller({ rpm: 2 });
    limiter.admit(key);
    clock.advance(5_000);
    limiter.admit(key);
    clock.advance(1_000);
    const { socket, sent } = refusedWith(gatewayErrorOf(() => limiter.admit(key)));
    socket.message(create("one too many", "lane"));
    await until(() => sent.length === 1);
    expect(sent).toEqual([
      {
        type: "error",
        status: 429,
        error: {
          type: "rate_limit_error",
          code: "rate_limited",
          message: "rate limit reached for this credential on requests per minute (limit 2); retry in 54 s",
          param: null,
        },
        headers: {
          "retry-after": "54",
          "x-ratelimit-limit-requests": "2",
          "x-ratelimit-remaining-requests": "0",
          "x-ratelimit-reset-requests": "54s",
        },
        stream_id: "lane",
      },
    ]);
  });

  test("a tenant's spent day budget: when it starts over, in seconds, and not to retry before", async () => {
    const spend = new SpendLedger({ store: createMemorySpendStore() });
    const budgeted = new RateLimiter({ now: () => Date.parse("2030-01-01T23:00:00Z"), spend });
    const member = caller({}, { bound: true, models: ["*"], budget: { usd: 1, per: "day" } });
    spend.add(tenantSpendSubject("team-a", "day", Date.parse("2030-01-01T23:00:00Z")), 2);
    const { socket, sent } = refusedWith(gatewayErrorOf(() => budgeted.admit(member)));
    socket.message(create("over budget"));
    await until(() => sent.length === 1);
    expect(sent[0]).toMatchObject({
      status: 429,
      error: {
        code: "budget_exceeded",
        message:
          'spend budget exhausted for tenant "team-a"; it starts over when the day ends (UTC), in 3600 s',
      },
      headers: { "retry-after": "3600", "x-should-retry": "false" },
    });
  });
});
