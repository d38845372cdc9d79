import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from "@grpc/grpc-js";
import { decodeTraceRequest } from "./otlp-protobuf.ts";
import { type ExportRequest, keepSpans, type ReceivedSpan } from "./otlp-receiver.ts";

/** A local OTLP/gRPC collector: `TraceService/Export` on 127.0.0.1, keeping every span it is sent. */
export interface OtlpGrpcReceiver {
  /** `http://127.0.0.1:PORT`, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly url: string;
  readonly spans: readonly ReceivedSpan[];
  stop(): void;
}

/** The message bytes as they came: decoded here, as the OTLP/HTTP receiver decodes protobuf. */
const asIs = (bytes: Buffer) => bytes;

/**
 * Served with @grpc/grpc-js, the library the SDK's gRPC exporter speaks through, so the test
 * holds the exporter to a real gRPC server, not to a framing of ours.
 */
export async function startOtlpGrpcReceiver(): Promise<OtlpGrpcReceiver> {
  const spans: ReceivedSpan[] = [];
  const server = new Server();
  server.addService(
    {
      Export: {
        path: "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
        requestStream: false,
        responseStream: false,
        requestSerialize: asIs,
        requestDeserialize: asIs,
        responseSerialize: asIs,
        responseDeserialize: asIs,
      },
    },
    {
      Export: (call: ServerUnaryCall<Buffer, Buffer>, answer: sendUnaryData<Buffer>) => {
        keepSpans(decodeTraceRequest(new Uint8Array(call.request)) as ExportRequest, spans);
        answer(null, Buffer.alloc(0));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { url: `http://127.0.0.1:${port}`, spans, stop: () => server.forceShutdown() };
}
