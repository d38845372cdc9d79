import type { importSPKI } from "jose";
import { FakeSignIn } from "../../src/testing/fake-sign-in.ts";
import { BedrockAuth } from "./bedrock-auth.ts";
import type { CloudFailure, CloudRequest, FakeCloudOptions } from "./fake-cloud-api.ts";
import { googleError } from "./gemini-wire.ts";

/** One call as each vendor's route reads it: the body already taken, its headers flattened. */
export interface CloudCall {
  req: Request;
  url: URL;
  path: string;
  body: string;
  headers: Record<string, string>;
}

/** A vendor's route: its answer to a call on its paths, or undefined for a path not its own. */
export type CloudRoute = (
  cloud: CloudState,
  call: CloudCall,
) => Response | undefined | Promise<Response | undefined>;

/**
 * What the fake cloud's vendors share: the calls seen, the failures queued for the next model
 * call, the tokens and keys issued, and the stream writer `cutNext` reaches.
 */
export class CloudState {
  readonly requests: CloudRequest[] = [];
  readonly failures: CloudFailure[] = [];
  readonly issued = { entra: 0, google: 0, sts: 0, container: 0, signin: 0 };
  readonly bearerTokens = new Set<string>();
  readonly bedrockAuth: BedrockAuth;
  /** AWS Sign-In: its sessions' keys are issued as STS's are, and Bedrock takes them. */
  readonly signIn = new FakeSignIn(() => this.issueAws("signin"));
  /** Model calls whose caller hung up before the answer ended. */
  aborted = 0;
  /** The next stream's second write waits for this (`cutNext`). */
  cut: Promise<void> | undefined;
  tokenLifetime: number;

  constructor(
    readonly options: FakeCloudOptions,
    readonly googleKey: Awaited<ReturnType<typeof importSPKI>>,
  ) {
    this.bedrockAuth = new BedrockAuth(options);
    this.tokenLifetime = options.tokenLifetime;
  }

  /** Temporary AWS keys issued by `kind`'s endpoint, which Bedrock then takes (`bedrockAuth`). */
  issueAws(kind: "sts" | "container" | "signin"): { id: string; secret: string; token: string } {
    this.issued[kind] += 1;
    const id = `ASIA${kind.toUpperCase()}${this.issued[kind]}`;
    const secret = `secret-${kind}-${this.issued[kind]}`;
    this.bedrockAuth.issue(id, secret);
    return { id, secret, token: `session-${kind}-${this.issued[kind]}` };
  }

  expiresAt(): string {
    return new Date(Date.now() + this.tokenLifetime * 1000).toISOString();
  }

  /** Whether the call carries a bearer token this fake issued (Entra or Google) and has not revoked. */
  hasIssuedBearer(req: Request): boolean {
    const bearer = req.headers.get("authorization")?.replace(/^Bearer /, "");
    return bearer !== undefined && this.bearerTokens.has(bearer);
  }

  sse(events: string[]): Response {
    return new Response(this.streamBody(events.map((event) => new TextEncoder().encode(event))), {
      headers: { "content-type": "text/event-stream" },
    });
  }

  /** A stream's events in one write, or two cut in the third event's middle (`cutNext`). */
  streamBody(events: Uint8Array[]): Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> {
    const whole = new Uint8Array(events.reduce((n, event) => n + event.length, 0));
    let at = 0;
    for (const event of events) {
      whole.set(event, at);
      at += event.length;
    }
    const rest = this.cut;
    this.cut = undefined;
    if (!rest) return whole;
    const middle = (events[0]?.length ?? 0) + (events[1]?.length ?? 0) + ((events[2]?.length ?? 0) >> 1);
    return new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(whole.slice(0, middle));
        await rest;
        controller.enqueue(whole.slice(middle));
        controller.close();
      },
    });
  }

  /**
   * The next queued failure, in Google's error shape (Gemini, Vertex, Claude on Vertex); a 200
   * without a candidate as `streamed` asks it, whole or as a stream's one event.
   */
  googleFailure(streamed = false): Response | undefined {
    if (this.failures[0]?.midStream || this.failures[0]?.endAfter) return undefined;
    const failure = this.failures.shift();
    if (!failure) return undefined;
    if (failure.noCandidates || failure.blockReason) {
      const answer = {
        ...(failure.blockReason ? { promptFeedback: { blockReason: failure.blockReason } } : {}),
        usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 },
        modelVersion: "gemini-2.5-flash",
        responseId: "fake-resp-empty",
      };
      return streamed ? this.sse([`data: ${JSON.stringify(answer)}\r\n\r\n`]) : json(answer);
    }
    return json(
      googleError(failure.status, failure.type, failure.message, failure.google),
      failure.status,
      retryHeader(failure),
    );
  }
}

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  Response.json(body, { status, headers });

export const retryHeader = (failure: CloudFailure): Record<string, string> =>
  failure.retryAfter ? { "retry-after": failure.retryAfter } : {};

/** Google's refusal of a bearer it did not issue (Vertex AI, Claude on Vertex). */
export const googleUnauthenticated = () =>
  json(googleError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."), 401);
