/** How far the host's clock may stray from AWS's before it is corrected (the AWS SDKs' five minutes). */
const SKEW_MS = 5 * 60_000;

/**
 * The refusals AWS answers a signature dated off its clock with, as the AWS SDKs know them
 * (`isClockSkewError`): Bedrock's 403 InvalidSignatureException "Signature expired: … is now
 * earlier than …" or "Signature not yet current: …", and the other services' names for it.
 */
const CLOCK_REFUSAL =
  /^(?:InvalidSignatureException|SignatureDoesNotMatch|RequestExpired|RequestTimeTooSkewed|RequestInTheFuture|AuthFailure)\b/;

/**
 * The clock SigV4 signs by, corrected as the AWS SDKs correct theirs (`systemClockOffset`): AWS
 * refuses a signature more than 15 minutes from its own time, so a host whose clock drifted (no
 * NTP in a container, a VM resumed from suspend) would have every call refused, its route taken
 * for one with dead credentials. A refusal whose `Date` is five minutes or more from this clock
 * sets the offset to AWS's time, and the call is signed again by it, as are the calls after.
 */
export class AwsClock {
  private offsetMs = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** The `X-Amz-Date` to sign with: undefined while no offset is known (the signer reads the host's clock). */
  signingDate(): string | undefined {
    if (this.offsetMs === 0) return undefined;
    return new Date(this.now() + this.offsetMs).toISOString().replace(/[:-]|\.\d{3}/g, "");
  }

  /**
   * Whether `response` is AWS's refusal of a signature dated off its clock, the offset now set by
   * its `Date`: the call is worth signing and sending again. False for any other answer, and for
   * such a refusal whose `Date` is near this clock (a wrong secret key is refused in those words too).
   * `errorCode`: the refusal's code where the body says it (STS's XML `<Code>`); else its
   * `x-amzn-errortype`, as Bedrock says it.
   */
  corrected(response: Response, errorCode = response.headers.get("x-amzn-errortype") ?? ""): boolean {
    if (response.status !== 403) return false;
    if (!CLOCK_REFUSAL.test(errorCode)) return false;
    const server = Date.parse(response.headers.get("date") ?? "");
    if (Number.isNaN(server)) return false;
    const now = this.now();
    if (Math.abs(now + this.offsetMs - server) < SKEW_MS) return false;
    this.offsetMs = server - now;
    return true;
  }
}
