/**
 * An HTTPS proxy on a loopback port that opens no tunnel: it notes the `host:port` of each CONNECT
 * (the host a gateway given it as `HTTPS_PROXY` meant to reach) and refuses it with a 502, so a
 * test sees which of AWS's hosts a call was for without anything leaving loopback.
 */
export interface ConnectRecorder {
  readonly url: string;
  /** Every CONNECT target so far (`bedrock-runtime-fips.us-east-1.amazonaws.com:443`), in order. */
  readonly targets: readonly string[];
  stop(): void;
}

export function startConnectRecorder(): ConnectRecorder {
  const targets: string[] = [];
  const listener = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(socket, bytes) {
        const line = bytes.toString().split("\r\n")[0] ?? "";
        const target = /^CONNECT (\S+) HTTP\/1\.[01]$/.exec(line)?.[1];
        if (target !== undefined) targets.push(target);
        socket.end("HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
      },
    },
  });
  return {
    url: `http://127.0.0.1:${listener.port}`,
    targets,
    stop: () => listener.stop(true),
  };
}
