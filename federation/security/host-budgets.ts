/**
 * Budgets per signing host in front of the inbox (domain/host-budget.ts):
 * every inbox POST spends from its signer's host's inbox bucket, and a
 * Follow also from the host's follow bucket. An empty bucket is a 429 with
 * `Retry-After`, which Mastodon and Fedify honour by retrying later, so what
 * a real server sends is delayed, never lost; a flood is neither stored nor
 * answered (no Accept goes back for a Follow that was not let in).
 *
 * Called only once the signature has verified, so the host is the real
 * signer's (a forger cannot spend another server's budget), and before
 * anything dearer (key ownership, JSON-LD, the queue).
 */
import type { Kysely } from "kysely";
import type { Database } from "../../src/db/database.ts";
import { deleteIdleBuckets, takeBucketToken } from "../../src/db/rate-limits.repo.ts";
import {
  budgetHost,
  type HostBudgets,
  isFollowType,
  refillSeconds,
} from "../../src/domain/host-budget.ts";

export interface HostBudgetRefusal {
  readonly status: 429;
  readonly error: "host_budget_exceeded";
  readonly message: string;
  readonly retryAfterSeconds: number;
}

export interface InboxBudgets {
  /** Spends from `signer`'s buckets for this activity; a refusal when one is empty. */
  spend(
    signer: URL,
    activity: Readonly<Record<string, unknown>>,
  ): Promise<HostBudgetRefusal | null>;
  /** Forgets buckets idle long enough to be full again. */
  prune(): Promise<void>;
}

export function createInboxBudgets(deps: {
  db: Kysely<Database>;
  budgets: HostBudgets;
  now?: () => Temporal.Instant;
}): InboxBudgets {
  const now = deps.now ?? (() => Temporal.Now.instant());
  const { inbox, follows } = deps.budgets;
  const idleSeconds = Math.max(refillSeconds(inbox), refillSeconds(follows), 60);
  return {
    async spend(signer, activity) {
      const host = budgetHost(signer);
      const at = now();
      const general = await takeBucketToken(deps.db, `inbox:${host}`, inbox, at);
      if (!general.allowed) {
        return refusal(
          `${host} has sent more activities than this instance takes at once; retry later.`,
          general.retryAfterSeconds,
        );
      }
      if (!isFollowType(activity.type)) return null;
      const follow = await takeBucketToken(deps.db, `follow:${host}`, follows, at);
      if (!follow.allowed) {
        return refusal(
          `${host} has sent more follows than this instance takes at once; retry later.`,
          follow.retryAfterSeconds,
        );
      }
      return null;
    },
    async prune() {
      if (!Number.isFinite(idleSeconds)) return;
      await deleteIdleBuckets(deps.db, now().subtract({ seconds: idleSeconds }));
    },
  };
}

function refusal(message: string, retryAfterSeconds: number): HostBudgetRefusal {
  return { status: 429, error: "host_budget_exceeded", message, retryAfterSeconds };
}
