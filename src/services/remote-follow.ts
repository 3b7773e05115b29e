import { expandSubscribeTemplate, parseAccountAddress } from "../domain/remote-follow.ts";
import type { PeerGateway } from "./ports.ts";

export type RemoteFollowResult =
  | { readonly ok: true; readonly url: URL }
  | { readonly ok: false; readonly error: "format" | "lookup" };

/**
 * Where to send a visitor who typed their own account to follow `targetActorId`.
 * A server our federation policy refuses is treated like one that cannot be
 * found: we do not send people to servers we do not talk to.
 */
export async function remoteFollowUrl(
  deps: {
    peers: Pick<PeerGateway, "subscribeTemplate">;
    isAllowed: (url: URL) => Promise<boolean>;
  },
  account: string,
  targetActorId: string,
): Promise<RemoteFollowResult> {
  const address = parseAccountAddress(account);
  if (address === null) return { ok: false, error: "format" };
  if (!(await deps.isAllowed(new URL(`https://${address.host}/`)))) {
    return { ok: false, error: "lookup" };
  }
  const template = await deps.peers.subscribeTemplate(`${address.user}@${address.host}`);
  const url = template === null ? null : expandSubscribeTemplate(template, targetActorId);
  return url === null ? { ok: false, error: "lookup" } : { ok: true, url };
}
