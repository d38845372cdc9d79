import { createHash } from "node:crypto";

/** The longest `user` OpenAI takes: past it, "Invalid 'user': string too long" (a 400). */
const OPENAI_USER_MAX = 64;

/**
 * `metadata.user_id` as chat's `user`: unchanged when OpenAI would take it, else its SHA-256 in hex
 * (64 characters). Claude Code sends a JSON object of some 150 characters there (device, account,
 * session); its digest still names one caller the same way every time, so an upstream's per-user
 * abuse tracking keeps working.
 */
export function chatUser(userId: string): string {
  return userId.length <= OPENAI_USER_MAX ? userId : createHash("sha256").update(userId).digest("hex");
}
