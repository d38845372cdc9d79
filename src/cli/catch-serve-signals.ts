/**
 * Imported by main.ts for its effect, right after the allocator's restart and before the CLI's
 * modules are evaluated: `mindgw serve` catches SIGHUP, SIGTERM and SIGINT from here on
 * (serve-signals.ts). Evaluating the CLI is most of a start (~100 ms of ~0.2 s before the banner);
 * a signal in that time would otherwise take its default action, a kill. Any other command keeps
 * the defaults: Ctrl-C ends `mindgw tail`.
 */
import { serveSignals } from "./serve-signals.ts";

if (process.argv[2] === "serve") serveSignals();
