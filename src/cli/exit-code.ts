/** The process's promise to scripts: 0 success, 1 runtime failure, 2 usage or config error. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** A failure the user caused and can fix; printed as one line, no stack trace. */
export class UsageError extends Error {}
