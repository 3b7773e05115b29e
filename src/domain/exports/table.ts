import { type Listing, purposeWord } from "../listing.ts";
import { type CsvCell, num, text, toCsv } from "./csv.ts";
import { type ExportDocument, isoSeconds } from "./document.ts";

/**
 * The columns of the CSV and HXL exports, in order: a header a person reads,
 * the HXL hashtag an aggregator reads, and the cell.
 *
 * HXL mapping (hashtags from the HXL core dictionary; our choices noted):
 * the title is `#item+name`; the text of a need goes under `#need`, of an
 * offer under `#offer` (each row fills one of the two), so filtering on
 * `#need` gives what is needed; the category is a `#sector` (`+code`: our
 * slug, `+name`: its label) and `#meta+hxl` carries the category's own
 * vocabulary hashtag (`#item+food`…); urgency is `#severity`; quantities are
 * `#indicator` numbers; dates are `#date+reported` (published),
 * `#date+updated` and `#date+end` (needed by / available until); the group
 * is `#org` (`+name`, `+id`: its ActivityPub actor id).
 */
interface Column {
  readonly header: string;
  readonly hxl: string;
  readonly cell: (listing: Listing) => CsvCell;
}

const date = (instant: Temporal.Instant | null) =>
  text(instant === null ? "" : isoSeconds(instant));

export const COLUMNS: readonly Column[] = [
  { header: "Id", hxl: "#meta+id", cell: (l) => text(l.objectId) },
  { header: "Page", hxl: "#meta+url", cell: (l) => text(l.url) },
  { header: "Type", hxl: "#meta+type", cell: (l) => text(purposeWord(l.purpose)) },
  { header: "Title", hxl: "#item+name", cell: (l) => text(l.title) },
  {
    header: "Need",
    hxl: "#need+description",
    cell: (l) => text(l.purpose === "request" ? l.summary : ""),
  },
  {
    header: "Offer",
    hxl: "#offer+description",
    cell: (l) => text(l.purpose === "offer" ? l.summary : ""),
  },
  { header: "Category", hxl: "#sector+code", cell: (l) => text(l.category?.slug) },
  { header: "Category label", hxl: "#sector+name", cell: (l) => text(l.category?.label) },
  { header: "Category HXL tag", hxl: "#meta+hxl", cell: (l) => text(l.category?.hxl) },
  { header: "Status", hxl: "#status", cell: (l) => text(l.status) },
  { header: "Urgency", hxl: "#severity", cell: (l) => text(l.urgency) },
  { header: "Quantity", hxl: "#indicator+quantity+num", cell: (l) => num(l.quantity?.amount) },
  { header: "Unit", hxl: "#indicator+unit", cell: (l) => text(l.quantity?.unit) },
  {
    header: "Still needed or available",
    hxl: "#indicator+remaining+num",
    cell: (l) => num(l.quantity?.remaining),
  },
  { header: "Place", hxl: "#loc+name", cell: (l) => text(l.location?.name) },
  { header: "Latitude", hxl: "#geo+lat", cell: (l) => num(l.location?.latitude) },
  { header: "Longitude", hxl: "#geo+lon", cell: (l) => num(l.location?.longitude) },
  { header: "Published", hxl: "#date+reported", cell: (l) => date(l.publishedAt) },
  { header: "Updated", hxl: "#date+updated", cell: (l) => date(l.updatedAt) },
  { header: "Needed or available until", hxl: "#date+end", cell: (l) => date(l.expiresAt) },
  { header: "Group", hxl: "#org+name", cell: (l) => text(l.origin.name ?? l.origin.handle) },
  { header: "Group id", hxl: "#org+id", cell: (l) => text(l.origin.actorId) },
  { header: "Shared by", hxl: "#org+shared+id", cell: (l) => text(l.sharedBy.join(" ")) },
  // A received copy whose origin has stopped answering: when it last confirmed it.
  {
    header: "Not confirmed since",
    hxl: "#date+unconfirmed",
    cell: (l) => date(l.notConfirmedSince),
  },
];

function header(): CsvCell[] {
  return COLUMNS.map((c) => text(c.header));
}

function rows(listings: readonly Listing[]): CsvCell[][] {
  return listings.map((listing) => COLUMNS.map((c) => c.cell(listing)));
}

/** Plain CSV: a header row, then one row per listing. */
export function listingsCsv(document: ExportDocument): string {
  return toCsv([header(), ...rows(document.listings)]);
}

/** HXL: the same CSV with the hashtag row under the headers. */
export function listingsHxl(document: ExportDocument): string {
  return toCsv([header(), COLUMNS.map((c) => text(c.hxl)), ...rows(document.listings)]);
}
