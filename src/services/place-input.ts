import type { Kysely } from "kysely";
import type { Database } from "../db/database.ts";
import { type GroupPlace, listGroupPlaces } from "../db/group-places.repo.ts";
import { isClearBest, normalizePlaceName, placeLabel } from "../domain/gazetteer.ts";
import { readPlaceInput } from "../domain/map-link.ts";
import type { Location } from "../domain/proposal.ts";
import { searchPlaces } from "./places.ts";

/**
 * The "where" of a coordinator's form, understood before anything is
 * stored: a name (the group's own places first, then the gazetteer), a
 * pasted map link or coordinates become candidates the page shows; the
 * coordinator's pick among them (sent back as `placePick`) is what is
 * stored. A pick is checked against the candidates the same text gives
 * again, so a forged or stale pick is never stored.
 */
export interface PlaceCandidate {
  /** What the form sends back to pick it. */
  readonly key: string;
  /** The name stored with the need: "Quezon City, National Capital Region, PH". */
  readonly name: string;
  /** null: the name as written, kept off the map ("Purok 3", behind the chapel). */
  readonly latitude: number | null;
  readonly longitude: number | null;
  readonly source: "saved" | "gazetteer" | "link" | "coordinates" | "text";
}

export type PlaceProblem =
  | "place-unknown"
  | "place-ambiguous"
  | "place-not-a-map-link"
  | "place-no-point";

export type PlaceStep =
  | { readonly kind: "empty" }
  | { readonly kind: "problem"; readonly problem: PlaceProblem }
  | {
      readonly kind: "choose";
      readonly candidates: readonly PlaceCandidate[];
      /** The candidate to offer checked: null when the name is ambiguous. */
      readonly preselected: string | null;
      /** The candidate the form picked, when it is one of these. */
      readonly picked: PlaceCandidate | null;
      /** What to say next to the field while nothing is picked. */
      readonly problem: "place-unknown" | "place-ambiguous" | undefined;
    };

/** How many choices a name offers at most. */
const CHOICES = 6;

const pointKey = (latitude: number, longitude: number) => `${latitude},${longitude}`;

export function understandPlace(
  text: string,
  saved: readonly GroupPlace[],
  pick: string,
): PlaceStep {
  const input = readPlaceInput(text);
  if (input.kind === "empty") return { kind: "empty" };
  if (input.kind === "not-a-map-link") return { kind: "problem", problem: "place-not-a-map-link" };
  if (input.kind === "no-point") return { kind: "problem", problem: "place-no-point" };
  let candidates: PlaceCandidate[];
  let preselected: string | null;
  if (input.kind === "point") {
    const { latitude, longitude } = input.point;
    const candidate: PlaceCandidate = {
      key: `p:${pointKey(latitude, longitude)}`,
      name: input.label ?? `${latitude}, ${longitude}`,
      latitude,
      longitude,
      source: input.source,
    };
    candidates = [candidate];
    preselected = candidate.key;
  } else {
    const typed = normalizePlaceName(input.name);
    const own = saved.filter((p) => normalizePlaceName(p.name).startsWith(typed));
    const found = searchPlaces(input.name, CHOICES);
    candidates = [
      ...own.map(
        (p): PlaceCandidate => ({
          key: `s:${p.id}`,
          name: p.name,
          latitude: p.latitude,
          longitude: p.longitude,
          source: "saved",
        }),
      ),
      ...found.map(
        (p): PlaceCandidate => ({
          key: `g:${pointKey(p.latitude, p.longitude)}`,
          name: placeLabel(p),
          latitude: p.latitude,
          longitude: p.longitude,
          source: "gazetteer",
        }),
      ),
    ].slice(0, CHOICES);
    const known = candidates.length > 0;
    // Always the way out: the words as typed, with no point, never checked for them.
    candidates.push({
      key: "t:",
      name: input.name,
      latitude: null,
      longitude: null,
      source: "text",
    });
    if (!known) {
      const picked = pick === "t:" ? candidates[0]! : null;
      return { kind: "choose", candidates, preselected: null, picked, problem: "place-unknown" };
    }
    const ownExact = own.filter((p) => normalizePlaceName(p.name) === typed);
    preselected =
      ownExact.length === 1
        ? `s:${ownExact[0]!.id}`
        : own.length === 0 && isClearBest(found)
          ? (candidates[0]?.key ?? null)
          : candidates.length === 2
            ? candidates[0]!.key
            : null;
  }
  const picked = candidates.find((c) => c.key === pick) ?? null;
  return {
    kind: "choose",
    candidates,
    preselected,
    picked,
    problem: preselected === null ? "place-ambiguous" : undefined,
  };
}

/** The step for a group's form: its own places first. */
export async function groupPlaceStep(
  db: Kysely<Database>,
  groupId: string,
  text: string,
  pick: string,
): Promise<PlaceStep> {
  const input = readPlaceInput(text);
  // Only a name is looked up among the group's places.
  const saved = input.kind === "name" ? await listGroupPlaces(db, groupId) : [];
  return understandPlace(text, saved, pick);
}

/**
 * What the form's place comes to: a location to store (null: none), or the
 * step to show again, with its problem for the place field, if any.
 */
export type PlaceDecision =
  | { readonly ready: true; readonly location: Location | null }
  | { readonly ready: false; readonly problem: PlaceProblem | undefined };

export function placeDecision(step: PlaceStep): PlaceDecision {
  if (step.kind === "empty") return { ready: true, location: null };
  if (step.kind === "problem") return { ready: false, problem: step.problem };
  if (step.picked !== null) return { ready: true, location: locationOf(step.picked) };
  return { ready: false, problem: step.problem };
}

/** The location a picked candidate stores. */
export function locationOf(candidate: PlaceCandidate): Location {
  return { name: candidate.name, latitude: candidate.latitude, longitude: candidate.longitude };
}
