import type { Context } from "@fedify/fedify";
import { getLogger } from "@logtape/logtape";
import { findActorLinks } from "../../src/db/incidents.repo.ts";
import {
  claimDueCopies,
  type DueCopy,
  groupForCopy,
  markStale,
  markUnconfirmed,
  takeLease,
} from "../../src/db/reconciliation.repo.ts";
import {
  type ReconciliationOptions,
  type ReconciliationOutcome,
  type ReconciliationReport,
  reconciliationWindow,
} from "../../src/domain/reconciliation.ts";
import type { AppFederation, FederationDeps } from "../federation.ts";
import { fetchRemoteObject, forgetGone, GONE, storeFetched } from "./received-objects.ts";

const logger = getLogger(["bayanihan", "federation", "inbox", "reconciliation"]);

/** Fetches in flight at once within a run: a slow origin delays the run, not the others' fetches. */
const CONCURRENCY = 4;
const LEASE = "reconciliation";
/**
 * How long a run may hold the lease before another worker may take it: far
 * longer than a run lasts (at most `perRun` fetches, `CONCURRENCY` at a
 * time, each within the loader's deadlines).
 */
const RUN_LEASE = Temporal.Duration.from({ minutes: 10 });

export interface Reconciler {
  /**
   * One run, if this process holds the job's lease: marks long-unreachable
   * copies stale, then asks the origins of the copies due. Null when
   * another worker process holds the lease, or a run of this process is
   * still under way.
   */
  run(): Promise<ReconciliationReport | null>;
  /** Resolves once the run under way, if any, has ended (for stopping). */
  settled(): Promise<void>;
}

/**
 * Re-fetches received copies of live needs and offers whose origin has not
 * confirmed them for `maxAge` (FEDERATION.md, "Reconciliation"): an Update
 * or Delete that never arrived is repaired at the latest then. Runs in one
 * worker process at a time: the runs share a lease (`job_leases`), taken for
 * `intervalMs` from the run's start, so however many workers there are, the
 * network sees at most `perRun` fetches per interval.
 */
export function createReconciler(
  federation: AppFederation,
  deps: FederationDeps,
  options: ReconciliationOptions,
  holder: string,
): Reconciler {
  const context = () => federation.createContext(deps.urls.origin, undefined);
  let running: Promise<ReconciliationReport | null> | null = null;
  const runOnce = async (): Promise<ReconciliationReport | null> => {
    const start = deps.clock();
    const lease = { name: LEASE, holder };
    if (!(await takeLease(deps.db, lease, start.add(RUN_LEASE), start))) return null;
    const window = reconciliationWindow(start, options);
    const outcomes: Record<ReconciliationOutcome, number> = {
      confirmed: 0,
      gone: 0,
      unconfirmed: 0,
      skipped: 0,
    };
    let markedStale = 0;
    let due: DueCopy[] = [];
    try {
      markedStale = await markStale(deps.db, window.staleBefore);
      due = await claimDueCopies(deps.db, window, options, start);
      const ctx = context();
      const queue = [...due];
      const worker = async () => {
        for (let copy = queue.shift(); copy !== undefined; copy = queue.shift()) {
          outcomes[await reconcileCopy(ctx, deps, copy)]++;
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    } finally {
      // The next run starts one interval after this one did, on whichever
      // worker then finds the lease free (or this one again).
      const next = start.add({ milliseconds: options.intervalMs });
      await takeLease(deps.db, lease, next, start);
    }
    const report = { asked: due.length, outcomes, markedStale };
    if (due.length > 0 || markedStale > 0) {
      logger.info(
        "Reconciled {asked} copies: {confirmed} confirmed, {gone} gone, {unconfirmed} unconfirmed, {skipped} skipped; {markedStale} marked stale",
        { ...report, ...outcomes },
      );
    }
    return report;
  };
  return {
    async run() {
      if (running !== null) return null;
      running = runOnce();
      try {
        return await running;
      } finally {
        running = null;
      }
    },
    async settled() {
      await running?.catch(() => {});
    },
  };
}

/**
 * Asks the origin of one copy, signed as a group of ours that follows its
 * author (or an incident links to it), else one that follows a group that
 * re-shared it, else any of our groups: the network feed holds public
 * objects only, but an origin with authorized fetch wants a signature.
 */
async function reconcileCopy(
  ctx: Context<void>,
  deps: FederationDeps,
  copy: DueCopy,
): Promise<ReconciliationOutcome> {
  const objectId = new URL(copy.objectId);
  if (!(await deps.isAllowed(objectId))) return "skipped";
  const links = await findActorLinks(deps.db, copy.originActorId);
  const handle =
    links.followedBy ?? links.incidents[0]?.handle ?? (await groupForCopy(deps.db, copy.id));
  if (handle === null) return "skipped";
  try {
    const fetched = await fetchRemoteObject(ctx, "Reconciliation", objectId, handle, deps);
    if (fetched === GONE) {
      await forgetGone(deps, "Reconciliation", objectId);
      return "gone";
    }
    if (fetched !== null) {
      // Another author's document is no confirmation (storing it refuses it).
      const stored = await storeFetched(ctx, deps, fetched, {
        handle,
        announcedBy: null,
        source: "reconciliation",
      });
      if (stored !== null) return "confirmed";
    }
  } catch (error) {
    // Unreachable, failing or too slow: asked again after retryUnreachableAfter.
    logger.debug("Could not reconcile {objectId}: {error}", { objectId: copy.objectId, error });
  }
  await markUnconfirmed(deps.db, copy.id, deps.clock());
  return "unconfirmed";
}
