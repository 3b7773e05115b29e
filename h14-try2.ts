import { searchPlaces } from "./src/services/places.ts";

const gc = (globalThis as any).gc as () => void;
gc();
const m0 = process.memoryUsage();
let t = performance.now();
searchPlaces("Manila", 5);
console.log("load ms", performance.now() - t);
gc();
const m1 = process.memoryUsage();
console.log(
  "rss MB",
  (m1.rss - m0.rss) / 1e6,
  "heap MB",
  (m1.heapUsed - m0.heapUsed) / 1e6,
  "ext",
  (m1.external - m0.external) / 1e6,
);
for (const q of [
  "cubao",
  "Malolos",
  "Bogota",
  "quezon",
  "San Jose",
  "san jose, ph",
  "s",
  "Manila",
]) {
  t = performance.now();
  const x = searchPlaces(q, 5);
  console.log(
    q,
    (performance.now() - t).toFixed(2),
    x.map((p) => `${p.name}|${p.region}|${p.country}|${p.population}|${p.exact}`).join("; "),
  );
}
