import { parseConfig } from "../config/load-config.ts";
import type { ShadowPage } from "../shadow/shadow-api-schema.ts";
import { type ShadowedGateway, shadowedGateway } from "./shadowed-gateway.ts";

// A gateway whose model "m" is served by an OpenAI-dialect route and shadowed to a Messages-only
// one (test support, not shipped): what the tests of copies a route cannot take share.

/** The gateway, a POST as its admin, and its `/admin/api/shadow` page. */
export interface ClaudeShadowedGateway {
  readonly gw: ShadowedGateway;
  post(path: string, body: object): Promise<Response>;
  shadowPage(): Promise<ShadowPage>;
}

/** Model "m" on the fake upstream's OpenAI route, copied to its Messages route; `translation` as given. */
export function claudeShadowedGateway(translation?: { unsupported: "reject" }): ClaudeShadowedGateway {
  const gw = shadowedGateway(({ baseUrl, dbPath }) =>
    parseConfig({
      storage: { path: dbPath },
      providers: [
        { name: "fake", type: "openai", base_url: baseUrl },
        { name: "claude", type: "anthropic", base_url: baseUrl.replace(/\/v1$/, ""), api_key: "sk-ant-test" },
      ],
      models: [
        {
          name: "m",
          routes: [{ provider: "fake", model: "served" }],
          shadow: { provider: "claude", model: "candidate", sample: 1 },
        },
      ],
      ...(translation ? { translation } : {}),
    }),
  );
  const authorization = () => `Bearer ${gw.adminKey}`;
  return {
    gw,
    post: (path, body) =>
      gw.gateway.handle(
        new Request(`http://gw${path}`, {
          method: "POST",
          headers: { authorization: authorization(), "content-type": "application/json" },
          body: JSON.stringify(body),
        }),
      ),
    shadowPage: async () =>
      (await (
        await gw.gateway.handle(
          new Request("http://gw/admin/api/shadow", { headers: { authorization: authorization() } }),
        )
      ).json()) as ShadowPage,
  };
}
