import type { Location } from "./proposal.ts";

/**
 * About 1 km: a person in need's exact coordinates must not leave the
 * instance, but a volunteer driver still needs to know roughly where to go.
 */
export function coarsen(coordinate: number): number {
  return Math.round(coordinate * 100) / 100;
}

/**
 * The place as anyone outside the group's coordinators may see it: on the
 * wire, in public API answers and pages. Coarse unless the coordinator chose
 * to share the exact point (a public drop-off site, say).
 */
export function sharedLocation(location: Location | null): Location | null {
  if (location === null || location.exact === true) return location;
  if (location.latitude === null || location.longitude === null) return location;
  return {
    name: location.name,
    latitude: coarsen(location.latitude),
    longitude: coarsen(location.longitude),
  };
}
