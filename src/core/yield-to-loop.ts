/** Resolves after the event loop has had a turn: I/O and timers waiting behind a long task run first. */
export const yieldToLoop = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));
