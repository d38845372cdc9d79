/**
 * Runs `listen` and takes off `process` the `beforeExit` listeners it added. Elysia's `listen` adds
 * one per call, for the life of the process, holding the app (and through it the whole gateway,
 * stopped or not); the gateway's own `stop()` closes the server, so that listener only kept every
 * gateway a process ever listened with alive (src/embedder-process-listeners.test.ts).
 */
export function withoutExitHook<T>(listen: () => T): T {
  const before = new Set(process.listeners("beforeExit"));
  try {
    return listen();
  } finally {
    for (const added of process.listeners("beforeExit"))
      if (!before.has(added)) process.off("beforeExit", added);
  }
}
