import { join } from "node:path";
import { type Authenticator, type Provider, parseConfig } from "../index.ts";

// The parts the library form's tests hand the gateway, through the exports only (embedding-*.test.ts).

/** An authenticator that admits every caller, as a user of tenant acme. */
export const anyone: Authenticator = async () => ({
  keyId: null,
  name: "ok",
  tenant: "acme",
  role: "user",
  models: ["*"],
  limits: {},
  via: "jwt",
});

/** A chat request for model `m` with a bearer token, on `base`. */
export const chatRequest = (base = "http://localhost") =>
  new Request(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: "Bearer t", "content-type": "application/json" },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
  });

/** A provider answering at once, its usage priced by the config; `close` as the test says. */
export const answering = (name: string, close?: () => void): Provider => ({
  name,
  dialect: "openai",
  async call(call) {
    return {
      kind: "json",
      body: {
        object: "chat.completion",
        model: call.body.model,
        choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
        usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
      },
      usage: { inputTokens: 10, outputTokens: 10 },
    };
  },
  ...(close ? { close } : {}),
});

/**
 * A config of one mock model, `m`, its store `name`.db in `dir`, no bootstrap admin: `extra` over
 * it. Returns the function that makes it for a test file's own temp dir.
 */
export const configIn =
  (dir: string) =>
  (name: string, extra: Record<string, unknown> = {}) =>
    parseConfig({
      storage: { path: join(dir, `${name}.db`) },
      auth: { bootstrap_admin: false },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
      ...extra,
    });
