/**
 * A custom provider type: anything that answers in OpenAI's (or Anthropic's) dialect. Here a
 * provider that reverses the user's text, streamed word by word. The router gives it retries,
 * timeouts, translation for Anthropic callers, limits and audit like any built-in one.
 */
import {
  createGateway,
  createProvider,
  type Provider,
  type ProviderFactory,
  parseConfig,
  silentLogger,
} from "../src/index.ts";

const reverser: Provider = {
  name: "reverser",
  dialect: "openai",
  async call(call) {
    const messages = call.body.messages as { role: string; content: string }[];
    const text = [...(messages.at(-1)?.content ?? "")].reverse().join("");
    const usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 };
    if (!call.stream) {
      return {
        kind: "json",
        body: {
          id: `chatcmpl-${call.requestId}`,
          object: "chat.completion",
          created: Math.floor(Date.now() / 1000),
          model: String(call.body.model),
          choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
          usage,
        },
      };
    }
    const chunk = (delta: object, finish: string | null, extra: object = {}) => ({
      data: JSON.stringify({
        id: `chatcmpl-${call.requestId}`,
        object: "chat.completion.chunk",
        created: Math.floor(Date.now() / 1000),
        model: String(call.body.model),
        choices: [{ index: 0, delta, finish_reason: finish }],
        ...extra,
      }),
    });
    async function* events() {
      for (const word of text.split(/(?= )/)) {
        if (call.signal.aborted) return; // the client left: stop generating
        yield chunk({ content: word }, null);
      }
      yield chunk({}, "stop", { usage });
    }
    return { kind: "stream", events: events() };
  },
};

/** Builds `reverser` for its config entry and leaves every other provider to the built-in factory. */
export const providers: ProviderFactory = (config, context) =>
  config.name === "reverser" ? reverser : createProvider(config, context);

export async function start() {
  let adminKey = "";
  const gateway = await createGateway({
    config: parseConfig({
      storage: { path: ":memory:" },
      // The entry's type only has to be valid; the factory above decides what serves it.
      providers: [{ name: "reverser", type: "mock" }],
      models: [{ name: "backwards", routes: [{ provider: "reverser", model: "backwards-1" }] }],
    }),
    providers,
    logger: silentLogger,
    onBootstrapKey: (key) => {
      adminKey = key;
    },
  });
  const { port } = gateway.listen("127.0.0.1", 0);
  return { url: `http://127.0.0.1:${port}`, adminKey, stop: () => gateway.stop() };
}

if (import.meta.main) {
  const gw = await start();
  console.log(`${gw.url} (model "backwards"), admin key: ${gw.adminKey}`);
}
