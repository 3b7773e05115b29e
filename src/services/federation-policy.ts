import { getLogger } from "@logtape/logtape";
import type { Kysely } from "kysely";
import type { DatabaseHandle } from "../db/connect.ts";
import type { Database } from "../db/database.ts";
import {
  bumpPolicyVersion,
  deleteDomainPolicy,
  getFederationMode,
  getPolicyVersion,
  insertDomainPolicy,
  listDomainPolicies,
  type RemovedWithHost,
  removeEverythingWithHost,
  setFederationMode,
} from "../db/federation-policy.repo.ts";
import { notify } from "../db/notify.ts";
import {
  type DomainPolicy,
  type DomainPolicyEntry,
  type FederationMode,
  type FederationPolicy,
  isUrlAllowed,
  normalizeDomain,
  policyOf,
} from "../domain/federation-policy.ts";
import type { Clock } from "./ports.ts";

const logger = getLogger(["bayanihan", "federation-policy"]);

/** The NOTIFY channel every change is announced on. */
export const FEDERATION_POLICY_CHANNEL = "federation_policy";

/**
 * How long a cached policy is trusted without a notification. Only a safety
 * net: a NOTIFY sent while a process's LISTEN connection was reconnecting is
 * lost, and this bounds how long that process can lag behind.
 */
const DEFAULT_FALLBACK_TTL_MS = 30_000;

export type AddDomainResult =
  | {
      readonly ok: true;
      readonly entry: DomainPolicyEntry;
      /** Relationships with the domain, and content from it, deleted along with a block. */
      readonly removed: RemovedWithHost;
    }
  | { readonly ok: false; readonly error: "invalid"; readonly reason: string }
  | { readonly ok: false; readonly error: "exists"; readonly domain: string };

export type RemoveDomainResult = "removed" | "not_found" | { readonly invalid: string };

export interface FederationPolicyService {
  mode(): Promise<FederationMode>;
  setMode(mode: FederationMode): Promise<void>;
  domains(): Promise<DomainPolicyEntry[]>;
  /**
   * Adds an `allow` or `block` entry; a domain with an entry already is
   * refused (delete it first: changing a block into an allow is deliberate).
   * A block deletes the followers and follows on that host in the same
   * transaction.
   */
  addDomain(input: {
    domain: string;
    policy: DomainPolicy;
    reason?: string | null;
  }): Promise<AddDomainResult>;
  removeDomain(domain: string): Promise<RemoveDomainResult>;
  /**
   * Whether the instance federates with the host of `target` (an actor,
   * key, inbox or object URL). Served from the cache, which every change
   * invalidates, so the answer follows a change at once.
   */
  isAllowed(target: URL | string): Promise<boolean>;
  /** The current policy (cached). */
  current(): Promise<FederationPolicy>;
  /**
   * Makes the next answers reflect every change committed before this call,
   * whichever process made it: reads the policy's version (one single-row
   * query, shared by the callers that arrive while it waits to be sent) and
   * drops the cache when another process changed the policy since it was
   * read. For deliveries, which must not go to a host blocked a moment ago
   * by another process whose NOTIFY has not arrived (or was lost).
   */
  revalidate(): Promise<void>;
  /** Stops listening for other processes' changes. */
  close(): Promise<void>;
}

interface Versioned {
  readonly policy: FederationPolicy;
  /** The policy version read before the policy (getPolicyVersion). */
  readonly version: string;
  readonly loadedAt: number;
}

/**
 * In the change's transaction: the version other processes compare before
 * delivering, and the NOTIFY that drops their caches once it commits.
 */
async function announceChange(trx: Kysely<Database>): Promise<void> {
  await bumpPolicyVersion(trx);
  await notify(trx, FEDERATION_POLICY_CHANNEL);
}

export interface FederationPolicyDeps {
  readonly database: Pick<DatabaseHandle, "db" | "listen">;
  readonly clock: Clock;
  readonly fallbackTtlMs?: number;
}

/**
 * The federation policy with an in-process cache.
 *
 * Why NOTIFY rather than a very short TTL: every inbox POST, signed GET and
 * delivery asks the policy, so it must come from memory; several web and
 * worker processes may share one PostgreSQL, and a block must stop all of
 * them at once, not after a TTL (a 1 s TTL would still leave a window and
 * cost every process a query per second forever). So each change runs
 * `pg_notify` in its own transaction (delivered on commit, to every process
 * including this one; PGlite delivers in-process), every process drops its
 * cache on the notification, and this process also drops it right after its
 * own commit, so a request that follows an API call sees the change without
 * waiting for the notification. A generation counter keeps a load that
 * raced with a change from caching what it read.
 *
 * A notification still arrives a little after the commit, and one sent while
 * a LISTEN connection was reconnecting is lost (the reconnect itself drops
 * the cache, see DatabaseHandle.listen): for deliveries, which must stop the
 * moment a block commits, `revalidate()` also compares the policy's version
 * (a counter each change bumps in its transaction) before they are made, one
 * read per batch of deliveries. The long fallback TTL bounds how long other
 * readers (inbox screens, signed GETs) can lag when a LISTEN connection is
 * lost and cannot be re-established.
 */
