import { z } from "zod";
import { type SealSecret, sharedKey } from "../../core/shared-key.ts";
import type { PendingLogin } from "./oidc-client.ts";

const pendingSchema = z.object({
  state: z.string().min(1),
  verifier: z.string().min(1),
  nonce: z.string().min(1),
  endsSession: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});

/**
 * A pending sign-in as sealed: the OIDC exchange's own values, and the id hash of the session the
 * browser held when it started (`endsSession`), which the callback ends. The session cookie is
 * SameSite=Strict, so the provider's cross-site redirect to the callback does not carry it: the
 * start, a same-site navigation, is the step that can still read it.
 */
export interface SealedLogin extends PendingLogin {
  readonly endsSession?: string;
}

/** jose on first use: a gateway that never signs anyone in never loads it (idle RSS, issue 11). */
const jose = () => import("jose");

/** Binds the derived key to this one use of the secret. */
const INFO = "mindgw admin sign-in, pending";

/**
 * A single sign-on attempt sealed into the browser's own cookie (a JWE, `dir` with A256GCM),
 * between the redirect to the identity provider and its callback. Nothing is kept on the node
 * that started it, so behind a load balancer the callback may land on any node: every node
 * derives the same key from the secret they share (`cluster.secret`, or the one kept in their
 * storage), and so does the node after a restart. Without one (an embedder's storage that keeps
 * none) the key is this process's own, and a sign-in that spans a restart starts again.
 *
 * The seal keeps the PKCE verifier and the nonce from the browser (encrypted) and from anyone
 * who changes it (authenticated); the callback's `state` must match the sealed one (the login's
 * CSRF check). A replayed callback only replays a code the provider takes once.
 */
export class LoginSeal {
  private constructor(
    private readonly key: Uint8Array,
    private readonly now: () => number,
  ) {}

  /** From the secret seals are keyed from, or a key of this process's own when there is none. */
  static of(secret: SealSecret, now: () => number = Date.now): LoginSeal {
    return new LoginSeal(sharedKey(secret, INFO), now);
  }

  /** The cookie's value: the pending login, readable by this key until `ttlMs` from now. */
  async seal(pending: SealedLogin, ttlMs: number): Promise<string> {
    const { EncryptJWT } = await jose();
    const at = Math.floor(this.now() / 1000);
    return new EncryptJWT({ ...pending })
      .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
      .setIssuedAt(at)
      .setExpirationTime(at + Math.ceil(ttlMs / 1000))
      .encrypt(this.key);
  }

  /** The pending login, or undefined when the value is not ours, was changed or has expired. */
  async open(value: string): Promise<SealedLogin | undefined> {
    const { jwtDecrypt } = await jose();
    try {
      const { payload } = await jwtDecrypt(value, this.key, {
        contentEncryptionAlgorithms: ["A256GCM"],
        keyManagementAlgorithms: ["dir"],
        currentDate: new Date(this.now()),
      });
      const pending = pendingSchema.safeParse(payload);
      if (!pending.success) return undefined;
      const { endsSession, ...login } = pending.data;
      return endsSession === undefined ? login : { ...login, endsSession };
    } catch {
      return undefined;
    }
  }
}
