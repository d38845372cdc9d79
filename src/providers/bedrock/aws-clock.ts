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
 * for one with dead credentials. A refusal whose `Date` is five minutes or more from the time its
 * request was signed with is worth signing again; the offset is set to AWS's time where this
 * clock is still that far from it (the AWS SDKs' `getUpdatedSystemClockOffset`), so the calls in
 * flight when it is first corrected, signed by the old clock, are each signed again too.
 */
export class AwsClock {
  private offsetMs = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** The `X-Amz-Date` to sign with (`20261207T012000Z`): the host's clock, corrected once AWS said it is off. */
  signingDate(): string {
    return new Date(this.now() + this.offsetMs).toISOString().replace(/[:-]|\.\d{3}/g, "");
  }

  /**
   * Whether `response` is AWS's refusal of a signature dated off its clock: the call is worth
   * signing (by `signingDate`, corrected here where still needed) and sending again. `signedWith` is
   * the `X-Amz-Date` its request was signed with; without it, this clock's time now. False for any
   * other answer, and for such a refusal whose `Date` is near the signature's (a wrong secret key is
   * refused in those words too). `errorCode`: the refusal's code where the body says it (STS's XML
   * `<Code>`); else its `x-amzn-errortype`, as Bedrock says it.
   */
  corrected(
    response: Response,
    signedWith?: string,
    errorCode = response.headers.get("x-amzn-errortype") ?? "",
  ): boolean {
    if (response.status !== 403) return false;
    if (!CLOCK_REFUSAL.test(errorCode)) return false;
    const server = Date.parse(response.headers.get("date") ?? "");
    if (Number.isNaN(server)) return false;
    const now = this.now();
    const signed = signedWith === undefined ? now + this.offsetMs : amzTime(signedWith);
    // Negated so that a signature with no date read (NaN) is no skew either.
    if (!(Math.abs(signed - server) >= SKEW_MS)) return false;
    if (Math.abs(now + this.offsetMs - server) >= SKEW_MS) this.offsetMs = server - now;
    return true;
  }
}

/** The time an `X-Amz-Date` (`20261207T012000Z`) says (NaN for none such). */
export const amzTime = (amzDate: string): number =>
  Date.parse(amzDate.replace(AMZ_DATE, "$1-$2-$3T$4:$5:$6Z"));

const AMZ_DATE = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/;
