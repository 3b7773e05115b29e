import type { Kysely } from "kysely";
import type { Database } from "../db/database.ts";
import { listLocalCandidates, listRemoteCandidates } from "../db/match-candidates.repo.ts";
import { boundingBox, type Coordinates, coarsen } from "../domain/geo.ts";
import { findMatches, type Match, type MatchParty } from "../domain/matching.ts";
import { coverageOf } from "../domain/pledging.ts";
import type { Location, Proposal } from "../domain/proposal.ts";
import type { StoredRemoteProposal } from "../domain/remote-proposal.ts";
import type { Clock } from "./ports.ts";

/**
 * Suggests answers to a need (or an offer): loads the live candidates of the
 * opposite purpose and the same category — local ones from every group of
 * the instance, remote ones from the subject's group's network feed — and
 * ranks them with the domain's matching rules.
 */

export interface MatchingDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
}

export type Candidate =
  | { readonly kind: "local"; readonly proposal: Proposal; readonly groupHandle: string }
  | { readonly kind: "remote"; readonly remote: StoredRemoteProposal };

export type CandidateParty = MatchParty & { readonly source: Candidate };

export interface MatchRequest {
  readonly subject: Proposal;
  readonly maxKm: number;
  readonly limit: number;
  /**
   * Whether the subject's own group's followers-only needs and offers may be
   * suggested: only to its coordinators, who may see them anyway.
   */
  readonly includeOwnFollowersOnly: boolean;
  /**
   * This instance's origin: a remote row whose object lives here is a copy
   * of a local proposal (a group following another group of the same
   * instance) and is already a local candidate, with the right audience rules.
   */
  readonly ownOrigin: string;
}

/** Candidates read per pool (local located, local unlocated, remote located, remote unlocated). */
export const CANDIDATES_PER_POOL = 200;

/*
 * Places shown outside the group are rounded to about 1 km (as federated
 * copies are), and distances are computed between rounded places so that
 * several distances cannot be combined into an exact address. The box is
 * widened by the most that rounding can move two points apart.
 */
const ROUNDING_SLACK_KM = 2;

export async function matchProposal(
  deps: MatchingDeps,
  request: MatchRequest,
): Promise<Match<CandidateParty>[]> {
  const { subject } = request;
  const subjectParty = proposalParty(subject);
  const center = subjectParty.coordinates;
  const filter = {
    purpose: subject.purpose === "request" ? ("offer" as const) : ("request" as const),
    category: subject.category,
    now: deps.clock(),
    area:
      center === null
        ? null
        : { center, box: boundingBox(center, request.maxKm + ROUNDING_SLACK_KM) },
    limit: CANDIDATES_PER_POOL,
  };
  const local = await listLocalCandidates(deps.db, {
    ...filter,
    ownGroupId: request.includeOwnFollowersOnly ? subject.groupId : null,
  });
  const remote = await listRemoteCandidates(deps.db, { ...filter, groupId: subject.groupId });
  const candidates: CandidateParty[] = [
    ...local.map(({ proposal, groupHandle }) => ({
      ...proposalParty(proposal),
      source: { kind: "local" as const, proposal, groupHandle },
    })),
    ...remote
      .filter((r) => !isUnder(r.objectId, request.ownOrigin))
      .flatMap((r) => {
        const party = remoteParty(r);
        return party === null ? [] : [party];
      }),
  ];
  return findMatches(subjectParty, candidates, {
    now: filter.now,
    maxKm: request.maxKm,
    limit: request.limit,
  });
}

function proposalParty(proposal: Proposal): MatchParty {
  return {
    // The UUIDv7 id; remote candidates use their object URL, so keys never collide.
    key: proposal.id,
    purpose: proposal.purpose,
    category: proposal.category,
    status: proposal.status,
    quantity: localQuantity(proposal),
    coordinates: roundedPlace(proposal.location),
    urgency: proposal.urgency,
    expiresAt: proposal.expiresAt,
  };
}

function remoteParty(remote: StoredRemoteProposal): CandidateParty | null {
  // The query asked for both; a row without them is not a need or an offer.
  if (remote.purpose === null || remote.category === null) return null;
  return {
    key: remote.objectId,
    purpose: remote.purpose,
    category: remote.category,
    status: remote.status,
    // What its instance last said is still needed; the total when it did not say.
    quantity:
      remote.quantity === null
        ? null
        : {
            unit: remote.quantity.unit,
            total: remote.quantity.amount,
            ...(remote.remainingAmount === null ? {} : { remaining: remote.remainingAmount }),
          },
    coordinates: roundedPlace(remote.location),
    // Software that sends no urgency means nothing special by it.
    urgency: remote.urgency ?? "normal",
    expiresAt: remote.expiresAt,
    source: { kind: "remote", remote },
  };
}

/** A local proposal's quantity with what accepted responses still leave open. */
function localQuantity(proposal: Proposal) {
  const coverage = coverageOf(proposal);
  return coverage === null
    ? null
    : { unit: coverage.total.unit, total: coverage.total.amount, remaining: coverage.remaining };
}

export function roundedPlace(location: Location | null): Coordinates | null {
  if (location === null || location.latitude === null || location.longitude === null) return null;
  return coarsen({ latitude: location.latitude, longitude: location.longitude });
}

function isUnder(url: string, origin: string): boolean {
  try {
    return new URL(url).origin === new URL(origin).origin;
  } catch {
    return false;
  }
}
