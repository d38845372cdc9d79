import { describe, expect, test } from "bun:test";
import { runInNetns, seen } from "./clients/run-in-netns.ts";

// Codex CLI 0.169.0 (`@openai/codex`, its binary shipped inside the npm package), unchanged:
// `codex exec` with a custom model provider on the Responses wire, default tools on, run with
// the gateway and the fake upstream inside a network namespace that has only loopback.

const patch = "*** Begin Patch\n*** Add File: hello.txt\n+hello from the fake model\n*** End Patch\n";
const args64 = (args: object) => Buffer.from(JSON.stringify(args)).toString("base64");
type ChatTool = { function: { name: string; parameters: { required?: string[] } } };
type Message = {
  role: string;
  content: unknown;
  tool_calls?: { id?: string; function: { name: string; arguments: string } }[];
};

describe("Codex CLI through mindgw", () => {
  test("default model, OpenAI-type upstream: namespaced custom tool called, run by Codex, result sent back", async () => {
    const report = await runInNetns("codex.scenario.ts", {
      upstream: "openai",
      models: ["gpt-6.1-sol"],
      prompt: "say hi",
    });
    expect(report.client.exitCode).toBe(0);
    const [first, second] = seen(report);
    expect(first?.path).toBe("/v1/chat/completions");
    expect(first?.body.model).toBe("up-gpt-6.1-sol");
    const names = ((first?.body.tools ?? []) as ChatTool[]).map((tool) => tool.function.name);
    // Codex's default tools all arrive in an `additional_tools` item: namespaces and custom tools.
    expect(names).toEqual(
      expect.arrayContaining(["functions__exec", "clock__sleep", "collaboration__spawn_agent"]),
    );
    expect(first?.body).toMatchObject({ stream: true, reasoning_effort: "low", verbosity: "low" });
    // The fake called the first tool (Codex's custom `exec`); Codex ran it and sent back its output.
    const history = second?.body.messages as Message[];
    expect(history.at(-2)?.tool_calls?.[0]?.function.name).toBe("functions__exec");
    expect(history.at(-1)?.role).toBe("tool");
    expect(String(history.at(-1)?.content)).toContain("Script");
    // What Codex printed: the model's final answer, the fake's echo of that tool output.
    expect(report.client.stdout.trim()).toStartWith("echo: Script");
    const rows = report.audit as { frontDoor: string; status: number; model: string }[];
    expect(rows.filter((row) => row.frontDoor === "responses")).toEqual([
      expect.objectContaining({ status: 200, model: "gpt-6.1-sol" }),
      expect.objectContaining({ status: 200, model: "gpt-6.1-sol" }),
    ]);
  });

  test("a chat upstream that reasons before its tool call (vLLM, DeepSeek): Codex's echo of the reasoning item is taken, the turn goes on", async () => {
    const report = await runInNetns("codex.scenario.ts", {
      upstream: "openai",
      models: ["gpt-6.1-sol"],
      prompt: "say hi [[fake:reasoning=First I call the tool.]]",
    });
    // Codex sends the reasoning item back with `"content": null`; that was a 400 on the second turn.
    expect(report.client.exitCode).toBe(0);
    expect(report.client.stderr).toContain("First I call the tool.");
    const [, second] = seen(report);
    const history = second?.body.messages as Message[];
    expect(history.at(-2)?.tool_calls?.[0]?.function.name).toBe("functions__exec");
    expect(history.at(-1)?.role).toBe("tool");
    expect(report.client.stdout.trim()).toStartWith("echo: Script");
    const rows = report.audit as { frontDoor: string; status: number }[];
    expect(rows.filter((row) => row.frontDoor === "responses").map((row) => row.status)).toEqual([200, 200]);
  });

  test("the deepseek preset: the reasoning item Codex echoes goes back as reasoning_content, which DeepSeek's thinking mode requires", async () => {
    // The fake refuses, as DeepSeek's API does, a tool-call turn sent back without its reasoning.
    const report = await runInNetns("codex.scenario.ts", {
      upstream: "deepseek",
      models: ["gpt-6.1-sol"],
      prompt: "say hi",
      route: { model: "deepseek-reasoner" },
    });
    expect(report.client.exitCode).toBe(0);
    expect(report.client.stdout.trim()).toStartWith("echo: Script");
    const [first, second] = seen(report);
    const history = second?.body.messages as (Message & { reasoning_content?: unknown })[];
    const turn = history.find((message) => message.role === "assistant");
    // The reasoning the fake's first answer carried, sent back with the tool call it led to.
    expect(turn?.tool_calls?.[0]?.function.name).toBe("functions__exec");
    const asked = (first?.body.messages ?? []) as unknown[];
    expect(turn?.reasoning_content).toBe(`Thinking over ${asked.length} messages.`);
    const rows = report.audit as { frontDoor: string; status: number }[];
    expect(rows.filter((row) => row.frontDoor === "responses").map((row) => row.status)).toEqual([200, 200]);
  });

  test("the mistral preset: Codex's turns on a model Mistral's API checks (its fields, its message order, its ids)", async () => {
    // The fake refuses, in Mistral's words, what Mistral's API refuses (test/fake-upstream/mistral-api.ts).
    const report = await runInNetns("codex.scenario.ts", {
      upstream: "mistral",
      models: ["gpt-6.1-sol"],
      prompt: "say hi",
      route: { model: "devstral-medium-latest" },
    });
    expect(report.client.exitCode).toBe(0);
    expect(report.client.stdout.trim()).toStartWith("echo: Script");
    const rows = report.audit as { frontDoor: string; status: number }[];
    expect(rows.filter((row) => row.frontDoor === "responses").map((row) => row.status)).toEqual([200, 200]);
    const [, second] = seen(report);
    // Its developer messages as system ones, its `text.verbosity` and the gateway's `stream_options` unsent.
    const history = second?.body.messages as Message[];
    expect(history.some((message) => message.role === "developer")).toBe(false);
    expect([second?.body.verbosity, second?.body.stream_options]).toEqual([undefined, undefined]);
    const turn = history.find((message) => message.role === "assistant");
    expect(turn?.tool_calls?.[0]?.id).toMatch(/^[a-zA-Z0-9]{9}$/);
  });

  test("gpt-5.5: apply_patch (a custom tool with a lark grammar) edits the workspace; hosted tools dropped", async () => {
    const report = await runInNetns("codex.scenario.ts", {
      upstream: "openai",
      model: "gpt-5.5",
      models: ["gpt-5.5"],
      prompt: `add a file [[fake:tool=apply_patch,args64=${args64({ input: patch })}]]`,
      flags: ["-s", "workspace-write"],
      collect: ["hello.txt"],
    });
    expect(report.client.exitCode).toBe(0);
    expect(report.files?.["hello.txt"]).toBe("hello from the fake model\n");
    const [first, second] = seen(report);
    const tools = first?.body.tools as ChatTool[];
    expect(tools.find((tool) => tool.function.name === "apply_patch")?.function.parameters.required).toEqual([
      "input",
    ]);
    expect(tools.map((tool) => tool.function.name)).not.toContain("web_search");
    const history = second?.body.messages as Message[];
    expect(JSON.parse(history.at(-2)?.tool_calls?.[0]?.function.arguments ?? "{}")).toEqual({ input: patch });
    expect(String(history.at(-1)?.content)).toContain("A hello.txt");
    expect(report.client.stdout).toContain("Updated the following files");
  });

  test("default model, Anthropic-type upstream: Responses → chat → Messages and back", async () => {
    const report = await runInNetns("codex.scenario.ts", {
      upstream: "anthropic",
      models: ["gpt-6.1-sol"],
      prompt: "say hi",
    });
    expect(report.client.exitCode).toBe(0);
    const [first, second] = seen(report);
    expect(first?.path).toBe("/v1/messages");
    const tools = first?.body.tools as { name: string }[];
    expect(tools.map((tool) => tool.name)).toContain("functions__exec");
    expect(typeof first?.body.system).toBe("string");
    const last = ((second?.body.messages ?? []) as { role: string; content: { type: string }[] }[]).at(-1);
    expect(last?.content[0]?.type).toBe("tool_result");
    expect(report.client.stdout.trim()).toStartWith("echo: Script");
    // Codex's `prompt_cache_key` (its session's id, on every turn) asks for the prompt cached, as
    // OpenAI caches it; Claude caches only what it is asked to: Anthropic's automatic caching, the
    // breakpoint moving on with the conversation. Carried, so not named.
    expect([first?.body.cache_control, second?.body.cache_control]).toEqual([
      { type: "ephemeral" },
      { type: "ephemeral" },
    ]);
    const rows = report.audit as { frontDoor: string; dropped?: string | null }[];
    const dropped = rows.filter((row) => row.frontDoor === "responses").map((row) => row.dropped ?? "");
    expect(dropped).toHaveLength(2);
    for (const names of dropped) expect(names).not.toContain("prompt_cache_key");
  });
});

