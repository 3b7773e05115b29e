import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";

/**
 * A stand-in for both SMS gateways, on loopback, written from their
 * documentation rather than from our code:
 *
 * - SMS Gateway for Android (https://docs.sms-gate.app): the phone's local
 *   server takes `POST /message` with basic auth and a JSON body
 *   `{textMessage: {text}, phoneNumbers: [...]}`, answering 202; its
 *   webhooks are signed with `X-Signature`, the hex HMAC-SHA256 (keyed with
 *   the signing key) of the raw body followed by `X-Timestamp`, Unix seconds.
 * - Twilio (https://www.twilio.com/docs/messaging/api/message-resource,
 *   https://www.twilio.com/docs/usage/webhooks/webhooks-security): the API
 *   takes `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, form
 *   encoded `To`, `From`, `Body`, with basic auth SID:auth token, answering
 *   201; its webhooks are form posts signed in `X-Twilio-Signature`, the
 *   base64 HMAC-SHA1 (keyed with the auth token) of the full URL followed by
 *   each parameter's name and value, sorted by name.
 */
export interface SentSms {
  readonly via: "android" | "twilio";
  readonly to: string;
  readonly from: string | null;
  readonly text: string;
}

export interface FakeSmsGateway {
  readonly url: string;
  readonly sent: SentSms[];
  close(): Promise<void>;
}

export async function startFakeSmsGateway(credentials: {
  android: { username: string; password: string };
  twilio: { accountSid: string; authToken: string };
}): Promise<FakeSmsGateway> {
  const sent: SentSms[] = [];
  const basic = (user: string, password: string) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  const read = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  };
  const server: Server = createServer(async (req, res) => {
    const body = await read(req);
    const reply = (status: number, json: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(json));
    };
    const { android, twilio } = credentials;
    if (req.method === "POST" && req.url === "/message") {
      if (req.headers.authorization !== basic(android.username, android.password)) {
        return reply(401, { message: "Unauthorized" });
      }
      const message = JSON.parse(body) as {
        textMessage?: { text: string };
        phoneNumbers: string[];
      };
      for (const to of message.phoneNumbers) {
        sent.push({ via: "android", to, from: null, text: message.textMessage!.text });
      }
      return reply(202, { id: "m1", state: "Pending", recipients: [] });
    }
    if (
      req.method === "POST" &&
      req.url === `/2010-04-01/Accounts/${twilio.accountSid}/Messages.json`
    ) {
      if (req.headers.authorization !== basic(twilio.accountSid, twilio.authToken)) {
        return reply(401, { code: 20003, message: "Authenticate", status: 401 });
      }
      const form = new URLSearchParams(body);
      sent.push({
        via: "twilio",
        to: form.get("To")!,
        from: form.get("From"),
        text: form.get("Body")!,
      });
      return reply(201, { sid: `SM${sent.length}`, status: "queued" });
    }
    reply(404, { message: "Not found" });
  });
  // A phone's or Twilio's server keeps idle connections longer than Node's
  // default 5 s; with the default, a text sent just as the instance's kept
  // connection expires meets a reset and waits for the outbox's retry.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    sent,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** What the Android app posts for a received text, signed with `signingKey`. */
export function androidWebhook(
  signingKey: string,
  sms: { id: string; from: string; text: string },
  timestamp = Math.floor(Date.now() / 1000),
): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({
    deviceId: "ffffffffceb0b1db00000193991c27e5",
    event: "sms:received",
    id: sms.id,
    payload: {
      message: sms.text,
      receivedAt: "2026-12-07T16:00:00.000+08:00",
      messageId: "69bde8d0",
      phoneNumber: sms.from,
      simNumber: 1,
    },
    webhookId: "LreFUt-Z3sSq0JufY9uWB",
  });
  const stamp = String(timestamp);
  const signature = createHmac("sha256", signingKey)
    .update(body + stamp)
    .digest("hex");
  return {
    body,
    headers: {
      "content-type": "application/json",
      "x-signature": signature,
      "x-timestamp": stamp,
    },
  };
}

/** What Twilio posts for a received text to `url`, signed with `authToken`. */
export function twilioWebhook(
  authToken: string,
  url: string,
  params: Record<string, string>,
): { body: string; headers: Record<string, string> } {
  const names = Object.keys(params).sort();
  const signature = createHmac("sha1", authToken)
    .update(url + names.map((n) => n + params[n]).join(""))
    .digest("base64");
  return {
    body: new URLSearchParams(params).toString(),
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "x-twilio-signature": signature,
    },
  };
}
