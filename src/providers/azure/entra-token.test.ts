import { describe, expect, test } from "bun:test";
import { type EntraCredentials, entraToken } from "./entra-token.ts";

/** Azure OpenAI's resource in each cloud, by the host of the Entra authority that issues its tokens. */
const CLOUD_RESOURCE: Record<string, string> = {
  "login.microsoftonline.com": "https://cognitiveservices.azure.com",
  "login.microsoftonline.us": "https://cognitiveservices.azure.us",
  "login.chinacloudapi.cn": "https://cognitiveservices.azure.cn",
};

/**
 * Entra ID's token endpoint in each cloud: a client credentials grant for the cloud's own resource
 * (or, with `also`, another scope the app may ask for) is answered with a token; any other scope
 * with Entra's refusal of a resource the cloud has not (AADSTS500011). Records each grant's
 * authority and scope.
 */
function entra(also: string[] = []) {
  const grants: string[] = [];
  const doFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const scope = new URLSearchParams(String(init?.body)).get("scope") ?? "";
    grants.push(`${url.host} ${scope}`);
    const resource = CLOUD_RESOURCE[url.host];
    if (scope !== `${resource}/.default` && !also.includes(scope))
      return Response.json(
        {
          error: "invalid_resource",
          error_description: `AADSTS500011: The resource principal named ${scope.replace(/\/\.default$/, "")} was not found in the tenant named contoso.`,
        },
        { status: 400 },
      );
    return Response.json({ access_token: `token-for ${scope}`, token_type: "Bearer", expires_in: 3599 });
  }) as typeof fetch;
  return { grants, doFetch };
}

const APP = { tenant_id: "contoso", client_id: "app", client_secret: "secret" };
const token = (credentials: EntraCredentials, doFetch: typeof fetch) =>
  entraToken("az", credentials, { fetch: doFetch }).get();

describe("Entra ID tokens for Azure OpenAI", () => {
  test("each cloud's authority is asked for its own cloud's Azure OpenAI scope", async () => {
    const { grants, doFetch } = entra();
    expect(await token(APP, doFetch)).toBe("token-for https://cognitiveservices.azure.com/.default");
    expect(await token({ ...APP, authority_host: "https://login.microsoftonline.us/" }, doFetch)).toBe(
      "token-for https://cognitiveservices.azure.us/.default",
    );
    expect(await token({ ...APP, authority_host: "https://login.chinacloudapi.cn" }, doFetch)).toBe(
      "token-for https://cognitiveservices.azure.cn/.default",
    );
    expect(grants).toEqual([
      "login.microsoftonline.com https://cognitiveservices.azure.com/.default",
      "login.microsoftonline.us https://cognitiveservices.azure.us/.default",
      "login.chinacloudapi.cn https://cognitiveservices.azure.cn/.default",
    ]);
  });

  test("an authority of no known cloud (a proxy's, a test's) is asked for the commercial cloud's scope", async () => {
    const asked: string[] = [];
    const doFetch = (async (_input: string | URL | Request, init?: RequestInit) => {
      asked.push(new URLSearchParams(String(init?.body)).get("scope") ?? "");
      return Response.json({ access_token: "t", expires_in: 3599 });
    }) as typeof fetch;
    await token({ ...APP, authority_host: "http://127.0.0.1:8080" }, doFetch);
    expect(asked).toEqual(["https://cognitiveservices.azure.com/.default"]);
  });

  test("`scope` in config is asked for whatever the authority (Azure AI Foundry, an API proxy's app)", async () => {
    const foundry = "https://ai.azure.com/.default";
    const { grants, doFetch } = entra([foundry]);
    expect(await token({ ...APP, scope: foundry }, doFetch)).toBe(`token-for ${foundry}`);
    const gov = "https://ai.azure.us/.default";
    const sovereign = entra([gov]);
    await token(
      { ...APP, authority_host: "https://login.microsoftonline.us", scope: gov },
      sovereign.doFetch,
    );
    expect([...grants, ...sovereign.grants]).toEqual([
      `login.microsoftonline.com ${foundry}`,
      `login.microsoftonline.us ${gov}`,
    ]);
  });
});