describe("Codex CLI auto-compaction through a translated route", () => {
  // The first answer (a tool call) reports a conversation near the window, so Codex compacts
  // before its follow-up; later answers are small, so it must compact exactly once.
  const config = "model_context_window = 200000\nmodel_auto_compact_token_limit = 100000\n";
  const lastText = (request: { body: Record<string, unknown> } | undefined) =>
    String(((request?.body.messages ?? []) as Message[]).at(-1)?.content ?? "");

  test.each([
    // A custom provider: Codex compacts locally, with a summary turn of its own prompt.
    [
      "custom provider",
      false,
      "You are performing a CONTEXT CHECKPOINT COMPACTION",
      "Another language model",
    ],
    // The built-in OpenAI provider (`openai_base_url`): Codex's remote compaction, a Responses call
    // whose input ends in `compaction_trigger` and whose answer must be one `compaction` item.
    [
      "built-in OpenAI provider",
      true,
      "Summarize the conversation so far",
      "Summary of the conversation so far",
    ],
  ])(
    "%s: the compaction request succeeds, once, and the turn goes on from the summary",
    async (_, builtinOpenAI, asked, resumed) => {
      const report = await runInNetns("codex.scenario.ts", {
        upstream: "openai",
        models: ["gpt-6.1-sol"],
        prompt: "say hi",
        config,
        queue: [{ inputTokens: 150_000 }],
        builtinOpenAI,
      });
      expect(report.client.exitCode).toBe(0);
      expect(report.client.stderr).toContain("context compacted");
      const requests = seen(report);
      // The turn, the compaction, the follow-up from the summary (the fake calls its tool again),
      // and the answer after that tool's output: no second compaction, no loop.
      expect(requests).toHaveLength(4);
      expect(requests.filter((request) => lastText(request).startsWith(asked))).toHaveLength(1);
      expect(lastText(requests[1])).toStartWith(asked);
      const followUp = (requests[2]?.body.messages ?? []) as Message[];
      expect(followUp.some((message) => String(message.content).includes(resumed))).toBe(true);
      expect(report.client.stdout.trim()).toStartWith("echo: Script");
      const audit = report.audit as { frontDoor: string; status: number; model: string | null }[];
      const rows = audit.filter((row) => row.frontDoor === "responses");
      // The built-in provider speaks the Responses API's WebSocket mode: one upgrade (101), its
      // start-up warm-up (`generate: false`, no model call; its row names the model), then the turns
      // over the socket and the compaction over HTTP, each a row of its own.
      expect(audit.filter((row) => row.frontDoor === "responses_socket").map((row) => row.status)).toEqual(
        builtinOpenAI ? [101] : [],
      );
      expect(rows.map((row) => row.status)).toEqual(
        builtinOpenAI ? [200, 200, 200, 200, 200] : [200, 200, 200, 200],
      );
      expect(rows.filter((row) => row.model === null)).toEqual([]);
      expect(audit.filter((row) => row.frontDoor === "other")).toEqual([]);
    },
  );
});

