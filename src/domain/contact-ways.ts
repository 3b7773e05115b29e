/**
 * How the public can reach a collective: phone, email, address, opening
 * hours. Every way is optional; what is given is checked so that a page
 * never shows a broken address.
 */
export interface ContactWays {
  readonly phone: string;
  readonly email: string;
  readonly address: string;
  readonly hours: string;
}

export type ContactWayField = keyof ContactWays;
export type ContactWayProblem = "too-long" | "invalid-email" | "invalid-phone";

export const NO_CONTACT_WAYS: ContactWays = { phone: "", email: "", address: "", hours: "" };

export const CONTACT_WAY_LIMITS: Readonly<Record<ContactWayField, number>> = {
  phone: 40,
  email: 254,
  address: 300,
  hours: 200,
};

const EMAIL = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:.]{2,}$/;
/** Digits with the usual separators and an optional leading +: `+63 917 555 0101`, `(02) 8123-4567`. */
const PHONE = /^\+?[0-9()\-./ ]*[0-9][0-9()\-./ ]*$/;

export function hasContactWays(ways: ContactWays): boolean {
  return ways.phone !== "" || ways.email !== "" || ways.address !== "" || ways.hours !== "";
}

/** Checks every field at once, so the form can show each problem next to its field. */
export function validateContactWays(
  input: Readonly<Record<ContactWayField, string>>,
):
  | { readonly ok: true; readonly ways: ContactWays }
  | { readonly ok: false; readonly problems: Partial<Record<ContactWayField, ContactWayProblem>> } {
  const problems: Partial<Record<ContactWayField, ContactWayProblem>> = {};
  const clean = (field: ContactWayField) => {
    // One line each but the address, which may be written on several.
    const value =
      field === "address"
        ? input[field].replace(/\r\n?/g, "\n").trim()
        : input[field].replace(/\s+/g, " ").trim();
    if (value.length > CONTACT_WAY_LIMITS[field]) problems[field] = "too-long";
    return value;
  };
  const ways: ContactWays = {
    phone: clean("phone"),
    email: clean("email"),
    address: clean("address"),
    hours: clean("hours"),
  };
  if (problems.email === undefined && ways.email !== "" && !EMAIL.test(ways.email)) {
    problems.email = "invalid-email";
  }
  if (problems.phone === undefined && ways.phone !== "" && !PHONE.test(ways.phone)) {
    problems.phone = "invalid-phone";
  }
  return Object.keys(problems).length > 0 ? { ok: false, problems } : { ok: true, ways };
}
