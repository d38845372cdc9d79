/**
 * A config fragment routing each model name to the fake upstream's OpenAI side (same upstream
 * model name), plus `extra` keys merged on top.
 */
export function fakeRoutesConfig(fakeUrl: string, models: readonly string[], extra: object = {}): object {
  return {
    providers: [{ name: "fake", type: "openai", base_url: `${fakeUrl}/v1` }],
    models: models.map((name) => ({ name, routes: [{ provider: "fake", model: name }] })),
    routing: { retries: 0 },
    ...extra,
  };
}

/** Headers carrying a credential as a Bearer token, plus JSON content type. */
export const bearer = (token: string): Record<string, string> => ({
  authorization: `Bearer ${token}`,
  "content-type": "application/json",
});

/** A minimal chat body for `model`. */
export const chatBody = (model: string, text = "hello there", extra: object = {}): string =>
  JSON.stringify({ model, messages: [{ role: "user", content: text }], ...extra });