describe("Codex CLI told an upstream is overloaded", () => {
  test("Claude overloaded (529) on every try: Codex reads the gateway's 503 server_is_overloaded as OpenAI's own overload, says the model is at capacity, and does not send the turn again", async () => {
    const report = await runInNetns("codex.scenario.ts", {
      upstream: "anthropic",
      models: ["gpt-6.1-sol"],
      prompt: "say hi [[fake:status=529]]",
    });
    expect(report.client.exitCode).not.toBe(0);
    // Codex's words for its ServerOverloaded, not a 502's "unexpected status".
    const said = `${report.client.stdout}${report.client.stderr}`;
    expect(said).toContain("Selected model is at capacity");
    expect(said).not.toContain("unexpected status");
    const rows = report.audit as { frontDoor: string; status: number }[];
    const statuses = rows.filter((row) => row.frontDoor === "responses").map((row) => row.status);
    // Each of Codex's HTTP tries is the gateway's 503; no turn-level retry adds more.
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set([503]));
  });
});

describe("Codex CLI told why a stream the gateway had committed failed", () => {
  test("a conversation past the window, refused after the stream was kept alive: Codex says it ran out of room and sends the turn once", async () => {
    // The upstream refuses only after the gateway committed the stream (its head and a keep-alive
    // comment out): the refusal then ends the stream, and Codex over HTTP reads only a terminal
    // `response.failed`. Without one it sent the turn five times more, never saying why.
    const report = await runInNetns("codex.scenario.ts", {
      upstream: "openai",
      models: ["gpt-6.1-sol"],
      prompt: "say hi",
      queue: [{ delay: 2000, contextLength: true }],
      routing: { stream_keepalive: "200ms" },
    });
    expect(report.client.exitCode).not.toBe(0);
    expect(`${report.client.stdout}${report.client.stderr}`).toContain("ran out of room");
    expect(seen(report)).toHaveLength(1);
    const rows = report.audit as { frontDoor: string; status: number }[];
    expect(rows.filter((row) => row.frontDoor === "responses").map((row) => row.status)).toEqual([400]);
  });
});
