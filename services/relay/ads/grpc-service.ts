// The Aggregated Discovery Service as a grpc-js service definition with the codec's message
// schemas as serializers (no proto-loader): requests decode to plain shapes, and responses are
// written as the bytes the streams assemble. The server definition also serves a parent-relay
// source as its client (responses left as bytes, so one it cannot decode can still be NACKed);
// the client definition decodes responses, for tests.

import type { MethodDefinition, ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { certificateIdentities } from '../tls.ts';
import type { AdsStream, StreamAccess, StreamEnv, TypeState } from './ads-stream.ts';
import { DeltaStream } from './delta-stream.ts';
import {
  type DeltaRequest,
  type DeltaResponse,
  decodeDeltaRequest,
  decodeDeltaResponse,
  decodeSotwRequest,
  decodeSotwResponse,
  encodeDeltaRequest,
  encodeSotwRequest,
  type SotwRequest,
  type SotwResponse,
} from './messages.ts';
import { SotwStream } from './sotw-stream.ts';

export const ADS_SERVICE = 'envoy.service.discovery.v3.AggregatedDiscoveryService';

const toBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function method<Req, Res>(
  name: string,
  requestSerialize: (r: Req) => Uint8Array,
  requestDeserialize: (b: Uint8Array) => Req,
  responseDeserialize: (b: Uint8Array) => Res,
  responseSerialize: (r: Res) => Uint8Array,
): MethodDefinition<Req, Res> {
  return {
    path: `/${ADS_SERVICE}/${name}`,
    requestStream: true,
    responseStream: true,
    requestSerialize: (r) => toBuffer(requestSerialize(r)),
    requestDeserialize,
    responseSerialize: (r) => toBuffer(responseSerialize(r)),
    responseDeserialize,
    originalName: name,
  };
}

const raw = (b: Uint8Array): Uint8Array => b;
const notSerializable = (): Uint8Array => {
  throw new Error('decoded responses are not re-encoded');
};

/** Server side: responses are already-encoded bytes. */
export const adsServiceDefinition = {
  StreamAggregatedResources: method<SotwRequest, Uint8Array>(
    'StreamAggregatedResources',
    encodeSotwRequest,
    decodeSotwRequest,
    raw,
    raw,
  ),
  DeltaAggregatedResources: method<DeltaRequest, Uint8Array>(
    'DeltaAggregatedResources',
    encodeDeltaRequest,
    decodeDeltaRequest,
    raw,
    raw,
  ),
};

/** Client side: responses decoded, resources left packed. */
export const adsClientDefinition = {
  StreamAggregatedResources: method<SotwRequest, SotwResponse>(
    'StreamAggregatedResources',
    encodeSotwRequest,
    decodeSotwRequest,
    decodeSotwResponse,
    notSerializable,
  ),
  DeltaAggregatedResources: method<DeltaRequest, DeltaResponse>(
    'DeltaAggregatedResources',
    encodeDeltaRequest,
    decodeDeltaRequest,
    decodeDeltaResponse,
    notSerializable,
  ),
};

/** The live streams, for /debug/clients and metrics. */
export type StreamRegistry = Set<AdsStream<never, TypeState>>;

export function adsServiceImplementation(
  env: StreamEnv,
  registry: StreamRegistry,
): UntypedServiceImplementation {
  return {
    StreamAggregatedResources: (call: ServerDuplexStream<SotwRequest, Uint8Array>) =>
      serve(call, new SotwStream(env, transportOf(call), call.getPeer(), accessOf(call, env)), env, registry),
    DeltaAggregatedResources: (call: ServerDuplexStream<DeltaRequest, Uint8Array>) =>
      serve(
        call,
        new DeltaStream(env, transportOf(call), call.getPeer(), accessOf(call, env)),
        env,
        registry,
      ),
  };
}

function transportOf(call: ServerDuplexStream<unknown, Uint8Array>) {
  return {
    write(message: Uint8Array, flushed: () => void) {
      call.write(message, () => flushed());
    },
    fail(code: number, message: string) {
      // grpc-js turns an 'error' carrying a code into the call's status.
      call.emit('error', Object.assign(new Error(message), { code, details: message }));
    },
  };
}

function accessOf(call: ServerDuplexStream<unknown, Uint8Array>, env: StreamEnv): StreamAccess | undefined {
  const policy = env.authz;
  if (!policy) return undefined;
  const identities = certificateIdentities(call.getAuthContext().sslPeerCertificate);
  return { identities, allows: (nodeCluster) => policy.allows(identities, nodeCluster) };
}

function serve<Req extends SotwRequest | DeltaRequest>(
  call: ServerDuplexStream<Req, Uint8Array>,
  stream: AdsStream<Req, TypeState>,
  env: StreamEnv,
  registry: StreamRegistry,
): void {
  const labels = { protocol: stream.protocol };
  registry.add(stream);
  env.metrics.streamsOpened.inc(labels);
  env.log.debug('stream opened', { stream: stream.id, protocol: stream.protocol, peer: stream.peer });
  let done = false;
  const finish = (why: string) => {
    if (done) return;
    done = true;
    stream.close();
    registry.delete(stream);
    env.log.debug('stream closed', { stream: stream.id, why, nodeId: stream.node?.id });
  };
  call.on('data', (request: Req) => {
    try {
      stream.handle(request);
    } catch (error) {
      env.log.error('request handling failed; closing the stream', { stream: stream.id, error });
      finish('error');
      call.destroy(error as Error);
    }
  });
  call.on('end', () => {
    finish('client closed');
    call.end();
  });
  call.on('cancelled', () => finish('cancelled'));
  call.on('error', () => finish('error'));
  call.on('close', () => finish('closed'));
}
