#!/usr/bin/env bun
import { runCli } from "./cli/run-cli.ts";

process.exitCode = await runCli(process.argv);
