import type { Kysely } from "kysely";
import type { Database } from "../db/database.ts";
import { expandSubscribeTemplate, parseAccountAddress } from "../domain/remote-follow.ts";
import type { Clock, PeerGateway } from "./ports.ts";
import { consumeRateLimit, type RateLimit } from "./rate-limit.ts";

/**
 * Lookups per client address and hour. Each one makes this server fetch from
 * a host the visitor names, so anonymous visitors must not be able to turn it
 * into a request cannon; a person following a few groups never gets near it.
 */
export const REMOTE_FOLLOW_RATE_LIMIT: RateLimit = {
  name: "remote-follow",
  limit: 30,
  windowSeconds: 3600,
};

export type RemoteFollowResult =
  | { readonly ok: true; readonly url: URL }
  | { readonly ok: false; readonly error: "format" | "lookup" | "rate-limited" };

/**
 * Where to send a visitor who typed their own account to follow `targetActorId`.
 * A server our federation policy refuses is treated like one that cannot be
 * found: we do not send people to servers we do not talk to.
 */
export async function remoteFollowUrl(
  deps: {
    db: Kysely<Database>;
    clock: Clock;
    peers: Pick<PeerGateway, "subscribeTemplate">;
    isAllowed: (url: URL) => Promise<boolean>;
  },
  account: string,
  targetActorId: string,
  clientKey: string,
): Promise<RemoteFollowResult> {
  const address = parseAccountAddress(account);
  if (address === null) return { ok: false, error: "format" };
  if (!(await consumeRateLimit(deps, REMOTE_FOLLOW_RATE_LIMIT, clientKey)).allowed) {
    return { ok: false, error: "rate-limited" };
  }
  if (!(await deps.isAllowed(new URL(`https://${address.host}/`)))) {
    return { ok: false, error: "lookup" };
  }
  const template = await deps.peers.subscribeTemplate(`${address.user}@${address.host}`);
  const url = template === null ? null : expandSubscribeTemplate(template, targetActorId);
  return url === null ? { ok: false, error: "lookup" } : { ok: true, url };
}
