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
 * The point `km` away from `start` along the great circle that leaves it at
 * `bearing` degrees clockwise from north; longitude in (-180, 180].
 */
export function destinationPoint(start: Coordinates, km: number, bearing: number): Coordinates {
  const angle = km / EARTH_RADIUS_KM;
  const lat1 = start.latitude * RADIANS;
  const lon1 = start.longitude * RADIANS;
  const theta = bearing * RADIANS;
  const lat2 = Math.asin(
    Math.sin(lat1) * Math.cos(angle) + Math.cos(lat1) * Math.sin(angle) * Math.cos(theta),
  );
  const lon2 =
    lon1 +
    Math.atan2(
      Math.sin(theta) * Math.sin(angle) * Math.cos(lat1),
      Math.cos(angle) - Math.sin(lat1) * Math.sin(lat2),
    );
  const longitude = ((((lon2 / RADIANS + 180) % 360) + 360) % 360) - 180;
  return { latitude: lat2 / RADIANS, longitude: longitude === -180 ? 180 : longitude };
}

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

/**
 * The latitude/longitude box that holds every point within `km` of `center`,
 * so a database can narrow candidates with an index before distances are
 * computed exactly. `longitudes` is null when the box spans every longitude
 * (it reaches a pole, or `km` is half the planet); `west > east` when it
 * crosses the antimeridian. The longitude half-width is the exact one for a
 * circle on the sphere (asin(sin r / cos φ)), not the flat-map guess.
 */
export interface BoundingBox {
  readonly minLatitude: number;
  readonly maxLatitude: number;
  readonly longitudes: { readonly west: number; readonly east: number } | null;
}

export function boundingBox(center: Coordinates, km: number): BoundingBox {
  const angle = km / EARTH_RADIUS_KM;
  const dLat = angle / RADIANS;
  const minLatitude = center.latitude - dLat;
  const maxLatitude = center.latitude + dLat;
  if (minLatitude <= -90 || maxLatitude >= 90 || angle >= Math.PI / 2) {
    return {
      minLatitude: Math.max(-90, minLatitude),
      maxLatitude: Math.min(90, maxLatitude),
      longitudes: null,
    };
  }
  const ratio = Math.sin(angle) / Math.cos(center.latitude * RADIANS);
  if (ratio >= 1) return { minLatitude, maxLatitude, longitudes: null };
  const dLon = Math.asin(ratio) / RADIANS;
  const wrap = (longitude: number) =>
    longitude < -180 ? longitude + 360 : longitude > 180 ? longitude - 360 : longitude;
  return {
    minLatitude,
    maxLatitude,
    longitudes: { west: wrap(center.longitude - dLon), east: wrap(center.longitude + dLon) },
  };
}

/** Whether a point lies in the box (the same test the database applies). */
export function inBoundingBox(box: BoundingBox, point: Coordinates): boolean {
  if (point.latitude < box.minLatitude || point.latitude > box.maxLatitude) return false;
  if (box.longitudes === null) return true;
  const { west, east } = box.longitudes;
  return west <= east
    ? point.longitude >= west && point.longitude <= east
    : point.longitude >= west || point.longitude <= east;
}
