import type { PageContext } from "../context.ts";

/**
 * The path of an open-data link, with the page's language when the format
 * tells its labels in one (CSV, HXL, GeoJSON, feeds): a person reading in
 * Spanish downloads a spreadsheet with Spanish headers, and subscribes to a
 * feed that stays Spanish. Murmurations profiles follow their schema, in English.
 */
export function dataHref(page: PageContext, url: URL, told = true): string {
  return told && page.locale !== "en" ? `${url.pathname}?lang=${page.locale}` : url.pathname;
}
