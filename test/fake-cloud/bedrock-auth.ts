import { verifySigV4 } from "./sigv4-verify.ts";

/**
 * Bedrock's check of a call's credentials, as AWS makes it: an Amazon Bedrock API key as its
 * bearer, or a SigV4 signature (recomputed) by keys it issued and has not revoked, dated within 15
 * minutes of its clock (`clockOffset` ahead of the host's); the refusal in AWS's words.
 */
export class BedrockAuth {
  /** Secret keys by access key id: the static one, and each temporary one issued. */
  private readonly keys: Map<string, string>;
  /** Temporary access key ids revoked (`revoke`). */
  private readonly expired = new Set<string>();
  /** How far Bedrock's clock is ahead of the host's (behind, if negative), ms. */
  clockOffset = 0;

  constructor(
    private readonly options: {
      aws: { accessKeyId: string; secretAccessKey: string; region: string };
      bedrockApiKey: string;
    },
  ) {
    this.keys = new Map([[options.aws.accessKeyId, options.aws.secretAccessKey]]);
  }

  /** A temporary key issued (STS, the container endpoint). */
  issue(id: string, secret: string): void {
    this.keys.set(id, secret);
  }

  /** Every temporary key issued so far refused as expired, the static one kept. */
  revoke(): void {
    for (const id of this.keys.keys()) if (id !== this.options.aws.accessKeyId) this.expired.add(id);
  }

  /** AWS's refusal of the call's credentials, or undefined. */
  problem(req: Request, body: string): Response | undefined {
    const bearer = /^Bearer (.+)$/.exec(req.headers.get("authorization") ?? "")?.[1];
    if (bearer !== undefined)
      return bearer === this.options.bedrockApiKey
        ? undefined
        : refused({ Message: "Authentication failed: Please make sure your API Key is valid." });
    if (this.expired.has(accessKeyIdOf(req)))
      return refused(
        { message: "The security token included in the request is expired" },
        {
          "x-amzn-errortype":
            "ExpiredTokenException:http://internal.amazon.com/coral/com.amazon.coral.service/",
        },
      );
    const now = new Date(Date.now() + this.clockOffset);
    const problem = verifySigV4(req, body, (id) => this.keys.get(id), {
      service: "bedrock",
      region: this.options.aws.region,
      now,
    });
    if (problem === "signature expired")
      return refused(
        { message: signatureOffClock(req.headers.get("x-amz-date") ?? "", now) },
        { "x-amzn-errortype": INVALID_SIGNATURE, date: now.toUTCString() },
      );
    if (problem)
      return refused(
        { message: `The request signature we calculated does not match: ${problem}` },
        { "x-amzn-errortype": INVALID_SIGNATURE },
      );
    return undefined;
  }
}

const INVALID_SIGNATURE =
  "InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/";

/** AWS's 403, in its own body and headers. */
const refused = (body: object, headers: Record<string, string> = {}): Response =>
  Response.json(body, { status: 403, headers });

/** The access key a SigV4 authorization names. */
const accessKeyIdOf = (req: Request): string =>
  /Credential=([^/]+)\//.exec(req.headers.get("authorization") ?? "")?.[1] ?? "";

/** `X-Amz-Date`'s form of a time (`20261207T011000Z`). */
const amzDate = (time: Date): string => time.toISOString().replace(/[:-]|\.\d{3}/g, "");

/** AWS's words for a signature dated more than 15 minutes from its clock, before or after it. */
function signatureOffClock(signedAt: string, now: Date): string {
  const bound = (minutes: number) => amzDate(new Date(now.getTime() + minutes * 60_000));
  return signedAt < amzDate(now)
    ? `Signature expired: ${signedAt} is now earlier than ${bound(-15)} (${amzDate(now)} - 15 min.)`
    : `Signature not yet current: ${signedAt} is still later than ${bound(15)} (${amzDate(now)} + 15 min.)`;
}
