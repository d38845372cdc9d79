import { afterAll } from "bun:test";
import { stringify } from "yaml";
import { tempDir } from "./temp-dir.ts";

// What the `mindgw config check` and CLI test files share: a folder for the config files each
// test writes, and a valid config holding a secret in every place one may be (none printed).

export const API_KEY = "sk-live-very-secret-0001";
export const HEADER_VALUE = "org-header-secret-0002";
export const URL_PASSWORD = "pw-in-url-0003";
export const JWT_SECRET = "hmac-secret-0004-hmac-secret-0004-hmac";
export const WEBHOOK_TOKEN = "webhook-path-token-0008";

export const validConfig = {
  server: { port: 9000, max_body: "2MB" },
  providers: [
    {
      name: "up",
      type: "openai",
      base_url: `http://svc:${URL_PASSWORD}@127.0.0.1:9/v1`,
      api_key: API_KEY,
      headers: { "x-org": HEADER_VALUE },
    },
  ],
  models: [{ name: "m1", routes: [{ provider: "up", model: "real-m1" }] }],
  auth: {
    jwt: { secret: JWT_SECRET, issuer: "https://idp.test", audience: "mindgw", algorithms: ["HS256"] },
  },
  events: {
    webhooks: [{ url: `https://hooks.slack.com/services/T000/B000/${WEBHOOK_TOKEN}`, secret: JWT_SECRET }],
  },
};

/**
 * A temp folder for the calling test file, removed after its tests, and `writeConfig`, which
 * writes a config (an object as YAML, or text as it is) to a new file in it and gives its path.
 */
export function configFiles(): {
  dir: ReturnType<typeof tempDir>;
  writeConfig(config: object | string): Promise<string>;
} {
  const dir = tempDir("mindgw-config-cli-");
  afterAll(() => dir.cleanup());
  let files = 0;
  return {
    dir,
    async writeConfig(config) {
      const path = dir.file(`config-${++files}.yaml`);
      await Bun.write(path, typeof config === "string" ? config : stringify(config));
      return path;
    },
  };
}
