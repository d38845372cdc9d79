import { jwtVerify } from "jose";
import { AZURE_OPENAI_BY_AUTHORITY } from "./azure-wire.ts";
import { type CloudCall, type CloudState, json } from "./cloud-state.ts";

/**
 * The endpoints the clouds' credentials come from: Entra's client-credentials grant, Google's
 * OAuth JWT bearer grant, STS AssumeRoleWithWebIdentity, AWS Sign-In and the ECS container endpoint.
 */
export async function tokenRoute(cloud: CloudState, { req, url, path, body }: CloudCall) {
  const { options } = cloud;
  const form = new URLSearchParams(body);
  if (path === `/${options.entra.tenant}/oauth2/v2.0/token`) {
    const ok =
      form.get("grant_type") === "client_credentials" &&
      form.get("client_id") === options.entra.clientId &&
      form.get("client_secret") === options.entra.clientSecret;
    if (!ok) return json({ error: "invalid_client" }, 401);
    // Each cloud's authority (reached as itself through this fake as a proxy, or on loopback as
    // the commercial one) issues tokens for its own cloud's Azure OpenAI alone.
    const resource = AZURE_OPENAI_BY_AUTHORITY[url.hostname] ?? "https://cognitiveservices.azure.com";
    const scope = form.get("scope") ?? "";
    if (scope !== `${resource}/.default`)
      return json(
        {
          error: "invalid_resource",
          error_description: `AADSTS500011: The resource principal named ${scope.replace(/\/\.default$/, "")} was not found in the tenant named ${options.entra.tenant}.`,
        },
        400,
      );
    return issueBearer(cloud, "entra");
  }
  if (path === "/google/token") {
    try {
      const { payload } = await jwtVerify(form.get("assertion") ?? "", cloud.googleKey, {
        issuer: options.google.clientEmail,
        audience: `${url.origin}/google/token`,
      });
      if (payload.scope !== "https://www.googleapis.com/auth/cloud-platform") throw new Error("scope");
    } catch {
      return json({ error: "invalid_grant" }, 400);
    }
    return issueBearer(cloud, "google");
  }
  if (path === "/sts") {
    if (
      form.get("Action") !== "AssumeRoleWithWebIdentity" ||
      form.get("WebIdentityToken") !== options.webIdentityToken
    )
      return new Response("<ErrorResponse><Error><Code>InvalidIdentityToken</Code></Error></ErrorResponse>", {
        status: 400,
      });
    const c = cloud.issueAws("sts");
    return new Response(
      `<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>${c.id}</AccessKeyId><SecretAccessKey>${c.secret}</SecretAccessKey><SessionToken>${c.token}</SessionToken><Expiration>${cloud.expiresAt()}</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`,
      { headers: { "content-type": "text/xml" } },
    );
  }
  // AWS Sign-In, refreshing an `aws login` session (AWS_ENDPOINT_URL_SIGNIN = <fake>/signin).
  if (path === "/signin/v1/token") return cloud.signIn.answer(req, body);
  if (path === "/container-credentials") {
    if (req.headers.get("authorization") !== options.containerToken) return json({ message: "denied" }, 403);
    const c = cloud.issueAws("container");
    const keys: Record<string, string> = {
      AccessKeyId: c.id,
      SecretAccessKey: c.secret,
      Token: c.token,
      Expiration: cloud.expiresAt(),
    };
    // `?without=Token,Expiration`: keys as no real endpoint sends them, which the SDKs refuse.
    for (const field of url.searchParams.get("without")?.split(",") ?? []) delete keys[field];
    return json(keys);
  }
  return undefined;
}

function issueBearer(cloud: CloudState, kind: "entra" | "google"): Response {
  cloud.issued[kind] += 1;
  const token = `${kind}-token-${cloud.issued[kind]}`;
  cloud.bearerTokens.add(token);
  return json({ access_token: token, token_type: "Bearer", expires_in: cloud.tokenLifetime });
}
