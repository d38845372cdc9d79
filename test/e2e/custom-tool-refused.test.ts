import { expect, setDefaultTimeout, test } from "bun:test";
import OpenAI from "openai";
import { type CannedUpstream, startCannedUpstream } from "../fake-upstream/canned-upstream.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { openaiFailure } from "./harness/sdk-failure.ts";

// Real processes on a shared 2-core machine: generous bounds, every wait bounded on its own.
setDefaultTimeout(60_000);

// A chat caller's custom tool goes to Claude as a function of one string argument whose schema the
// gateway wrote (translate/custom-tool-function.ts). Claude refusing that schema is told to the
// caller of the tool it sent, `tools[i].custom`, never of `tools[i].function.parameters`, a field
// it did not send; a function tool's own schema refused is still named as the caller's schema.

/** Claude's Messages API, answering what a test queued. */
let claude: CannedUpstream;

const fx = gatewayFixture({
  fakeRoutes: false,
  config: (_fakeUrl, { own }) => {
    claude = own(startCannedUpstream());
    return {
      providers: [{ name: "claude", type: "anthropic", base_url: claude.url, api_key: "sk-ant-upstream" }],
      models: [{ name: "c1", routes: [{ provider: "claude", model: "claude-up" }] }],
      routing: { retries: 0 },
    };
  },
});

const WEATHER = {
  type: "function" as const,
  function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
};
const RUN_SQL = { type: "custom" as const, custom: { name: "run_sql", description: "Runs one SQL query" } };

/** What the caller is told when Claude answers its request with a 400 saying `said`. */
async function refusal(
  said: string,
  extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {},
): Promise<{ param: unknown; message: unknown }> {
  claude.queue({
    status: 400,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ type: "error", error: { type: "invalid_request_error", message: said } }),
  });
  const openai = new OpenAI({ apiKey: fx.adminKey, baseURL: fx.url("/v1"), maxRetries: 0 });
  const error = await openaiFailure(
    openai.chat.completions.create({
      model: "c1",
      messages: [{ role: "user", content: "hi" }],
      tools: [WEATHER, RUN_SQL],
      ...extra,
    }),
  );
  expect(error).toBeInstanceOf(OpenAI.BadRequestError);
  const { param, message } = error.error as {
    param?: unknown;
    message?: unknown;
  };
  return { param, message };
}

test("Claude refusing a custom tool's schema names the caller's custom tool, tools[1].custom", async () => {
  expect(await refusal("tools.1.custom.input_schema: JSON schema is invalid")).toEqual({
    param: "tools[1].custom",
    message: "tools[1].custom: JSON schema is invalid",
  });
  expect(await refusal("tools.1.input_schema.properties.input: Input should be a valid dictionary")).toEqual({
    param: "tools[1].custom",
    message: "tools[1].custom: Input should be a valid dictionary",
  });
});

test("offered alone by an allowed_tools choice, the custom tool Claude has first is still the caller's second", async () => {
  const onlySql: OpenAI.ChatCompletionAllowedToolChoice = {
    type: "allowed_tools",
    allowed_tools: { mode: "auto", tools: [{ type: "custom", custom: { name: "run_sql" } }] },
  };
  expect(
    await refusal("tools.0.custom.input_schema: JSON schema is invalid", { tool_choice: onlySql }),
  ).toEqual({
    param: "tools[1].custom",
    message: "tools[1].custom: JSON schema is invalid",
  });
  const sent = JSON.parse(claude.requests.at(-1)?.text ?? "{}") as { tools: { name: string }[] };
  expect(sent.tools.map((tool) => tool.name)).toEqual(["run_sql"]);
});

test("Claude refusing a function tool's schema still names its parameters, tools[0].function.parameters", async () => {
  expect(
    await refusal("tools.0.custom.input_schema.properties.city: Input should be a valid dictionary"),
  ).toEqual({
    param: "tools[0].function.parameters.properties.city",
    message: "tools[0].function.parameters.properties.city: Input should be a valid dictionary",
  });
});
