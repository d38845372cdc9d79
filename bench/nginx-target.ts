import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, spawnService, waitForHttp } from "./service.ts";
import type { Target } from "./target.ts";

const NGINX = process.env.NGINX_BIN ?? "/usr/sbin/nginx";

/**
 * nginx as the reference proxy: one worker process (a fair match for one Bun process), upstream
 * keep-alive, no buffering of streamed answers, on a loopback port, from a temp config.
 */
export const nginxTarget = (upstreamUrl: string): Target => ({
  name: "nginx",
  async start() {
    const dir = await mkdtemp(join(tmpdir(), "mindgw-bench-nginx-"));
    const port = freePort();
    const upstream = new URL(upstreamUrl);
    await writeFile(
      join(dir, "nginx.conf"),
      `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream fake { server ${upstream.hostname}:${upstream.port}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://fake;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
`,
    );
    const service = spawnService([
      NGINX,
      "-e",
      join(dir, "error.log"),
      "-p",
      dir,
      "-c",
      join(dir, "nginx.conf"),
    ]);
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/v1/models`);
    return {
      url,
      headers: {},
      pid: service.pid,
      async stop() {
        await service.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
});
