/**
 * What a call to a gateway's admin API (`--gateway`: the CLI's commands, `mindgw tail`) says of an
 * admin key the gateway does not take (401), in one wording for all of them. The gateway says no
 * more of a key it does not take (unknown, revoked or expired read alike, so a guesser learns
 * nothing), and a proxy's sign-in page says nothing of ours: neither is quoted. `label` is the
 * gateway's `urlLabel`. The caller ends with exit code 2.
 */
export const adminKeyRejected = (label: string): string =>
  `admin key rejected by ${label} (HTTP 401): check --admin-key or MINDGW_ADMIN_KEY; a revoked or expired key is refused alike`;
