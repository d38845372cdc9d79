/**
 * The collector stand-in of the tracing benchmarks: an OTLP/HTTP endpoint on loopback that reads
 * and discards every export and answers as a collector does — 200, `application/x-protobuf` with
 * an empty `ExportTraceServiceResponse` (no bytes), or `application/json` `{}` for a JSON export.
 * In production the collector runs on another machine; here it shares the 2 cores with the
 * gateway, so it should cost as little as a real sink can.
 *
 * `startOtlpSink()` starts nginx for it (one process, `master_process off`, so `pid` is the one
 * doing the work; `return` discards the body as it arrives): ~0.3 µs of a traced request, where
 * a Bun server that reads each body costs ~1.5 µs (docs/BENCHMARKS-HISTORY.md, "Sixth pass"). With
 * `OTLP_SINK=bun` it runs this file as that Bun server instead:
 *   bun bench/otlp-sink.ts
 * which prints one JSON line `{"port":N}` once listening, and on SIGTERM writes the exports and
 * bytes it received to stderr and stops.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, spawnService, waitForHttp } from "./service.ts";

const NGINX = process.env.NGINX_BIN ?? "/usr/sbin/nginx";

export interface OtlpSink {
  readonly url: string;
  /** The process that receives the exports (for its CPU, from /proc). */
  readonly pid: number;
  stop(): Promise<void>;
}

const nginxConf = (dir: string, port: number) => `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_max_body_size 0;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:${port};
    location / {
      if ($content_type ~* "^application/json") { rewrite ^ /.json last; }
      default_type application/x-protobuf;
      return 200 "";
    }
    location = /.json {
      internal;
      default_type application/json;
      return 200 "{}";
    }
  }
}
`;

/** Starts the sink (nginx; the Bun server below with `OTLP_SINK=bun`); `stderrPath` takes its log. */
export async function startOtlpSink(opts: { stderrPath?: string } = {}): Promise<OtlpSink> {
  if (process.env.OTLP_SINK === "bun") {
    const service = spawnService(["bun", import.meta.path], opts);
    const port = await service.portLine();
    return { url: `http://127.0.0.1:${port}`, pid: service.pid, stop: () => service.stop() };
  }
  const dir = await mkdtemp(join(tmpdir(), "mindgw-otlp-sink-"));
  const port = freePort();
  await writeFile(join(dir, "nginx.conf"), nginxConf(dir, port));
  const service = spawnService(
    [NGINX, "-e", join(dir, "error.log"), "-p", dir, "-c", join(dir, "nginx.conf")],
    opts,
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(url);
  } catch (error) {
    await service.stop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    pid: service.pid,
    async stop() {
      await service.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

if (import.meta.main) {
  let exportCount = 0;
  let bytes = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const body = await req.arrayBuffer();
      exportCount++;
      bytes += body.byteLength;
      const json = req.headers.get("content-type")?.startsWith("application/json") === true;
      return new Response(json ? "{}" : null, {
        headers: { "content-type": json ? "application/json" : "application/x-protobuf" },
      });
    },
  });
  process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
  process.on("SIGTERM", () => {
    process.stderr.write(`otlp-sink: ${exportCount} exports, ${bytes} bytes\n`);
    server.stop(true);
    process.exit(0);
  });
}
