import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { childEnv, onlyPath } from "../../testing/off-cloud-env.ts";

// Bun's fetch sends a plain-http URL through HTTP_PROXY, read from the process's own environment:
// a child process is given one (a loopback fake proxy), never this one. The metadata and identity
// endpoints, all played by one loopback fake, must be asked straight; any other URL goes to the proxy.
const proxied: string[] = [];
const proxy = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(request) {
    proxied.push(new URL(request.url).pathname);
    return new Response("proxy says no", { status: 403 });
  },
});
const asked: string[] = [];
const endpoints = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(request) {
    const { pathname } = new URL(request.url);
    asked.push(pathname);
    const expiresOn = String(Math.floor(Date.now() / 1000) + 3600);
    if (pathname.startsWith("/computeMetadata/"))
      return Response.json(
        { access_token: "ya29.meta", expires_in: 3599 },
        { headers: { "metadata-flavor": "Google" } },
      );
    if (pathname === "/metadata/identity/oauth2/token" || pathname === "/msi/token")
      return Response.json({ access_token: "eyJ.mi", expires_on: expiresOn });
    if (pathname === "/latest/api/token") return new Response("session");
    if (pathname === "/latest/meta-data/iam/security-credentials/") return new Response("role");
    const keys = {
      AccessKeyId: "AKIA",
      SecretAccessKey: "s",
      Token: "t",
      Code: "Success",
      Expiration: new Date(Date.now() + 3_600_000).toISOString(),
    };
    return Response.json(keys);
  },
});
afterAll(() => {
  proxy.stop(true);
  endpoints.stop(true);
});

const src = join(import.meta.dir, "..");
const child = `
const at = process.env.ENDPOINTS;
const said = (p) => p.then(() => "ok", (e) => e.message);
const { metadataServerToken } = await import(${JSON.stringify(join(src, "google/metadata-server-token.ts"))});
const { entraToken } = await import(${JSON.stringify(join(src, "azure/entra-token.ts"))});
const { instanceMetadataCredentials } = await import(${JSON.stringify(join(src, "bedrock/ec2-instance-metadata.ts"))});
const { awsCredentialSource } = await import(${JSON.stringify(join(src, "bedrock/aws-credentials.ts"))});
console.log(JSON.stringify({
  google: await said(metadataServerToken({ provider: "vx", env: { GCE_METADATA_HOST: at }, tried: "" }).get()),
  imds: await said(entraToken("az", { managed_identity: true }, { env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: "http://" + at } }).get()),
  appService: await said(entraToken("az", { managed_identity: true }, { env: { IDENTITY_ENDPOINT: "http://" + at + "/msi/token", IDENTITY_HEADER: "h" } }).get()),
  aws: await said(instanceMetadataCredentials("bd", { AWS_EC2_METADATA_SERVICE_ENDPOINT: "http://" + at }, fetch)()),
  container: await said(awsCredentialSource({ provider: "bd", region: "us-east-1", config: {}, env: { AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://" + at + "/creds" } }).get()),
  other: (await fetch("http://" + at + "/other")).status,
}));
`;

test("metadata and identity endpoints are asked straight, never through HTTP_PROXY (which Bun's fetch honours for plain http)", async () => {
  const run = Bun.spawn([process.execPath, "-e", child], {
    env: childEnv(
      { HTTP_PROXY: `http://127.0.0.1:${proxy.port}`, ENDPOINTS: `127.0.0.1:${endpoints.port}` },
      onlyPath,
    ),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    new Response(run.stdout).text(),
    new Response(run.stderr).text(),
    run.exited,
  ]);
  expect(err).toBe("");
  expect(code).toBe(0);
  expect(JSON.parse(out)).toEqual({
    google: "ok",
    imds: "ok",
    appService: "ok",
    aws: "ok",
    container: "ok",
    // Any other plain-http URL went to the proxy: the child did have one.
    other: 403,
  });
  expect(proxied).toEqual(["/other"]);
  expect(asked).toContain("/computeMetadata/v1/instance/service-accounts/default/token");
});
