/**
 * The shared vocabulary of needs and offers. It ships with the code so every
 * instance speaks the same categories: the URI travels as FEP-0837's
 * `resourceConformsTo`, and another instance maps it back to the same slug.
 *
 * URIs are URNs on purpose: they are stable without anyone having to keep a
 * web domain alive, and they say nothing about the instance that sent them.
 * `hxl` is the Humanitarian Exchange Language hashtag used in open-data exports.
 */
export interface Category {
  readonly slug: CategorySlug;
  readonly uri: string;
  readonly label: string;
  readonly hxl: string;
}

export const CATEGORY_SLUGS = [
  "food",
  "water",
  "shelter",
  "medical",
  "medication",
  "hygiene",
  "clothing",
  "transport",
  "childcare",
  "eldercare",
  "legal",
  "money",
  "utilities",
  "communication",
  "skills",
  "other",
] as const;

export type CategorySlug = (typeof CATEGORY_SLUGS)[number];

const LABELS: Record<CategorySlug, { label: string; hxl: string }> = {
  food: { label: "Food", hxl: "#item+food" },
  water: { label: "Drinking water", hxl: "#item+water" },
  shelter: { label: "Shelter", hxl: "#item+shelter" },
  medical: { label: "Medical care", hxl: "#item+health" },
  medication: { label: "Medication", hxl: "#item+health+medication" },
  hygiene: { label: "Hygiene supplies", hxl: "#item+wash" },
  clothing: { label: "Clothing", hxl: "#item+nfi+clothing" },
  transport: { label: "Transport", hxl: "#item+logistics+transport" },
  childcare: { label: "Childcare", hxl: "#item+protection+childcare" },
  eldercare: { label: "Eldercare", hxl: "#item+protection+eldercare" },
  legal: { label: "Legal help", hxl: "#item+protection+legal" },
  money: { label: "Money", hxl: "#item+cash" },
  utilities: { label: "Utilities", hxl: "#item+utilities" },
  communication: { label: "Communication", hxl: "#item+etc" },
  skills: { label: "Skills and labour", hxl: "#item+skills" },
  other: { label: "Other", hxl: "#item+other" },
};

export const CATEGORY_URI_PREFIX = "urn:bayanihan:category:";

export const CATEGORIES: readonly Category[] = CATEGORY_SLUGS.map((slug) => ({
  slug,
  uri: `${CATEGORY_URI_PREFIX}${slug}`,
  ...LABELS[slug],
}));

const BY_SLUG = new Map(CATEGORIES.map((c) => [c.slug, c]));
const BY_URI = new Map(CATEGORIES.map((c) => [c.uri, c]));

export function isCategorySlug(value: string): value is CategorySlug {
  return BY_SLUG.has(value as CategorySlug);
}

export function categoryBySlug(slug: CategorySlug): Category {
  // Total over CategorySlug by construction.
  return BY_SLUG.get(slug)!;
}

/** Maps a `resourceConformsTo` URI from any instance back to our category, if it is one of ours. */
export function categoryByUri(uri: string): Category | undefined {
  return BY_URI.get(uri);
}
