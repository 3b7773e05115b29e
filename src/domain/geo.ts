/**
 * Points on the Earth, as needs and offers carry them (WGS 84 degrees).
 */
export interface Coordinates {
  readonly latitude: number;
  readonly longitude: number;
}

/** The mean Earth radius (IUGG), the usual choice for great-circle distances. */
export const EARTH_RADIUS_KM = 6371.0088;

/** Half the Earth's circumference: no two points are farther apart along the surface. */
export const MAX_SURFACE_DISTANCE_KM = Math.PI * EARTH_RADIUS_KM;

const RADIANS = Math.PI / 180;

/**
 * Great-circle distance in km (haversine). Longitudes are taken modulo 360,
 * so two points either side of the antimeridian are as near as they are.
 */
export function haversineKm(a: Coordinates, b: Coordinates): number {
  const phi1 = a.latitude * RADIANS;
  const phi2 = b.latitude * RADIANS;
  const dPhi = phi2 - phi1;
  const dLambda = (b.longitude - a.longitude) * RADIANS;
  const h = Math.sin(dPhi / 2) ** 2 + Math.cos(phi1) * Math.cos(phi2) * Math.sin(dLambda / 2) ** 2;
  // min(1, …): rounding can push h a hair above 1 for antipodal points.
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(Math.min(1, h)));
}

/**
 * Rounds a coordinate to two decimals (about 1 km), the precision a need's
 * place is shown with outside its group: federated copies carry it, and
 * distances shown to the public are computed from it, so that nobody can
 * work an exact address back out of several distances.
 */
export function coarsenCoordinate(coordinate: number): number {
  return Math.round(coordinate * 100) / 100;
}

export function coarsen(point: Coordinates): Coordinates {
  return {
    latitude: coarsenCoordinate(point.latitude),
    longitude: coarsenCoordinate(point.longitude),
  };
}
