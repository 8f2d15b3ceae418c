import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import type { SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';

interface Envelope {
  envelope_id: string;
  payload?: unknown;
}

/**
 * Slack's Socket Mode end: apps.connections.open (on the Web API simulator) hands out this
 * server's URL; it greets with `hello`, delivers envelopes, and collects the client's acks.
 */
export class SocketModeSimulator {
  readonly #slack: SlackSimulator;
  readonly #acks = new Map<string, (payload: unknown) => void>();
  #server: WebSocketServer | undefined;
  readonly sockets: WebSocket[] = [];

  constructor(slack: SlackSimulator) {
    this.#slack = slack;
  }

  async start(): Promise<void> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    server.on('connection', (socket) => {
      this.sockets.push(socket);
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as Envelope;
        this.#acks.get(message.envelope_id)?.(message.payload);
      });
      socket.send(
        JSON.stringify({
          type: 'hello',
          num_connections: this.sockets.length,
          connection_info: { app_id: 'A0DPBOT' },
        }),
      );
    });
    this.#server = server;
    const { port } = server.address() as AddressInfo;
    this.#slack.socketModeUrl = `ws://127.0.0.1:${port}/link`;
  }

  /** Delivers a payload to the (first) connected client and resolves with its acknowledgement. */
  deliver(
    type: 'slash_commands' | 'interactive' | 'events_api',
    payload: unknown,
    timeoutMs = 5_000,
  ): Promise<unknown> {
    const socket = this.sockets.find((s) => s.readyState === s.OPEN);
    if (!socket) return Promise.reject(new Error('no Socket Mode client is connected'));
    const envelopeId = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#acks.delete(envelopeId);
        reject(new Error(`envelope ${envelopeId} was not acknowledged`));
      }, timeoutMs);
      this.#acks.set(envelopeId, (ackPayload) => {
        clearTimeout(timer);
        this.#acks.delete(envelopeId);
        resolve(ackPayload);
      });
      socket.send(
        JSON.stringify({
          envelope_id: envelopeId,
          type,
          payload,
          accepts_response_payload: type !== 'events_api',
        }),
      );
    });
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
