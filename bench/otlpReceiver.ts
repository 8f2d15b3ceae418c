import type { AddressInfo } from 'node:net';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { otlpReceiver, otlpSpans } from '../test/support/otlpProtobuf.ts';

/** What the receiver has taken in since it started. */
export interface OtlpReceived {
  exports: number;
  spans: number;
  names: [string, number][];
}

/**
 * An OTLP/HTTP trace receiver on 127.0.0.1 (protobuf or JSON) that counts the spans it is sent and
 * drops them, in a worker thread of its own: it stands for a collector elsewhere, so decoding a
 * 512-span export must not hold up the event loop that sends the benchmark's requests and times
 * their answers (in the same thread, it delayed the traced sides' sends and answers alone).
 */
export async function startOtlpReceiver(): Promise<{
  url: string;
  received(): Promise<OtlpReceived>;
  close(): Promise<void>;
}> {
  const worker = new Worker(new URL(import.meta.url));
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (m: { port: number }) => resolve(m.port));
    worker.once('error', reject);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    received: () =>
      new Promise((resolve) => {
        worker.once('message', (m: OtlpReceived) => resolve(m));
        worker.postMessage('received');
      }),
    close: async () => {
      await worker.terminate();
    },
  };
}

if (!isMainThread && parentPort) {
  const parent = parentPort;
  const received: OtlpReceived = { exports: 0, spans: 0, names: [] };
  const names = new Map<string, number>();
  const server = otlpReceiver((sent) => {
    received.exports++;
    for (const span of otlpSpans(sent)) {
      received.spans++;
      names.set(span.name, (names.get(span.name) ?? 0) + 1);
    }
  });
  server.listen(0, '127.0.0.1', () => parent.postMessage({ port: (server.address() as AddressInfo).port }));
  parent.on('message', () => parent.postMessage({ ...received, names: [...names] }));
}
