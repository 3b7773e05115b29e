import { coarsenCoordinate } from "./geo.ts";
import type { Location } from "./proposal.ts";

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
    latitude: coarsenCoordinate(location.latitude),
    longitude: coarsenCoordinate(location.longitude),
  };
}
