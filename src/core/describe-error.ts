/** An unexpected error for the log: its kind and message; never a stack (source paths) or a body. */
export const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);
