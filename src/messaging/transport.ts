import type { MessageChannel, OutboundMessage } from "../domain/outbound-message.ts";

export type { MessageChannel, OutboundMessage } from "../domain/outbound-message.ts";

/**
 * Sends messages of one channel (SMTP for email, a gateway for SMS). `send`
 * resolves once the other side took the message and throws when it did not;
 * the outbox worker retries then.
 */
export interface MessageTransport {
  readonly channel: MessageChannel;
  send(message: OutboundMessage): Promise<void>;
}

/**
 * A refusal no retry will change (a recipient address the server rejects
 * outright): the worker marks the message failed at once.
 */
export class PermanentSendError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PermanentSendError";
  }
}
