type Env = Readonly<Record<string, string | undefined>>;

const PROTOCOLS = ["http/protobuf", "http/json", "grpc"] as const;

/** An OTLP protocol the exporters speak. */
export type OtlpProtocol = (typeof PROTOCOLS)[number];

const isProtocol = (text: string): text is OtlpProtocol => (PROTOCOLS as readonly string[]).includes(text);

/**
 * The protocol traces are exported with, read as sdk-node reads it: `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`,
 * else `OTEL_EXPORTER_OTLP_PROTOCOL` (a blank one as unset, as its `getStringFromEnv` reads it;
 * any other as it is, untrimmed: sdk-node sends `"grpc "` as http/protobuf), else http/protobuf. A
 * value that names none of the three is http/protobuf too, which sdk-node says only to its own silent
 * diagnostic logger: `warn` says it to the operator, who would otherwise find a gRPC collector,
 * say, sent HTTP without a word.
 */
export function otlpProtocol(env: Env, warn: (message: string) => void): OtlpProtocol {
  for (const name of ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"]) {
    const value = env[name];
    if (value === undefined || value.trim() === "") continue;
    if (isProtocol(value)) return value;
    warn(`${name}="${value}" names no protocol (${PROTOCOLS.join(", ")}): using http/protobuf`);
    return "http/protobuf";
  }
  return "http/protobuf";
}
