/**
 * Frees a buffer's memory now, not when a collection finds it unreachable: it is detached, and
 * every view of it reads as empty from then on. For buffers of bodies (megabytes each) that the
 * code holding them is done with: a collector with no reason to run soon (an audit thread, which
 * makes little else) left each one allocated, and with the allocator keeping the pages it frees
 * (docs/DEPLOYMENT.md, "Memory"), RSS stayed at every such peak.
 */
export function freeNow(memory: ArrayBuffer): void {
  memory.transfer(0);
}
