import type { Kysely } from "kysely";
import type { Database } from "../db/database.ts";
import { findSmsGatewayById } from "../db/sms-gateways.repo.ts";
import type { SmsGateway } from "../domain/sms-gateway.ts";
import { SMS_GATEWAY_HEADER } from "./requester-sms.ts";
import { type MessageTransport, type OutboundMessage, PermanentSendError } from "./transport.ts";

/** Longer than a phone on a weak network takes to answer, short of the outbox lease. */
const SEND_TIMEOUT_MS = 30_000;

/**
 * Sends text messages through the gateway of the collective each one is
 * about (named in the message's gateway header), speaking that gateway's
 * protocol. The gateway's configuration is read at send time: a secret
 * changed by an admin applies to messages already waiting.
 */
export function createSmsTransport(deps: {
  readonly db: Kysely<Database>;
  readonly fetch?: typeof fetch;
}): MessageTransport {
  const send = deps.fetch ?? fetch;
  return {
    channel: "sms",
    async send(message) {
      const id = message.headers[SMS_GATEWAY_HEADER];
      const gateway = id === undefined ? null : await findSmsGatewayById(deps.db, id);
      if (gateway === null) {
        throw new PermanentSendError("The collective has no SMS gateway any more");
      }
      const request =
        gateway.protocol === "android"
          ? androidRequest(gateway, message)
          : twilioRequest(gateway, message);
      const response = await send(request.url, {
        method: "POST",
        headers: request.headers,
        body: request.body,
        redirect: "error",
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
      if (response.ok) {
        await response.body?.cancel();
        return;
      }
      const detail = (await response.text().catch(() => "")).slice(0, 300);
      const reason = `${gateway.protocol} gateway answered ${response.status}: ${detail}`;
      // A refusal of this very message (a bad number, bad credentials) will
      // not change by retrying; an overloaded or absent gateway may.
      if (response.status >= 400 && response.status < 500 && response.status !== 429) {
        throw new PermanentSendError(reason);
      }
      throw new Error(reason);
    },
  };
}

interface GatewayRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

/**
 * SMS Gateway for Android: `POST {api}/message` with basic auth, where
 * {api} is the phone's local server (`http://192.168.1.20:8080`) or the
 * cloud server's `https://api.sms-gate.app/3rdparty/v1`. The outbox row's id
 * goes along as the message id, so a resend after a crash is the same message.
 */
function androidRequest(gateway: SmsGateway, message: OutboundMessage): GatewayRequest {
  return {
    url: `${gateway.apiUrl}/message`,
    headers: {
      authorization: basic(gateway.apiUsername, gateway.apiPassword),
      "content-type": "application/json",
    },
    body: JSON.stringify({
      id: message.id,
      textMessage: { text: message.text },
      phoneNumbers: [message.recipient],
    }),
  };
}

/** Twilio's Messages resource: a form post with the account SID and auth token as basic auth. */
function twilioRequest(gateway: SmsGateway, message: OutboundMessage): GatewayRequest {
  const sid = encodeURIComponent(gateway.apiUsername);
  return {
    url: `${gateway.apiUrl}/2010-04-01/Accounts/${sid}/Messages.json`,
    headers: {
      authorization: basic(gateway.apiUsername, gateway.webhookSecret),
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({
      To: message.recipient,
      From: gateway.phoneNumber,
      Body: message.text,
    }).toString(),
  };
}
