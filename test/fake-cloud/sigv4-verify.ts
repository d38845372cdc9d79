import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** An AWS key pair, as the fake knows it. */
export interface AwsKeys {
  accessKeyId: string;
  secretAccessKey: string;
}

/** What a signature is checked against: the service and region its scope must name, and the time. */
export interface SigV4Expectation {
  service: string;
  region: string;
  /** The server's clock: a signature more than 15 minutes off is refused, as AWS refuses it. */
  now?: Date;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const SKEW_MS = 15 * 60 * 1000;

/**
 * Checks a request's SigV4 signature from AWS's own rules (the canonical request, the string to
 * sign, the derived key: "Create a signed AWS API request" in the IAM guide), written apart from the
 * signing library the gateway uses, so a mistake of that library or of how the gateway calls it is
 * refused here as AWS would refuse it. `keyOf` finds the secret of the credential's access key.
 * Returns what is wrong, or undefined when the signature is AWS's.
 */
export function verifySigV4(
  req: Request,
  body: string,
  keyOf: (accessKeyId: string) => string | undefined,
  expected: SigV4Expectation,
): string | undefined {
  const match = AUTHORIZATION.exec(req.headers.get("authorization") ?? "");
  if (!match) return "missing or malformed SigV4 authorization";
  const [, accessKeyId = "", day = "", region, service, signedList = "", signature = ""] = match;
  const secret = keyOf(accessKeyId);
  if (secret === undefined) return "unknown access key";
  if (region !== expected.region || service !== expected.service)
    return "wrong region or service in credential scope";
  const amzDate = req.headers.get("x-amz-date") ?? "";
  const time = AMZ_DATE.exec(amzDate);
  if (!time) return "missing or malformed x-amz-date";
  if (!amzDate.startsWith(day)) return "credential scope's date is not x-amz-date's";
  const [, y, mo, d, h, mi, s] = time.map(Number);
  const signedAt = Date.UTC(y ?? 0, (mo ?? 1) - 1, d, h, mi, s);
  if (Math.abs((expected.now ?? new Date()).getTime() - signedAt) > SKEW_MS) return "signature expired";

  const signed = signedList.split(";");
  const sorted = [...signed].sort();
  if (signed.some((name, i) => name !== sorted[i])) return "SignedHeaders not in order";
  for (const required of ["host", "x-amz-date"])
    if (!signed.includes(required)) return `${required} is not signed`;
  const canonical = canonicalRequest(req, signed, body);
  if (typeof canonical !== "string") return canonical.problem;
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonical)].join("\n");
  let key = hmac(`AWS4${secret}`, day);
  for (const part of [expected.region, expected.service, "aws4_request"]) key = hmac(key, part);
  const computed = Buffer.from(createHmac("sha256", key).update(stringToSign).digest("hex"));
  return timingSafeEqual(computed, Buffer.from(signature)) ? undefined : "signature does not match";
}

/**
 * The canonical request: method, the path's segments each URI-encoded once more than sent (every
 * service but S3 encodes twice), the query sorted and encoded, each signed header as
 * `name:value` (spaces trimmed and folded), the signed names, the body's SHA-256.
 */
function canonicalRequest(req: Request, signed: string[], body: string): string | { problem: string } {
  const url = new URL(req.url);
  const headers: string[] = [];
  for (const name of signed) {
    const value = req.headers.get(name);
    if (value === null) return { problem: `signed header ${name} is missing` };
    headers.push(`${name}:${value.trim().replace(/ +/g, " ")}\n`);
  }
  const path = url.pathname.split("/").map(uriEncode).join("/");
  const query = [...url.searchParams]
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([a, x], [b, y]) => (a === b ? compare(x, y) : compare(a, b)))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
  return [req.method, path, query, headers.join(""), signed.join(";"), sha256Hex(body)].join("\n");
}

/** AWS's URI encoding: every byte but the unreserved characters (A–Z a–z 0–9 - . _ ~) as %XX. */
const uriEncode = (text: string): string =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const sha256Hex = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");
const hmac = (key: string | Buffer, data: string): Buffer => createHmac("sha256", key).update(data).digest();