export async function createFederationPolicyService(
  deps: FederationPolicyDeps,
): Promise<FederationPolicyService> {
  const { db } = deps.database;
  const ttl = deps.fallbackTtlMs ?? DEFAULT_FALLBACK_TTL_MS;
  let cached: Versioned | null = null;
  let loading: Promise<Versioned> | null = null;
  let generation = 0;
  /** A version read not yet sent: callers may join it. */
  let queuedCheck: Promise<void> | null = null;
  /** The version read under way: it may predate a caller, who waits for the next one. */
  let runningCheck: Promise<void> | null = null;

  function invalidate(): void {
    generation++;
    cached = null;
    loading = null;
  }

  async function load(): Promise<Versioned> {
    const started = generation;
    // The version first: the entries read after it are at least that new.
    const version = await getPolicyVersion(db);
    const mode = await getFederationMode(db);
    const entries = await listDomainPolicies(db);
    const loaded = { policy: policyOf(mode, entries), version, loadedAt: performance.now() };
    if (started === generation) cached = loaded;
    return loaded;
  }

  function currentVersioned(): Promise<Versioned> {
    if (cached !== null && performance.now() - cached.loadedAt < ttl) {
      return Promise.resolve(cached);
    }
    if (loading === null) {
      const promise = load().finally(() => {
        if (loading === promise) loading = null;
      });
      loading = promise;
    }
    return loading;
  }

  const current = async () => (await currentVersioned()).policy;

  async function checkVersion(): Promise<void> {
    const version = await getPolicyVersion(db);
    // A load under way may have read the policy before the caller arrived.
    const held = cached ?? (loading === null ? null : await loading.catch(() => null));
    if (held === null) return;
    if (held.version !== version) {
      invalidate();
    } else if (cached === held) {
      // Just shown current: the fallback TTL starts again.
      cached = { ...held, loadedAt: performance.now() };
    }
  }

  function revalidate(): Promise<void> {
    if (queuedCheck !== null) return queuedCheck;
    const run = async (): Promise<void> => {
      // Sent from here on: whoever comes later needs a read of its own.
      if (queuedCheck === check) queuedCheck = null;
      runningCheck = check;
      try {
        await checkVersion();
      } finally {
        if (runningCheck === check) runningCheck = null;
      }
    };
    // One read at a time: the deliveries of one claimed batch share one.
    const check: Promise<void> = (runningCheck ?? Promise.resolve()).then(run, run);
    queuedCheck = check;
    return check;
  }

  const unlisten = await deps.database.listen(FEDERATION_POLICY_CHANNEL, invalidate);

  return {
    async mode() {
      return (await current()).mode;
    },
    async setMode(mode) {
      await db.transaction().execute(async (trx) => {
        await setFederationMode(trx, mode, deps.clock());
        await announceChange(trx);
      });
      invalidate();
      logger.info("Federation mode set to {mode}", { mode });
    },
    domains: () => listDomainPolicies(db),
    async addDomain(input) {
      const normalized = normalizeDomain(input.domain);
      if (!normalized.ok) return { ok: false, error: "invalid", reason: normalized.reason };
      const reason = input.reason?.trim() || null;
      const result = await db.transaction().execute(async (trx) => {
        const entry = await insertDomainPolicy(trx, {
          domain: normalized.domain,
          policy: input.policy,
          reason,
          createdAt: deps.clock(),
        });
        if (entry === null) return null;
        const removed =
          entry.policy === "block"
            ? await removeEverythingWithHost(trx, entry.domain)
            : {
                followers: 0,
                following: 0,
                remoteProposals: 0,
                remoteShares: 0,
                incidentParticipants: 0,
                incidentCopies: 0,
              };
        await announceChange(trx);
        return { entry, removed };
      });
      if (result === null) return { ok: false, error: "exists", domain: normalized.domain };
      invalidate();
      logger.info(
        "Federation policy: {policy} {domain} (removed {followers} followers, {following} follows, {remoteProposals} received objects, {remoteShares} shares)",
        {
          policy: result.entry.policy,
          domain: result.entry.domain,
          ...result.removed,
        },
      );
      return { ok: true, ...result };
    },
    async removeDomain(domain) {
      const normalized = normalizeDomain(domain);
      if (!normalized.ok) return { invalid: normalized.reason };
      const removed = await db.transaction().execute(async (trx) => {
        const deleted = await deleteDomainPolicy(trx, normalized.domain);
        if (deleted) await announceChange(trx);
        return deleted;
      });
      if (!removed) return "not_found";
      invalidate();
      logger.info("Federation policy: entry for {domain} removed", { domain: normalized.domain });
      return "removed";
    },
    async isAllowed(target) {
      return isUrlAllowed(target, await current());
    },
    current,
    revalidate,
    async close() {
      await unlisten();
    },
  };
}
