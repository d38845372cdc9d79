import { expect, test } from "bun:test";
import { parseConfig } from "./load-config.ts";
import { redactConfig } from "./redact-config.ts";

const SLACK = "https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX";

test("a webhook URL keeps where it goes, never its path (the credential)", () => {
  const config = parseConfig(
    {
      providers: [{ name: "p", type: "openai", base_url: "https://u:pw@api.test/openai/v1?api-key=k" }],
      events: {
        webhooks: [
          { url: SLACK, secret: "0123456789abcdef" },
          { url: "https://ops.test:8443", secret: "0123456789abcdef" },
          { url: "https://ops.test/hook?token=t", secret: "0123456789abcdef" },
        ],
      },
    },
    {},
  );
  const redacted = redactConfig(config) as {
    providers: { base_url: string }[];
    events: { webhooks: { url: string; secret: string }[] };
  };
  expect(redacted.events.webhooks.map((hook) => hook.url)).toEqual([
    "https://hooks.slack.com/[redacted]",
    "https://ops.test:8443",
    "https://ops.test/[redacted]",
  ]);
  expect(redacted.events.webhooks[0]?.secret).toBe("[redacted]");
  expect(JSON.stringify(redacted)).not.toContain("XXXXsecretXXXX");
  // A base_url's path is where the API is, not a secret: only its credentials go.
  expect(redacted.providers[0]?.base_url).toBe("https://[redacted]@api.test/openai/v1?api-key=[redacted]");
  // The config itself is untouched.
  expect(config.events.webhooks[0]?.url).toBe(SLACK);
});
