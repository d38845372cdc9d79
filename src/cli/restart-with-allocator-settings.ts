/**
 * Imported first by main.ts, for its effect: `serve` and `worker` start again here with the
 * allocator's setting (allocator-settings.ts) before the CLI's modules are evaluated, so a
 * restart costs the runtime's start, not theirs.
 */
import { restartWithAllocatorSettings } from "./allocator-settings.ts";

restartWithAllocatorSettings();
