#!/usr/bin/env bun
import "./cli/restart-with-allocator-settings.ts";
import "./cli/catch-serve-signals.ts";
import { runCli } from "./cli/run-cli.ts";

process.exitCode = await runCli(process.argv);
